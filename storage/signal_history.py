"""What the warning signs read of a binôme: its `History`, for one binôme or for a slice of them.

`histories_of` reads a slice of binômes with one query per table (ids in, grouped here), so the scan's
queries grow with the number of slices, not of binômes. `history_of` is the same for one binôme.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from storage.models import (Absence, Binome, CheckIn, Meeting, Participant, PlanAction, PlanActionChange,
                            SupportRequest)


@dataclass
class History:
    """What the rules look at, for one binôme. Lists are in chronological order."""

    binome: Binome
    mentor: Participant
    mentee: Participant
    meetings: list[Meeting]
    absences: list[Absence]
    checkins: list[CheckIn]
    actions: list[PlanAction]
    last_plan_change: datetime | None
    support: list[SupportRequest]


def _grouped(rows, key) -> dict[int, list]:
    groups: dict[int, list] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return groups


def histories_of(session: Session, binomes: list[Binome]) -> dict[int, History]:
    """The history of each of these binômes, by id: seven queries whatever their number (keep slices
    to a few hundred: the ids are bound parameters)."""
    if not binomes:
        return {}
    ids = sorted({b.id for b in binomes})
    meetings = _grouped(session.exec(select(Meeting).where(col(Meeting.binome_id).in_(ids),
                                                           col(Meeting.starts_at).is_not(None))
                                     .order_by(Meeting.starts_at, Meeting.id)).all(), lambda m: m.binome_id)
    absences = _grouped(session.exec(select(Absence, Meeting.binome_id).join(Meeting, Meeting.id == Absence.meeting_id)
                                     .where(col(Meeting.binome_id).in_(ids)).order_by(Absence.id)).all(),
                        lambda row: row[1])
    checkins = _grouped(session.exec(select(CheckIn).where(col(CheckIn.binome_id).in_(ids))
                                     .order_by(CheckIn.due_at, CheckIn.id)).all(), lambda c: c.binome_id)
    actions = _grouped(session.exec(select(PlanAction).where(col(PlanAction.binome_id).in_(ids))
                                    .order_by(PlanAction.id)).all(), lambda a: a.binome_id)
    last_change = dict(session.exec(select(PlanAction.binome_id, func.max(PlanActionChange.at))
                                    .join(PlanAction, PlanAction.id == PlanActionChange.action_id)
                                    .where(col(PlanAction.binome_id).in_(ids)).group_by(PlanAction.binome_id)).all())
    support = _grouped(session.exec(select(SupportRequest).where(col(SupportRequest.binome_id).in_(ids))
                                    .order_by(SupportRequest.at, SupportRequest.id)).all(), lambda r: r.binome_id)
    wanted = sorted({b.mentor_id for b in binomes} | {b.mentee_id for b in binomes})
    people = {p.id: p for p in session.exec(select(Participant).where(col(Participant.id).in_(wanted))).all()}
    return {b.id: History(b, people.get(b.mentor_id), people.get(b.mentee_id), meetings.get(b.id, []),
                          [a for a, _ in absences.get(b.id, [])], checkins.get(b.id, []), actions.get(b.id, []),
                          last_change.get(b.id), support.get(b.id, []))
            for b in binomes}


def history_of(session: Session, binome: Binome) -> History:
    return histories_of(session, [binome])[binome.id]
