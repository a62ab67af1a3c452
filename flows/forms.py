"""The supervisor's decision forms in the Prefect UI, as rows, not processes.

A form is a `matter-decision` flow run in a *Suspended* state (Prefect's `suspend_flow_run`, a
Paused state that reschedules on resume) carrying the matter's form schema and the masked text
above it. Nothing runs while it waits: no process, no connection, no polling. When the
supervisor submits it, Prefect stores the input and puts the run back to Scheduled; a warm worker
(`onematter worker`) claims it (the Pending transition only one claimant gets) and runs the flow
in its own process: the flow reads the stored input, records the decision in our database (first
decision wins) and issues the documents. The case's `pending_decision` row with its deadline is
the wait; this module keeps the forms in step with it.

Opening a form costs four API calls (create the run, suspend it, save the schema and the text above
it) and no flow engine: the run is created Running and suspended from outside by its opener."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from dataclasses import dataclass
from functools import lru_cache

from prefect.client.orchestration import PrefectClient, get_client
from prefect.client.schemas.filters import (DeploymentFilter, DeploymentFilterName, FlowRunFilter,
                                            FlowRunFilterName, FlowRunFilterState, FlowRunFilterStateType)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.client.schemas.responses import SetStateStatus
from prefect.input import RunInput, keyset_from_paused_state
from prefect.states import Cancelled, Running, Scheduled, Suspended
from sqlmodel import and_, or_, select

from onematter import matters
from onematter.case.lifecycle import get_application
from onematter.case.models import Application, Decision, Event, MatterCase
from onematter.casework.board import decision_description
from onematter.casework.processing import DECISION_SOURCES
from onematter.config.db import session_scope

DECISION_FLOW, DECISION_DEPLOYMENT_NAME = "matter-decision", "matter-decision"
DECISION_DEPLOYMENT = f"{DECISION_FLOW}/{DECISION_DEPLOYMENT_NAME}"
FIRST_KEY = "decision-1"
OPEN = (StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING, StateType.PAUSED)
PAGE = 200                      # the API's largest page
OPENING_AT_ONCE = 1             # forms opened at once: see open_missing


def decision_run_name(application_no: str, matter: str) -> str:
    """`审核 PHYJS-20261129-0001 企业吸纳优惠`."""
    try:
        return f"审核 {application_no} {matters.spec(matter).short}"
    except matters.UnknownMatter:
        return f"审核 {application_no} {matter}"


@lru_cache(maxsize=None)
def decision_input(matter: str) -> type[RunInput]:
    """The matter's decision form as Prefect run input (审核结果 / 审核人姓名 / 审核意见 …)."""
    return RunInput.subclass_from_base_model_type(matters.spec(matter).decision.form)


@lru_cache(maxsize=None)
def form_schema(matter: str) -> str:
    """The form's JSON schema as the Prefect UI reads it (what `RunInput.asave` stores)."""
    from prefect._internal.pydantic.v2_schema import create_v2_schema  # noqa: I001 — private, but what asave calls
    form = decision_input(matter)
    return json.dumps(create_v2_schema(form.__name__, model_base=form), ensure_ascii=False)


# ------------------------------------------------------------------ what our database says


@dataclass(frozen=True)
class Waiting:
    """A matter that waits for a supervisor."""
    application_no: str
    matter: str
    case_id: uuid.UUID

    def description(self) -> str:
        """The masked text above its form (the schedule first)."""
        with session_scope(readonly=True) as session:
            return decision_description(session, session.get(MatterCase, self.case_id))


def waiting_cases(application_no: str | None = None) -> list[Waiting]:
    """Every matter waiting for a decision now (of one application, or all)."""
    waits = [and_(MatterCase.matter == s.key, MatterCase.status == s.decision.waiting) for s in matters.deciding()]
    with session_scope(readonly=True) as session:
        query = (select(Application.application_no, MatterCase.matter, MatterCase.id)
                 .join(Application, Application.id == MatterCase.application_id).where(or_(*waits)))
        if application_no:
            query = query.where(Application.application_no == application_no)
        return [Waiting(*row) for row in session.exec(query).all()]


def who_decided(application_no: str, matter: str, flow_run_id: str | None = None) -> dict | None:
    """The decision recorded on the matter, if any: who, how, and whether this run recorded it."""
    with session_scope(readonly=True) as session:
        app = get_application(session, application_no)
        case = session.exec(select(MatterCase).where(MatterCase.application_id == app.id,
                                                     MatterCase.matter == matter)).first()
        decision = case and session.exec(select(Decision).where(Decision.matter_case_id == case.id)).first()
        if not decision:
            return None
        mine = bool(flow_run_id) and session.exec(select(Event.id).where(
            Event.entity_id == case.id, Event.flow_run_id == flow_run_id)).first() is not None
        return {"by": decision.decided_by, "via": DECISION_SOURCES.get(decision.source, decision.source),
                "verdict": "通过" if decision.approved else "不予通过", "this_run": mine,
                "application_id": str(app.id)}


def voided_message(decided: dict) -> str:
    return f"本表单作废：已由 {decided['by']} 通过{decided['via']}审核（{decided['verdict']}）"


# ------------------------------------------------------------------ the forms in Prefect


async def decision_runs(client: PrefectClient, *, names: list[str] | None = None,
                        states: tuple[StateType, ...] | None = None) -> list[FlowRun]:
    """The decision deployment's runs (every page), optionally by name and state."""
    flow_filter = FlowRunFilter(
        name=FlowRunFilterName(any_=names) if names else None,
        state=FlowRunFilterState(type=FlowRunFilterStateType(any_=list(states))) if states else None)
    deployment = DeploymentFilter(name=DeploymentFilterName(any_=[DECISION_DEPLOYMENT_NAME]))
    runs: list[FlowRun] = []
    while True:
        page = await client.read_flow_runs(flow_run_filter=flow_filter, deployment_filter=deployment,
                                           sort=FlowRunSort.EXPECTED_START_TIME_ASC, limit=PAGE, offset=len(runs))
        runs += page
        if len(page) < PAGE:
            return runs


def is_open(runs: list[FlowRun]) -> bool:
    return any(r.state and r.state.type in OPEN for r in runs)


async def open_form(client: PrefectClient, deployment_id: uuid.UUID, waiting: Waiting, earlier: int) -> FlowRun | None:
    """Open the matter's form (the caller knows none is open; `earlier` runs of it ended or were
    voided). Idempotent: the key is the application, the matter and the attempt."""
    key = f"decision-{waiting.application_no}-{waiting.matter}" + (f"-{earlier + 1}" if earlier else "")
    spec = matters.spec(waiting.matter)
    run = await client.create_flow_run_from_deployment(
        deployment_id, parameters={"application_no": waiting.application_no, "matter": waiting.matter},
        name=decision_run_name(waiting.application_no, waiting.matter), tags=[waiting.matter, "审核"],
        idempotency_key=key, state=Running(message="开启审核表单"))
    if not (run.state and run.state.is_running() and not run.empirical_policy.pause_keys):
        return None                                  # another opener got there first
    # suspended from outside by hand: Prefect's `suspend_flow_run(flow_run_id=…, wait_for_input=…)`
    # saves the form's schema on the *calling* run (3.9.1 passes no flow_run_id to `RunInput.asave`)
    suspended = Suspended(timeout_seconds=None, pause_key=FIRST_KEY, message=f"{spec.short}审核表单，等待审核（不占用进程）")
    keyset = keyset_from_paused_state(suspended)
    suspended.state_details.run_input_keyset = keyset
    result = await client.set_flow_run_state(run.id, suspended)      # orchestrated: the key is recorded as fired
    if result.status != SetStateStatus.ACCEPT:
        return None                                  # the other opener suspended it meanwhile
    # after the pause (pausing clears the inputs under its keyset); on this client, as `RunInput.asave`
    # would store them (it opens a new client, with its TLS set-up, for each input: 37 ms)
    await client.create_flow_run_input(run.id, keyset["schema"], form_schema(waiting.matter))
    await client.create_flow_run_input(run.id, keyset["description"], json.dumps(waiting.description(), ensure_ascii=False))
    return run


async def open_missing(client: PrefectClient, waiting: list[Waiting]) -> list[FlowRun]:
    """A form for each waiting matter that has none open. One at a time: a SQLite-backed Prefect
    server answers concurrent writes "database is locked" and the client backs off for seconds
    (100 forms: 30 s four at a time, 10 s one at a time; ~85 ms each)."""
    if not waiting:
        return []
    deployment = await client.read_deployment_by_name(DECISION_DEPLOYMENT)
    names = {decision_run_name(w.application_no, w.matter): w for w in waiting}
    runs: dict[str, list[FlowRun]] = {name: [] for name in names}
    for run in await decision_runs(client, names=list(names)):
        runs[run.name].append(run)
    todo = [(w, len(runs[name])) for name, w in names.items() if not is_open(runs[name])]
    limit = asyncio.Semaphore(OPENING_AT_ONCE)

    async def one(w: Waiting, earlier: int) -> FlowRun | None:
        async with limit:
            return await open_form(client, deployment.id, w, earlier)
    return [r for r in await asyncio.gather(*(one(w, n) for w, n in todo)) if r is not None]


async def open_forms(application_no: str) -> list[str]:
    """The application's waiting matters, each with its open form (names of the forms opened)."""
    waiting = waiting_cases(application_no)
    if not waiting:
        return []
    async with get_client() as client:
        return [run.name for run in await open_missing(client, waiting)]


async def void_forms(application_no: str, matter: str, message: str) -> int:
    """The matter's forms still open (waiting, or submitted and not yet taken) are cancelled with
    the message: the decision came from elsewhere."""
    async with get_client() as client:
        runs = await decision_runs(client, names=[decision_run_name(application_no, matter)],
                                   states=(StateType.PAUSED, StateType.SCHEDULED))
        for run in runs:
            await client.set_flow_run_state(run.id, Cancelled(message=message), force=True)
        return len(runs)


async def has_answer(client: PrefectClient, run_id: uuid.UUID) -> bool:
    """Whether a supervisor's submitted input is stored on the run (a suspended form's, or one of
    the blocking forms before them)."""
    for prefix in ("suspended-decision-", "paused-decision-"):
        inputs = await client.filter_flow_run_input(run_id, key_prefix=prefix, limit=50, exclude_keys=set())
        if any(i.key.endswith("-response") for i in inputs):
            return True
    return False


async def repair(*, lost_before: dt.datetime) -> dict[str, int]:
    """Keep the forms in step with the cases (serve runs it at start-up and every minute):
    - a run taken by a worker that is gone (Pending/Running since before `lost_before`, or
      Crashed) is scheduled again when its form was answered: the flow reruns, finds the
      submitted input, does nothing twice; unanswered, it is voided and a new form opened;
    - a form from before forms were suspended (a blocking pause whose process is gone) is voided;
    - a form waiting on a case decided elsewhere is voided, naming who decided;
    - a case waiting without an open form gets one."""
    counts = {"waiting": 0, "rescheduled": 0, "voided": 0, "opened": 0}
    async with get_client() as client:
        waiting = waiting_cases()
        waits = {(w.application_no, w.matter) for w in waiting}
        counts["waiting"] = len(waiting)
        for run in await decision_runs(client, states=(*OPEN, StateType.CRASHED)):
            state = run.state
            lost = state.type == StateType.CRASHED or (
                state.type in (StateType.PENDING, StateType.RUNNING) and state.timestamp < lost_before)
            if lost and await has_answer(client, run.id):
                await client.set_flow_run_state(run.id, Scheduled(message="办理中的工作进程已不在，重新办理"), force=True)
                counts["rescheduled"] += 1
            elif lost:                                  # interrupted before its form was answered
                await client.set_flow_run_state(run.id, Cancelled(message="表单在开启时中断，本表单作废；已重新开启审核表单"),
                                                force=True)
                counts["voided"] += 1
            elif state.type == StateType.PAUSED and not state.state_details.pause_reschedule:
                await client.set_flow_run_state(run.id, Cancelled(message="旧版审核表单的进程已不在，本表单作废；已重新开启审核表单"),
                                                force=True)
                counts["voided"] += 1
            elif state.type == StateType.PAUSED and (key := (run.parameters["application_no"], run.parameters["matter"])) \
                    not in waits and not any(w.matter == key[1] for w in waiting_cases(key[0])):   # fresh: not since
                decided = who_decided(*key)
                message = voided_message(decided) if decided else "本表单作废：该事项已不在待审核状态"
                await client.set_flow_run_state(run.id, Cancelled(message=message), force=True)
                counts["voided"] += 1
        counts["opened"] = len(await open_missing(client, waiting))
    return counts
