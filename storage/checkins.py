"""Check-ins: the rules, as plain functions over the tables (no Telegram here).

A check-in is one row per participant and period of the programme's rhythm (`CheckIn`), written
ahead as SCHEDULED with its due time at the local day and hour in the participant's timezone. When
it falls due it is sent (OPEN) or skipped (SKIPPED: a meeting close by, away, paused). Unanswered, it
gets one reminder, then is recorded MISSED. The first answer makes it ANSWERED; `step` says where the
conversation stands, so a restart continues there. Every answer is kept (`CheckInAnswer`): the last
one for a question counts.

Audit entries hold ids and counts only: never the mood, never a word.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from sqlmodel import Session, col, select

from storage import audit
from storage.models import (Binome, CheckIn, CheckInAnswer, CheckInPause, CheckInStatus, Meeting, MeetingStatus,
                            Participant, ParticipantStatus, Programme, Role)
from storage.options import meeting_options, parse_hhmm
from storage.schedule import local_instant, next_occurrence, out_of_quiet_hours

MOODS = (1, 2, 3, 4, 5)
# Meetings that will not, or did not, take place do not replace a check-in.
_NOT_A_MEETING = (MeetingStatus.DRAFT, MeetingStatus.CANCELLED, MeetingStatus.POSTPONED,
                  MeetingStatus.MENTEE_ABSENT, MeetingStatus.MENTOR_ABSENT)
SENT_LATE_LIMIT = timedelta(hours=12)  # a check-in due longer ago than this (the bot was down) is skipped


@dataclass(frozen=True)
class CheckinOptions:
    weekday: int = 2  # Wednesday (Monday = 0)
    at: time = time(18, 0)  # local time, in the participant's timezone
    every_weeks: int = 1
    reminder_hours: int = 24  # after sending (or the end of a snooze) without any answer
    missed_hours: int = 24  # after the reminder without any answer
    skip_meeting_days: int = 2  # a meeting starting within this many days of the due time replaces it
    change_minutes: int = 60  # how long a finished check-in can still be changed
    quiet_hours: tuple[time, time] = (time(21, 0), time(8, 0))


def checkin_options(programme: Programme) -> CheckinOptions:
    options, default = programme.options or {}, CheckinOptions()
    weekday = int(options.get("checkin_weekday", default.weekday))
    if not 0 <= weekday <= 6:
        raise ValueError("checkin_weekday must be 0 (Monday) to 6 (Sunday)")
    return CheckinOptions(
        weekday=weekday,
        at=parse_hhmm(options["checkin_time"]) if "checkin_time" in options else default.at,
        every_weeks=max(1, int(options.get("checkin_every_weeks", default.every_weeks))),
        reminder_hours=int(options.get("checkin_reminder_hours", default.reminder_hours)),
        missed_hours=int(options.get("checkin_missed_hours", default.missed_hours)),
        skip_meeting_days=int(options.get("checkin_skip_meeting_days", default.skip_meeting_days)),
        change_minutes=int(options.get("checkin_change_minutes", default.change_minutes)),
        quiet_hours=meeting_options(programme).quiet_hours,
    )


class Refusal(StrEnum):
    NOT_YOURS = "not_yours"  # another person's check-in, or a forged id
    GONE = "gone"  # not sent, skipped, too old, or this step is over
    CLOSED = "closed"  # finished and the time to change it has passed


class CheckinRefused(Exception):
    def __init__(self, refusal: Refusal, checkin: CheckIn | None = None) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal
        # Plain facts, readable after the session is closed.
        self.status = checkin.status if checkin is not None else None
        self.answered = checkin is not None and checkin.answered_at is not None


def timezone_of(participant: Participant, programme: Programme) -> str:
    return participant.timezone or programme.timezone


def period_key(day: date) -> str:
    """The ISO week of the local due day: "2026-W37"."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _audit(session: Session, checkin: CheckIn, programme_id: int | None, actor: str, action: str, now: datetime,
           **details) -> None:
    audit.record(session=session, at=now, actor=actor, action=action, subject=f"checkin:{checkin.id}",
                 programme_id=programme_id, details={"binome_id": checkin.binome_id,
                                                     "participant_id": checkin.participant_id, **details})


def _programme_id(session: Session, checkin: CheckIn) -> int | None:
    binome = session.get(Binome, checkin.binome_id)
    return binome.programme_id if binome else None


# ---------------------------------------------------------------- the rhythm

def next_due(*, options: CheckinOptions, tz: str, started_on: date, after: datetime) -> datetime:
    """The next due instant strictly after `after`: the rhythm's weekday and local time (kept across DST),
    counted in periods from the first such weekday on or after the binôme's start."""
    anchor = started_on + timedelta(days=(options.weekday - started_on.weekday()) % 7)
    return next_occurrence(weekday=options.weekday, at=options.at, every_weeks=options.every_weeks, anchor=anchor,
                           tz=tz, after=after)


def schedule_next(*, session: Session, binome: Binome, participant: Participant, programme: Programme,
                  now: datetime) -> CheckIn | None:
    """Write the participant's next check-in (SCHEDULED) if it is not written yet; returns it, or None.

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
                                                   CheckIn.period == period)).first()
    if exists:
        return None
    checkin = CheckIn(binome_id=binome.id, participant_id=participant.id, role=participant.role, period=period,
                      due_at=out_of_quiet_hours(due, tz=tz, quiet=options.quiet_hours, direction="later"),
                      created_at=now)
    session.add(checkin)
    session.flush()
    return checkin


def local_day(moment: datetime, tz: str) -> date:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(tz)).date()


def away_pause(*, session: Session, participant_id: int, day: date) -> CheckInPause | None:
    """The absence covering this local day, if any."""
    return session.exec(
        select(CheckInPause).where(CheckInPause.participant_id == participant_id, CheckInPause.until >= day,
                                   col(CheckInPause.ended_at).is_(None))
        .order_by(col(CheckInPause.until).desc())
    ).first()


def skip_reason(*, session: Session, checkin: CheckIn, participant: Participant, programme: Programme,
                now: datetime) -> str | None:
    """Why this due check-in should not be sent now: "paused", "unreachable", "away", "meeting", "stale"."""
    if participant.status == ParticipantStatus.PAUSED:
        return "paused"
    if participant.status != ParticipantStatus.ACTIVE or participant.telegram_chat_id is None:
        return "unreachable"
    binome = session.get(Binome, checkin.binome_id)
    if binome is None or binome.status != "active":
        return "closed"
    tz = timezone_of(participant, programme)
    if away_pause(session=session, participant_id=participant.id, day=local_day(checkin.due_at, tz)) is not None:
        return "away"
    window = timedelta(days=checkin_options(programme).skip_meeting_days)
    meeting = session.exec(
        select(Meeting.id).where(Meeting.binome_id == checkin.binome_id,
                                 col(Meeting.status).not_in([s.value for s in _NOT_A_MEETING]),
                                 Meeting.starts_at >= checkin.due_at - window,
                                 Meeting.starts_at <= checkin.due_at + window)
    ).first()
    if meeting is not None:
        return "meeting"
    if now - checkin.due_at > SENT_LATE_LIMIT and checkin.snoozed_until is None:
        return "stale"
    return None


def skip(*, session: Session, checkin: CheckIn, reason: str, now: datetime) -> None:
    checkin.status, checkin.skipped_reason = CheckInStatus.SKIPPED, reason
    session.add(checkin)
    _audit(session, checkin, _programme_id(session, checkin), "system", "checkin.skipped", now, reason=reason)


def first_step(role: Role) -> str:
    return "mood" if role == Role.MENTEE else "fine"


def mark_sent(*, session: Session, checkin: CheckIn, action_ids: list[int], now: datetime) -> None:
    checkin.status, checkin.sent_at = CheckInStatus.OPEN, now
    checkin.step = first_step(checkin.role)
    checkin.action_ids = ",".join(str(i) for i in action_ids[:3])
    session.add(checkin)
    _audit(session, checkin, _programme_id(session, checkin), "system", "checkin.sent", now,
           actions=len(action_ids[:3]))


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
    _audit(session, checkin, _programme_id(session, checkin), "system", "checkin.missed", now)


# ---------------------------------------------------------------- answering

def own_checkin(*, session: Session, checkin_id: int, participant_id: int) -> CheckIn:
    """The participant's sent check-in, still answerable: not older than the one before the latest sent."""
    checkin = session.get(CheckIn, checkin_id)
    if checkin is None or checkin.participant_id != participant_id:
        raise CheckinRefused(Refusal.NOT_YOURS)
    if checkin.status in (CheckInStatus.SCHEDULED, CheckInStatus.SKIPPED) or checkin.sent_at is None:
        raise CheckinRefused(Refusal.GONE, checkin)
    newer = session.exec(select(CheckIn.id).where(CheckIn.participant_id == participant_id,
                                                  col(CheckIn.sent_at).is_not(None),
                                                  CheckIn.sent_at > checkin.sent_at)).all()
    if len(newer) >= 2:  # superseded twice over: too old to mean anything
        raise CheckinRefused(Refusal.GONE, checkin)
    return checkin


def _at_step(session: Session, checkin_id: int, participant_id: int, *steps: str) -> CheckIn:
    checkin = own_checkin(session=session, checkin_id=checkin_id, participant_id=participant_id)
    if not any(checkin.step == s or (s.endswith(":") and checkin.step.startswith(s)) for s in steps):
        raise CheckinRefused(Refusal.GONE, checkin)
    return checkin


def _record(session: Session, checkin: CheckIn, question: str, value: str, now: datetime) -> None:
    session.add(CheckInAnswer(checkin_id=checkin.id, at=now, question=question, value=value[:32]))
    first = checkin.answered_at is None
    if first:
        checkin.answered_at = now
        newer_sent = session.exec(select(CheckIn.id).where(CheckIn.participant_id == checkin.participant_id,
                                                           col(CheckIn.sent_at).is_not(None),
                                                           CheckIn.sent_at > checkin.sent_at)).first()
        checkin.late = newer_sent is not None
        _audit(session, checkin, _programme_id(session, checkin), f"participant:{checkin.participant_id}",
               "checkin.answered", now, late=checkin.late)
    if checkin.status in (CheckInStatus.OPEN, CheckInStatus.MISSED):
        checkin.status = CheckInStatus.ANSWERED  # a missed check-in answered late keeps its missed_at
    session.add(checkin)


def action_ids(checkin: CheckIn) -> list[int]:
    return [int(i) for i in checkin.action_ids.split(",") if i]


def _step_after_mood(checkin: CheckIn) -> str:
    ids = action_ids(checkin)
    return f"action:{ids[0]}" if ids else "word"


def answer_mood(*, session: Session, checkin_id: int, participant_id: int, mood: int, now: datetime) -> CheckIn:
    if mood not in MOODS:
        raise ValueError(mood)
    checkin = _at_step(session, checkin_id, participant_id, "mood")
    if checkin.role != Role.MENTEE:
        raise CheckinRefused(Refusal.GONE, checkin)
    checkin.mood = mood
    _record(session, checkin, "mood", str(mood), now)
    checkin.step = _step_after_mood(checkin)
    return checkin


def answer_action(*, session: Session, checkin_id: int, participant_id: int, action_id: int, status: str | None,
                  now: datetime) -> CheckIn:
    """Record the answer about one action (None: skipped); the plan's status is changed by the caller."""
    checkin = _at_step(session, checkin_id, participant_id, f"action:{action_id}")
    _record(session, checkin, f"action:{action_id}", status or "skip", now)
    ids = action_ids(checkin)
    position = ids.index(action_id)
    checkin.step = f"action:{ids[position + 1]}" if position + 1 < len(ids) else "word"
    return checkin


def answer_fine(*, session: Session, checkin_id: int, participant_id: int, concern: bool, now: datetime) -> CheckIn:
    checkin = _at_step(session, checkin_id, participant_id, "fine")
    if checkin.role != Role.MENTOR:
        raise CheckinRefused(Refusal.GONE, checkin)
    checkin.concern, checkin.mood = concern, 1 if concern else 5
    _record(session, checkin, "fine", "concern" if concern else "fine", now)
    checkin.step = "word"
    return checkin


def answer_word(*, session: Session, checkin_id: int, participant_id: int, word: str | None,
                now: datetime) -> CheckIn:
    """The optional word (None: skipped). A mentor's word is for the coordinator: shared with them."""
    checkin = _at_step(session, checkin_id, participant_id, "word")
    checkin.word = word[:1000] if word else None
    _record(session, checkin, "word", "given" if word else "skip", now)  # never the word itself
    if checkin.role == Role.MENTOR:
        checkin.share_with_coordinator = bool(word)
        _finish(session, checkin, now)
    else:
        checkin.step = "share"
    return checkin


def toggle_share(*, session: Session, checkin_id: int, participant_id: int, what: str, now: datetime) -> CheckIn:
    checkin = _at_step(session, checkin_id, participant_id, "share")
    if what == "mood":
        checkin.share_with_mentor = not checkin.share_with_mentor
        value = checkin.share_with_mentor
    elif what == "word" and checkin.word:
        checkin.share_word_with_mentor = not checkin.share_word_with_mentor
        value = checkin.share_word_with_mentor
    else:
        raise ValueError(what)
    _record(session, checkin, f"share:{what}", "yes" if value else "no", now)
    return checkin


def finish(*, session: Session, checkin_id: int, participant_id: int, now: datetime) -> CheckIn:
    checkin = _at_step(session, checkin_id, participant_id, "share")
    _finish(session, checkin, now)
    return checkin


def _finish(session: Session, checkin: CheckIn, now: datetime) -> None:
    checkin.step, checkin.completed_at = "done", now
    session.add(checkin)


def can_change(checkin: CheckIn, options: CheckinOptions, now: datetime) -> bool:
    return checkin.step == "done" and checkin.completed_at is not None \
        and now <= checkin.completed_at + timedelta(minutes=options.change_minutes)


def reopen(*, session: Session, checkin_id: int, participant_id: int, options: CheckinOptions,
           now: datetime) -> CheckIn:
    """"Change my answer": back to the first question; the earlier answers stay in the history."""
    checkin = own_checkin(session=session, checkin_id=checkin_id, participant_id=participant_id)
    if checkin.step != "done":
        raise CheckinRefused(Refusal.GONE, checkin)
    if not can_change(checkin, options, now):
        raise CheckinRefused(Refusal.CLOSED, checkin)
    checkin.step = first_step(checkin.role)
    checkin.completed_at = None
    session.add(CheckInAnswer(checkin_id=checkin.id, at=now, question="change", value="reopened"))
    session.add(checkin)
    return checkin


def answers(*, session: Session, checkin_id: int) -> list[CheckInAnswer]:
    return list(session.exec(select(CheckInAnswer).where(CheckInAnswer.checkin_id == checkin_id)
                             .order_by(CheckInAnswer.at, CheckInAnswer.id)).all())


def at_first_question(session: Session, checkin_id: int, participant_id: int) -> CheckIn:
    """The participant's check-in, still at its first question (the mentee's mood, the mentor's "all fine?")."""
    return _at_step(session, checkin_id, participant_id, "mood", "fine")


def unanswered(session: Session, checkin_id: int, participant_id: int) -> CheckIn:
    """The participant's check-in, not answered at all yet: "Later" and "I'm away" apply only then."""
    checkin = at_first_question(session, checkin_id, participant_id)
    if checkin.answered_at is not None:
        raise CheckinRefused(Refusal.GONE, checkin)
    return checkin


def snooze(*, session: Session, checkin_id: int, participant_id: int, until: datetime, now: datetime) -> CheckIn:
    """"Remind me later": only before the first answer; the check-in is sent again at `until`."""
    checkin = unanswered(session, checkin_id, participant_id)
    if until <= now:
        raise CheckinRefused(Refusal.GONE, checkin)
    checkin.snoozed_until = until
    checkin.reminded_at = None
    session.add(CheckInAnswer(checkin_id=checkin.id, at=now, question="snooze", value=f"{until:%Y%m%dT%H%M}"))
    session.add(checkin)
    return checkin


# ---------------------------------------------------------------- away

def away_until(*, session: Session, participant: Participant, until: date, now: datetime) -> CheckInPause:
    """"I'm away until…" (a local date, inclusive): no check-in until then; the open, unanswered one is
    skipped. Meetings are not touched."""
    for pause in session.exec(select(CheckInPause).where(CheckInPause.participant_id == participant.id,
                                                         col(CheckInPause.ended_at).is_(None))).all():
        pause.ended_at = now  # one absence at a time: the new date replaces the old one
        session.add(pause)
    pause = CheckInPause(participant_id=participant.id, until=until, created_at=now)
    session.add(pause)
    open_now = session.exec(select(CheckIn).where(CheckIn.participant_id == participant.id,
                                                  CheckIn.status == CheckInStatus.OPEN,
                                                  col(CheckIn.answered_at).is_(None))).all()
    for checkin in open_now:
        checkin.status, checkin.skipped_reason = CheckInStatus.SKIPPED, "away"
        session.add(checkin)
    session.flush()
    audit.record(session=session, at=now, actor=f"participant:{participant.id}", action="checkin.away",
                 subject=f"participant:{participant.id}", programme_id=participant.programme_id,
                 details={"days": (until - now.date()).days, "skipped": len(open_now)})
    return pause


def end_away(*, session: Session, participant: Participant, now: datetime) -> bool:
    pauses = session.exec(select(CheckInPause).where(CheckInPause.participant_id == participant.id,
                                                     col(CheckInPause.ended_at).is_(None))).all()
    for pause in pauses:
        pause.ended_at = now
        session.add(pause)
    if pauses:
        audit.record(session=session, at=now, actor=f"participant:{participant.id}", action="checkin.away",
                     subject=f"participant:{participant.id}", programme_id=participant.programme_id,
                     details={"ended": len(pauses)})
    return bool(pauses)


def current_away(*, session: Session, participant: Participant, programme: Programme,
                 now: datetime) -> CheckInPause | None:
    return away_pause(session=session, participant_id=participant.id,
                      day=local_day(now, timezone_of(participant, programme)))


# ---------------------------------------------------------------- progress

@dataclass(frozen=True)
class Streak:
    streak: int  # answered in a row, most recent first
    answered: int
    sent: int


def streak(*, session: Session, participant_id: int) -> Streak:
    rows = session.exec(select(CheckIn).where(CheckIn.participant_id == participant_id,
                                              col(CheckIn.sent_at).is_not(None))
                        .order_by(col(CheckIn.due_at).desc())).all()
    counted = [c for c in rows if c.status != CheckInStatus.SKIPPED]
    answered = sum(1 for c in counted if c.answered_at is not None)
    run = 0
    for c in counted:
        if c.answered_at is not None:
            run += 1
        elif c.status == CheckInStatus.OPEN and run == 0:
            continue  # the current one, still waiting: it does not break the streak
        else:
            break
    return Streak(run, answered, len(counted))


def previous_sent(*, session: Session, checkin: CheckIn) -> CheckIn | None:
    return session.exec(select(CheckIn).where(CheckIn.participant_id == checkin.participant_id,
                                              col(CheckIn.sent_at).is_not(None), CheckIn.id != checkin.id,
                                              CheckIn.due_at < checkin.due_at)
                        .order_by(col(CheckIn.due_at).desc())).first()


MIDFLOW_FOR = timedelta(days=2)


def midflow(*, session: Session, participant_id: int, now: datetime) -> CheckIn | None:
    """A check-in sent lately that this person has not finished: its buttons are expected."""
    return session.exec(select(CheckIn).where(CheckIn.participant_id == participant_id,
                                              col(CheckIn.status).in_([CheckInStatus.OPEN, CheckInStatus.ANSWERED]),
                                              CheckIn.step != "done", CheckIn.step != "",
                                              CheckIn.sent_at >= now - MIDFLOW_FOR)
                        .order_by(col(CheckIn.sent_at).desc())).first()


def local_time_on(day: date, at: time, tz: str) -> datetime:
    return local_instant(day, at, tz)
