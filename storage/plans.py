"""The rules of the action plan ("plan d'actions"), as plain functions over the database (no Telegram).

The mentor or the mentee adds actions (a short title, optionally a category from the programme's
list and a due date), edits them and changes their status. Every change is kept as a
`PlanActionChange` row (when, who, which field, from what to what) and in the audit log with ids,
field names, statuses and categories only — never a title or a note.

What others hear of it goes through the outbox: the mentee's "done" grouped into one notice a day for
the mentor (`plan_done`), the actions the mentor added in a review after a meeting, for the mentee
(`plan_news`). How they are written is in conversations.plan_texts.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from storage import outbox
from storage.audit import record
from storage.meetings import Pair, pair_of
from storage.models import (ActionStatus, Binome, BinomeStatus, Meeting, MeetingStatus, OutboundMessage, Participant,
                            PlanAction, PlanActionChange, Programme)
from storage.options import DEFAULT_CATEGORIES, categories_for, meeting_options  # the categories are options
from storage.participants import programme_of, timezone_of
from storage.schedule import local_instant, out_of_quiet_hours

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


def progress_list(*, session: Session, binome_id: int) -> list[PlanAction]:
    """/progress: the actions not dropped, open ones first, then by due date and id."""
    return list(session.exec(select(PlanAction).where(PlanAction.binome_id == binome_id,
                                                      PlanAction.status != ActionStatus.DROPPED)
                             .order_by(PlanAction.status == ActionStatus.DONE, PlanAction.due_on,
                                       PlanAction.id)).all())


def status_changes_since(*, session: Session, binome_id: int,
                         since: datetime) -> list[tuple[PlanActionChange, PlanAction]]:
    """The binôme's status changes from `since` on, oldest first, with their actions."""
    return list(session.exec(
        select(PlanActionChange, PlanAction).join(PlanAction, PlanAction.id == PlanActionChange.action_id)
        .where(PlanAction.binome_id == binome_id, PlanActionChange.field == "status",
               PlanActionChange.at >= since).order_by(PlanActionChange.at)
    ).all())


# ---------------------------------------------------------------- a change the partner hears of

DONE_NOTICE_AT = time(18, 0)  # the mentor's grouped "done" notice, in the mentor's timezone


def change_status(*, session: Session, action_id: int, participant_id: int, status: ActionStatus,
                  now: datetime) -> PlanAction:
    """Set an action's status (`set_status`) and queue what follows: the mentee marks it done, the
    mentor's grouped "done" notice (outbox kind `plan_done`, one a day at 18:00 in the mentor's
    timezone, key `plan_done:<binôme id>:<mentor's local date>`). Blocked: nothing is queued; the
    caller asks what blocks it.

    Raises PlanRefused for a foreign, gone or invalid action.
    """
    action, pair = member_action(session, action_id, participant_id)
    old = action.status
    action = set_status(session=session, action_id=action_id, participant_id=participant_id, status=status, now=now)
    if old != action.status and action.status == ActionStatus.DONE and participant_id == pair.mentee.id:
        _queue_done_notice(session, pair, now)
    return action


def done_notice_time(now: datetime, tz: str, quiet) -> tuple[date, datetime]:
    """The mentor's local day and instant of the next grouped "done" notice: today at 18:00 local if
    that is still ahead, else tomorrow; moved out of quiet hours."""
    day = now.astimezone(ZoneInfo(tz)).date()
    due = local_instant(day, DONE_NOTICE_AT, tz)
    if due <= now:
        day += timedelta(days=1)
        due = local_instant(day, DONE_NOTICE_AT, tz)
    return day, out_of_quiet_hours(due, tz=tz, quiet=quiet, direction="later")


def _queue_done_notice(session: Session, pair: Pair, now: datetime) -> None:
    tz = timezone_of(pair.mentor, pair.programme)
    day, due = done_notice_time(now, tz, meeting_options(pair.programme).quiet_hours)
    outbox.enqueue(session=session, participant_id=pair.mentor.id, kind="plan_done",
                   key=f"plan_done:{pair.binome.id}:{day.isoformat()}", due_at=due, now=now,
                   params={"binome_id": pair.binome.id})


def done_to_report(*, session: Session, binome_id: int) -> list[PlanAction]:
    """What the mentee marked done since the mentor's last "done" notice was sent (still done)."""
    binome = session.get(Binome, binome_id)
    last = session.exec(
        select(OutboundMessage.sent_at)
        .where(OutboundMessage.kind == "plan_done", OutboundMessage.participant_id == binome.mentor_id,
               col(OutboundMessage.idempotency_key).startswith(f"plan_done:{binome_id}:", autoescape=True),
               col(OutboundMessage.sent_at).is_not(None))
        .order_by(col(OutboundMessage.sent_at).desc())).first()
    return done_since(session=session, binome_id=binome_id, by=binome.mentee_id, since=last)


outbox.declare("plan_done", max_delay=timedelta(days=1),
               relevant=lambda session, message: bool(done_to_report(session=session,
                                                                     binome_id=message.params["binome_id"])))


# ---------------------------------------------------------------- the mentor's review after a meeting held

def review_meeting(*, session: Session, meeting_id: int, participant_id: int,
                   binome_id: int | None = None) -> tuple[Meeting, Pair]:
    """The held meeting whose review the mentor is doing; PlanRefused otherwise."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.status != MeetingStatus.HELD or meeting.outcome_at is None:
        raise PlanRefused(PlanRefusal.GONE)
    pair = pair_of(session=session, meeting=meeting)
    if participant_id != pair.mentor.id or (binome_id is not None and binome_id != pair.binome.id):
        raise PlanRefused(PlanRefusal.NOT_YOURS)
    if pair.binome.status == BinomeStatus.CLOSED:
        raise PlanRefused(PlanRefusal.GONE)
    return meeting, pair


def review_counts(*, session: Session, meeting: Meeting, mentor_id: int, now: datetime) -> dict[str, int]:
    """What the mentor did to the plan since the meeting's outcome: done, new, dropped."""
    changes = session.exec(
        select(PlanActionChange).join(PlanAction, PlanAction.id == PlanActionChange.action_id)
        .where(PlanAction.binome_id == meeting.binome_id, PlanActionChange.by == mentor_id,
               PlanActionChange.at >= meeting.outcome_at, PlanActionChange.at <= now)).all()
    counts = {"done": set(), "new": set(), "dropped": set()}
    for change in changes:
        if change.field == "created":
            counts["new"].add(change.action_id)
        elif change.field == "status" and change.new in ("done", "dropped"):
            counts[change.new].add(change.action_id)
    return {key: len(ids) for key, ids in counts.items()}


def queue_news(*, session: Session, pair: Pair, meeting: Meeting, by: int, now: datetime) -> None:
    """Tell the mentee about the actions the mentor added in the review (when their quiet hours end)."""
    recipient = pair.mentee
    programme = programme_of(session=session, participant=recipient)
    due = out_of_quiet_hours(now, tz=timezone_of(recipient, programme), quiet=meeting_options(programme).quiet_hours,
                             direction="later")
    outbox.enqueue(session=session, participant_id=recipient.id, kind="plan_news",
                   key=f"plan_news:{pair.binome.id}:{meeting.id}", due_at=due, now=now,
                   params={"binome_id": pair.binome.id, "meeting_id": meeting.id, "by": by})


def news_of(*, session: Session, params: dict) -> list[PlanAction]:
    """The actions a `plan_news` message is about: added by the mentor since the meeting's outcome, open."""
    meeting = session.get(Meeting, params["meeting_id"])
    return added_since(session=session, binome_id=params["binome_id"], by=params["by"], since=meeting.outcome_at)


outbox.declare("plan_news", max_delay=timedelta(days=3),
               relevant=lambda session, message: bool(news_of(session=session, params=message.params)))
