"""What the outbox's check-in messages read, for a whole round at once.

A check-in's message says whether a newer check-in of the same person was sent since (the "(This is the
check-in of …)" line), and the mentor's first question shows the plan's progress since the previous
check-in: four queries a message when each is written alone. The sender reads a round of up to 32 rows
in one session; `read_round` (registered with `outbox.before_render`) reads those facts for all of its
check-ins in three queries and keeps them in the session's `info` (`checkin_progress.ROUND_FACTS`), where
`checkins.newer_sent` and `checkin_progress.progress_since` find them. They answer as their own queries
would: the same conditions, set-wise.
"""
from __future__ import annotations

from datetime import datetime, time

from sqlalchemy import and_, exists
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, or_, select

from storage import outbox
from storage.checkin_progress import ROUND_FACTS, RoundFacts, progress_of
from storage.models import Binome, CheckIn, PlanAction, PlanActionChange

PROGRESS_STEP = "fine"  # the step whose message shows the progress (conversations/checkin_views.py)


def read_round(session: Session, checkins: list[CheckIn]) -> None:
    if not checkins:
        return
    other = aliased(CheckIn)
    same_person = (other.participant_id == CheckIn.participant_id, other.binome_id == CheckIn.binome_id,
                   col(other.sent_at).is_not(None))
    newer = exists().where(*same_person, other.sent_at > CheckIn.sent_at)
    previous = (select(other.sent_at).where(*same_person, other.id != CheckIn.id, other.due_at < CheckIn.due_at)
                .order_by(col(other.due_at).desc()).limit(1).scalar_subquery())
    rows = session.exec(select(CheckIn.id, newer, previous)
                        .where(col(CheckIn.id).in_([c.id for c in checkins]))).all()
    facts = {checkin_id: (bool(is_newer), previous_at) for checkin_id, is_newer, previous_at in rows}
    since: dict[int, tuple[Binome, datetime]] = {}
    for checkin in checkins:
        binome = session.get(Binome, checkin.binome_id)  # loaded with the round: no query
        if checkin.step == PROGRESS_STEP and binome is not None and checkin.id in facts:
            previous_at = facts[checkin.id][1]
            since[checkin.id] = (binome, previous_at if previous_at is not None else
                                 datetime.combine(binome.started_on, time(), tzinfo=checkin.due_at.tzinfo))
    changes, shared = _changes(session, since), _shared(session, since)
    session.info[ROUND_FACTS] = {
        checkin_id: RoundFacts(is_newer, progress_of(changes.get(checkin_id, []), shared.get(checkin_id))
                               if checkin_id in since else None)
        for checkin_id, (is_newer, _) in facts.items()}


def _changes(session: Session, since: dict[int, tuple[Binome, datetime]]) -> dict[int, list]:
    """`plans.status_changes_since` for each check-in: its binôme's status changes from its `since` on."""
    if not since:
        return {}
    found = session.exec(
        select(PlanActionChange, PlanAction).join(PlanAction, PlanAction.id == PlanActionChange.action_id)
        .where(PlanActionChange.field == "status",
               or_(*(and_(PlanAction.binome_id == binome.id, PlanActionChange.at >= at)
                     for binome, at in since.values())))
        .order_by(PlanActionChange.at)).all()
    return {checkin_id: [(change, action) for change, action in found
                         if action.binome_id == binome.id and change.at >= at]
            for checkin_id, (binome, at) in since.items()}


def _shared(session: Session, since: dict[int, tuple[Binome, datetime]]) -> dict[int, CheckIn]:
    """For each check-in, its binôme's mentee's latest check-in finished after its `since`."""
    if not since:
        return {}
    found = session.exec(
        select(CheckIn).where(col(CheckIn.completed_at).is_not(None),
                              or_(*(and_(CheckIn.participant_id == binome.mentee_id, CheckIn.completed_at > at)
                                    for binome, at in since.values())))
        .order_by(col(CheckIn.completed_at).desc())).all()
    latest = {}
    for checkin_id, (binome, at) in since.items():
        latest[checkin_id] = next((c for c in found if c.participant_id == binome.mentee_id and c.completed_at > at),
                                  None)
    return latest


outbox.before_render(read_round)
