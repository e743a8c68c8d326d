"""What the tick does for meetings: meetings the mentor never confirmed, rhythms to extend, and (when
scanning) the pairs due to plan their next meeting, whose mentor gets a nudge."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from sqlmodel import Session, col, select

from storage import meetings as rules
from storage import outbox
from storage.meeting_messages import queue_confirmation
from storage.models import Binome, BinomeStatus, OutboundMessage, Participant, Programme
from storage.options import meeting_options
from storage.participants import timezone_of
from storage.schedule import meeting_interval, nudge_due, out_of_quiet_hours


def _no_meeting_planned(session: Session, message: OutboundMessage) -> bool:
    """A nudge is dropped if a meeting got planned meanwhile."""
    return not rules.has_planned_meeting(session=session, binome_id=message.params["binome_id"], now=message.due_at)


outbox.declare("cadence_nudge", max_delay=timedelta(days=2), relevant=_no_meeting_planned)


def queue_due_work(session: Session, now: datetime, *, scan: bool = True) -> None:
    """Run by the tick: meetings the mentor never confirmed, rhythms to extend, and (when
    `scan`) pairs due to plan a meeting."""
    rules.expire_unconfirmed(session=session, now=now)
    for meeting in rules.next_in_rhythm(session=session, now=now):
        queue_confirmation(session=session, meeting=meeting, pair=rules.pair_of(session=session, meeting=meeting),
                           now=now)
    if scan:
        queue_cadence_nudges(session=session, now=now)


def queue_cadence_nudges(*, session: Session, now: datetime) -> None:
    """The mentor of an active pair with nothing planned, past the programme's interval, is asked to plan;
    once per week of delay (the key), after their quiet hours."""
    pairs = session.exec(
        select(Binome, Programme, Participant)
        .join(Programme, Programme.id == Binome.programme_id)
        .join(Participant, Participant.id == Binome.mentor_id)
        .where(Binome.status == BinomeStatus.ACTIVE, col(Participant.onboarded_at).is_not(None))
    ).all()
    for binome, programme, mentor in pairs:
        if rules.has_planned_meeting(session=session, binome_id=binome.id, now=now):
            continue
        last = rules.last_meeting_time(session=session, binome_id=binome.id)
        started = datetime.combine(binome.started_on, time(), tzinfo=timezone.utc)
        if not nudge_due(last_meeting=last, binome_started=started, next_planned=None,
                         meetings_per_month=programme.meetings_per_month, now=now):
            continue
        base = last or started
        week = (now - base - meeting_interval(programme.meetings_per_month)) // timedelta(days=7)
        outbox.enqueue(session=session, participant_id=mentor.id, kind="cadence_nudge",
                       key=f"nudge:{binome.id}:{base:%Y%m%dT%H%M}:{week}",
                       due_at=out_of_quiet_hours(now, tz=timezone_of(mentor, programme),
                                                 quiet=meeting_options(programme).quiet_hours, direction="later"),
                       now=now, params={"binome_id": binome.id})
