"""认领 (domain.md §1.2): a supervisor claims a decision; only the claimant decides it until it is
released; it may be handed to another supervisor with a note; each is an event on the timeline.
The CLI's and the Prefect form's decider claims an unclaimed matter as they decide, and is refused,
by name, when another holds it. The queue and the case list show 黄牌 at ≤ 1 working day left and
红牌 when overdue, counted in working days from ONEMATTER_TODAY."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from onematter.case.models import Event, MatterCase
from tests.test_web import PASSWORD, _csrf, _login


@pytest.fixture
def waiting(session, catalogue, form, monkeypatch):
    """The example application processed here: its incentive waits for a supervisor. Two
    supervisors; documents are not issued (recorded, not run)."""
    from onematter.case.accounts import add_user
    from onematter.casework.applications import matter_cases, settle_application, submit_application
    from onematter.casework.intake import parse_intake
    from onematter.casework.processing import process_matter
    from onematter.services import handover
    add_user(session, username="lik", name="李科长", role="supervisor", station="平湖市退役军人服务中心", password=PASSWORD)
    add_user(session, username="qian", name="钱科长", role="supervisor", station="平湖市退役军人服务中心", password=PASSWORD)
    app, _ = submit_application(session, parse_intake(form), actor="t")
    for case in matter_cases(session, app.id):
        process_matter(session, case.id)
    settle_application(session, app, actor="t")
    session.commit()
    monkeypatch.setattr(handover, "issue_documents", lambda **kw: None)
    return app.application_no


def _client(username: str) -> TestClient:
    from onematter.web.app import create_app
    c = TestClient(create_app())
    assert _login(c, username).status_code == 303
    return c


def _act(c: TestClient, no: str, **data):
    token = _csrf(c.get("/decisions").text)
    return c.post(f"/decisions/{no}/employer_incentive/claim", data={"csrf_token": token, **data}, follow_redirects=False)


def _assignee(session, no: str) -> str | None:
    session.rollback()
    return session.exec(select(MatterCase).where(MatterCase.matter == "employer_incentive")).one().assignee


def test_claim_release_reassign_and_only_the_claimant_decides(waiting, session):
    no = waiting
    li, qian = _client("lik"), _client("qian")
    assert _act(li, no, action="claim").status_code == 303
    assert _assignee(session, no) == "李科长"
    section = re.search(rf'<section class="decision" id="{no}-employer_incentive".*?</section>', qian.get("/decisions").text, re.S).group(0)
    assert 'data-assignee="李科长"' in section and "由 李科长 认领审核" in section and 'class="decide"' not in section
    refused = _act(qian, no, action="claim")
    assert refused.status_code == 409 and "已由 李科长" in refused.text
    token = _csrf(qian.get("/decisions").text)
    decided = qian.post(f"/decisions/{no}/employer_incentive", data={"csrf_token": token, "decision": "approve"})
    assert decided.status_code == 409 and "已由 李科长 认领，只有认领人可以审核" in decided.text
    assert "只有认领人可以释放" in _act(qian, no, action="release").text
    assert "转交时请填写说明" in _act(li, no, action="reassign", to="钱科长", note="").text
    assert "没有名为" in _act(li, no, action="reassign", to="孙科长", note="休假").text
    assert _act(li, no, action="reassign", to="钱科长", note="本周休假，请代为审核").status_code == 303
    assert _assignee(session, no) == "钱科长"
    assert _act(qian, no, action="release").status_code == 303
    assert _assignee(session, no) is None

    # the command line's decider claims as they decide; another's claim refuses it, by name
    from onematter.casework.processing import DecisionRefused, record_decision
    assert _act(li, no, action="claim").status_code == 303
    session.rollback()
    with pytest.raises(DecisionRefused, match="已由 李科长 认领"):
        record_decision(session, no, matter="employer_incentive", approve=True, by="赵科长", comment=None, source="cli")
    session.rollback()
    assert _act(li, no, action="release").status_code == 303
    session.rollback()
    record_decision(session, no, matter="employer_incentive", approve=True, by="赵科长", comment=None, source="cli")
    session.commit()
    assert _assignee(session, no) == "赵科长"
    notes = [e.note for e in session.exec(select(Event).where(Event.entity == "matter:employer_incentive")
                                          .order_by(Event.at, Event.id)).all() if e.note]
    assert notes[:3] == ["认领：李科长", "转交：李科长 → 钱科长，本周休假，请代为审核", "释放认领：钱科长"], notes
    assert "认领：赵科长（审核时）" in notes
    page = li.get(f"/applications/{no}").text
    assert "转交：李科长 → 钱科长" in page and "李科长（工作台）" in page


@pytest.mark.parametrize(("day", "card"), [(-3, ""), (-1, "yellow"), (0, "yellow"), (1, "red")])
def test_yellow_and_red_cards_by_working_days(waiting, session, monkeypatch, day, card):
    """`day`: working days from the incentive's deadline (−1: one left, 0: its last day, 1: overdue)."""
    from onematter.config.settings import get_settings
    from onematter.policy import load_policy
    from onematter.rules.workdays import add_working_days
    from onematter.services import queries
    deadline = session.exec(select(MatterCase).where(MatterCase.matter == "employer_incentive")).one().deadline
    on = add_working_days(deadline, day, load_policy()) if day >= 0 else _back(deadline, -day)
    monkeypatch.setenv("ONEMATTER_TODAY", on.isoformat())
    get_settings.cache_clear()
    (row,) = queries.decision_queue(session)["queue"]
    assert row["card"] == card, (on, row["left"])
    listed = queries.list_context(session)["items"]
    assert [i["card"] for i in listed] == [card]
    page = _client("lik").get("/decisions").text
    assert (f'data-card="{card}"' in page) and (("红牌" in page) == (card == "red")) and (("黄牌" in page) == (card == "yellow"))


def _back(day: dt.date, n: int) -> dt.date:
    """`n` working days before `day`."""
    from onematter.policy import load_policy
    from onematter.rules.workdays import working_days_between
    on = day
    while working_days_between(on, day, load_policy()) < n:
        on -= dt.timedelta(days=1)
    return on
