"""Postings for a subscription: the rows as the pure rule sees them, and today's new matches."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from onematter.matters.job_push.models import JobSubscription, Posting, Push
from onematter.matters.job_push.rules import PostingView, match_postings
from onematter.policy import load_policy


def posting_view(p: Posting) -> PostingView:
    return PostingView(code=p.code, category=p.category, town=p.town, salary_max=p.salary_max,
                       education_min=p.education_min, veteran_preferred=p.veteran_preferred,
                       valid_until=p.valid_until)


def new_matches_for(session: Session, sub: JobSubscription, day: dt.date) -> list[Posting]:
    """Postings that match an active subscription today and were never pushed to this person."""
    if not sub.active:
        return []
    pushed = set(session.exec(select(Push.posting_id).where(Push.person_id == sub.person_id)).all())
    candidates = [p for p in session.exec(select(Posting).where(Posting.valid_until >= day)).all()
                  if p.id not in pushed]
    by_code = {p.code: p for p in candidates}
    ranked = match_postings([posting_view(p) for p in candidates], education=sub.education,
                            categories=sub.categories, towns=sub.towns, min_salary=sub.min_salary,
                            today=day, limit=load_policy().job_push_limit)
    return [by_code[v.code] for v in ranked]
