"""What a supervisor sees in Prefect: masked summaries, never a full name, ID or mobile number."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from sqlmodel import Session, select

from onematter import matters
from onematter.casework import materials
from onematter.casework.applications import CaseFile, load_file
from onematter.casework.dossier import APPLICATION_STATUS_LABELS, kind
from onematter.case.models import Application, Document, MatterCase, Person
from onematter.case.people import shown_id
from onematter.rules.identity import mask_name
from onematter.config.settings import get_settings


def artifact_key(application_no: str) -> str:
    return f"application-{application_no.lower()}"


def document_url(app: Application, doc: Document) -> str:
    base = get_settings().document_base_url.rstrip("/")
    return f"{base}/{quote(app.application_no)}/{quote(doc.path.rsplit('/', 1)[-1])}"


def case_lines(file: CaseFile) -> list[str]:
    app, person = file.app, file.person
    return [
        f"- 申请编号：**{app.application_no}**　状态：**{APPLICATION_STATUS_LABELS[app.status]}**",
        f"- 申请人：{mask_name(person.name)}　公民身份号码：`{shown_id(person.id_masked)}`",
        f"- 受理日期：{app.application_date}　承诺办结日期：**{app.deadline}**　镇街道：{app.town}",
        f"- 受理网点：{app.station}　政策版本：{app.policy_version}",
    ]


def matter_rows(file: CaseFile) -> list[dict]:
    return [{"事项": matters.spec(c.matter).title, "状态": matters.spec(c.matter).label(c.status),
             "原因代码": c.reason_code or "", "说明": c.reason or "", "承诺时限": c.deadline.isoformat()}
            for c in file.cases]


def summary_markdown(session: Session, file: CaseFile | uuid.UUID) -> str:
    """The masked board of one application (its file as the unit of work loaded it)."""
    file = file if isinstance(file, CaseFile) else load_file(session, file)
    app = file.app
    lines = [f"# 一件事联办 {app.application_no}", "", *case_lines(file), "", "## 事项",
             "", "| 事项 | 状态 | 说明 |", "| --- | --- | --- |"]
    for row in matter_rows(file):
        reason = row["说明"].replace("|", "｜")
        lines.append(f"| {row['事项']} | {row['状态']} | {reason} |")
    for case in file.cases:
        spec = matters.spec(case.matter)
        board = spec.decision.board(case) if spec.decision else []
        if board:
            lines += ["", f"## {spec.title}", "", *board]
        if case.details.get("escalated_at"):
            lines += ["", f"> ⚠ {spec.title}已超过承诺时限 {case.deadline} 仍未办结，已于 {case.details['escalated_at']} 上报。"]
    docs = sorted(session.exec(select(Document).where(Document.application_id == app.id)).all(),
                  key=lambda d: kind(d.doc_key).number)
    if docs:
        lines += ["", "## 文书", "", "| 文书编号 | 文书 | 页数 | 核验码 |", "| --- | --- | ---: | --- |"]
        lines += [f"| {d.document_no} | [{d.title}]({document_url(app, d)}) | {d.pages} | {d.verification_code} |"
                  for d in docs]
    return "\n".join(lines)


def decision_description(session: Session, case: MatterCase) -> str:
    """The text above a matter's decision form (masked), schedule first and short: Prefect's
    Resume modal squeezes the description into what is left of the window above the form fields
    and hides the rest without a scrollbar (its body is a flex column and the markdown box, with
    overflow:auto, is the only item that shrinks). At 1400×1000 about 460 px show, so what the
    supervisor decides on comes first and the case facts (also on the artifact) follow."""
    app = session.get(Application, case.application_id)
    person = session.get(Person, app.person_id)
    spec = matters.spec(case.matter)
    return "\n".join([
        f"### 审核 {app.application_no} · {spec.short}", "", *spec.decision.board(case), "",
        f"- {mask_name(person.name)} `{shown_id(person.id_masked)}` · 本事项承诺办结 **{case.deadline}**",
        *materials_lines(session, app, case.matter),
        *spec.decision.describe(session, case),
    ])


def materials_lines(session: Session, app: Application, matter: str) -> list[str]:
    """The matter's materials for the form: each with its scans linked on the staff page (login
    required; no file names here: they may carry a name), or 未提交."""
    files = materials.files_of(session, app.id)
    base = get_settings().public_base_url.rstrip("/")
    parts = []
    for m in materials.needed([matter]):
        mine = [f for f in files if f.item == m.key]
        links = " ".join(f"[{'PDF ' + str(f.pages) + '页' if f.media_type == 'application/pdf' else '图片'}]"
                         f"({base}/applications/{app.application_no}/materials/{f.sha256})" for f in mine)
        parts.append(f"{m.name} {links}" if mine else f"{m.name} **未提交**")
    return [f"- 材料：{' · '.join(parts)}"] if parts else []
