"""The substitute tutor ("organiser une suppléance en cas d'absence du tuteur désigné", docs/tutoring.md).

A binôme may have a substitute: another mentor of the same programme, named from the command line. When
the mentor says they are away (`/away`, from a day to a day), each of their open binômes gets a MentorAway
row: with a substitute, the substitute is told, and the meetings falling in the period are theirs (the
mentee's meeting requests, absence warnings, reminders, the after-meeting question: storage.meetings reads
who stands in, storage.standin); the mentee is told whom to turn to and when the tutor is back. Without
one, the coordinators are told that the binôme is uncovered for those dates. Coming back early ends it and
gives the meetings left back to the mentor. Dates and ids only; every change is in the audit log.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from storage import outbox
from storage.alerts import after_quiet_hours
from storage.audit import record
from storage.meetings import OPEN
from storage.models import (Binome, BinomeStatus, Meeting, MeetingStatus, MentorAway, OutboundMessage, Participant,
                            ParticipantStatus, Programme, Role)
from storage.participants import active_binomes_of, coordinators_of

MAX_AWAY_DAYS = 366


class SubstituteRefusal(StrEnum):
    NOT_A_MENTOR = "not_a_mentor"  # a mentee, a coordinator, or someone of another programme
    OWN_MENTOR = "own_mentor"  # the binôme's mentor cannot stand in for themselves
    GONE = "gone"  # declined, left, or erased
    CLOSED = "closed"  # the binôme has ended
    BAD_DATES = "bad_dates"


class SubstituteRefused(Exception):
    def __init__(self, refusal: SubstituteRefusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


def _away_open(session: Session, message: OutboundMessage) -> bool:
    away = session.get(MentorAway, message.params["away_id"])
    return away is not None and away.ended_at is None


outbox.declare("substitute_asked", max_delay=timedelta(days=7), relevant=_away_open)
outbox.declare("tutor_away", max_delay=timedelta(days=7), relevant=_away_open)
outbox.declare("binome_uncovered", priority=outbox.URGENT, max_delay=timedelta(days=7), relevant=_away_open)
outbox.declare("tutor_back", max_delay=timedelta(days=3))


def _actor(by: Participant | None) -> str:
    return f"participant:{by.id}" if by is not None else "cli"


def set_substitute(*, session: Session, binome: Binome, substitute: Participant | None, by: Participant | None,
                   now: datetime) -> None:
    """Name (or remove, with None) the binôme's substitute. A period away still to come or under way gets
    the new substitute, who is told; meetings already arranged in it stay with whoever has them."""
    if binome.status == BinomeStatus.CLOSED:
        raise SubstituteRefused(SubstituteRefusal.CLOSED)
    if substitute is not None:
        if substitute.role != Role.MENTOR or substitute.programme_id != binome.programme_id:
            raise SubstituteRefused(SubstituteRefusal.NOT_A_MENTOR)
        if substitute.id == binome.mentor_id:
            raise SubstituteRefused(SubstituteRefusal.OWN_MENTOR)
        if substitute.erased_at is not None or substitute.status in (ParticipantStatus.DECLINED,
                                                                     ParticipantStatus.LEFT):
            raise SubstituteRefused(SubstituteRefusal.GONE)
    binome.substitute_id = substitute.id if substitute is not None else None
    session.add(binome)
    record(session=session, at=now, programme_id=binome.programme_id, actor=_actor(by), action="binome.substitute",
           subject=f"binome:{binome.id}", details={"substitute": binome.substitute_id})
    today = _today(session, binome, now)
    for away in session.exec(select(MentorAway).where(MentorAway.binome_id == binome.id, MentorAway.ends_on >= today,
                                                      col(MentorAway.ended_at).is_(None))).all():
        away.substitute_id = binome.substitute_id
        session.add(away)
        if substitute is not None:
            _tell(session, substitute, "substitute_asked", away, now)
            _tell(session, session.get(Participant, binome.mentee_id), "tutor_away", away, now,
                  tag=f"sub{substitute.id}")


def _today(session: Session, binome: Binome, now: datetime) -> date:
    return now.astimezone(ZoneInfo(session.get(Programme, binome.programme_id).timezone)).date()


def _tell(session: Session, person: Participant, kind: str, away: MentorAway, now: datetime, tag: str = "") -> None:
    outbox.enqueue(session=session, participant_id=person.id, kind=kind, now=now,
                   key=f"away:{away.id}:{kind}{tag}:{person.id}", params={"away_id": away.id},
                   due_at=after_quiet_hours(session=session, participant=person, now=now),
                   stale_after=None if kind == "tutor_back" else  # the others are useless once the period is over
                   datetime.combine(away.ends_on + timedelta(days=1), datetime.min.time(), now.tzinfo))


def declare_away(*, session: Session, mentor: Participant, starts_on: date, ends_on: date,
                 now: datetime) -> list[MentorAway]:
    """The mentor is away from `starts_on` to `ends_on` (inclusive): one MentorAway per open binôme (a new
    period replaces the one still under way or to come), and who must know is told."""
    if mentor.role != Role.MENTOR:
        raise SubstituteRefused(SubstituteRefusal.NOT_A_MENTOR)
    if ends_on < starts_on or (ends_on - starts_on).days > MAX_AWAY_DAYS:
        raise SubstituteRefused(SubstituteRefusal.BAD_DATES)
    created = []
    for binome in active_binomes_of(session=session, participant=mentor):
        if binome.mentor_id != mentor.id:
            continue
        _end_current(session, binome, now, reason="replaced")
        away = MentorAway(binome_id=binome.id, mentor_id=mentor.id, substitute_id=binome.substitute_id,
                          starts_on=starts_on, ends_on=ends_on, created_at=now)
        session.add(away)
        session.flush()
        record(session=session, at=now, programme_id=binome.programme_id, actor=f"participant:{mentor.id}",
               action="mentor.away", subject=f"binome:{binome.id}",
               details={"starts_on": starts_on.isoformat(), "ends_on": ends_on.isoformat(),
                        "substitute": away.substitute_id})
        mentee = session.get(Participant, binome.mentee_id)
        _tell(session, mentee, "tutor_away", away, now)
        if away.substitute_id is not None:
            substitute = session.get(Participant, away.substitute_id)
            _tell(session, substitute, "substitute_asked", away, now)
            _hand_over(session, binome, away, mentor, substitute, now, since=starts_on)
        else:
            for coordinator in coordinators_of(session=session, programme_id=binome.programme_id):
                if coordinator.telegram_chat_id is not None:
                    _tell(session, coordinator, "binome_uncovered", away, now)
        created.append(away)
    return created


def _end_current(session: Session, binome: Binome, now: datetime, *, reason: str) -> list[MentorAway]:
    """End the binôme's period away under way or to come; the meetings left go back to the mentor."""
    today = _today(session, binome, now)
    ended = []
    for away in session.exec(select(MentorAway).where(MentorAway.binome_id == binome.id, MentorAway.ends_on >= today,
                                                      col(MentorAway.ended_at).is_(None))).all():
        if away.substitute_id is not None:
            _hand_over(session, binome, away, session.get(Participant, away.substitute_id),
                       session.get(Participant, away.mentor_id), now, since=today, back=True)
        away.ended_at = now
        # Back today: the period ends yesterday; one not begun yet never happens (it ends before it starts).
        away.ends_on = (today if away.starts_on < today else away.starts_on) - timedelta(days=1)
        session.add(away)
        record(session=session, at=now, programme_id=binome.programme_id, actor="system", action="mentor.back",
               subject=f"binome:{binome.id}", details={"away": away.id, "reason": reason})
        ended.append(away)
    return ended


def end_away(*, session: Session, mentor: Participant, now: datetime) -> list[MentorAway]:
    """The mentor is back early: the substitute and the mentee are told."""
    ended = []
    for binome in active_binomes_of(session=session, participant=mentor):
        if binome.mentor_id != mentor.id:
            continue
        for away in _end_current(session, binome, now, reason="back"):
            for person_id in (binome.mentee_id, away.substitute_id):
                if person_id is not None:
                    _tell(session, session.get(Participant, person_id), "tutor_back", away, now)
            ended.append(away)
    return ended


def _hand_over(session: Session, binome: Binome, away: MentorAway, giver: Participant, taker: Participant,
               now: datetime, *, since: date, back: bool = False) -> None:
    """What is still queued for `giver` about the binôme's open meetings in the period (from `since`) goes
    to `taker` instead; a substitute taking over a confirmed meeting also gets its calendar file."""
    tz = ZoneInfo(session.get(Programme, binome.programme_id).timezone)
    meetings = session.exec(select(Meeting).where(Meeting.binome_id == binome.id, col(Meeting.status).in_(list(OPEN)),
                                                  Meeting.starts_at > now)).all()
    tag = f"{'back' if back else 'sub'}{away.id}"
    for meeting in meetings:
        if not since <= meeting.starts_at.astimezone(tz).date() <= away.ends_on:
            continue
        queued = session.exec(select(OutboundMessage).where(
            OutboundMessage.participant_id == giver.id,
            col(OutboundMessage.idempotency_key).startswith(f"meeting:{meeting.id}:", autoescape=True),
            col(OutboundMessage.sent_at).is_(None), col(OutboundMessage.dropped_at).is_(None))).all()
        for message in queued:
            outbox.drop(message, now, "handed over")
            session.add(message)
            outbox.enqueue(session=session, participant_id=taker.id, kind=message.kind, params=dict(message.params),
                           key=f"{message.idempotency_key}:{tag}:{taker.id}", due_at=message.due_at, now=now,
                           stale_after=message.stale_after)
        if meeting.status == MeetingStatus.CONFIRMED and not back:
            outbox.enqueue(session=session, participant_id=taker.id, kind="meeting_confirmed", now=now,
                           key=f"meeting:{meeting.id}:confirmed:{meeting.sequence}:{tag}:{taker.id}", due_at=now,
                           params={"meeting_id": meeting.id, "stamp": now.isoformat()}, stale_after=meeting.starts_at)
