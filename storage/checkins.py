"""Check-ins, the person's side: answering, step by step, and "I'm away until…" (no Telegram here).

A check-in is one row per participant and period of the programme's rhythm (`CheckIn`; when it is
written, sent, reminded and recorded missed is in storage.checkin_rhythm). The first answer makes it
ANSWERED; `step` says where the conversation stands, so a restart continues there. Every answer is
kept (`CheckInAnswer`): the last one for a question counts. What the mentee ticks "share with my
mentor" reaches the mentor through the outbox (`checkin_shared`).

Audit entries hold ids and counts only: never the mood, never a word.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, or_, select

from storage import audit, outbox
from storage.checkin_progress import ROUND_FACTS
from storage.models import (Binome, CheckIn, CheckInAnswer, CheckInPause, CheckInStatus, Participant, Programme,
                            Role)
from storage.options import CheckinOptions, checkin_options
from storage.participants import programme_of, timezone_of
from storage.schedule import out_of_quiet_hours

MOODS = (1, 2, 3, 4, 5)


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


def audit_event(session: Session, checkin: CheckIn, actor: str, action: str, now: datetime, **details) -> None:
    """An audit entry about a check-in: ids and counts only."""
    binome = session.get(Binome, checkin.binome_id)
    audit.record(session=session, at=now, actor=actor, action=action, subject=f"checkin:{checkin.id}",
                 programme_id=binome.programme_id if binome else None,
                 details={"binome_id": checkin.binome_id, "participant_id": checkin.participant_id, **details})


def local_day(moment: datetime, tz: str) -> date:
    return moment.astimezone(ZoneInfo(tz)).date()


# ---------------------------------------------------------------- answering

def first_step(role: Role) -> str:
    return "mood" if role == Role.MENTEE else "fine"


def own_checkin(*, session: Session, checkin_id: int, participant_id: int) -> CheckIn:
    """The participant's sent check-in, still answerable: not older than the one before the latest sent."""
    checkin = session.get(CheckIn, checkin_id)
    if checkin is None or checkin.participant_id != participant_id:
        raise CheckinRefused(Refusal.NOT_YOURS)
    if checkin.status in (CheckInStatus.SCHEDULED, CheckInStatus.SKIPPED) or checkin.sent_at is None:
        raise CheckinRefused(Refusal.GONE, checkin)
    newer = session.exec(select(CheckIn.id).where(CheckIn.participant_id == participant_id,
                                                  CheckIn.binome_id == checkin.binome_id,
                                                  col(CheckIn.sent_at).is_not(None),
                                                  CheckIn.sent_at > checkin.sent_at)).all()
    if len(newer) >= 2:  # superseded twice over: too old to mean anything
        raise CheckinRefused(Refusal.GONE, checkin)
    return checkin


def newer_sent(*, session: Session, checkin: CheckIn) -> bool:
    """Whether a later check-in of the same person (in the same binôme) was sent since this one."""
    known = session.info.get(ROUND_FACTS, {}).get(checkin.id)
    if known is not None:
        return known.newer_sent
    return session.exec(select(CheckIn.id).where(CheckIn.participant_id == checkin.participant_id,
                                                 CheckIn.binome_id == checkin.binome_id,
                                                 col(CheckIn.sent_at).is_not(None),
                                                 CheckIn.sent_at > checkin.sent_at)).first() is not None


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
        checkin.late = newer_sent(session=session, checkin=checkin)
        audit_event(session, checkin, f"participant:{checkin.participant_id}", "checkin.answered", now,
                    late=checkin.late)
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


def queue_shared(*, session: Session, checkin: CheckIn, now: datetime) -> None:
    """The mentee finished and ticked something to share: the mentor hears it (when their quiet hours end);
    a finish after "change my answer" is told again."""
    if not (checkin.share_with_mentor or checkin.share_word_with_mentor):
        return
    binome = session.get(Binome, checkin.binome_id)
    mentor = session.get(Participant, binome.mentor_id)
    stamp = len(answers(session=session, checkin_id=checkin.id))
    queue_soon(session=session, recipient=mentor, kind="checkin_shared", key=f"checkin:{checkin.id}:shared:{stamp}",
               now=now, params={"checkin_id": checkin.id})


outbox.declare("checkin_shared", max_delay=timedelta(days=3))


def queue_soon(*, session: Session, recipient: Participant, kind: str, key: str, now: datetime,
               params: dict) -> None:
    """Queue a check-in message for now, or when the recipient's quiet hours end."""
    programme = programme_of(session=session, participant=recipient)
    due = out_of_quiet_hours(now, tz=timezone_of(recipient, programme),
                             quiet=checkin_options(programme).quiet_hours, direction="later")
    outbox.enqueue(session=session, participant_id=recipient.id, kind=kind, key=key, due_at=due, now=now,
                   params=params)


MIDFLOW_FOR = timedelta(days=2)


def midflow(*, session: Session, participant_id: int, now: datetime) -> CheckIn | None:
    """A check-in sent lately that this person has not finished: its buttons are expected."""
    return session.exec(select(CheckIn).where(CheckIn.participant_id == participant_id,
                                              col(CheckIn.status).in_([CheckInStatus.OPEN, CheckInStatus.ANSWERED]),
                                              CheckIn.step != "done", CheckIn.step != "",
                                              CheckIn.sent_at >= now - MIDFLOW_FOR)
                        .order_by(col(CheckIn.sent_at).desc())).first()


# ---------------------------------------------------------------- away

def away_pause(*, session: Session, participant_id: int, day: date) -> CheckInPause | None:
    """The absence covering this local day, if any."""
    return session.exec(
        select(CheckInPause).where(CheckInPause.participant_id == participant_id, CheckInPause.until >= day,
                                   col(CheckInPause.ended_at).is_(None),
                                   or_(col(CheckInPause.starts_on).is_(None), CheckInPause.starts_on <= day))
        .order_by(col(CheckInPause.until).desc())
    ).first()


def away_until(*, session: Session, participant: Participant, until: date, now: datetime,
               starts_on: date | None = None) -> CheckInPause:
    """"I'm away until…" (a local date, inclusive; from `starts_on`, by default now): no check-in until then;
    the open, unanswered one is skipped when it starts now. Meetings are not touched."""
    for pause in session.exec(select(CheckInPause).where(CheckInPause.participant_id == participant.id,
                                                         col(CheckInPause.ended_at).is_(None))).all():
        pause.ended_at = now  # one absence at a time: the new date replaces the old one
        session.add(pause)
    pause = CheckInPause(participant_id=participant.id, until=until, created_at=now, starts_on=starts_on)
    session.add(pause)
    open_now = [] if starts_on is not None and starts_on > now.date() else session.exec(
        select(CheckIn).where(CheckIn.participant_id == participant.id, CheckIn.status == CheckInStatus.OPEN,
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
