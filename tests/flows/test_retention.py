"""Bounded Prefect storage: with the vacuum `onematter serve` configures, ended flow runs older
than the retention period go (with their logs) and recent ones stay."""

import asyncio
import datetime as dt
import uuid

from prefect import flow
from prefect.runtime import flow_run


@flow(name="retention-check")
async def _noop() -> str:
    return str(flow_run.id)


def test_old_runs_go_and_recent_ones_stay(prefect):
    from prefect.client.orchestration import get_client
    from prefect.server.database import provide_database_interface
    from prefect.server.services.db_vacuum import vacuum_old_flow_runs
    from prefect.settings import get_current_settings

    from onematter.runtime.serve import RUN_RETENTION_DAYS, server_env
    env = server_env(4200)
    assert env["PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED"] == "events,flow_runs"
    from prefect.settings import PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD, temporary_settings

    async def scenario():
        old, recent = uuid.UUID(await _noop()), uuid.UUID(await _noop())
        db = provide_database_interface()
        async with db.session_context(begin_transaction=True) as session:       # this one ended long ago
            await session.execute(db.FlowRun.__table__.update().where(db.FlowRun.id == old).values(
                end_time=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=RUN_RETENTION_DAYS + 1)))
        await vacuum_old_flow_runs(db=db)
        async with get_client() as client:
            return old, recent, {r.id for r in await client.read_flow_runs()}
    with temporary_settings(updates={PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD:
                                     env["PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD"]}):
        assert get_current_settings().server.services.db_vacuum.retention_period == dt.timedelta(days=RUN_RETENTION_DAYS)
        old, recent, left = asyncio.run(scenario())
    assert old not in left and recent in left
