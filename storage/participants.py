"""Participants and their binôme: lookups and status changes, as plain functions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, or_, select

from storage.audit import record
from storage.models import Binome, BinomeStatus, Participant, ParticipantStatus, Programme, Role


def current_binome(*, session: Session, participant: Participant) -> Binome | None:
    """The participant's open binôme (a mentor or mentee has one at a time)."""
    if participant.role == Role.COORDINATOR:
        return None
    return session.exec(
        select(Binome)
        .where(or_(Binome.mentor_id == participant.id, Binome.mentee_id == participant.id))
        .where(Binome.status != BinomeStatus.CLOSED)
        .order_by(col(Binome.started_on).desc())
    ).first()


def partner_of(*, session: Session, participant: Participant) -> Participant | None:
    binome = current_binome(session=session, participant=participant)
    if binome is None:
        return None
    other = binome.mentee_id if binome.mentor_id == participant.id else binome.mentor_id
    return session.get(Participant, other)


def coordinators_of(*, session: Session, programme_id: int) -> list[Participant]:
    return list(session.exec(
        select(Participant).where(Participant.programme_id == programme_id, Participant.role == Role.COORDINATOR)
    ).all())


@dataclass
class ProgrammeCounts:
    binomes: int
    participants: int
    joined: int


def programme_counts(*, session: Session, programme_id: int) -> ProgrammeCounts:
    binomes = session.exec(
        select(func.count()).select_from(Binome)
        .where(Binome.programme_id == programme_id, Binome.status != BinomeStatus.CLOSED)
    ).one()
    participants = session.exec(
        select(func.count()).select_from(Participant)
        .where(Participant.programme_id == programme_id, Participant.role != Role.COORDINATOR)
    ).one()
    joined = session.exec(
        select(func.count()).select_from(Participant)
        .where(Participant.programme_id == programme_id, Participant.role != Role.COORDINATOR,
               col(Participant.telegram_user_id).is_not(None))
    ).one()
    return ProgrammeCounts(binomes=binomes, participants=participants, joined=joined)


def set_language(*, session: Session, participant: Participant, language: str, now: datetime) -> None:
    changed = participant.language != language
    participant.language = language
    first_time = participant.onboarded_at is None
    if first_time:
        participant.onboarded_at = now
    session.add(participant)
    if changed or first_time:
        record(session=session, at=now, programme_id=participant.programme_id,
               actor=f"participant:{participant.id}", action="participant.language",
               subject=f"participant:{participant.id}", details={"language": language})


def pause(*, session: Session, participant: Participant, now: datetime) -> bool:
    """/stop. Returns False when already paused."""
    if participant.status == ParticipantStatus.PAUSED:
        return False
    participant.status = ParticipantStatus.PAUSED
    participant.paused_at = now
    session.add(participant)
    record(session=session, at=now, programme_id=participant.programme_id, actor=f"participant:{participant.id}",
           action="participant.paused", subject=f"participant:{participant.id}")
    return True


def resume(*, session: Session, participant: Participant, now: datetime, reason: str = "participant.resumed") -> bool:
    """/start after /stop, or a sign of life after Telegram refused delivery.

    A sign of life (`reason="participant.reachable"`) does not undo a /stop: a paused person stays
    paused, only no longer unreachable."""
    if reason == "participant.reachable" and participant.status == ParticipantStatus.PAUSED:
        if participant.unreachable_since is None:
            return False
        participant.unreachable_since = None
        session.add(participant)
        record(session=session, at=now, programme_id=participant.programme_id,
               actor=f"participant:{participant.id}", action=reason, subject=f"participant:{participant.id}")
        return True
    if participant.status not in (ParticipantStatus.PAUSED, ParticipantStatus.UNREACHABLE):
        return False
    participant.status = ParticipantStatus.ACTIVE
    participant.paused_at = None
    participant.unreachable_since = None
    session.add(participant)
    record(session=session, at=now, programme_id=participant.programme_id, actor=f"participant:{participant.id}",
           action=reason, subject=f"participant:{participant.id}")
    return True


def mark_unreachable(*, session: Session, participant: Participant, now: datetime) -> bool:
    """Telegram refuses delivery. A paused person stays paused (their /stop still holds when they are
    back); the moment is recorded either way."""
    if participant.status == ParticipantStatus.UNREACHABLE or participant.unreachable_since is not None:
        return False
    if participant.status != ParticipantStatus.PAUSED:
        participant.status = ParticipantStatus.UNREACHABLE
    participant.unreachable_since = now
    session.add(participant)
    record(session=session, at=now, programme_id=participant.programme_id, actor="system",
           action="participant.unreachable", subject=f"participant:{participant.id}")
    return True


def programme_of(*, session: Session, participant: Participant) -> Programme:
    return session.get(Programme, participant.programme_id)


def timezone_of(participant: Participant, programme: Programme) -> str:
    """Where a person's local times are read: their own timezone, else their programme's."""
    return participant.timezone or programme.timezone
