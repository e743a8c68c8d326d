"""Programmes: creation and lookup."""
from __future__ import annotations

import calendar
from datetime import date, datetime

from sqlmodel import Session, select

from storage.audit import record
from storage.models import Programme

VOCABULARIES = ("mentor", "tuteur")


class ProgrammeError(ValueError):
    """A programme cannot be created or found as asked."""


def add_months(day: date, months: int) -> date:
    """Same day N months later, clamped to the month's end (31 Aug + 6 months = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def create_programme(
    *,
    session: Session,
    name: str,
    now: datetime,
    timezone: str = "Europe/Paris",
    language: str = "fr",
    duration_months: int = 6,
    meetings_per_month: int = 2,
    vocabulary: str = "mentor",
    actor: str = "cli",
) -> Programme:
    name = name.strip()
    if not name:
        raise ProgrammeError("the programme needs a name")
    if session.exec(select(Programme).where(Programme.name == name)).first():
        raise ProgrammeError(f"a programme named {name!r} already exists")
    if not 1 <= duration_months <= 60:
        raise ProgrammeError("the duration must be between 1 and 60 months")
    if not 1 <= meetings_per_month <= 31:
        raise ProgrammeError("the meeting cadence must be between 1 and 31 a month")
    if vocabulary not in VOCABULARIES:
        raise ProgrammeError(f"the vocabulary must be one of {', '.join(VOCABULARIES)}")
    programme = Programme(
        name=name,
        timezone=timezone,
        language=language,
        duration_months=duration_months,
        meetings_per_month=meetings_per_month,
        vocabulary=vocabulary,
        created_at=now,
    )
    session.add(programme)
    session.flush()
    record(session=session, at=now, programme_id=programme.id, actor=actor, action="programme.created",
           subject=f"programme:{programme.id}")
    return programme


def find_programme(*, session: Session, name: str | None) -> Programme:
    """The programme by name, or the only one when there is a single programme."""
    if name:
        programme = session.exec(select(Programme).where(Programme.name == name.strip())).first()
        if programme is None:
            raise ProgrammeError(f"no programme named {name!r} (see `binome program list`)")
        return programme
    programmes = session.exec(select(Programme)).all()
    if not programmes:
        raise ProgrammeError("no programme yet: create one with `binome program create NAME`")
    if len(programmes) > 1:
        raise ProgrammeError("several programmes exist: say which with --program NAME")
    return programmes[0]
