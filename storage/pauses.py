"""Pause and resume a binôme (docs/closure.md): a coordinator (or the CLI) pauses it with a reason and an
optional date to resume; it resumes on that date (storage.scheduled.pauses) or when a coordinator says so.

While paused: no check-ins (the pending ones are skipped with the reason "paused", their messages
cancelled), no cadence nudges, no warning signs but "I need help" / "I want to stop" (the others are
cleared with the reason "binome_paused"). Meetings the pair plan themselves still work. Mentor and mentee
are told when it pauses and when it resumes; every pause and resume is audited with codes and dates only.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlmodel import Session, col, select

from storage import alerts, outbox, signals
from storage import checkin_rhythm as rhythm
from storage.audit import record
from storage.checkins import local_day
from storage.models import (Alert, Binome, BinomeStatus, CheckIn, CheckInStatus, OutboundMessage, Participant,
                            Programme, Role)

REASONS = ("holidays", "illness", "abroad", "other")
RESUME_CHOICES = ("2w", "1m", "2m", "none")  # in 2 weeks, 1 month, 2 months, no date
KEPT_SIGNALS = (signals.SUPPORT_HELP, signals.SUPPORT_STOP)  # the only warning signs of a paused binôme
NUDGE_LOOKBACK = timedelta(days=7)  # missed check-ins this recent may still have a nudge queued


class PauseRefusal(StrEnum):
    NOT_ACTIVE = "not_active"  # closed, draft: nothing to pause
    ALREADY_PAUSED = "already_paused"
    NOT_PAUSED = "not_paused"  # resume asked of a binôme that is not paused
    RESUME_IN_PAST = "resume_in_past"  # the resume date is today or before
    NOT_YOURS = "not_yours"  # not a coordinator of this binôme's programme
    BAD_REASON = "bad_reason"


class PauseRefused(Exception):
    def __init__(self, refusal: PauseRefusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


@dataclass(frozen=True)
class Paused:
    binome: Binome
    checkins_skipped: int
    messages_cancelled: int
    alerts_cleared: int


def programme_day(*, session: Session, binome: Binome, now: datetime) -> date:
    """Today in the binôme's programme's timezone: pause and resume dates are the programme's days."""
    return local_day(now, session.get(Programme, binome.programme_id).timezone)


def resume_date(choice: str, today: date) -> date | None:
    """The date a resume-date button stands for: in 2 weeks, 1 month, 2 months (calendar months, the last
    day of a shorter month), or None ("no date")."""
    if choice == "2w":
        return today + timedelta(days=14)
    if choice in ("1m", "2m"):
        month = today.month - 1 + int(choice[0])
        year, month = today.year + month // 12, month % 12 + 1
        return date(year, month, min(today.day, calendar.monthrange(year, month)[1]))
    if choice == "none":
        return None
    raise ValueError(choice)


def _check_actor(binome: Binome, by: Participant | None) -> None:
    """`by` None is the operator's CLI; otherwise a coordinator of the binôme's programme."""
    if by is not None and (by.role != Role.COORDINATOR or by.programme_id != binome.programme_id):
        raise PauseRefused(PauseRefusal.NOT_YOURS)


def _actor(by: Participant | None) -> str:
    return f"participant:{by.id}" if by is not None else "cli"


def pause(*, session: Session, binome: Binome, reason: str, resume_on: date | None, by: Participant | None,
          now: datetime) -> Paused:
    """Pause an active binôme; raises PauseRefused (see PauseRefusal)."""
    _check_actor(binome, by)
    if binome.status == BinomeStatus.PAUSED:
        raise PauseRefused(PauseRefusal.ALREADY_PAUSED)
    if binome.status != BinomeStatus.ACTIVE:
        raise PauseRefused(PauseRefusal.NOT_ACTIVE)
    if reason not in REASONS:
        raise PauseRefused(PauseRefusal.BAD_REASON)
    today = programme_day(session=session, binome=binome, now=now)
    if resume_on is not None and resume_on <= today:
        raise PauseRefused(PauseRefusal.RESUME_IN_PAST)
    binome.status, binome.paused_on, binome.resume_on, binome.pause_reason = \
        BinomeStatus.PAUSED, today, resume_on, reason
    session.add(binome)
    skipped, cancelled = stop_checkins(session, binome, now)
    cancelled += outbox.cancel(session=session, key_prefix=f"nudge:{binome.id}:", now=now, reason="binome_paused")
    cleared = 0
    for alert in session.exec(select(Alert).where(Alert.binome_id == binome.id,
                                                  col(Alert.status).in_(list(alerts.LIVE)))).all():
        if alert.signal not in KEPT_SIGNALS:
            alerts.clear(session=session, alert=alert, now=now, reason="binome_paused")
            cleared += 1
    record(session=session, at=now, programme_id=binome.programme_id, actor=_actor(by), action="binome.paused",
           subject=f"binome:{binome.id}",
           details={"reason": reason, "resume_on": resume_on.isoformat() if resume_on else None,
                    "checkins_skipped": skipped, "messages_cancelled": cancelled, "alerts_cleared": cleared})
    _tell_pair(session, binome, "binome_paused", now,
               {"binome_id": binome.id, "until": resume_on.isoformat() if resume_on else None})
    return Paused(binome, skipped, cancelled, cleared)


def resume(*, session: Session, binome: Binome, by: Participant | None, now: datetime,
           scheduled: bool = False) -> Binome:
    """Resume a paused binôme (by a coordinator, the CLI, or on its date when `scheduled`); the next scan
    writes the next check-ins (the status change marks it)."""
    if not scheduled:
        _check_actor(binome, by)
    if binome.status != BinomeStatus.PAUSED:
        raise PauseRefused(PauseRefusal.NOT_PAUSED)
    paused_on = binome.paused_on
    binome.status, binome.paused_on, binome.resume_on, binome.pause_reason = BinomeStatus.ACTIVE, None, None, None
    session.add(binome)
    record(session=session, at=now, programme_id=binome.programme_id,
           actor="system" if scheduled else _actor(by), action="binome.resumed", subject=f"binome:{binome.id}",
           details={"paused_on": paused_on.isoformat() if paused_on else None,
                    "on": programme_day(session=session, binome=binome, now=now).isoformat(), "on_its_date": scheduled})
    _tell_pair(session, binome, "binome_resumed", now, {"binome_id": binome.id})
    return binome


def due_to_resume(*, session: Session, now: datetime) -> list[Binome]:
    """Paused binômes whose resume date has come in their programme's timezone."""
    rows = session.exec(select(Binome, Programme).join(Programme, Programme.id == Binome.programme_id)
                        .where(Binome.status == BinomeStatus.PAUSED, col(Binome.resume_on).is_not(None),
                               Binome.resume_on <= (now + timedelta(days=1)).date())
                        .order_by(Binome.id)).all()
    return [binome for binome, programme in rows if binome.resume_on <= local_day(now, programme.timezone)]


def stop_checkins(session: Session, binome: Binome, now: datetime, *, reason: str = "paused") -> tuple[int, int]:
    """Skip the binôme's check-ins written ahead or sent and unanswered (with `reason`: "paused", "closed");
    cancel their messages and the recent missed check-ins' nudges. Returns (check-ins skipped, messages
    cancelled). Also used by storage.closures."""
    dropped_as = f"binome_{reason}"
    pending = session.exec(select(CheckIn).where(
        CheckIn.binome_id == binome.id,
        (CheckIn.status == CheckInStatus.SCHEDULED)
        | ((CheckIn.status == CheckInStatus.OPEN) & col(CheckIn.answered_at).is_(None)))).all()
    cancelled = 0
    for checkin in pending:
        rhythm.skip(session=session, checkin=checkin, reason=reason, now=now)
        cancelled += outbox.cancel(session=session, key_prefix=f"checkin:{checkin.id}:", now=now, reason=dropped_as)
    missed = session.exec(select(CheckIn.id).where(CheckIn.binome_id == binome.id,
                                                   CheckIn.status == CheckInStatus.MISSED,
                                                   CheckIn.missed_at >= now - NUDGE_LOOKBACK)).all()
    keys = [f"{kind}:{checkin_id}" for checkin_id in missed for kind in ("ci_nudge", "ci_soft")]
    if keys:  # exact keys: a prefix "ci_nudge:1" would also match "ci_nudge:12"
        for message in session.exec(select(OutboundMessage).where(
                col(OutboundMessage.idempotency_key).in_(keys), col(OutboundMessage.sent_at).is_(None),
                col(OutboundMessage.dropped_at).is_(None))).all():
            outbox.drop(message, now, dropped_as)
            session.add(message)
            cancelled += 1
    return len(pending), cancelled


# ---------------------------------------------------------------- what the pair is told

def _still(status: BinomeStatus):
    def relevant(session: Session, message: OutboundMessage) -> bool:
        binome = session.get(Binome, message.params["binome_id"])
        return binome is not None and binome.status == status
    return relevant


outbox.declare("binome_paused", priority=outbox.NORMAL, max_delay=timedelta(days=3),
               relevant=_still(BinomeStatus.PAUSED))
outbox.declare("binome_resumed", priority=outbox.NORMAL, max_delay=timedelta(days=3),
               relevant=_still(BinomeStatus.ACTIVE))


def _tell_pair(session: Session, binome: Binome, kind: str, now: datetime, params: dict) -> None:
    """Mentor and mentee, each out of their quiet hours (a pause resuming at midnight is told in the morning)."""
    stamp = f"{now:%Y%m%dT%H%M%S}"
    for person_id in (binome.mentor_id, binome.mentee_id):
        person = session.get(Participant, person_id)
        if person is None or person.telegram_chat_id is None:
            continue
        outbox.enqueue(session=session, participant_id=person.id, kind=kind, now=now, params=params,
                       due_at=alerts.after_quiet_hours(session=session, participant=person, now=now),
                       key=f"{kind}:{binome.id}:{stamp}:{person.id}")
