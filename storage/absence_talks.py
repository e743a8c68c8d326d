"""The talk after an unexcused absence (003: "Il est indispensable d'avoir un entretien avec l'élève",
docs/tutoring.md).

When the mentor records that the mentee did not come (an unexcused absence) in a programme whose
`absence_talk_days` is set, the mentor (or the substitute standing in) is asked to have a talk with the
mentee and to say by button that it took place, or that it was not possible. Only that is recorded, with
the date and who said it: nothing of what was said. Not done within `absence_talk_days`, or not possible,
it is a warning sign for the coordinator (storage.signals.absence_talk), which clears once the talk is
recorded. Every change is in the audit log.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Session

from storage import outbox
from storage.alerts import after_quiet_hours
from storage.audit import record as audit
from storage.meetings import pair_of
from storage.models import Absence, Meeting, OutboundMessage, Participant
from storage.signal_options import signal_options

RESULTS = ("held", "not_possible")


class TalkRefusal(StrEnum):
    GONE = "gone"  # no such absence, or no talk was asked for it
    NOT_YOURS = "not_yours"
    DONE = "done"  # already recorded


class TalkRefused(Exception):
    def __init__(self, refusal: TalkRefusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


def _pending(session: Session, message: OutboundMessage) -> bool:
    absence = session.get(Absence, message.params["absence_id"])
    return absence is not None and absence.talk_result is None


outbox.declare("absence_talk", max_delay=timedelta(days=14), relevant=_pending)


def ask(*, session: Session, absence: Absence, mentor: Participant, now: datetime) -> bool:
    """Ask the mentor for the talk (at once, out of their quiet hours, and once more the day before the
    limit); False when the programme does not ask for it or the absence was excused."""
    meeting = session.get(Meeting, absence.meeting_id)
    pair = pair_of(session=session, meeting=meeting)
    days = signal_options(pair.programme).absence_talk_days
    if days <= 0 or absence.excused or absence.participant_id != pair.mentee.id or absence.talk_asked_at:
        return False
    absence.talk_asked_at = now
    session.add(absence)
    first = after_quiet_hours(session=session, participant=mentor, now=now)
    for which, due in (("asked", first), ("again", now + timedelta(days=days - 1))):
        if which == "again" and due <= first:
            continue
        outbox.enqueue(session=session, participant_id=mentor.id, kind="absence_talk", now=now,
                       key=f"talk:{absence.id}:{which}:{mentor.id}",
                       due_at=after_quiet_hours(session=session, participant=mentor, now=due),
                       params={"absence_id": absence.id, "which": which})
    audit(session=session, at=now, programme_id=pair.programme.id, actor="system", action="absence.talk_asked",
          subject=f"meeting:{meeting.id}", details={"absence": absence.id, "days": days})
    return True


def record(*, session: Session, absence_id: int, participant_id: int, result: str, now: datetime) -> Absence:
    """The mentor (or the substitute standing in for that meeting) says the talk took place, or was not
    possible. Once only."""
    if result not in RESULTS:
        raise ValueError(result)
    absence = session.get(Absence, absence_id)
    if absence is None or absence.talk_asked_at is None:
        raise TalkRefused(TalkRefusal.GONE)
    meeting = session.get(Meeting, absence.meeting_id)
    pair = pair_of(session=session, meeting=meeting)
    if participant_id not in (pair.mentor.id, pair.acting.id):
        raise TalkRefused(TalkRefusal.NOT_YOURS)
    if absence.talk_result is not None:
        raise TalkRefused(TalkRefusal.DONE)
    absence.talk_result, absence.talk_at, absence.talk_by = result, now, participant_id
    session.add(absence)
    outbox.cancel(session=session, key_prefix=f"talk:{absence.id}:", now=now, reason="talk recorded")
    audit(session=session, at=now, programme_id=pair.programme.id, actor=f"participant:{participant_id}",
          action="absence.talk", subject=f"meeting:{meeting.id}", details={"absence": absence.id, "result": result})
    return absence
