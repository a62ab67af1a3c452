"""Handing an application to Prefect: in this process on the embedded default, to the warm
workers' queue on a served stack. Shared by the CLI and the staff page."""

from __future__ import annotations

from onematter.embedded import prefect_defaults, served


def submit_to_queue(application_id, *, wait: bool, timeout: float = 600) -> None:
    """Served stack: queue the application for the warm workers (idempotent: one item per
    application, queued again only when work is left over); wait for it unless told not to."""
    from onematter import workqueue
    from onematter.db import session_scope
    with session_scope() as session:
        workqueue.enqueue(session, application_id)
    if wait:
        workqueue.wait_until_done(application_id, timeout=timeout)


def flow_labels(application_id) -> list[str]:
    """The run's tags: its matters and town (no personal data)."""
    from onematter.cases import matter_cases
    from onematter.db import session_scope
    from onematter.models import Application
    with session_scope(readonly=True) as session:
        app_row = session.get(Application, application_id)
        return [c.matter for c in matter_cases(session, application_id)] + [app_row.town]


def run_flow_here(application_id) -> None:
    """The combined-application flow in this process, against whichever Prefect API is current."""
    import asyncio

    from prefect import tags

    from flows.combined_application import combined_application
    with tags(*flow_labels(application_id)):
        asyncio.run(combined_application(application_id=application_id))


def run_application_flow(application_id) -> None:
    """Run the combined-application flow in this process (embedded default)."""
    prefect_defaults()
    from onematter.embedded import watch_children
    watch_children()
    run_flow_here(application_id)


def run_documents_flow(application_id) -> None:
    if served():
        from prefect.deployments import run_deployment
        run = run_deployment("issue-documents/issue-documents", parameters={"application_id": str(application_id)},
                             timeout=None, poll_interval=0.5, as_subflow=False)
        if not run.state.is_completed():
            raise RuntimeError(f"流程运行 {run.name} 结束状态为 {run.state.name}：{run.state.message or ''}")
        return
    prefect_defaults()
    import asyncio

    from flows.decision import issue_documents_flow
    from onematter.embedded import watch_children
    watch_children()
    asyncio.run(issue_documents_flow(application_id=application_id))


def void_open_decision_runs(application_no: str, matter: str, by: str, *, via: str) -> None:
    """A decision came from elsewhere (the CLI, the staff page): the matter's decision form waiting
    in the Prefect UI is cancelled, visibly."""
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName, FlowRunFilterState, \
        FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType
    from prefect.states import Cancelled

    from flows.combined_application import decision_run_name

    async def void() -> None:
        async with get_client() as client:
            runs = await client.read_flow_runs(flow_run_filter=FlowRunFilter(
                name=FlowRunFilterName(any_=[decision_run_name(application_no, matter)]),
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))))
            for run in runs:
                await client.set_flow_run_state(run.id, Cancelled(message=f"已由 {by} 通过{via}审核，本表单作废"),
                                                force=True)
    asyncio.run(void())
