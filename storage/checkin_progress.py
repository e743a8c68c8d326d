"""Check-ins looked back on: a person's streak, and what happened in the plan since the last check-in
(what the mentor's check-in shows).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from sqlmodel import Session, col, select

from storage.models import ActionStatus, Binome, CheckIn, CheckInStatus, PlanAction, PlanActionChange
from storage.plans import status_changes_since


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
                                              CheckIn.binome_id == checkin.binome_id,
                                              col(CheckIn.sent_at).is_not(None), CheckIn.id != checkin.id,
                                              CheckIn.due_at < checkin.due_at)
                        .order_by(col(CheckIn.due_at).desc())).first()


@dataclass(frozen=True)
class Progress:
    """The mentee's plan since the last check-in: the titles done, how many actions moved on or got
    blocked (and are not done), and their latest finished check-in since then (what they chose to share
    is read from it)."""
    done_titles: list[str]
    in_progress: int
    blocked: int
    shared: CheckIn | None


def since_last(*, session: Session, checkin: CheckIn) -> datetime:
    """When the previous check-in was sent, else the start of the binôme."""
    previous = previous_sent(session=session, checkin=checkin)
    if previous is not None:
        return previous.sent_at
    binome = session.get(Binome, checkin.binome_id)
    return datetime.combine(binome.started_on, time(), tzinfo=checkin.due_at.tzinfo)


# session.info key: {check-in id: RoundFacts} read set-wise for a round of the outbox (storage/checkin_round.py)
ROUND_FACTS = "checkin_round_facts"


@dataclass(frozen=True)
class RoundFacts:
    newer_sent: bool  # storage.checkins.newer_sent
    progress: Progress | None  # progress_since, for the check-ins whose message shows it


def progress_since(*, session: Session, checkin: CheckIn) -> Progress:
    """For the mentor's check-in: the binôme's action progress since the last check-in."""
    known = session.info.get(ROUND_FACTS, {}).get(checkin.id)
    if known is not None and known.progress is not None:
        return known.progress
    since = since_last(session=session, checkin=checkin)
    changes = status_changes_since(session=session, binome_id=checkin.binome_id, since=since)
    binome = session.get(Binome, checkin.binome_id)
    shared = session.exec(
        select(CheckIn).where(CheckIn.participant_id == binome.mentee_id, col(CheckIn.completed_at).is_not(None),
                              CheckIn.completed_at > since)
        .order_by(col(CheckIn.completed_at).desc())
    ).first()
    return progress_of(changes, shared)


def progress_of(changes: list[tuple[PlanActionChange, PlanAction]], shared: CheckIn | None) -> Progress:
    """The progress from the status changes since the last check-in (oldest first) and the mentee's latest
    finished check-in since then."""
    done = {action.id: action.title for change, action in changes if change.new == ActionStatus.DONE}
    moving = {action.id for change, action in changes if change.new == ActionStatus.IN_PROGRESS}
    blocked = {action.id for change, action in changes if change.new == ActionStatus.BLOCKED}
    return Progress(list(done.values()), len(moving - done.keys()), len(blocked - done.keys()), shared)
