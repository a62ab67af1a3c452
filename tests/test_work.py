"""我的待办, filters kept in the URL, comments on a case and CSV export (issue 20 §3): a comment
is on the case's timeline with its author and station, an empty one is refused naming the field
and stores nothing; every list exports as CSV (UTF-8 with BOM, masked ID numbers, every row the
filters choose, a formula-looking cell defused); the queue filters by station and assignee."""

from __future__ import annotations

import csv
import io

from sqlmodel import func, select

from onematter.case.models import Application, Comment, Person
from onematter.rules.identity import mask_id
from tests.test_claims import _act, _client, waiting  # noqa: F401  (fixture)
from tests.test_web import _csrf

CENTRE = "平湖市退役军人服务中心"


def _csv(response) -> list[dict]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")                  # Excel opens the Chinese
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_a_comment_is_on_the_timeline_with_its_author_and_an_empty_one_is_refused(waiting, session):
    no = waiting
    c = _client("lik")
    token = _csrf(c.get(f"/applications/{no}").text)
    refused = c.post(f"/applications/{no}/comments", data={"csrf_token": token, "comment": "  \u200b "})
    assert refused.status_code == 422 and 'data-error-for="comment"' in refused.text and "请填写备注内容" in refused.text
    too_long = c.post(f"/applications/{no}/comments", data={"csrf_token": token, "comment": "长" * 501})
    assert too_long.status_code == 422 and "备注最多 500 字，现有 501 字" in too_long.text
    session.rollback()
    assert session.exec(select(func.count()).select_from(Comment)).one() == 0          # nothing half-stored
    bell = c.post(f"/applications/{no}/comments", data={"csrf_token": token, "comment": "已电话联系企业\x07补交社保证明"})
    assert bell.status_code == 400 and "无法识别的字符" in bell.text       # a control character: refused before the route
    done = c.post(f"/applications/{no}/comments", data={"csrf_token": token, "comment": "已电话联系企业\u200b补交社保证明"},
                  follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/applications/{no}#timeline"
    session.rollback()
    (row,) = session.exec(select(Comment)).all()
    assert (row.author, row.author_name, row.station, row.text) == ("lik", "李科长", CENTRE, "已电话联系企业补交社保证明")
    progress = c.get(f"/applications/{no}/progress").json()
    (entry,) = [e for e in progress["timeline"] if e["comment"]]
    assert entry["who"] == f"李科长（{CENTRE}）" and entry["what"] == "已电话联系企业补交社保证明"
    assert progress["timeline"][-1] == entry                               # the newest last, among the events
    assert "已电话联系企业补交社保证明" in c.get(f"/applications/{no}").text


def test_the_list_exports_every_row_its_filters_choose_masked(waiting, session):
    c = _client("lik")
    rows = _csv(c.get("/applications.csv"))
    session.rollback()
    people = {a.application_no: p for a, p in session.exec(
        select(Application, Person).join(Person, Person.id == Application.person_id)).all()}
    assert {r["申请编号"] for r in rows} == set(people)
    (row,) = rows
    person = people[row["申请编号"]]
    assert row["身份证号（脱敏）"] == mask_id(person.id_number) and person.id_number not in c.get("/applications.csv").text
    assert row["申请人"] == person.name and row["受理网点"] == CENTRE and "企业吸纳" in row["申请事项"]
    assert list(rows[0]) == ["申请编号", "申请人", "身份证号（脱敏）", "申请事项", "镇街道", "受理网点", "受理日期",
                             "承诺办结日期", "状态", "督办"]
    # the page's filters are in its URL, and the export link carries them
    page = c.get("/applications", params={"status": "completed"}).text
    assert 'href="/applications.csv?status=completed"' in page
    assert _csv(c.get("/applications.csv", params={"status": "completed"})) == []


def test_the_queue_filters_by_station_and_assignee_and_exports(waiting, session):
    no = waiting
    li = _client("lik")
    assert f'id="{no}-employer_incentive"' in li.get("/decisions", params={"station": CENTRE}).text
    assert f'id="{no}-employer_incentive"' not in li.get("/decisions", params={"station": "乍浦镇退役军人服务站"}).text
    assert f'id="{no}-employer_incentive"' in li.get("/decisions", params={"assignee": "-"}).text
    (row,) = _csv(li.get("/decisions.csv"))
    assert (row["申请编号"], row["认领人"], row["受理网点"]) == (no, "未认领", CENTRE)
    assert _act(li, no, action="claim").status_code == 303
    assert f'id="{no}-employer_incentive"' not in li.get("/decisions", params={"assignee": "-"}).text
    assert f'id="{no}-employer_incentive"' in li.get("/decisions", params={"assignee": "李科长"}).text
    (row,) = _csv(li.get("/decisions.csv", params={"assignee": "李科长"}))
    assert row["认领人"] == "李科长" and int(row["剩余工作日"]) >= 0
    # 我的待办: the decision I hold, and my station's open case
    mine = li.get("/mine").text
    assert f'href="/decisions#{no}-employer_incentive"' in mine and f'href="/applications/{no}"' in mine
    assert "没有认领中的审核" in _client("qian").get("/mine").text


def test_a_cell_a_spreadsheet_would_run_is_defused():
    from onematter.services.exports import csv_bytes
    data = csv_bytes([("a", "甲"), ("b", "乙")], [{"a": "=HYPERLINK(\"x\")", "b": -3}, {"a": "@SUM(A1)", "b": "+86"}])
    text = data.decode("utf-8-sig")
    assert text.splitlines() == ["甲,乙", "\"'=HYPERLINK(\"\"x\"\")\",-3", "'@SUM(A1),+86"]
