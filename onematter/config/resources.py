"""Where the files the code reads are, installed or in a checkout.

A wheel carries the checkout's data folders inside the package (pyproject's package-dir):
`onematter/templates/` (document templates, `messages/` texts, `styles/`), `onematter/examples/`
and `onematter/deployments/`. An editable install (a checkout) has them only at the top level,
so each is looked up in the installed package first, else in the checkout. Files that live in the
package's own folders are found next to their module, inside the package either way:
`migrations/` (here), `policy/policy.yaml` (onematter.policy), `web/templates/`, `web/static/`
(onematter.web) and `matters/<key>/templates/`.

Nothing here depends on the working directory."""

from __future__ import annotations

import os
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

PACKAGE = Path(str(files("onematter")))
CHECKOUT = PACKAGE.parent                  # the repository root, when running from a checkout


def in_checkout() -> bool:
    """Running from a checkout (editable install), not from an installed wheel."""
    return (CHECKOUT / "pyproject.toml").is_file() and (CHECKOUT / "flows").is_dir()


@lru_cache(maxsize=None)
def resource(name: str) -> Path:
    """`templates`, `examples`, `deployments` (top-level folders of the checkout, packaged inside
    `onematter/` in a wheel) or a folder of the package itself (`migrations`)."""
    packaged = PACKAGE / name
    if packaged.is_dir() or not in_checkout():
        return packaged                    # installed: only ever the package's own copy
    return CHECKOUT / name


def templates_dir() -> Path:
    return resource("templates")


def example(name: str) -> Path:
    return resource("examples") / name


def deployments_file() -> Path:
    return resource("deployments") / "prefect.yaml"


def migrations_dir() -> Path:
    return resource("migrations")


def default_data_dir() -> Path:
    """`.data/` in the checkout; installed, the user's data directory by the XDG Base Directory
    spec: `$XDG_DATA_HOME/onematter`, `~/.local/share/onematter` when unset (or not absolute)."""
    if in_checkout():
        return CHECKOUT / ".data"
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "share"
    return base / "onematter"
