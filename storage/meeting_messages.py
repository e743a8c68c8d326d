"""What a meeting change sets going in the outbox: the proposal, the answer, the calendar file, the
reminders, the warning that someone cannot come, the mentor's question after the meeting.

Every key starts with `meeting:<id>:`, so a meeting that will not happen drops what is still queued for
it in one `outbox.cancel`. Messages that are not urgent wait for the end of the recipient's quiet hours,
read in their own timezone (`storage.participants.timezone_of`). How each kind is written is in
`conversations.meeting_texts`.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from storage import absence_talks, outbox, referents
from storage import meetings as rules
from storage.models import AbsenceReason, Absence, Meeting, MeetingStatus, OutboundMessage, Participant, Role
from storage.options import meeting_options
from storage.participants import programme_of, timezone_of
from storage.schedule import out_of_quiet_hours, reminder_times


def _still(status: MeetingStatus) -> outbox.Relevance:
    """Sent only while the meeting is in `status` (and at the time the message was queued for)."""

    def relevant(session: Session, message: OutboundMessage) -> bool:
        meeting = session.get(Meeting, message.params["meeting_id"])
        if meeting is None or meeting.status != status:
            return False
        expected = message.params.get("starts_at")
        return expected is None or meeting.starts_at.isoformat() == expected

    return relevant


outbox.declare("meeting_proposed", max_delay=timedelta(days=7), relevant=_still(MeetingStatus.PROPOSED))
outbox.declare("meeting_declined", max_delay=timedelta(days=7))
outbox.declare("meeting_confirmed", max_delay=timedelta(days=7), relevant=_still(MeetingStatus.CONFIRMED))
outbox.declare("meeting_reminder", priority=outbox.BULK, max_delay=timedelta(days=1), relevant=_still(MeetingStatus.CONFIRMED))
outbox.declare("absence_warning", priority=outbox.URGENT, max_delay=timedelta(days=2))
outbox.declare("meeting_cancelled", priority=outbox.URGENT, max_delay=timedelta(days=2))
outbox.declare("meeting_outcome", max_delay=timedelta(days=2), relevant=_still(MeetingStatus.CONFIRMED))
outbox.declare("meeting_missed", max_delay=timedelta(days=3))
outbox.declare("rhythm_stopped", max_delay=timedelta(days=3))


def queue_soon(*, session: Session, recipient: Participant, kind: str, key: str, now: datetime, params: dict,
               stale_after: datetime | None = None) -> None:
    """Now, or when the recipient's quiet hours end."""
    programme = programme_of(session=session, participant=recipient)
    due = out_of_quiet_hours(now, tz=timezone_of(recipient, programme), quiet=meeting_options(programme).quiet_hours,
                             direction="later")
    outbox.enqueue(session=session, participant_id=recipient.id, kind=kind, key=f"{key}:{recipient.id}", due_at=due,
                   now=now, params=params, stale_after=stale_after)


def queue_proposal(*, session: Session, meeting: Meeting, recipient: Participant, now: datetime) -> None:
    """The other side is asked to accept; useless once the meeting has started."""
    queue_soon(session=session, recipient=recipient, kind="meeting_proposed", key=f"meeting:{meeting.id}:proposed",
               now=now, params={"meeting_id": meeting.id}, stale_after=meeting.starts_at)


def queue_declined(*, session: Session, meeting: Meeting, recipient: Participant, by: Participant,
                   now: datetime) -> None:
    """The proposer learns that the other side is choosing another time."""
    queue_soon(session=session, recipient=recipient, kind="meeting_declined", key=f"meeting:{meeting.id}:declined",
               now=now, params={"meeting_id": meeting.id, "by": by.id})


def queue_rhythm_stopped(*, session: Session, binome_id: int, recipient: Participant, by: Participant,
                         now: datetime) -> None:
    queue_soon(session=session, recipient=recipient, kind="rhythm_stopped",
               key=f"rhythm:{binome_id}:stopped:{now:%Y%m%dT%H%M%S}", now=now, params={"by": by.id})


def queue_confirmation(*, session: Session, meeting: Meeting, pair: rules.Pair, now: datetime) -> None:
    """What a confirmed meeting sets going: the calendar file to both, reminders, the mentor's question after."""
    for person in (pair.acting, pair.mentee):  # the substitute tutor, for a meeting in the mentor's time away
        outbox.enqueue(session=session, participant_id=person.id, kind="meeting_confirmed",
                       key=f"meeting:{meeting.id}:confirmed:{meeting.sequence}:{person.id}", due_at=now, now=now,
                       params={"meeting_id": meeting.id, "stamp": now.isoformat()}, stale_after=meeting.starts_at)
        queue_reminders(session=session, meeting=meeting, person=person, now=now)
    queue_outcome_question(session=session, meeting=meeting, mentor=pair.acting, now=now)


def queue_reminders(*, session: Session, meeting: Meeting, person: Participant, now: datetime) -> None:
    """The day before and a few hours before, in the person's timezone, outside their quiet hours."""
    programme = programme_of(session=session, participant=person)
    options = meeting_options(programme)
    plan = reminder_times(starts_at=meeting.starts_at, now=now, tz=timezone_of(person, programme),
                          quiet=options.quiet_hours, day_before_at=options.reminder_day_before_at,
                          hours_before=options.reminder_hours_before)
    for name, due in (("day_before", plan.day_before), ("hours_before", plan.hours_before)):
        if due is not None:
            outbox.enqueue(session=session, participant_id=person.id, kind="meeting_reminder",
                           key=f"meeting:{meeting.id}:{meeting.starts_at:%Y%m%dT%H%M}:{name}:{person.id}",
                           due_at=due, now=now, stale_after=meeting.starts_at,
                           params={"meeting_id": meeting.id, "starts_at": meeting.starts_at.isoformat(), "which": name})


def queue_outcome_question(*, session: Session, meeting: Meeting, mentor: Participant, now: datetime) -> None:
    """Shortly after the planned end the mentor is asked how it went; once more a day later."""
    end = rules.ends_at(meeting)
    for which, due in (("asked", end + rules.OUTCOME_ASKED_AFTER),
                       ("again", end + rules.OUTCOME_ASKED_AFTER + rules.OUTCOME_REMINDED_AFTER)):
        outbox.enqueue(session=session, participant_id=mentor.id, kind="meeting_outcome",
                       key=f"meeting:{meeting.id}:{meeting.starts_at:%Y%m%dT%H%M}:outcome:{which}:{mentor.id}",
                       due_at=due, now=now, stale_after=end + rules.UNCONFIRMED_AFTER,
                       params={"meeting_id": meeting.id, "starts_at": meeting.starts_at.isoformat(), "which": which})


def queue_absence_warning(*, session: Session, meeting: Meeting, absent: Participant, recipient: Participant,
                          reason: AbsenceReason, now: datetime, reported_by: Participant | None = None) -> None:
    """The meeting will not happen: what was queued for it is dropped, the other side is warned at once."""
    outbox.cancel(session=session, key_prefix=f"meeting:{meeting.id}:", now=now, reason="meeting will not happen")
    params = {"meeting_id": meeting.id, "absent": absent.id, "reason": reason.value}
    if reported_by is not None:
        params["reported_by"] = reported_by.id
    outbox.enqueue(session=session, participant_id=recipient.id, kind="absence_warning",
                   key=f"meeting:{meeting.id}:absence:{absent.id}:{recipient.id}", due_at=now, now=now, params=params)
    if absent.role == Role.MENTEE:  # the school's or training centre's referent (storage.referents)
        referents.tell(session=session, binome_id=meeting.binome_id, kind="referent_absence", now=now,
                       key=f"absence:{meeting.id}:{absent.id}", params={"meeting_id": meeting.id, "notice": True})


def queue_cancellation(*, session: Session, meeting: Meeting, recipient: Participant, by: Participant, moved: bool,
                       now: datetime) -> None:
    """Cancelled or moved: what was queued for it is dropped, the other side is told at once."""
    outbox.cancel(session=session, key_prefix=f"meeting:{meeting.id}:", now=now, reason="meeting cancelled")
    outbox.enqueue(session=session, participant_id=recipient.id, kind="meeting_cancelled",
                   key=f"meeting:{meeting.id}:cancelled:{recipient.id}", due_at=now, now=now,
                   params={"meeting_id": meeting.id, "by": by.id, "moved": moved, "stamp": now.isoformat()})


def queue_after_outcome(*, session: Session, meeting: Meeting, pair: rules.Pair, absence: Absence | None,
                        now: datetime) -> None:
    """The outcome is known: no more questions about it; a mentee who did not come is written to."""
    outbox.cancel(session=session, key_prefix=f"meeting:{meeting.id}:", now=now, reason="outcome recorded")
    if absence is not None:
        queue_soon(session=session, recipient=pair.mentee, kind="meeting_missed", key=f"meeting:{meeting.id}:missed",
                   now=now, params={"meeting_id": meeting.id})
        absence_talks.ask(session=session, absence=absence, mentor=pair.acting, now=now)  # where the programme asks
        referents.tell(session=session, binome_id=meeting.binome_id, kind="referent_absence", now=now,
                       key=f"absence:{meeting.id}:{pair.mentee.id}", params={"meeting_id": meeting.id, "notice": False})
