"""What a supervisor sees in Prefect: masked summaries, never a full name, ID or mobile number."""

from __future__ import annotations

import uuid
from urllib.parse import quote

from sqlmodel import Session, select

from onematter.cases import matter_cases
from onematter.intake import MATTER_TITLES
from onematter.issuing import APPLICATION_STATUS_LABELS, KINDS, STATUS_LABELS
from onematter.models import Application, Document, Person
from onematter.rules.identity import mask_id, mask_name
from onematter.settings import get_settings


def artifact_key(application_no: str) -> str:
    return f"application-{application_no.lower()}"


def document_url(app: Application, doc: Document) -> str:
    base = get_settings().document_base_url.rstrip("/")
    return f"{base}/{quote(app.application_no)}/{quote(doc.path.rsplit('/', 1)[-1])}"


def case_lines(session: Session, app: Application) -> list[str]:
    person = session.get(Person, app.person_id)
    return [
        f"- 申请编号：**{app.application_no}**　状态：**{APPLICATION_STATUS_LABELS[app.status]}**",
        f"- 申请人：{mask_name(person.name)}　公民身份号码：`{mask_id(person.id_number)}`",
        f"- 受理日期：{app.application_date}　承诺办结日期：**{app.deadline}**　镇街道：{app.town}",
        f"- 受理网点：{app.station}　政策版本：{app.policy_version}",
    ]


def matter_rows(session: Session, app: Application) -> list[dict]:
    return [{"事项": MATTER_TITLES[c.matter], "状态": STATUS_LABELS.get(c.status, c.status),
             "原因代码": c.reason_code or "", "说明": c.reason or "", "承诺时限": c.deadline.isoformat()}
            for c in matter_cases(session, app.id)]


def schedule_lines(case) -> list[str]:
    d = case.details
    if "schedule" not in d:
        return []
    lines = [f"年度扣减标准 {d['rate_yuan']:,} 元/人·年，起始月份 {d['window_start']}", "",
             "| 年度 | 月数 | 扣减限额（元） |", "| --- | ---: | ---: |"]
    lines += [f"| {r['year']} | {r['months']} | {r['amount_yuan']:,} |" for r in d["schedule"]]
    lines.append(f"| **合计** | | **{d['total_yuan']:,}** |")
    return lines


def summary_markdown(session: Session, application_id: uuid.UUID) -> str:
    app = session.get(Application, application_id)
    lines = [f"# 一件事联办 {app.application_no}", "", *case_lines(session, app), "", "## 事项",
             "", "| 事项 | 状态 | 说明 |", "| --- | --- | --- |"]
    for row in matter_rows(session, app):
        reason = row["说明"].replace("|", "｜")
        lines.append(f"| {row['事项']} | {row['状态']} | {reason} |")
    incentive = next((c for c in matter_cases(session, app.id) if c.matter == "employer_incentive"), None)
    if incentive and incentive.details.get("schedule"):
        lines += ["", "## 企业吸纳优惠 扣减计划", "", *schedule_lines(incentive)]
        if incentive.details.get("escalated_at"):
            lines += ["", f"> ⚠ 已超过承诺时限 {incentive.deadline} 仍未审核，已于 {incentive.details['escalated_at']} 上报。"]
    docs = sorted(session.exec(select(Document).where(Document.application_id == app.id)).all(),
                  key=lambda d: KINDS[d.doc_key][0])
    if docs:
        lines += ["", "## 文书", "", "| 文书编号 | 文书 | 页数 | 核验码 |", "| --- | --- | ---: | --- |"]
        lines += [f"| {d.document_no} | [{d.title}]({document_url(app, d)}) | {d.pages} | {d.verification_code} |"
                  for d in docs]
    return "\n".join(lines)


def decision_description(session: Session, application_id: uuid.UUID) -> str:
    app = session.get(Application, application_id)
    case = next(c for c in matter_cases(session, app.id) if c.matter == "employer_incentive")
    req = case.request
    return "\n".join([
        f"### 企业吸纳退役军人就业优惠政策申请 — 审核 {app.application_no}", "",
        *case_lines(session, app),
        f"- 用人单位：{req['employer_name']}（{req['employer_code']}），岗位：{req['position']}",
        f"- 劳动合同：{req['contract_start']} 至 {req['contract_end']}，社保起缴：{req['social_insurance_start'][:7]}",
        f"- 本事项承诺时限：{case.deadline}", "", *schedule_lines(case), "",
        "请选择“通过”或“不予通过”，填写审核人姓名；不予通过时必须填写审核意见。",
    ])
