"""What the tick does for meetings: meetings the mentor never confirmed, rhythms to extend, and (when
scanning) the pairs due to plan their next meeting, whose mentor gets a nudge."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import or_
from sqlmodel import Session, col, func, select

from storage import meetings as rules
from storage import outbox
from storage.meeting_messages import queue_confirmation
from storage.models import Binome, BinomeStatus, Meeting, MeetingStatus, OutboundMessage, Participant, Programme
from storage.options import meeting_options
from storage.participants import timezone_of
from storage.schedule import meeting_interval, nudge_due, out_of_quiet_hours


def _no_meeting_planned(session: Session, message: OutboundMessage) -> bool:
    """A nudge is dropped if a meeting got planned meanwhile."""
    return not rules.has_planned_meeting(session=session, binome_id=message.params["binome_id"], now=message.due_at)


outbox.declare("cadence_nudge", priority=outbox.BULK, max_delay=timedelta(days=2), relevant=_no_meeting_planned)


def queue_due_work(session: Session, now: datetime, *, scan: bool = True) -> None:
    """Run by the tick: meetings the mentor never confirmed, rhythms to extend, and (when
    `scan`) pairs due to plan a meeting."""
    rules.expire_unconfirmed(session=session, now=now)
    for meeting in rules.next_in_rhythm(session=session, now=now):
        queue_confirmation(session=session, meeting=meeting, pair=rules.pair_of(session=session, meeting=meeting),
                           now=now)
    if scan:
        queue_cadence_nudges(session=session, now=now)


def _overdue_pairs(session: Session, now: datetime) -> list[tuple[Programme, int, date, int, datetime | None]]:
    """Active pairs with an onboarded mentor, nothing planned after `now` and no meeting held within
    the programme's interval: (programme, binôme id, start, mentor id, last held meeting), one set query
    per programme reading columns only, so the work grows with the pairs overdue, not with all pairs."""
    found = []
    for programme in session.exec(select(Programme)).all():
        since = now - meeting_interval(programme.meetings_per_month)
        planned = select(Meeting.id).where(Meeting.binome_id == Binome.id, col(Meeting.status).in_(list(rules.OPEN)),
                                           Meeting.starts_at > now)
        held = select(Meeting.id).where(Meeting.binome_id == Binome.id, Meeting.status == MeetingStatus.HELD)
        last = (select(func.max(Meeting.starts_at)).where(Meeting.binome_id == Binome.id,
                                                          Meeting.status == MeetingStatus.HELD).scalar_subquery())
        rows = session.exec(
            select(Binome.id, Binome.started_on, Binome.mentor_id, last)
            .join(Participant, Participant.id == Binome.mentor_id)
            .where(Binome.programme_id == programme.id, Binome.status == BinomeStatus.ACTIVE,
                   col(Participant.onboarded_at).is_not(None), ~planned.exists(),
                   ~held.where(Meeting.starts_at > since).exists(),
                   or_(Binome.started_on <= since.date(), held.exists())).order_by(Binome.id)).all()
        found += [(programme, *row) for row in rows]
    return found


def queue_cadence_nudges(*, session: Session, now: datetime) -> None:
    """The mentor of an active pair with nothing planned, past the programme's interval, is asked to plan;
    once per week of delay (the key), after their quiet hours."""
    due = []
    for programme, binome_id, started_on, mentor_id, last in _overdue_pairs(session, now):
        started = datetime.combine(started_on, time(), tzinfo=timezone.utc)
        if nudge_due(last_meeting=last, binome_started=started, next_planned=None,
                     meetings_per_month=programme.meetings_per_month, now=now):
            base = last or started
            week = (now - base - meeting_interval(programme.meetings_per_month)) // timedelta(days=7)
            due.append((programme, binome_id, mentor_id, f"nudge:{binome_id}:{base:%Y%m%dT%H%M}:{week}"))
    for start in range(0, len(due), 500):  # this week's nudge already queued: nothing to do, one query per 500
        chunk = due[start:start + 500]
        queued = set(session.exec(select(OutboundMessage.idempotency_key)
                                  .where(col(OutboundMessage.idempotency_key).in_([key for *_, key in chunk]))).all())
        for programme, binome_id, mentor_id, key in chunk:
            if key not in queued:
                _nudge(session, binome_id, programme, session.get(Participant, mentor_id), key, now)


def _nudge(session: Session, binome_id: int, programme: Programme, mentor: Participant, key: str,
           now: datetime) -> None:
    outbox.enqueue(session=session, participant_id=mentor.id, kind="cadence_nudge", key=key,
                   due_at=out_of_quiet_hours(now, tz=timezone_of(mentor, programme),
                                             quiet=meeting_options(programme).quiet_hours, direction="later"),
                   now=now, params={"binome_id": binome_id})
