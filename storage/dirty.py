"""Dirty marks: a binôme whose facts change is marked for the next scan, in the same transaction.

One SQLAlchemy `before_flush` listener on every ORM session looks at what is about to be written and
sets `Binome.signals_dirty` for the binômes concerned, so no feature has to remember to mark:

- a Meeting, PlanAction, CheckIn or SupportRequest added, changed or deleted: its binôme (a CheckIn
  only when something the signals read changes: see `_checkin_matters`);
- an Absence: the binôme of its meeting; a PlanActionChange: the binôme of its action;
- a Participant's status, role or unreachable_since: every binôme they are in;
- an Alert's status or snooze changed (a coordinator's press): its binôme, whose next look then
  includes the snooze's end;
- a Programme's options or meetings per month (the thresholds): every binôme of the programme;
- the Binome itself, any field but `signals_*` (a new binôme is dirty by default).

Rows written with core statements (`update()`, `insert()`) bypass the ORM: none of the tables above is
written that way (only the outbox is); a new one must mark with `mark(...)`.
The scan (storage.scheduled.alerts) clears the marks of a slice first, then reads, so a change
committed meanwhile marks its binôme again (on PostgreSQL it waits for the slice's row locks).
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import event, inspect, or_, update
from sqlalchemy.orm import Session
from sqlmodel import select

from storage.models import (Absence, Alert, Binome, CheckIn, CheckInStatus, Meeting, Participant, PlanAction,
                            PlanActionChange, Programme, SupportRequest)

_BY_BINOME = (Meeting, PlanAction, SupportRequest, Alert, CheckIn)
_PARTICIPANT_FIELDS = ("status", "role", "unreachable_since")
_PROGRAMME_FIELDS = ("options", "meetings_per_month")
_ALERT_FIELDS = ("status", "snoozed_until")
_CHECKIN_FIELDS = ("status", "mood", "concern", "answered_at", "due_at", "participant_id", "binome_id")
_SETTLED = (CheckInStatus.ANSWERED, CheckInStatus.MISSED)
_SIGNALS_OWN = {"signals_dirty", "signals_due_at"}


def _changed(obj, names: Iterable[str]) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in names)


def _checkin_matters(obj: CheckIn, new: bool) -> bool:
    """The signals read answered and missed check-ins only: writing the next SCHEDULED one, or sending
    it (OPEN), changes no finding; answering it or recording it missed does."""
    if new:
        return obj.status in _SETTLED
    if not _changed(obj, _CHECKIN_FIELDS):
        return False
    before = inspect(obj).attrs.status.history.deleted
    return obj.status in _SETTLED or any(s in _SETTLED for s in before) or _changed(obj, ("mood", "concern"))


def _concerned(session: Session) -> tuple[set[int], set[int], set[int], set[int], set[int]]:
    binomes, meetings, actions, people, programmes = set(), set(), set(), set(), set()
    for obj, new, gone in ([(o, True, False) for o in session.new] + [(o, False, False) for o in session.dirty]
                           + [(o, False, True) for o in session.deleted]):
        if isinstance(obj, Binome):
            if not new and not gone and session.is_modified(obj) and _changed(
                    obj, [a.key for a in inspect(obj).mapper.column_attrs if a.key not in _SIGNALS_OWN]):
                obj.signals_dirty = True
            continue
        if isinstance(obj, _BY_BINOME):
            if isinstance(obj, Alert) and (new or gone or not _changed(obj, _ALERT_FIELDS)):
                continue
            if isinstance(obj, CheckIn) and not gone and not _checkin_matters(obj, new):
                continue
            if not new and not gone and not session.is_modified(obj):
                continue
            if obj.binome_id is not None:
                binomes.add(obj.binome_id)
        elif isinstance(obj, Absence) and obj.meeting_id is not None:
            meetings.add(obj.meeting_id)
        elif isinstance(obj, PlanActionChange) and obj.action_id is not None:
            actions.add(obj.action_id)
        elif isinstance(obj, Participant) and not new and not gone and _changed(obj, _PARTICIPANT_FIELDS):
            people.add(obj.id)
        elif isinstance(obj, Programme) and not new and not gone and _changed(obj, _PROGRAMME_FIELDS):
            programmes.add(obj.id)
    return binomes, meetings, actions, people, programmes


def mark(session: Session, *, binome_ids: Iterable[int] = (), participant_ids: Iterable[int] = (),
         programme_ids: Iterable[int] = ()) -> None:
    """Mark these binômes (and those of these participants and programmes) for the next scan."""
    binome_ids, participant_ids, programme_ids = set(binome_ids), set(participant_ids), set(programme_ids)
    conditions = []
    if binome_ids:
        conditions.append(Binome.id.in_(sorted(binome_ids)))
    if participant_ids:
        conditions += [Binome.mentor_id.in_(sorted(participant_ids)), Binome.mentee_id.in_(sorted(participant_ids))]
    if programme_ids:
        conditions.append(Binome.programme_id.in_(sorted(programme_ids)))
    if conditions:
        session.connection().execute(update(Binome.__table__).where(or_(*conditions)).values(signals_dirty=True))


@event.listens_for(Session, "before_flush")
def _before_flush(session: Session, _flush_context, _instances) -> None:
    binomes, meetings, actions, people, programmes = _concerned(session)
    if not (binomes or meetings or actions or people or programmes):
        return
    with session.no_autoflush:
        if meetings:
            binomes.update(session.execute(select(Meeting.binome_id).where(Meeting.id.in_(sorted(meetings))))
                           .scalars())
        if actions:
            binomes.update(session.execute(select(PlanAction.binome_id).where(PlanAction.id.in_(sorted(actions))))
                           .scalars())
        mark(session, binome_ids=binomes, participant_ids=people, programme_ids=programmes)
