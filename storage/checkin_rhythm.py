"""Check-ins, the rhythm: when each is written, sent or skipped, snoozed, reminded, recorded missed.

A check-in is written ahead as SCHEDULED with its due time at the local day and hour of the programme's
rhythm in the participant's timezone. When it falls due it is sent (OPEN, outbox kind `checkin`) or
skipped (SKIPPED: a meeting close by, away, paused). Unanswered, it gets one reminder
(`checkin_reminder`), then is recorded MISSED. "Later" sends it again at the chosen time. The tick's
walk through all this is storage.scheduled.checkins.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from storage import checkin_round, outbox  # noqa: F401  (checkin_round: their messages read set-wise a round at a time)
from storage.checkins import (CheckinRefused, Refusal, audit_event, away_pause, first_step, local_day, queue_soon,
                              unanswered)
from storage.models import (Binome, CheckIn, CheckInAnswer, CheckInStatus, Meeting, MeetingStatus, OutboundMessage,
                            Participant, ParticipantStatus, Programme)
from storage.options import CheckinOptions, checkin_options
from storage.participants import timezone_of
from storage.schedule import local_instant, next_occurrence, out_of_quiet_hours

_NOT_A_MEETING = (MeetingStatus.DRAFT, MeetingStatus.CANCELLED, MeetingStatus.POSTPONED,
                  MeetingStatus.MENTEE_ABSENT, MeetingStatus.MENTOR_ABSENT)

SENT_LATE_LIMIT = timedelta(hours=12)  # a check-in due longer ago than this (the bot was down) is skipped


def period_key(day: date) -> str:
    """The ISO week of the local due day: "2026-W37"."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def next_due(*, options: CheckinOptions, tz: str, started_on: date, after: datetime) -> datetime:
    """The next due instant strictly after `after`: the rhythm's weekday and local time (kept across DST),
    counted in periods from the first such weekday on or after the binôme's start."""
    anchor = started_on + timedelta(days=(options.weekday - started_on.weekday()) % 7)
    return next_occurrence(weekday=options.weekday, at=options.at, every_weeks=options.every_weeks, anchor=anchor,
                           tz=tz, after=after)


def schedule_next(*, session: Session, binome: Binome, participant: Participant, programme: Programme,
                  now: datetime) -> CheckIn | None:
    """Write the participant's next check-in in this binôme (SCHEDULED) if it is not written yet (one per
    binôme: a mentor with two mentees has two); returns it, or None.

    The due time is the rhythm's local day and hour in the participant's timezone, moved out of quiet
    hours (later). Whether it is skipped (meeting, away, paused) is decided when it falls due, so a
    meeting cancelled meanwhile or an absence ended early count."""
    options = checkin_options(programme)
    tz = timezone_of(participant, programme)
    due = next_due(options=options, tz=tz, started_on=binome.started_on, after=now)
    if due.date() > binome.planned_end_on + timedelta(days=1):
        return None
    period = period_key(local_day(due, tz))
    exists = session.exec(select(CheckIn.id).where(CheckIn.participant_id == participant.id,
                                                   CheckIn.binome_id == binome.id, CheckIn.period == period)).first()
    if exists:
        return None
    checkin = CheckIn(binome_id=binome.id, participant_id=participant.id, role=participant.role, period=period,
                      due_at=out_of_quiet_hours(due, tz=tz, quiet=options.quiet_hours, direction="later"),
                      created_at=now)
    session.add(checkin)
    session.flush()
    return checkin


def skip_reason(*, session: Session, checkin: CheckIn, participant: Participant, programme: Programme,
                now: datetime) -> str | None:
    """Why this due check-in should not be sent now: "paused", "unreachable", "away", "meeting", "stale"."""
    if participant.status == ParticipantStatus.PAUSED:
        return "paused"
    if participant.status != ParticipantStatus.ACTIVE or participant.telegram_chat_id is None:
        return "unreachable"
    binome = session.get(Binome, checkin.binome_id)
    if binome is not None and binome.status == "paused":
        return "paused"
    if binome is None or binome.status != "active":
        return "closed"
    tz = timezone_of(participant, programme)
    if away_pause(session=session, participant_id=participant.id, day=local_day(checkin.due_at, tz)) is not None:
        return "away"
    if checkin_options(programme).near_meeting == "skip" and near_meeting(session=session, checkin=checkin,
                                                                          programme=programme):
        return "meeting"
    if now - checkin.due_at > SENT_LATE_LIMIT and checkin.snoozed_until is None:
        return "stale"
    return None


def near_meeting(*, session: Session, checkin: CheckIn, programme: Programme) -> bool:
    """A meeting (proposed, confirmed or held) starts within `checkin_skip_meeting_days` of the due time.
    By default (`checkin_near_meeting` "light") the check-in still goes, lighter: the plan is for the
    meeting, so it asks no action; skipping it instead left half the weeks without a sign (issue 18)."""
    window = timedelta(days=checkin_options(programme).skip_meeting_days)
    return session.exec(
        select(Meeting.id).where(Meeting.binome_id == checkin.binome_id,
                                 col(Meeting.status).not_in([s.value for s in _NOT_A_MEETING]),
                                 Meeting.starts_at >= checkin.due_at - window,
                                 Meeting.starts_at <= checkin.due_at + window)
    ).first() is not None


def skip(*, session: Session, checkin: CheckIn, reason: str, now: datetime) -> None:
    checkin.status, checkin.skipped_reason = CheckInStatus.SKIPPED, reason
    session.add(checkin)
    audit_event(session, checkin, "system", "checkin.skipped", now, reason=reason)


def mark_sent(*, session: Session, checkin: CheckIn, action_ids: list[int], now: datetime) -> None:
    checkin.status, checkin.sent_at = CheckInStatus.OPEN, now
    checkin.step = first_step(checkin.role)
    checkin.action_ids = ",".join(str(i) for i in action_ids[:3])
    session.add(checkin)
    audit_event(session, checkin, "system", "checkin.sent", now, actions=len(action_ids[:3]))


def due_to_send(*, session: Session, now: datetime) -> list[CheckIn]:
    return list(session.exec(select(CheckIn).where(CheckIn.status == CheckInStatus.SCHEDULED,
                                                   CheckIn.due_at <= now).order_by(CheckIn.due_at)).all())


def reminder_due_at(checkin: CheckIn, options: CheckinOptions) -> datetime:
    start = max(checkin.sent_at, checkin.snoozed_until or checkin.sent_at)
    return start + timedelta(hours=options.reminder_hours)


def missed_due_at(checkin: CheckIn, options: CheckinOptions) -> datetime:
    return checkin.reminded_at + timedelta(hours=options.missed_hours)


def unanswered_open(*, session: Session) -> list[tuple[CheckIn, Participant, Programme]]:
    return list(session.exec(
        select(CheckIn, Participant, Programme)
        .join(Participant, Participant.id == CheckIn.participant_id)
        .join(Programme, Programme.id == Participant.programme_id)
        .where(CheckIn.status == CheckInStatus.OPEN, col(CheckIn.answered_at).is_(None))
    ).all())


def mark_reminded(*, session: Session, checkin: CheckIn, now: datetime) -> None:
    checkin.reminded_at = now
    session.add(checkin)


def mark_missed(*, session: Session, checkin: CheckIn, now: datetime) -> None:
    checkin.status, checkin.missed_at = CheckInStatus.MISSED, now
    session.add(checkin)
    audit_event(session, checkin, "system", "checkin.missed", now)


# ---------------------------------------------------------------- what the outbox sends of it

def _still_waiting(session: Session, message: OutboundMessage) -> bool:
    checkin = session.get(CheckIn, message.params["checkin_id"])
    return checkin is not None and checkin.status == CheckInStatus.OPEN and checkin.answered_at is None


outbox.declare("checkin", priority=outbox.BULK, max_delay=timedelta(hours=12), relevant=_still_waiting)
outbox.declare("checkin_reminder", priority=outbox.BULK, max_delay=timedelta(hours=12), relevant=_still_waiting)


def send(*, session: Session, checkin: CheckIn, action_ids: list[int], now: datetime) -> None:
    """Due and not skipped: open it (with the actions it asks about) and send it now."""
    mark_sent(session=session, checkin=checkin, action_ids=action_ids, now=now)
    outbox.enqueue(session=session, participant_id=checkin.participant_id, kind="checkin",
                   key=f"checkin:{checkin.id}:sent", due_at=now, now=now, params={"checkin_id": checkin.id})


def remind(*, session: Session, checkin: CheckIn, participant: Participant, now: datetime) -> None:
    """Its one reminder (when the recipient's quiet hours end); a snooze allows another."""
    mark_reminded(session=session, checkin=checkin, now=now)
    stamp = f"{checkin.snoozed_until:%Y%m%dT%H%M}" if checkin.snoozed_until else "0"
    queue_soon(session=session, recipient=participant, kind="checkin_reminder",
               key=f"checkin:{checkin.id}:reminder:{stamp}", now=now, params={"checkin_id": checkin.id})


# ---------------------------------------------------------------- "later"

SNOOZE_HOURS = 3
EVENING = time(19, 0)
MORNING = time(9, 0)


def snooze_until(choice: str, *, now: datetime, tz: str, quiet) -> datetime:
    """When "later" brings the check-in back: in SNOOZE_HOURS ("h"), this evening ("eve"), tomorrow
    morning ("tom"); moved out of quiet hours."""
    today = now.astimezone(ZoneInfo(tz)).date()
    if choice == "h":
        until = now + timedelta(hours=SNOOZE_HOURS)
    elif choice == "eve":
        until = local_instant(today, EVENING, tz)
    elif choice == "tom":
        until = local_instant(today + timedelta(days=1), MORNING, tz)
    else:
        raise ValueError(choice)
    return out_of_quiet_hours(until, tz=tz, quiet=quiet, direction="later")


def snooze(*, session: Session, checkin_id: int, participant_id: int, until: datetime, now: datetime) -> CheckIn:
    """"Remind me later": only before the first answer; the check-in is sent again at `until`
    (queued here)."""
    checkin = unanswered(session, checkin_id, participant_id)
    if until <= now:
        raise CheckinRefused(Refusal.GONE, checkin)
    checkin.snoozed_until = until
    checkin.reminded_at = None
    session.add(CheckInAnswer(checkin_id=checkin.id, at=now, question="snooze", value=f"{until:%Y%m%dT%H%M}"))
    session.add(checkin)
    outbox.enqueue(session=session, participant_id=participant_id, kind="checkin",
                   key=f"checkin:{checkin.id}:snooze:{until:%Y%m%dT%H%M}", due_at=until, now=now,
                   params={"checkin_id": checkin.id})
    return checkin
