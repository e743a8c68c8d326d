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
from storage.importer.checking import PairPlan, Row, Rows, RowValues
from storage.importer.problems import ImportReport, Problem, rows_param
from storage.importer.values import is_substitute, key_part
from storage.models import Binome, BinomeReferent, BinomeStatus, Participant, ParticipantStatus, Programme, Role
from storage.programmes import add_months

log = logging.getLogger(__name__)

BATCH = 1000  # rows written per flush


def write_import(*, session: Session, programme: Programme, now: datetime, rows: Rows,
                 plans: list[PairPlan], report: ImportReport, actor: str) -> bool:
    """Create/update the rows' people and the planned binômes, and audit it; False if rolled back."""
    existing = _existing_ids(session, programme, [r.person for r in rows if r.lead])  # decided before writing
    try:
        with _all_or_nothing(session):
            _write(session, programme, now, rows, plans, existing, report)
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


def _existing_ids(session: Session, programme: Programme, keys: list[str]) -> dict[str, int]:
    """The ids of the programme's participants with these import keys (ids only: no objects kept)."""
    found: dict[str, int] = {}
    unique = sorted(set(keys))
    for start in range(0, len(unique), 500):
        chunk = unique[start:start + 500]
        query = select(Participant.import_key, Participant.id).where(Participant.programme_id == programme.id,
                                                                     Participant.import_key.in_(chunk))
        for key, person_id in session.exec(query):
            found[key] = person_id
    return found


def _participants(session: Session, ids: list[int]) -> dict[int, Participant]:
    found: dict[int, Participant] = {}
    for start in range(0, len(ids), 500):
        for person in session.exec(select(Participant).where(Participant.id.in_(ids[start:start + 500]))):
            found[person.id] = person
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


def _write(session: Session, programme: Programme, now: datetime, rows: Rows, plans: list[PairPlan],
           existing: dict[str, int], report: ImportReport) -> None:
    """In batches of BATCH rows, each flushed, its new objects then expunged: the session never holds
    more than a batch of them, however long the file (one transaction still: all or nothing). The
    rows' values are read again from the file as they are written."""
    ids: dict[str, int | None] = {}  # a person's key -> their participant's id, once flushed
    declined: list[int] = []
    batch: list[tuple[Row, dict[str, object]]] = []
    values = RowValues(rows.table)
    for r in rows:
        if not r.lead or r.person in ids:  # one person's other rows (in several pairs)
            continue
        ids[r.person] = None
        optional = values.get(r.row)
        for name, value in (r.extra or {}).items():  # what the person's other rows give
            optional.setdefault(name, value)
        batch.append((r, optional))
        if len(batch) == BATCH:
            _write_people(session, programme, now, batch, existing, ids, declined, report)
            batch = []
    _write_people(session, programme, now, batch, existing, ids, declined, report)
    if declined:
        report.warn(None, Problem.DECLINED_NOT_UPDATED, rows=rows_param(declined))

    today = now.astimezone(ZoneInfo(programme.timezone)).date()
    binomes: list[Binome] = []
    for plan in plans:
        if plan.existing is not None:
            report.binomes_unchanged += 1
            continue
        started_on = plan.start or today
        binomes.append(Binome(
            programme_id=programme.id, label=plan.label, mentor_id=ids[plan.mentor.person],
            mentee_id=ids[plan.mentee.person], status=BinomeStatus.ACTIVE, started_on=started_on,
            planned_end_on=add_months(started_on, programme.duration_months), created_at=now,
        ))
        report.binomes_created += 1
        if len(binomes) == BATCH:
            _flush_new(session, binomes)
            binomes = []
    _flush_new(session, binomes)
    _link_referents(session, programme, now, rows, ids)


def _link_referents(session: Session, programme: Programme, now: datetime, rows: Rows,
                    ids: dict[str, int | None]) -> None:
    """Each partner referent's row attaches them to its pair's binôme (once); a substitute's row names the binôme's
    substitute tutor."""
    wanted = [(r.pair, ids.get(r.person)) for r in rows if r.role == Role.REFERENT and ids.get(r.person)]
    standing_in = [(r.pair, ids.get(r.person)) for r in rows if is_substitute(r.role_value) and ids.get(r.person)]
    if not wanted and not standing_in:
        return
    binomes = {key_part(label): binome_id for label, binome_id in session.exec(select(Binome.label, Binome.id).where(
        Binome.programme_id == programme.id))}
    for pair, person_id in standing_in:
        binome_id = binomes.get(key_part(pair))
        binome = session.get(Binome, binome_id) if binome_id is not None else None
        if binome is not None and binome.mentor_id != person_id:
            binome.substitute_id = person_id
            session.add(binome)
    for pair, person_id in dict.fromkeys(wanted):
        binome_id = binomes.get(key_part(pair))
        if binome_id is not None and session.exec(select(BinomeReferent.id).where(
                BinomeReferent.binome_id == binome_id, BinomeReferent.participant_id == person_id)).first() is None:
            session.add(BinomeReferent(binome_id=binome_id, participant_id=person_id, created_at=now))


def _write_people(session: Session, programme: Programme, now: datetime, batch: list[tuple[Row, dict[str, object]]],
                  existing: dict[str, int], ids: dict[str, int | None], declined: list[int],
                  report: ImportReport) -> None:
    by_id = _participants(session, sorted({existing[r.person] for r, _ in batch if r.person in existing}))
    written: list[tuple[str, Participant]] = []
    created: list[Participant] = []
    for r, optional in batch:
        person = by_id.get(existing[r.person]) if r.person in existing else None
        if person is None:
            person = Participant(
                programme_id=programme.id, role=r.role, first_name=r.first_name, last_name=r.last_name,
                language=optional.get("language"),  # none given: the phone's, else the programme's
                timezone=optional.get("timezone"), phone=optional.get("phone"),
                email=optional.get("email"), employer=optional.get("employer"), gender=optional.get("gender"),
                minor=bool(optional.get("minor", False)), check_on=optional.get("check_on"),
                check_expires_on=optional.get("check_expires_on"), check_by=optional.get("check_by"),
                import_key=r.key, status=ParticipantStatus.INVITED, created_at=now,
            )
            created.append(person)
            report.participants_created += 1
        elif person.status == ParticipantStatus.DECLINED:
            declined.append(r.row)
            report.participants_unchanged += 1
        else:
            # Empty cells never erase what is stored; given values that differ replace it.
            changes = {name: value for name, value in optional.items() if getattr(person, name) != value}
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
        written.append((r.person, person))
    _flush_new(session, created)  # the updated ones too; they may be the caller's objects: kept
    for key, person in written:
        ids[key] = person.id


def _flush_new(session: Session, objects: list) -> None:
    """Insert these new objects now, then let the session forget them (their ids stay readable)."""
    session.add_all(objects)
    session.flush()
    for obj in objects:
        session.expunge(obj)
