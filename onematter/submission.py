"""Handing an application to Prefect: in this process on the embedded default, through the
deployments on a served stack. Shared by the CLI and the staff page."""

from __future__ import annotations

from onematter.embedded import prefect_defaults, served


def submit_to_deployment(application_id, application_no: str, *, wait: bool) -> None:
    """Submit through the `combined-application` deployment, idempotently (one run per
    application, whatever the number of submissions); wait for the result unless told not to."""
    from prefect.deployments import run_deployment

    from onematter.cases import matter_cases
    from onematter.db import session_scope
    from onematter.models import Application
    with session_scope() as session:
        app_row = session.get(Application, application_id)
        labels = [c.matter for c in matter_cases(session, application_id)] + [app_row.town]
    name, params = "combined-application/combined-application", {"application_id": str(application_id)}
    key = f"application-{application_no}"
    run = run_deployment(name, parameters=params, idempotency_key=key, tags=labels, timeout=0, as_subflow=False)
    while run.state.is_final():
        # work remains (we are only called then) but this key's run has ended: one new attempt per
        # ended run, keyed by it, so repeated submissions still never start two runs
        key = f"application-{application_no}-after-{run.id.hex[:8]}"
        run = run_deployment(name, parameters=params, idempotency_key=key, tags=labels, timeout=0, as_subflow=False)
    if wait:
        run = run_deployment(name, parameters=params, idempotency_key=key, tags=labels, timeout=None,
                             poll_interval=0.5, as_subflow=False)
        if not run.state.is_completed():
            raise RuntimeError(f"流程运行 {run.name} 结束状态为 {run.state.name}：{run.state.message or ''}")


def run_application_flow(application_id) -> None:
    """Run the combined-application flow in this process (embedded default)."""
    prefect_defaults()
    import asyncio

    from prefect import tags

    from flows.combined_application import combined_application
    from onematter.cases import matter_cases
    from onematter.db import session_scope
    from onematter.models import Application
    with session_scope() as session:
        app_row = session.get(Application, application_id)
        labels = [c.matter for c in matter_cases(session, application_id)] + [app_row.town]
    from onematter.embedded import watch_children
    watch_children()
    with tags(*labels):
        asyncio.run(combined_application(application_id=application_id))


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
