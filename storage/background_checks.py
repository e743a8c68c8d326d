"""A mentor's background check (003: "L'honorabilité des mentors doit impérativement être vérifiée";
docs/tutoring.md).

In a programme with `requires_background_check`, a mentor's check is recorded from the command line (when it
was verified, until when, who verified it). Until a valid one is recorded, the mentor's invitation link does
not link them: they are told kindly that the programme is finishing a check, and the coordinators are told
why (once a day at most). A month before a check expires, the coordinators are told once. Audited with
dates only (who verified stays on the mentor's row, erased with them).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from storage import outbox
from storage.alerts import after_quiet_hours
from storage.audit import record
from storage.models import Binome, BinomeStatus, Participant, Programme, Role
from storage.participants import coordinators_of

WARN_BEFORE = timedelta(days=30)

outbox.declare("check_missing", max_delay=timedelta(days=3))
outbox.declare("check_expiring", max_delay=timedelta(days=14))
outbox.declare("guardian_missing", max_delay=timedelta(days=3))


def required(programme: Programme) -> bool:
    return bool((programme.options or {}).get("requires_background_check", False))


def _today(programme: Programme, now: datetime) -> date:
    return now.astimezone(ZoneInfo(programme.timezone)).date()


def valid(participant: Participant, today: date) -> bool:
    return participant.check_on is not None and (participant.check_expires_on is None
                                                 or participant.check_expires_on >= today)


class CheckError(ValueError):
    """A check (or a guardian's information) that cannot be recorded: the message names why (a code)."""


def mentors_a_minor(*, session: Session, mentor: Participant) -> bool:
    """A mentor of a minor needs a check whatever the programme's setting."""
    return session.exec(select(Participant.id).join(Binome, Binome.mentee_id == Participant.id).where(
        Binome.mentor_id == mentor.id, Binome.status != BinomeStatus.CLOSED, Participant.minor)).first() is not None


def guardian_required(programme: Programme) -> bool:
    return bool((programme.options or {}).get("guardian_before_start", False))


def blocks(*, session: Session, participant: Participant, programme: Programme, now: datetime) -> str | None:
    """Why this person may not be linked yet, if so: "check" (a mentor without a valid check, where the
    programme requires one or they mentor a minor) or "guardian" (a minor whose legal guardian is not recorded
    as informed, where the programme requires it). The coordinators are told why (once a day)."""
    if participant.role == Role.MENTOR and (required(programme) or mentors_a_minor(session=session, mentor=participant)) \
            and not valid(participant, _today(programme, now)):
        why, kind = "check", "check_missing"
    elif participant.role == Role.MENTEE and participant.minor and guardian_required(programme) \
            and participant.guardian_informed_on is None:
        why, kind = "guardian", "guardian_missing"
    else:
        return None
    for coordinator in coordinators_of(session=session, programme_id=programme.id):
        if coordinator.telegram_chat_id is None:
            continue
        outbox.enqueue(session=session, participant_id=coordinator.id, kind=kind, now=now,
                       key=f"{kind}:{participant.id}:{_today(programme, now)}:{coordinator.id}",
                       due_at=after_quiet_hours(session=session, participant=coordinator, now=now),
                       params={"participant_id": participant.id})
    record(session=session, at=now, programme_id=programme.id, actor=f"participant:{participant.id}",
           action=f"participant.held_for_{why}", subject=f"participant:{participant.id}")
    return why


def record_guardian(*, session: Session, mentee: Participant, on: date, now: datetime) -> None:
    """The coordinator says the minor's legal guardian was informed (a date only)."""
    if mentee.role != Role.MENTEE:
        raise CheckError("not_a_mentee")
    if on > now.date():
        raise CheckError("bad_dates")
    mentee.guardian_informed_on = on
    session.add(mentee)
    record(session=session, at=now, programme_id=mentee.programme_id, actor="cli", action="guardian.informed",
           subject=f"participant:{mentee.id}", details={"on": on.isoformat()})


def record_check(*, session: Session, mentor: Participant, on: date, expires_on: date | None, by: str,
                 now: datetime) -> None:
    if mentor.role != Role.MENTOR:
        raise CheckError("not_a_mentor")
    if on > now.date() or (expires_on is not None and expires_on <= on):
        raise CheckError("bad_dates")
    by = " ".join((by or "").split())[:120]
    if not by:
        raise CheckError("no_by")
    mentor.check_on, mentor.check_expires_on, mentor.check_by, mentor.check_warned_on = on, expires_on, by, None
    session.add(mentor)
    record(session=session, at=now, programme_id=mentor.programme_id, actor="cli", action="mentor.checked",
           subject=f"participant:{mentor.id}", details={"on": on.isoformat(),
                                                        "expires_on": expires_on.isoformat() if expires_on else None})


def warn_expiring(*, session: Session, now: datetime) -> int:
    """Checks expiring within a month, not yet announced: each coordinator of the programme is told once."""
    told = 0
    soon = now.date() + WARN_BEFORE
    for mentor in session.exec(select(Participant).where(Participant.role == Role.MENTOR,
                                                         col(Participant.check_expires_on).is_not(None),
                                                         Participant.check_expires_on <= soon,
                                                         col(Participant.check_warned_on).is_(None),
                                                         col(Participant.erased_at).is_(None))).all():
        mentor.check_warned_on = now.date()
        session.add(mentor)
        for coordinator in coordinators_of(session=session, programme_id=mentor.programme_id):
            if coordinator.telegram_chat_id is not None:
                outbox.enqueue(session=session, participant_id=coordinator.id, kind="check_expiring", now=now,
                               key=f"check_expiring:{mentor.id}:{mentor.check_expires_on}:{coordinator.id}",
                               due_at=after_quiet_hours(session=session, participant=coordinator, now=now),
                               params={"participant_id": mentor.id})
        record(session=session, at=now, programme_id=mentor.programme_id, actor="system",
               action="mentor.check_expiring", subject=f"participant:{mentor.id}",
               details={"expires_on": mentor.check_expires_on.isoformat()})
        told += 1
    return told
