"""Participants and their binôme: lookups and status changes, as plain functions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, or_, select

from storage.audit import record
from storage.models import Binome, BinomeStatus, Participant, ParticipantStatus, Programme, Role


def person_by_telegram(*, session: Session, telegram_user_id: int) -> tuple[Participant, Programme] | None:
    """The participant linked to this Telegram account, with their programme (one query: every update asks)."""
    row = session.exec(select(Participant, Programme).join(Programme, Programme.id == Participant.programme_id)
                       .where(Participant.telegram_user_id == telegram_user_id)).first()
    return (row[0], row[1]) if row is not None else None


def active_binomes_of(*, session: Session, participant: Participant) -> list[Binome]:
    """The participant's open binômes, newest first. A mentor often has several (one per mentee);
    rules that act on one binôme take it explicitly (the chat asks "with which binôme?")."""
    if participant.role == Role.COORDINATOR:
        return []
    return list(session.exec(
        select(Binome)
        .where(or_(Binome.mentor_id == participant.id, Binome.mentee_id == participant.id))
        .where(Binome.status != BinomeStatus.CLOSED)
        .order_by(col(Binome.started_on).desc(), col(Binome.id).desc())
    ).all())


def ended_binome_of(*, session: Session, participant: Participant) -> Binome | None:
    """The participant's latest closed binôme (what /plan still shows, read-only, once all have ended)."""
    if participant.role == Role.COORDINATOR:
        return None
    return session.exec(
        select(Binome)
        .where(or_(Binome.mentor_id == participant.id, Binome.mentee_id == participant.id))
        .where(Binome.status == BinomeStatus.CLOSED)
        .order_by(col(Binome.closed_on).desc(), col(Binome.id).desc())
    ).first()


def current_binome(*, session: Session, participant: Participant) -> Binome | None:
    """The participant's newest open binôme (one of several for a mentor with two mentees: where that
    matters, use active_binomes_of and the binôme chosen)."""
    binomes = active_binomes_of(session=session, participant=participant)
    return binomes[0] if binomes else None


def member_binome(*, session: Session, participant: Participant, binome_id: int) -> Binome | None:
    """The open binôme `binome_id` if the participant is its mentor or mentee, else None."""
    binome = session.get(Binome, binome_id)
    if binome is None or binome.status == BinomeStatus.CLOSED or participant.role == Role.COORDINATOR:
        return None
    return binome if participant.id in (binome.mentor_id, binome.mentee_id) else None


def partner_in(*, session: Session, binome: Binome, participant: Participant) -> Participant:
    """The other person of `binome`."""
    return session.get(Participant, binome.mentee_id if binome.mentor_id == participant.id else binome.mentor_id)


def partner_of(*, session: Session, participant: Participant) -> Participant | None:
    """The partner in the newest open binôme (see current_binome)."""
    binome = current_binome(session=session, participant=participant)
    if binome is None:
        return None
    return partner_in(session=session, binome=binome, participant=participant)


def partners_of(*, session: Session, participant: Participant) -> list[Participant]:
    """The partner in each open binôme, newest binôme first."""
    return [partner_in(session=session, binome=b, participant=participant)
            for b in active_binomes_of(session=session, participant=participant)]


def coordinators_of(*, session: Session, programme_id: int) -> list[Participant]:
    return list(session.exec(
        select(Participant).where(Participant.programme_id == programme_id, Participant.role == Role.COORDINATOR)
    ).all())


@dataclass
class ProgrammeCounts:
    """Open binômes; mentors and mentees (`participants`, `joined`: linked to Telegram); coordinators
    apart (`coordinators`, `coordinators_joined`)."""

    binomes: int
    participants: int
    joined: int
    coordinators: int = 0
    coordinators_joined: int = 0


def programme_counts(*, session: Session, programme_id: int) -> ProgrammeCounts:
    binomes = session.exec(
        select(func.count()).select_from(Binome)
        .where(Binome.programme_id == programme_id, Binome.status != BinomeStatus.CLOSED)
    ).one()
    linked = col(Participant.telegram_user_id).is_not(None)
    people: dict[tuple[bool, bool], int] = {}
    for role, joined, n in session.exec(
        select(Participant.role, linked, func.count()).where(Participant.programme_id == programme_id)
        .group_by(Participant.role, linked)
    ).all():
        key = (role == Role.COORDINATOR, bool(joined))
        people[key] = people.get(key, 0) + n
    return ProgrammeCounts(
        binomes=binomes, participants=people.get((False, False), 0) + people.get((False, True), 0),
        joined=people.get((False, True), 0),
        coordinators=people.get((True, False), 0) + people.get((True, True), 0),
        coordinators_joined=people.get((True, True), 0))


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
