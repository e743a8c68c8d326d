"""Warning signs: plain functions of a binôme's history and the clock (no Telegram, no writes).

Each rule takes the binôme's `History` (gathered once by `history_of`), `now` and the programme's
`SignalOptions`, and returns a `Finding` or None. A finding carries facts only (counts, ISO dates,
categories, ids for the renderer): never a title, a note or a word the pair wrote. `level` grows when
the same sign gets worse; `storage.alerts` alerts again only then (see docs/warning-signs.md).

Option keys (Programme.options, JSON) and their defaults: `SignalOptions` in storage.signal_options, and
docs/warning-signs.md (what each default buys and costs, measured on the cohort simulation, bench/cohort.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta, timezone

from sqlmodel import Session

from storage.models import ActionStatus, Binome, CheckIn, CheckInStatus, Meeting, MeetingStatus, Programme, SupportKind
from storage.schedule import meeting_interval
from storage.signal_history import History, history_of  # the history (storage.support reads it from here)
from storage.signal_options import SignalOptions, signal_options  # noqa: F401  (given on to the features)

LOW, MEDIUM, HIGH = "low", "medium", "high"
SEVERITY_ORDER = {HIGH: 0, MEDIUM: 1, LOW: 2}

# Signal names (Alert.signal).
CHECKINS_MISSED = "checkins_missed"
ABSENCES = "absences"
NO_FIRST_MEETING = "no_first_meeting"
NO_MEETING = "no_meeting"
MOOD_LOW = "mood_low"
MOOD_DROP = "mood_drop"
MENTOR_CONCERN = "mentor_concern"
PLAN_STALLED = "plan_stalled"
ACTION_BLOCKED = "action_blocked"
UNCONFIRMED = "unconfirmed_meetings"
UNREACHABLE = "unreachable"
SUPPORT_HELP = "support_help"
SUPPORT_STOP = "support_stop"
CLOSURE_DUE = "closure_due"
ABSENCE_TALK = "absence_talk"
SIGNALS = (CHECKINS_MISSED, ABSENCES, NO_FIRST_MEETING, NO_MEETING, MOOD_LOW, MOOD_DROP, MENTOR_CONCERN,
           PLAN_STALLED, ACTION_BLOCKED, UNCONFIRMED, UNREACHABLE, SUPPORT_HELP, SUPPORT_STOP, CLOSURE_DUE, ABSENCE_TALK)


@dataclass(frozen=True)
class Finding:
    signal: str
    severity: str
    level: int
    about: int | None = None  # the participant concerned, if one
    facts: dict = field(default_factory=dict)


def _day(moment: datetime | date | None) -> str | None:
    return None if moment is None else (moment.date() if isinstance(moment, datetime) else moment).isoformat()


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=timezone.utc)


# ---------------------------------------------------------------- the rules, one a signal

def missed_streak(checkins: list[CheckIn], participant_id: int) -> list[CheckIn]:
    """The participant's check-ins missed in a row, up to now (answered ones break it; skipped and
    not yet settled ones are ignored). Oldest first."""
    streak: list[CheckIn] = []
    for checkin in reversed(checkins):
        if checkin.participant_id != participant_id:
            continue
        if checkin.status == CheckInStatus.MISSED:
            streak.append(checkin)
        elif checkin.status == CheckInStatus.ANSWERED:
            break
    return list(reversed(streak))


def mentor_head_start_ends(history: History, streak: list[CheckIn], options: SignalOptions) -> datetime | None:
    """While the mentee's streak is at the coordinator's threshold, the moment the mentor's head start
    ends: the mentor was warned at the `mentor_warning_after`-th miss and has this long to reach out
    first (the ladder: mentee, mentor, coordinator). None when no head start applies."""
    warn_at, threshold = options.mentor_warning_after, options.checkins_missed_in_row
    if not options.mentor_head_start_hours or len(streak) != threshold or not 0 < warn_at <= threshold:
        return None
    warned = streak[warn_at - 1].missed_at
    return warned + timedelta(hours=options.mentor_head_start_hours) if warned is not None else None


def checkins_missed(history: History, now: datetime, options: SignalOptions) -> list[Finding]:
    findings = []
    for person in (history.mentee, history.mentor):
        streak = missed_streak(history.checkins, person.id)
        head_start = mentor_head_start_ends(history, streak, options) if person is history.mentee else None
        if head_start is not None and now < head_start:
            continue  # the mentor hears first
        if len(streak) >= options.checkins_missed_in_row:
            answered = [c for c in history.checkins if c.participant_id == person.id
                        and c.status == CheckInStatus.ANSWERED]
            findings.append(Finding(
                CHECKINS_MISSED, HIGH if len(streak) >= options.checkins_missed_in_row + 2 else MEDIUM, len(streak),
                person.id, {"role": str(person.role),
                            "missed_in_row": len(streak), "first_missed": _day(streak[0].due_at),
                            "last_missed": _day(streak[-1].due_at),
                            "last_answered": _day(answered[-1].answered_at or answered[-1].due_at) if answered
                            else None}))
    return findings


def _settled(history: History, now: datetime) -> list[Meeting]:
    return [m for m in history.meetings if m.starts_at <= now and m.status in (
        MeetingStatus.HELD, MeetingStatus.MENTEE_ABSENT, MeetingStatus.MENTOR_ABSENT)]


def absences(history: History, now: datetime, options: SignalOptions) -> list[Finding]:
    """Unexcused absences ("did not come", recorded after the meeting): in a row, or in all."""
    findings = []
    unexcused = {}
    for absence in history.absences:
        if not absence.excused:
            unexcused.setdefault(absence.participant_id, set()).add(absence.meeting_id)
    settled = _settled(history, now)
    for person in (history.mentee, history.mentor):
        missed = unexcused.get(person.id, set())
        if not missed:
            continue
        in_row = 0
        for meeting in reversed(settled):
            if meeting.id not in missed:
                break
            in_row += 1
        total = len(missed)
        if in_row >= options.absences_in_row or total >= options.absences_total:
            dates = sorted(_day(m.starts_at) for m in history.meetings if m.id in missed)
            findings.append(Finding(ABSENCES, MEDIUM if total < options.absences_total + 1 else HIGH, total,
                                    person.id, {"role": str(person.role), "in_row": in_row, "total": total,
                                                "dates": dates}))
    return findings


_MET = (MeetingStatus.HELD, MeetingStatus.UNCONFIRMED)  # a meeting the mentor forgot to confirm likely took place


def no_meeting(history: History, now: datetime, options: SignalOptions) -> Finding | None:
    """No meeting for longer than factor × cadence. A meeting left unconfirmed counts as met here (the
    `unconfirmed_meetings` sign is about the missing answers), so one forgotten answer raises nothing."""
    held = [m for m in history.meetings if m.status in _MET and m.starts_at <= now]
    started = _midnight(history.binome.started_on)
    planned = [m for m in history.meetings if m.status in (MeetingStatus.PROPOSED, MeetingStatus.CONFIRMED)
               and m.starts_at > now]
    next_planned = _day(planned[0].starts_at) if planned else None
    if not held:
        waited = now - started
        if waited < timedelta(days=options.first_meeting_days):
            return None
        return Finding(NO_FIRST_MEETING, MEDIUM, 1 + (waited.days - options.first_meeting_days) // 14, None,
                       {"started_on": history.binome.started_on.isoformat(), "days": waited.days,
                        "next_planned": next_planned})
    last = held[-1].starts_at
    interval = meeting_interval(options.meetings_per_month)
    if now - last <= interval * options.no_meeting_factor:
        return None
    overdue = int((now - last) / interval)  # whole intervals since the last meeting: grows as it drags on
    return Finding(NO_MEETING, HIGH if overdue >= 3 else MEDIUM, overdue, None,
                   {"last_meeting": _day(last), "days": (now - last).days,
                    "expected_every_days": round(interval / timedelta(days=1), 1), "next_planned": next_planned})


def _mentee_moods(history: History) -> list[CheckIn]:
    return [c for c in history.checkins if c.participant_id == history.mentee.id and c.mood is not None
            and c.status == CheckInStatus.ANSWERED]


def mood_low(history: History, now: datetime, options: SignalOptions) -> Finding | None:
    streak = []
    for checkin in reversed(_mentee_moods(history)):
        if checkin.mood > options.mood_low:
            break
        streak.append(checkin)
    if len(streak) < options.mood_low_in_row:
        return None
    streak.reverse()
    return Finding(MOOD_LOW, HIGH, len(streak), history.mentee.id,
                   # The trend, not the scores: the scale is the mentee's, private unless shared.
                   {"in_row": len(streak), "at_most": options.mood_low, "scale": 5,
                    "since": _day(streak[0].due_at), "last": _day(streak[-1].due_at)})


def mood_drop(history: History, now: datetime, options: SignalOptions) -> Finding | None:
    """The trend, not two points: the mean of the last 2 answered scales is `mood_drop` or more below
    the mean of the (up to) 4 answers before them. A single 5 → 3 is not a trend; 4, 4, 3, 2 is."""
    moods = _mentee_moods(history)
    if len(moods) < 3:
        return None
    recent, earlier = moods[-2:], moods[-6:-2]
    drop = sum(c.mood for c in earlier) / len(earlier) - sum(c.mood for c in recent) / len(recent)
    if drop < options.mood_drop:
        return None
    points = max(1, round(drop))
    return Finding(MOOD_DROP, MEDIUM, points, history.mentee.id,
                   {"points": points, "scale": 5, "on": _day(recent[-1].due_at)})


def mentor_concern(history: History, now: datetime, options: SignalOptions) -> Finding | None:
    """The mentor's last answered check-in says they have a concern. The ids let the renderer show
    the mentor's word, only if they chose to share it with the coordinator."""
    answered = [c for c in history.checkins if c.participant_id == history.mentor.id
                and c.status == CheckInStatus.ANSWERED]
    streak = []
    for checkin in reversed(answered):
        if not checkin.concern:
            break
        streak.append(checkin)
    if not streak:
        return None
    return Finding(MENTOR_CONCERN, MEDIUM, len(streak), history.mentor.id,
                   {"in_row": len(streak), "on": _day(streak[0].due_at), "checkin_ids": [c.id for c in streak]})


def plan_stalled(history: History, now: datetime, options: SignalOptions) -> Finding | None:
    active = [a for a in history.actions if a.status not in (ActionStatus.DONE, ActionStatus.DROPPED)]
    if history.actions and not active:
        return None  # everything done: finished, not stalled
    moments = [a.changed_at for a in history.actions] + [a.status_changed_at for a in history.actions]
    if history.last_plan_change is not None:
        moments.append(history.last_plan_change)
    last = max(moments) if moments else _midnight(history.binome.started_on)
    quiet = now - last
    if quiet < timedelta(days=options.plan_stalled_days):
        return None
    return Finding(PLAN_STALLED, LOW, quiet.days // options.plan_stalled_days, None,
                   {"actions": len(history.actions), "open": len(active), "last_change": _day(last) if moments else None,
                    "days": quiet.days})


def action_blocked(history: History, now: datetime, options: SignalOptions) -> Finding | None:
    limit = timedelta(days=options.action_blocked_days)
    blocked = [a for a in history.actions if a.status == ActionStatus.BLOCKED and now - a.status_changed_at >= limit]
    if not blocked:
        return None
    return Finding(ACTION_BLOCKED, LOW if len(blocked) == 1 else MEDIUM, len(blocked), None,
                   {"count": len(blocked), "categories": sorted({a.category or "-" for a in blocked}),
                    "since": _day(min(a.status_changed_at for a in blocked))})


def unconfirmed(history: History, now: datetime, options: SignalOptions) -> Finding | None:
    left = [m for m in history.meetings if m.status == MeetingStatus.UNCONFIRMED]
    if len(left) < options.unconfirmed_meetings:
        return None
    return Finding(UNCONFIRMED, LOW, len(left), history.mentor.id,
                   {"count": len(left), "dates": [_day(m.starts_at) for m in left]})


def unreachable(history: History, now: datetime, options: SignalOptions) -> list[Finding]:
    return [Finding(UNREACHABLE, HIGH, 1, person.id, {"role": str(person.role), "since": _day(person.unreachable_since)})
            for person in (history.mentee, history.mentor) if person.unreachable_since is not None]


def support(history: History, now: datetime, options: SignalOptions) -> list[Finding]:
    """"I need help" / "I want to stop": each new request makes it worse; only a coordinator resolves it."""
    findings = []
    for kind, signal in ((SupportKind.HELP, SUPPORT_HELP), (SupportKind.STOP, SUPPORT_STOP)):
        for person in (history.mentee, history.mentor):
            asked = [r for r in history.support if r.kind == kind and r.participant_id == person.id]
            if asked:
                findings.append(Finding(signal, HIGH, len(asked), person.id,
                                        {"role": str(person.role), "count": len(asked), "last": _day(asked[-1].at)}))
    return findings


def closure_due(history: History, now: datetime, options: SignalOptions) -> Finding | None:
    """The planned end is near and no closure is prepared. "Prepared" = the binôme is closed or has an
    outcome recorded (there is no closure feature yet)."""
    binome = history.binome
    if binome.status == "closed" or binome.outcome:
        return None
    days_left = (binome.planned_end_on - now.date()).days
    if days_left > options.closure_warning_days:
        return None
    return Finding(CLOSURE_DUE, LOW if days_left >= 0 else MEDIUM, 1 if days_left >= 0 else 2, None,
                   {"planned_end": binome.planned_end_on.isoformat(), "days_left": days_left})


def absence_talk(history: History, now: datetime, options: SignalOptions) -> Finding | None:
    """The mentor was asked to talk with the mentee after an unexcused absence (storage.absence_talks) and has
    not said it took place within `absence_talk_days`, or said it was not possible. Dates only."""
    late = [a for a in history.absences if a.talk_asked_at is not None and (a.talk_result == "not_possible" or (
        a.talk_result is None and now > a.talk_asked_at + timedelta(days=max(1, options.absence_talk_days))))]
    if not late:
        return None
    dates = sorted(_day(m.starts_at) for m in history.meetings if m.id in {a.meeting_id for a in late})
    return Finding(ABSENCE_TALK, MEDIUM, len(late), history.mentee.id,
                   {"count": len(late), "dates": dates, "not_possible": sum(a.talk_result == "not_possible"
                                                                            for a in late)})


RULES = (checkins_missed, absences, no_meeting, mood_low, mood_drop, mentor_concern, plan_stalled, action_blocked,
         unconfirmed, unreachable, support, closure_due, absence_talk)


def findings_for(history: History, now: datetime, options: SignalOptions) -> list[Finding]:
    found: list[Finding] = []
    for rule in RULES:
        result = rule(history, now, options)
        if result is None:
            continue
        found.extend(result if isinstance(result, list) else [result])
    return found


# ---------------------------------------------------------------- when the signs can change by time alone

_AFTER = timedelta(microseconds=1)  # "more than a limit" is first true one microsecond after it
_DATED = (MeetingStatus.HELD, MeetingStatus.MENTEE_ABSENT, MeetingStatus.MENTOR_ABSENT, MeetingStatus.PROPOSED,
          MeetingStatus.CONFIRMED, MeetingStatus.UNCONFIRMED)


def _next_day_count(since: datetime, now: datetime) -> datetime:
    """When `(now - since).days` next grows."""
    return since + timedelta(days=(now - since).days + 1)


def _time_points(history: History, now: datetime, options: SignalOptions) -> list[datetime]:
    points = [m.starts_at for m in history.meetings if m.status in _DATED and m.starts_at > now]  # settles, passes
    held = [m for m in history.meetings if m.status in _MET and m.starts_at <= now]
    if not held:
        started = _midnight(history.binome.started_on)
        first = started + timedelta(days=options.first_meeting_days)
        points.append(first if now < first else _next_day_count(started, now))
    else:
        last, interval = held[-1].starts_at, meeting_interval(options.meetings_per_month)
        limit = last + interval * options.no_meeting_factor
        if now <= limit:
            points.append(limit + _AFTER)
        else:
            points += [last + interval * (int((now - last) / interval) + 1), _next_day_count(last, now)]
    active = [a for a in history.actions if a.status not in (ActionStatus.DONE, ActionStatus.DROPPED)]
    if active or not history.actions:
        moments = [a.changed_at for a in history.actions] + [a.status_changed_at for a in history.actions]
        moments += [history.last_plan_change] if history.last_plan_change is not None else []
        last = max(moments) if moments else _midnight(history.binome.started_on)
        stalled = last + timedelta(days=options.plan_stalled_days)
        points.append(stalled if now < stalled else _next_day_count(last, now))
    head_start = mentor_head_start_ends(history, missed_streak(history.checkins, history.mentee.id), options)
    points += [head_start] if head_start is not None and head_start > now else []
    limit = timedelta(days=options.action_blocked_days)
    points += [a.status_changed_at + limit for a in history.actions
               if a.status == ActionStatus.BLOCKED and a.status_changed_at + limit > now]
    points += [a.talk_asked_at + timedelta(days=max(1, options.absence_talk_days)) + _AFTER
               for a in history.absences if a.talk_asked_at is not None and a.talk_result is None]
    binome = history.binome
    if binome.status != "closed" and not binome.outcome:
        warn_from = _midnight(binome.planned_end_on - timedelta(days=options.closure_warning_days))
        points.append(warn_from if now < warn_from else _midnight(now.date() + timedelta(days=1)))  # days_left
    return points


def next_change_at(history: History, now: datetime, options: SignalOptions) -> datetime | None:
    """The earliest moment after `now` at which the findings (signs, levels, severities and facts such
    as a count of days) differ with no new facts; None if they never will. The scan looks at the
    binôme again then (or when its facts change, storage.dirty). `_time_points` lists every moment a
    rule's outcome can turn at; one that turns nothing (a meeting starting with no sign about it) is
    stepped over."""
    current, at = findings_for(history, now, options), now
    for _ in range(_STEPS_OVER):
        at = min((p for p in _time_points(history, at, options) if p > at), default=None)
        if at is None or findings_for(history, at, options) != current:
            return at
    return at  # looked at again a little early: harmless


_STEPS_OVER = 64


def evaluate(session: Session, binome: Binome, now: datetime, options: SignalOptions) -> list[Finding]:
    """Every warning sign of this binôme now."""
    return findings_for(history_of(session, binome), now, options)
