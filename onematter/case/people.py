"""Finding a person by a number that is stored encrypted: through its keyed hash under every key
of the key file (domain.md §1.5), never by the number itself."""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlmodel import Session, select

from onematter.case.models import Person
from onematter.config.crypto import keyring


def with_id_number(id_number: str) -> ColumnElement[bool]:
    return Person.id_hash.in_(keyring().hashes("id", id_number.strip().upper()))


def with_mobile(mobile: str) -> ColumnElement[bool]:
    return Person.mobile_hash.in_(keyring().hashes("mobile", mobile.strip()))


def person_by_id_number(session: Session, id_number: str) -> Person | None:
    return session.exec(select(Person).where(with_id_number(id_number))).first()


ANONYMISED = "已匿名化"


def shown_id(masked: str | None) -> str:
    """The masked ID as lists and pages show it; after retention erased it, 已匿名化."""
    return masked or ANONYMISED
