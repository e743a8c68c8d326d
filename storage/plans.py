"""The rules of the action plan ("plan d'actions"), as plain functions over the database (no Telegram).

The mentor or the mentee adds actions (a short title, optionally a category from the programme's
list and a due date), edits them and changes their status. Every change is kept as a
`PlanActionChange` row (when, who, which field, from what to what) and in the audit log with ids,
field names, statuses and categories only — never a title or a note.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlmodel import Session, col, select

from storage.audit import record
from storage.meetings import Pair
from storage.models import (ActionStatus, Binome, BinomeStatus, Participant, PlanAction, PlanActionChange,
                            Programme)

DEFAULT_CATEGORIES = ("job_search", "cv_letters", "training", "network", "language", "administrative", "wellbeing",
                      "other")
TITLE_MAX = 200
NOTE_MAX = 500
OPEN_STATUSES = (ActionStatus.TO_DO, ActionStatus.IN_PROGRESS, ActionStatus.BLOCKED)
CLOSED_STATUSES = (ActionStatus.DONE, ActionStatus.DROPPED)


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()


class PlanRefusal(StrEnum):
    NOT_YOURS = "not_yours"  # not a member of this action's binôme
    GONE = "gone"  # the action or the binôme no longer exists / is closed
    INVALID = "invalid"  # an empty or too long title, an unknown category


class PlanRefused(Exception):
    def __init__(self, refusal: PlanRefusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


def categories_for(programme: Programme) -> list[str]:
    """The programme's categories: `options["action_categories"]` (known keys only, in its order), else
    the default list."""
    wanted = (programme.options or {}).get("action_categories") if programme is not None else None
    if isinstance(wanted, (list, tuple)):
        chosen = [key for key in dict.fromkeys(wanted) if isinstance(key, str) and key in DEFAULT_CATEGORIES]
        if chosen:
            return chosen
    return list(DEFAULT_CATEGORIES)


def _pair(session: Session, binome: Binome) -> Pair:
    return Pair(binome, session.get(Programme, binome.programme_id), session.get(Participant, binome.mentor_id),
                session.get(Participant, binome.mentee_id))


def _member_binome(session: Session, binome_id: int, participant_id: int) -> Pair:
    binome = session.get(Binome, binome_id)
    if binome is None or binome.status == BinomeStatus.CLOSED:
        raise PlanRefused(PlanRefusal.GONE)
    if participant_id not in (binome.mentor_id, binome.mentee_id):
        raise PlanRefused(PlanRefusal.NOT_YOURS)
    return _pair(session, binome)


def member_action(session: Session, action_id: int, participant_id: int) -> tuple[PlanAction, Pair]:
    """The action and its pair, if `participant_id` is the mentor or the mentee of its binôme."""
    action = session.get(PlanAction, action_id)
    if action is None:
        raise PlanRefused(PlanRefusal.GONE)
    return action, _member_binome(session, action.binome_id, participant_id)


def clean_title(title: str) -> str:
    cleaned = " ".join((title or "").split())
    if not cleaned or len(cleaned) > TITLE_MAX:
        raise PlanRefused(PlanRefusal.INVALID)
    return cleaned


def _check_category(pair: Pair, category: str | None) -> str | None:
    if category is not None and category not in categories_for(pair.programme):
        raise PlanRefused(PlanRefusal.INVALID)
    return category


def _audit(session: Session, pair: Pair, action: PlanAction, actor_id: int, what: str, now: datetime,
           **details) -> None:
    record(session=session, at=now, programme_id=pair.binome.programme_id, actor=f"participant:{actor_id}",
           action=what, subject=f"plan_action:{action.id}", details={"binome_id": action.binome_id, **details})


def _change(session: Session, action: PlanAction, by: int, field: str, old, new, now: datetime) -> None:
    def text(value) -> str | None:
        if value is None:
            return None
        return value.isoformat() if isinstance(value, date) else str(value)[:TITLE_MAX]

    session.add(PlanActionChange(action_id=action.id, at=now, by=by, field=field, old=text(old), new=text(new)))


def add_action(*, session: Session, binome_id: int, participant_id: int, title: str, now: datetime,
               category: str | None = None, due_on: date | None = None) -> PlanAction:
    pair = _member_binome(session, binome_id, participant_id)
    cleaned = clean_title(title)
    _check_category(pair, category)
    action = PlanAction(binome_id=binome_id, title=cleaned, category=category, due_on=due_on,
                        status=ActionStatus.TO_DO, created_by=participant_id, created_at=now, changed_at=now,
                        status_changed_at=now)
    session.add(action)
    session.flush()
    _change(session, action, participant_id, "created", None, ActionStatus.TO_DO.value, now)
    _audit(session, pair, action, participant_id, "plan.added", now, category=category,
           due=due_on is not None)
    return action


def edit_action(*, session: Session, action_id: int, participant_id: int, now: datetime, title=UNSET,
                due_on=UNSET, category=UNSET) -> PlanAction:
    """Change the title, due date and/or category; one history row per field that really changed."""
    action, pair = member_action(session, action_id, participant_id)
    changed: list[str] = []
    if title is not UNSET:
        cleaned = clean_title(title)
        if cleaned != action.title:
            _change(session, action, participant_id, "title", action.title, cleaned, now)
            action.title = cleaned
            changed.append("title")
    if due_on is not UNSET and due_on != action.due_on:
        _change(session, action, participant_id, "due_on", action.due_on, due_on, now)
        action.due_on = due_on
        changed.append("due_on")
    if category is not UNSET and category != action.category:
        _check_category(pair, category)
        _change(session, action, participant_id, "category", action.category, category, now)
        old_category, action.category = action.category, category
        changed.append("category")
    if changed:
        action.changed_at = now
        session.add(action)
        details = {"fields": changed}
        if "category" in changed:
            details.update(old_category=old_category, category=category)
        _audit(session, pair, action, participant_id, "plan.edited", now, **details)
    return action


def set_status(*, session: Session, action_id: int, participant_id: int, status: ActionStatus,
               now: datetime) -> PlanAction:
    """Change the status (any status to any other); nothing happens if it is already that status.
    Leaving BLOCKED clears what blocked it."""
    action, pair = member_action(session, action_id, participant_id)
    status = ActionStatus(status)
    if action.status == status:
        return action
    old = ActionStatus(action.status)
    _change(session, action, participant_id, "status", old.value, status.value, now)
    action.status = status
    action.status_changed_at = action.changed_at = now
    if status != ActionStatus.BLOCKED:
        action.blocked_note = None
    session.add(action)
    _audit(session, pair, action, participant_id, "plan.status", now, old=old.value, new=status.value)
    return action


def set_blocked_note(*, session: Session, action_id: int, participant_id: int, note: str | None,
                     now: datetime) -> PlanAction:
    """What blocks a blocked action, in the writer's words (shown to the pair only; not in the history
    or the audit log, which record only that a note was given)."""
    action, pair = member_action(session, action_id, participant_id)
    if action.status != ActionStatus.BLOCKED:
        raise PlanRefused(PlanRefusal.GONE)
    cleaned = " ".join((note or "").split())[:NOTE_MAX] or None
    action.blocked_note = cleaned
    action.changed_at = now
    session.add(action)
    _audit(session, pair, action, participant_id, "plan.blocked_note", now, given=cleaned is not None)
    return action


def _order(actions: list[PlanAction]) -> list[PlanAction]:
    return sorted(actions, key=lambda a: (a.due_on is None, a.due_on or date.max, a.created_at, a.id))


def plan_of(*, session: Session, binome_id: int, include_closed: bool = False) -> list[PlanAction]:
    """The binôme's actions, due soonest first (no date last), then by creation."""
    query = select(PlanAction).where(PlanAction.binome_id == binome_id)
    if not include_closed:
        query = query.where(col(PlanAction.status).in_([s.value for s in OPEN_STATUSES]))
    return _order(list(session.exec(query)))


def due_soon(*, session: Session, binome_id: int, today: date, within_days: int = 7,
             limit: int = 3) -> list[PlanAction]:
    """Open actions due within `within_days` of `today` or overdue, soonest first."""
    horizon = today + timedelta(days=within_days)
    query = select(PlanAction).where(
        PlanAction.binome_id == binome_id, col(PlanAction.status).in_([s.value for s in OPEN_STATUSES]),
        col(PlanAction.due_on).is_not(None), col(PlanAction.due_on) <= horizon)
    return _order(list(session.exec(query)))[:limit]


def history_of(session: Session, action_id: int) -> list[PlanActionChange]:
    return list(session.exec(select(PlanActionChange).where(PlanActionChange.action_id == action_id)
                             .order_by(PlanActionChange.at, PlanActionChange.id)))


def done_since(*, session: Session, binome_id: int, by: int, since: datetime | None,
               until: datetime | None = None) -> list[PlanAction]:
    """Actions of the binôme that `by` marked done in (since, until] (open ends when None) and that
    are still done now."""
    query = (select(PlanAction).join(PlanActionChange, PlanActionChange.action_id == PlanAction.id)
             .where(PlanAction.binome_id == binome_id, PlanActionChange.field == "status",
                    PlanActionChange.new == ActionStatus.DONE.value, PlanActionChange.by == by,
                    PlanAction.status == ActionStatus.DONE))
    if until is not None:
        query = query.where(PlanActionChange.at <= until)
    if since is not None:
        query = query.where(PlanActionChange.at > since)
    found = {action.id: action for action in session.exec(query)}
    return sorted(found.values(), key=lambda a: (a.status_changed_at, a.id))


def added_since(*, session: Session, binome_id: int, by: int, since: datetime,
                until: datetime | None = None) -> list[PlanAction]:
    """Open actions `by` added in [since, until] (open end when None)."""
    query = select(PlanAction).where(PlanAction.binome_id == binome_id, PlanAction.created_by == by,
                                     PlanAction.created_at >= since,
                                     col(PlanAction.status).in_([s.value for s in OPEN_STATUSES]))
    if until is not None:
        query = query.where(PlanAction.created_at <= until)
    return sorted(session.exec(query), key=lambda a: (a.created_at, a.id))
