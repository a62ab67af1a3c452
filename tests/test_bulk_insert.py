"""bulk_insert: COPY on PostgreSQL, executemany on SQLite — the same rows, and a duplicate key is
sqlalchemy's IntegrityError on both, inside a savepoint the caller can roll back to."""

import datetime as dt
import uuid

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from onematter.case.models import Person
from onematter.config.db import bulk_insert
from onematter.matters.job_push.models import Posting, Push


def _rows(session):
    person = Person(id_number="330482199001011234", name="测试", mobile="13900000000",
                    birth_date=dt.date(1990, 1, 1), sex="男")
    postings = [Posting(code=f"B-{i}", employer="示例企业", employer_code="91330482MA2B3C4D5Y", title="岗位",
                        category="制造", town="当湖街道", salary_min=5000, salary_max=7000, education_min="高中",
                        headcount=1, veteran_preferred=False, valid_until=dt.date(2027, 1, 31)) for i in range(3)]
    session.add(person)
    session.add_all(postings)
    session.flush()
    at = dt.datetime(2026, 12, 7, 9, tzinfo=dt.timezone.utc)
    return [{"id": uuid.uuid4(), "person_id": person.id, "posting_id": p.id, "matter_case_id": None, "rank": k,
             "channel": "digest", "pushed_at": at} for k, p in enumerate(postings, 1)]


def test_rows_go_in_and_a_duplicate_is_an_integrity_error_in_a_savepoint(session):
    rows = _rows(session)
    bulk_insert(session, Push.__table__, rows[:2])
    with pytest.raises(IntegrityError):
        with session.begin_nested():
            bulk_insert(session, Push.__table__, [rows[2], {**rows[0], "id": uuid.uuid4()}])
    bulk_insert(session, Push.__table__, [rows[2]])           # the transaction goes on after the savepoint
    session.commit()
    stored = sorted((p.rank, p.channel, p.pushed_at.astimezone(dt.timezone.utc)) for p in session.exec(select(Push)).all())
    assert stored == [(k, "digest", rows[0]["pushed_at"]) for k in (1, 2, 3)]
