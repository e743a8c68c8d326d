"""Writing a checked import: participants, binômes and the audit entry, all or nothing.

Runs only when every row passed (storage/importer/checking.py). A database constraint that fails
meanwhile (another import ran at the same time) undoes the import alone, not the caller's work.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from storage.audit import record
from storage.importer.checking import PairPlan, Row
from storage.importer.problems import ImportReport, Problem, rows_param
from storage.models import Binome, BinomeStatus, Participant, ParticipantStatus, Programme
from storage.programmes import add_months

log = logging.getLogger(__name__)


def write_import(*, session: Session, programme: Programme, now: datetime, rows: list[Row],
                 plans: list[PairPlan], report: ImportReport, actor: str) -> bool:
    """Create/update the rows' people and the planned binômes, and audit it; False if rolled back."""
    by_key = _existing_participants(session, programme, [r.person for r in rows])
    try:
        with _all_or_nothing(session):
            _write(session, programme, now, rows, plans, by_key, report)
            record(session=session, at=now, programme_id=programme.id, actor=actor, action="import.completed",
                   subject=f"programme:{programme.id}",
                   details={**report.counts(), "rows": report.rows_read, "warnings": len(report.warnings),
                            "encoding": report.encoding})
            session.flush()
    except IntegrityError:
        log.warning("import into programme %s failed on a database constraint; rolled back", programme.id)
        report.error(None, Problem.DATABASE_CHANGED)
        return False
    return True


def _existing_participants(session: Session, programme: Programme, keys: list[str]) -> dict[str, Participant]:
    found: dict[str, Participant] = {}
    unique = sorted(set(keys))
    for start in range(0, len(unique), 500):
        chunk = unique[start:start + 500]
        query = select(Participant).where(Participant.programme_id == programme.id,
                                          Participant.import_key.in_(chunk))
        for person in session.exec(query):
            found[person.import_key] = person
    return found


@contextmanager
def _all_or_nothing(session: Session) -> Iterator[None]:
    """A SAVEPOINT around the writes, so that a failure leaves the caller's session usable.

    The standard-library SQLite driver opens its transaction lazily, at the first write: a
    SAVEPOINT sent before that would itself be the outer transaction, and its RELEASE would commit
    the import behind the caller's back. When no transaction is open yet there is nothing of the
    caller's to protect, so the writes just join the session's transaction (and a failure rolls it
    back).
    """
    connection = session.connection()
    dbapi_connection = connection.connection.dbapi_connection
    if connection.dialect.name != "sqlite" or getattr(dbapi_connection, "in_transaction", True):
        with session.begin_nested():
            yield
        return
    try:
        yield
        session.flush()
    except BaseException:
        session.rollback()
        raise


def _write(session: Session, programme: Programme, now: datetime, rows: list[Row], plans: list[PairPlan],
           by_key: dict[str, Participant], report: ImportReport) -> None:
    people: dict[str, Participant] = {}
    declined: list[int] = []
    for r in rows:
        if not r.lead or r.person in people:  # one person's other rows (in several pairs)
            continue
        person = by_key.get(r.person)
        if person is None:
            person = Participant(
                programme_id=programme.id, role=r.role, first_name=r.first_name, last_name=r.last_name,
                language=r.optional.get("language"),  # none given: the phone's, else the programme's
                timezone=r.optional.get("timezone"), phone=r.optional.get("phone"),
                email=r.optional.get("email"), employer=r.optional.get("employer"),
                import_key=r.key, status=ParticipantStatus.INVITED, created_at=now,
            )
            session.add(person)
            report.participants_created += 1
        elif person.status == ParticipantStatus.DECLINED:
            declined.append(r.row)
            report.participants_unchanged += 1
        else:
            # Empty cells never erase what is stored; given values that differ replace it.
            changes = {name: value for name, value in r.optional.items() if getattr(person, name) != value}
            for name in ("first_name", "last_name"):
                if getattr(r, name) != getattr(person, name):
                    changes[name] = getattr(r, name)
            if changes:
                for name, value in changes.items():
                    setattr(person, name, value)
                session.add(person)
                report.participants_updated += 1
            else:
                report.participants_unchanged += 1
        people[r.person] = person
    if declined:
        report.warn(None, Problem.DECLINED_NOT_UPDATED, rows=rows_param(declined))
    session.flush()

    today = now.astimezone(ZoneInfo(programme.timezone)).date()
    for plan in plans:
        if plan.existing is not None:
            report.binomes_unchanged += 1
            continue
        started_on = plan.start or today
        session.add(Binome(
            programme_id=programme.id, label=plan.label, mentor_id=people[plan.mentor.person].id,
            mentee_id=people[plan.mentee.person].id, status=BinomeStatus.ACTIVE, started_on=started_on,
            planned_end_on=add_months(started_on, programme.duration_months), created_at=now,
        ))
        report.binomes_created += 1
