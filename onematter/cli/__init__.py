"""The `onematter` command line (Typer), one module per command group; each registers its
commands, and each command parses its options, calls the service layer and prints. JSON output
is a documented contract (README)."""

from __future__ import annotations

import sys

from onematter.cli import applications, audit, catalog, deliveries, documents, fairs, followups, keys, \
    materials, notifications, ratings, reports, retention, seals, stack, tasks, users  # noqa: F401 — importing a command module registers its commands
from onematter.cli._common import app
from onematter.cli._common import load as _load  # noqa: F401 — tests read files as the CLI does

app.add_typer(catalog.catalog_app, name="catalog")
app.add_typer(users.user_app, name="user")
app.add_typer(followups.followups_app, name="followups")
app.add_typer(notifications.notifications_app, name="notifications")
app.add_typer(tasks.tasks_app, name="tasks")
app.add_typer(reports.report_app, name="report")
app.add_typer(fairs.fairs_app, name="fairs")
app.add_typer(materials.materials_app, name="materials")
app.add_typer(ratings.ratings_app, name="ratings")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(keys.keys_app, name="keys")
app.add_typer(retention.retention_app, name="retention")
app.add_typer(seals.seal_app, name="seal")

# `onematter --help` lists the top-level commands in this order, whichever module registers them
ORDER = ["init-db", "apply", "resume", "status", "list", "decide", "handover", "verify", "serve", "worker", "fonts", "samples",
         "demo"]
app.registered_commands.sort(key=lambda c: ORDER.index(c.name) if c.name in ORDER else len(ORDER))


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
