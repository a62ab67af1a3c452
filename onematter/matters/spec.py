"""What a matter is: one `MatterSpec` per matter module declares everything the core needs —
the intake request and title, the policy block, statuses and transitions, the handler that
decides a case and writes its rows, the documents due in each status and their contexts, the
details shown in the JSON view, whether a supervisor decides it (and the form), its catalogue
lists, its scheduled follow-ups and the staff tasks they create, its lines in the monthly report
and its part in the sample documents. The core (intake, cases, issuing, views, flows, CLI, board,
schedule, staff tasks, report, samples) loops over the registry and knows no matter by name.

A matter's document templates are in a folder only it uses, templates/matters/<key>/
(`MatterSpec.templates`); its `DocumentKind.template` and `form_partial` are named within it."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Literal, Mapping

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from datetime import date

    from sqlmodel import Session

    from onematter.case.models import Application, MatterCase, Person, StaffTask
    from onematter.policy import Policy
    from onematter.rules import Outcome


@dataclass(frozen=True)
class DocumentKind:
    """A document a matter is due while its case is in one of `due_in`."""
    key: str                      # doc_key, also the PDF's file name: NN-<key>.pdf
    number: int                   # the document number's suffix within the application
    title: str
    template: str                 # its name within the matter's folder, templates/matters/<key>/
    due_in: frozenset[str]
    context: Callable[["Session", "MatterCase", dict], dict] | None = None   # (session, case, matter view): what the template needs
    qr: bool = False
    dated_by_decision: bool = False   # issued on the supervisor's decision date
    official: bool = False            # a 通知书/告知书: official typography and a 文号
    due_if: Callable[["MatterCase"], bool] | None = None       # and only when this holds of the case
    issued_on: Callable[["MatterCase"], str | None] | None = None   # its own date (a later event's)

    def due(self, case: "MatterCase") -> bool:
        return case.status in self.due_in and (self.due_if is None or self.due_if(case))


class DecisionForm(BaseModel):
    """The supervisor's form (Prefect UI): a matter may extend it with fields of its own."""
    decision: Literal["通过", "不予通过"] = Field(title="审核结果", description="通过 或 不予通过")
    decided_by: str = Field(min_length=1, max_length=30, title="审核人姓名", description="必填")
    comment: str = Field(default="", max_length=500, title="审核意见", description="不予通过时必填")


@dataclass(frozen=True)
class Decision:
    """A matter that waits for a supervisor: the case stays in `waiting` until one decides."""
    describe: Callable[["Session", "MatterCase"], list[str]]   # masked markdown lines for the form
    board: Callable[["MatterCase"], list[str]]                 # markdown lines (e.g. a schedule)
    rule: Callable[["Policy"], str] | None = None              # cited on a rejection; default: the block's citation
    rejection_number: int | None = None      # document number of its 审核不予确认通知书
    rejection_title: str = "审核不予确认通知书"
    form: type[DecisionForm] = DecisionForm
    waiting: str = "pending_decision"
    approved: str = "approved"
    rejected: str = "rejected"


# 补正 (domain.md §1.1), the same for every matter: a case missing a required material waits in
# `awaiting_materials` (待补正) before its rule is applied; once its materials are complete it is
# `pending` again, and when the correction period passes first it is refused (逾期未补正)
MATERIALS_WAITING = "awaiting_materials"
MATERIALS_TRANSITIONS = {"pending": frozenset({MATERIALS_WAITING}),
                         MATERIALS_WAITING: frozenset({"pending", "refused"})}
COMMON_LABELS = {MATERIALS_WAITING: "待补正", "refused": "不予受理"}
MATERIALS_DETAIL_KEYS = ("missing_materials", "materials_due", "materials_complete_on")

DECISION_DETAIL_KEYS = ("decided_by", "decided_at", "comment")     # written by processing.record_decision
# the statuses of a matter a supervisor decides: accepted for review, then approved or rejected
DECIDED_LABELS = {"pending_decision": "待审核", "approved": "审核确认", "rejected": "审核不予确认", "refused": "不予受理"}
DECIDED_TRANSITIONS = {"pending": frozenset({"pending_decision", "refused"}),
                       "pending_decision": frozenset({"approved", "rejected"})}


def schedule_markdown(heading: str, rows: list[dict], amount_title: str, total: int) -> list[str]:
    """A year-by-year schedule as markdown lines (the board and the decision form)."""
    lines = [heading, "", f"| 年度 | 月数 | {amount_title} |", "| --- | ---: | ---: |"]
    lines += [f"| {r['year']} | {r['months']} | {r['amount_yuan']:,} |" for r in rows]
    return lines + [f"| **合计** | | **{total:,}** |"]


@dataclass(frozen=True)
class CatalogueList:
    """A list in the catalogue file (`courses`, `banks` …): its item model and its table."""
    name: str
    item: type[BaseModel]
    table: type
    sample: Callable[[Any], list[dict]]        # sample items dated from `today`


@dataclass(frozen=True)
class Followup:
    """A scheduled follow-up (domain.md §4): `fn(session, day)` writes its rows — outbox messages,
    staff tasks — under unique keys and returns how many it wrote (a day run twice writes nothing
    twice). The deployments and `onematter followups run` call it by `name`, at `hour`."""
    hour: int
    name: str
    fn: Callable[["Session", dt.date], int]
    rank: int = 0            # the order within the hour (the core's: deadline watch 0, task escalation 50, report 60)
    progress: bool = False   # fn also takes progress=callable(percent), shown in the UI for a long batch


@dataclass(frozen=True)
class TaskKind:
    """A kind of staff task a matter's follow-ups create: the results a clerk records, a check of
    what they entered (raises followups.tasks.TaskRefused, before anything is written) and what
    recording a result does. `ended` is the month the clerk gave (`--ended YYYY-MM`), if any."""
    kind: str
    results: dict[str, str]                                                   # result → label
    check: Callable[["StaffTask", str, str | None], None] | None = None       # (task, result, ended)
    # (session, task, result, ended) after it is recorded: True when the task's application is due
    # documents now (the core issues them: a matter does not issue)
    done: Callable[["Session", "StaffTask", str, str | None], bool] | None = None
    note_required: str | None = None      # the refusal when the note (备注) is empty: the note is the record


@dataclass(frozen=True)
class ReportLine:
    """One figure of a matter in the monthly report: a row of its table and of the CSV."""
    group: str        # the CSV's 分类
    item: str         # the CSV's 项目
    value: int        # the CSV's 数值
    label: str        # the report's row heading
    text: str         # the figure as the report prints it (with its unit)


@dataclass(frozen=True)
class MatterReport:
    """A matter's part in the monthly report: its figures counted over [start, end) (merged into
    the month's figures, nested dicts key by key), and its lines drawn from the month's figures."""
    figures: Callable[["Session", dt.datetime, dt.datetime], dict]
    lines: Callable[[dict], list[ReportLine]]


Handler = Callable[["Session", "MatterCase", "Application", "Person"], "Outcome"]


@dataclass(frozen=True)
class MatterSpec:
    key: str
    order: int
    title: str
    short: str                                  # in run names and tags: 审核 <no> <short>
    request: type[BaseModel]
    labels: dict[str, str]                      # status → Chinese label (every status but pending)
    transitions: dict[str, frozenset[str]]
    handle: Handler
    detail_keys: tuple[str, ...]
    form_partial: str                           # the form's cell for this matter (within its folder)
    documents: tuple[DocumentKind, ...] = ()
    refusal_number: int | None = None           # document number of its 不予受理告知书
    refusal_context: Callable[["Session", "MatterCase", dict], dict] | None = None   # extra keys on its refusal
    refusal_subject: Callable[["MatterCase"], list[dict]] | None = None       # [{label, value}] rows
    # what the person can do next: one text, or one per reason code ("*": any other); None where
    # the reason cannot be cured (an officer is not a soldier): then the notice gives no advice
    refusal_advice: str | Mapping[str, str | None] = "如条件发生变化，可到受理窗口重新申请。"
    addressee: Callable[["MatterCase"], dict] | None = None   # {name, copy}: a notice not addressed to the applicant
    decision: Decision | None = None
    references: Callable[["Session", Any], dict[str, str]] | None = None  # unknown catalogue codes
    # the names of the catalogue codes a request names ({"course": "汽车维修（示例）"}): the form
    # prints them beside the codes
    names: Callable[["Session", dict], dict[str, str]] | None = None
    catalogue: tuple[CatalogueList, ...] = ()
    # what the staff page's form offers from its catalogue lists on a day:
    # {list name: [{"code", "label", "left"}]} (courses with seats left, banks …)
    choices: Callable[["Session", "date"], dict[str, list[dict]]] | None = None
    policy_block: str | None = None
    policy_model: type[BaseModel] | None = None
    followups: tuple[Followup, ...] = ()
    tasks: tuple[TaskKind, ...] = ()              # the kinds of staff task its follow-ups create
    report: MatterReport | None = None
    # `onematter samples`: its request in the sample case `label` (approved | rejected | refused),
    # None to keep the example application's
    sample_request: Callable[[str], dict | None] | None = None
    # after a sample application's decisions were approved: its follow-ups run for it, on the day
    # they would be; returns the tasks to record, [(task id, {result, by, ended…})]
    # `onematter samples`: the tasks an approved sample's follow-ups make, each with its result and
    # the day it is recorded on
    sample_followup: Callable[["Session", uuid.UUID], list[tuple[str, dict, dt.date]]] | None = None
    # the case page's facts of a decided case, in a clerk's words (course, date and place; ticket
    # code; postings pushed; the schedule and total): lines, none while undecided
    facts: Callable[["Session", "MatterCase"], list[str]] | None = None
    extra: dict = field(default_factory=dict)

    @property
    def templates(self) -> str:
        """Its folder under templates/: its document templates and their partials."""
        return f"matters/{self.key}"

    def template(self, name: str) -> str:
        """A template of this matter, by its name within the matter's folder."""
        return f"{self.templates}/{name}"

    @property
    def details_shown(self) -> tuple[str, ...]:
        """The JSON view's details: the matter's own, and what a recorded decision adds."""
        return self.detail_keys + MATERIALS_DETAIL_KEYS + (DECISION_DETAIL_KEYS if self.decision else ())

    def rejection_rule(self, policy: "Policy") -> str:
        """What a supervisor's rejection cites: the decision's rule, else the policy block's citation."""
        return self.decision.rule(policy) if self.decision.rule else self.policy(policy).citation

    def advice(self, reason_code: str | None) -> str | None:
        """What a refusal advises for its reason (None: nothing can cure it)."""
        if isinstance(self.refusal_advice, str):
            return self.refusal_advice
        return self.refusal_advice.get(reason_code or "", self.refusal_advice.get("*"))

    def label(self, status: str) -> str:
        return "办理中" if status == "pending" else self.labels.get(status, COMMON_LABELS.get(status, status))

    @property
    def table(self) -> dict[str, frozenset[str]]:
        """Its transitions with the 补正 ones every matter shares."""
        return {s: self.transitions.get(s, frozenset()) | MATERIALS_TRANSITIONS.get(s, frozenset())
                for s in {*self.transitions, *MATERIALS_TRANSITIONS}}

    def policy(self, policy: "Policy") -> Any:
        """This matter's validated policy block."""
        return policy.block(self.policy_block, self.policy_model)

    def deadline_days(self, policy: "Policy") -> int:
        return policy.deadlines_working_days[self.key]

    @property
    def refusable(self) -> bool:
        return self.refusal_number is not None

    @property
    def open_statuses(self) -> set[str]:
        return {"pending", MATERIALS_WAITING} | ({self.decision.waiting} if self.decision else set())
