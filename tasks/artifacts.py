"""Per-application artifacts in Prefect (masked): a versioned summary and a table of matters —
written once per run, at its end, by the (async) flow itself: no task run of their own."""

from __future__ import annotations

import asyncio
import uuid

from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact

from onematter.casework import board as supervision
from onematter.casework.dossier import APPLICATION_STATUS_LABELS
from onematter.config.db import session_scope
from onematter.casework.applications import load_file


async def publish_artifacts(application_id: uuid.UUID, application_no: str) -> str:
    """A new version of `application-<number>` (summary) and `application-<number>-matters`."""
    with session_scope(readonly=True) as session:
        file = load_file(session, application_id)
        key = supervision.artifact_key(file.app.application_no)
        markdown = supervision.summary_markdown(session, file)
        rows = supervision.matter_rows(file)
        status = APPLICATION_STATUS_LABELS[file.app.status]
    await asyncio.gather(                        # two requests at once: one round trip, not two
        acreate_markdown_artifact(markdown=markdown, key=key, description=f"联办申请概况（{status}）"),
        acreate_table_artifact(table=rows, key=f"{key}-matters", description="各事项办理情况"))
    return key
