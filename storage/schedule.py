"""Meeting times, reminders, nudges and calendar files: the rules of scheduling as plain functions.

No Telegram, no database and no system clock here: `now` is always a parameter. Every datetime that
crosses this API is an aware datetime; results are aware UTC (`tzinfo=timezone.utc`), and a naive
datetime is refused with ValueError. Local wall times exist only at the edges and are computed with
zoneinfo from an IANA zone name (`tz`).

Two zones are in play. A meeting is planned in its programme's zone ("Thursday 17:00" in
Europe/Paris) and stored as the UTC instant of that wall time *on that day*, so 17:00 stays 17:00
across DST changes (`local_instant`, `next_occurrence`). Reminders are placed in the *recipient's*
zone, which may differ (a mentee in Montreal for a Paris programme): the day before at 18:00 their
time, never during their quiet hours (`reminder_times`).

Quiet hours are a half-open wall-clock window [start, end): with the default (21:00, 08:00) 21:00 is
quiet and 08:00 is not. A window may wrap midnight (21:00-08:00) or not (13:00-14:00); start == end
means no quiet hours at all.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Alarm, Calendar, Event

__all__ = [
    "DEFAULT_QUIET", "DAY_BEFORE_MIN_LEAD", "SHORT_MIN_GAP_AFTER_DAY_BEFORE", "ReminderPlan", "local_instant",
    "in_quiet_hours", "out_of_quiet_hours", "reminder_times", "meeting_interval", "nudge_due", "next_occurrence",
    "meeting_ics",
]

DEFAULT_QUIET = (time(21, 0), time(8, 0))
DAY_BEFORE_MIN_LEAD = timedelta(hours=12)  # closer than this, the day-before reminder is not planned
SHORT_MIN_GAP_AFTER_DAY_BEFORE = timedelta(hours=1)  # a short reminder this close to the day-before one is dropped
BEFORE_QUIET_MARGIN = timedelta(minutes=1)  # "earlier" lands this long before the quiet window starts
DAYS_PER_MONTH = 30

_UTC = timezone.utc
_TINY = timedelta(microseconds=1)
_SEARCH = timedelta(days=2)  # a quiet stretch lasts under a day (plus a DST shift): its edges lie well within this


# --- edges: zones, aware datetimes --------------------------------------------------------------------------

def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"unknown time zone {tz!r}") from None


def _utc(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (UTC), not naive")
    return moment.astimezone(_UTC)


def _wall(at: time, name: str) -> time:
    if at.tzinfo is not None:
        raise ValueError(f"{name} must be a naive wall-clock time; the zone is given separately")
    return at.replace(fold=0)


def _check_quiet(quiet: tuple[time, time]) -> tuple[time, time]:
    start, end = quiet
    return _wall(start, "quiet start"), _wall(end, "quiet end")


# --- local wall time <-> UTC --------------------------------------------------------------------------------

def local_instant(day: date, at: time, tz: str) -> datetime:
    """The UTC instant at which the wall clock in `tz` shows `at` on `day`.

    - A wall time that does not exist (spring-forward gap: 02:30 on 29 March 2026 in Paris) moves
      forward by the size of the gap: 02:30 -> 03:30 CEST (01:30Z).
    - A wall time that happens twice (autumn fold: 02:30 on 25 October 2026 in Paris) is the first
      occurrence (fold=0, still summer time): 00:30Z.

    `at` must be naive (the zone is `tz`); a `fold` it carries is ignored.
    """
    zone = _zone(tz)
    # PEP 495: with fold=0, a time in a gap is read with the offset in force before the transition,
    # which lands `gap` later on the new wall clock; a time in a fold is read as its first occurrence.
    local = datetime.combine(day, _wall(at, "at"), tzinfo=zone)
    return local.astimezone(_UTC)


# --- quiet hours --------------------------------------------------------------------------------------------

def _quiet_at(moment: datetime, zone: ZoneInfo, start: time, end: time) -> bool:
    if start == end:
        return False
    wall = moment.astimezone(zone).time().replace(fold=0)
    if start < end:
        return start <= wall < end
    return wall >= start or wall < end


def in_quiet_hours(moment: datetime, *, tz: str, quiet: tuple[time, time] = DEFAULT_QUIET) -> bool:
    """Whether the wall clock in `tz` at `moment` is within the quiet window [start, end).

    The window wraps midnight when start > end (21:00-08:00: 23:00 and 07:59 are quiet, 08:00 and
    20:59 are not); otherwise it is the same day (13:00-14:00). start == end: never quiet.
    """
    start, end = _check_quiet(quiet)
    return _quiet_at(_utc(moment, "moment"), _zone(tz), start, end)


def _offset_changes(zone: ZoneInfo, lo: datetime, hi: datetime) -> list[datetime]:
    """Instants in [lo, hi] at which the zone's UTC offset changes (the wall clock jumps).

    zoneinfo has no public list of transitions: sample hourly and bisect to the second (tzdata
    transitions are at whole seconds; real ones are months apart).
    """
    def offset(second: int) -> timedelta | None:
        return datetime.fromtimestamp(second, _UTC).astimezone(zone).utcoffset()

    changes = []
    first, last = math.floor(lo.timestamp()), math.ceil(hi.timestamp())
    here, here_offset = first, offset(first)
    while here < last:
        there = min(here + 3600, last)
        there_offset = offset(there)
        if there_offset != here_offset:
            before, after = here, there  # offset(before) == here_offset != offset(after)
            while after - before > 1:
                middle = (before + after) // 2
                if offset(middle) == here_offset:
                    before = middle
                else:
                    after = middle
            changes.append(datetime.fromtimestamp(after, _UTC))
        here, here_offset = there, there_offset
    return changes


def _quiet_stretch(moment: datetime, zone: ZoneInfo, start: time, end: time) -> tuple[datetime, datetime, datetime]:
    """For a quiet `moment`: (p, a, b) where [a, b) is the maximal quiet stretch holding it and
    [p, a) is allowed (p is the last point before `a` where quietness may change, a bound for "earlier").

    Quietness can change only where the wall clock reads `start` or `end` (either fold) or jumps (an
    offset change). Between two consecutive such points it is constant, so it is enough to test them.
    """
    lo, hi = moment - _SEARCH, moment + _SEARCH
    points = set(_offset_changes(zone, lo, hi))
    first_day = lo.astimezone(zone).date() - timedelta(days=1)
    last_day = hi.astimezone(zone).date() + timedelta(days=1)
    day = first_day
    while day <= last_day:
        for wall in (start, end):
            for fold in (0, 1):
                # nonexistent wall times give extra points; extra points are harmless
                points.add(datetime.combine(day, wall, tzinfo=zone).replace(fold=fold).astimezone(_UTC))
        day += timedelta(days=1)
    points = sorted(points)

    after = [p for p in points if p > moment]
    later = next((p for p in after if not _quiet_at(p, zone, start, end)), None)
    before = [p for p in points if p <= moment]
    began = previous = None
    for index in range(len(before) - 1, -1, -1):
        if not _quiet_at(before[index] - _TINY, zone, start, end):
            began = before[index]
            previous = before[index - 1] if index > 0 else None
            break
    if later is None or began is None:
        raise ValueError("the quiet window leaves no allowed time around this moment")
    return (previous if previous is not None else began - BEFORE_QUIET_MARGIN), began, later


def out_of_quiet_hours(moment: datetime, *, tz: str, quiet: tuple[time, time] = DEFAULT_QUIET,
                       direction: Literal["earlier", "later"]) -> datetime:
    """`moment` (as UTC) if it is not in quiet hours; otherwise the nearest allowed instant:

    - direction="later": the instant the quiet stretch ends, i.e. when the wall clock reads the
      window's end (08:00 local): 06:00 -> 08:00 the same morning, 23:00 -> 08:00 the next morning.
    - direction="earlier": one minute before the quiet stretch began, i.e. `start - 1 min` on the
      wall clock (20:59 local) on the evening it began: 06:00 -> 20:59 the evening before,
      23:00 -> 20:59 the same evening. (If the allowed stretch before is shorter than a minute, its
      beginning.)

    DST is handled on real instants: if the wall clock jumps over the window's start or end, the
    stretch begins or ends at the jump; in a fold the stretch that really holds `moment` is used.
    The result is never in quiet hours; it moves by less than a day for any window shorter than
    about 23 h.
    """
    if direction not in ("earlier", "later"):
        raise ValueError("direction must be 'earlier' or 'later'")
    start, end = _check_quiet(quiet)
    zone = _zone(tz)
    moment = _utc(moment, "moment")
    if not _quiet_at(moment, zone, start, end):
        return moment
    allowed_from, began, ends = _quiet_stretch(moment, zone, start, end)
    if direction == "later":
        return ends
    return max(began - BEFORE_QUIET_MARGIN, allowed_from)


# --- reminders ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReminderPlan:
    day_before: datetime | None  # UTC, or None when not useful
    hours_before: datetime | None


def reminder_times(*, starts_at: datetime, now: datetime, tz: str, quiet: tuple[time, time] = DEFAULT_QUIET,
                   day_before_at: time = time(18, 0), hours_before: int = 3) -> ReminderPlan:
    """When to remind one person (`tz` and `quiet` are the RECIPIENT's) of a meeting at `starts_at`.

    Day-before reminder:
      1. at `day_before_at` on the wall clock (recipient's zone) on the local day before the
         meeting's local day;
      2. moved earlier out of quiet hours (`out_of_quiet_hours(direction="earlier")`);
      3. None if it is before `now`, or if the meeting is less than 12 h away
         (`DAY_BEFORE_MIN_LEAD`): then only the short reminder is useful.

    Short reminder:
      1. `starts_at - hours_before`;
      2. moved earlier out of quiet hours;
      3. None if it is before `now` (a meeting in 2 h with hours_before=3 gets none: the person just
         planned or is about to join it), or at/after `starts_at` (defensive; `hours_before >= 1`);
      4. None when a day-before reminder is planned and the short one, after moving, is before it,
         within 1 h after it (`SHORT_MIN_GAP_AFTER_DAY_BEFORE`), or on the same local day as it. One
         reminder per evening is enough: a 09:00 meeting's short reminder would be 06:00, is moved
         to 20:59 the evening before, and is dropped because the 18:00 reminder of that same
         evening already did the job.

    A reminder equal to `now` is kept (it is due now). Both values are UTC.
    """
    if hours_before < 1:
        raise ValueError("hours_before must be at least 1")
    starts_at, now = _utc(starts_at, "starts_at"), _utc(now, "now")
    zone = _zone(tz)
    meeting_day = starts_at.astimezone(zone).date()

    day_before: datetime | None = None
    if starts_at - now >= DAY_BEFORE_MIN_LEAD:
        planned = local_instant(meeting_day - timedelta(days=1), day_before_at, tz)
        planned = out_of_quiet_hours(planned, tz=tz, quiet=quiet, direction="earlier")
        if now <= planned < starts_at:
            day_before = planned

    short: datetime | None = out_of_quiet_hours(starts_at - timedelta(hours=hours_before), tz=tz, quiet=quiet,
                                                direction="earlier")
    if short < now or short >= starts_at:
        short = None
    elif day_before is not None and (
        short - day_before <= SHORT_MIN_GAP_AFTER_DAY_BEFORE
        or short.astimezone(zone).date() == day_before.astimezone(zone).date()
    ):
        short = None
    return ReminderPlan(day_before=day_before, hours_before=short)


# --- cadence ------------------------------------------------------------------------------------------------

def meeting_interval(meetings_per_month: int) -> timedelta:
    """The expected time between meetings: 30 days / cadence (2 a month -> 15 days, 4 -> 7.5 days)."""
    if meetings_per_month < 1:
        raise ValueError("meetings_per_month must be at least 1")
    return timedelta(days=DAYS_PER_MONTH) / meetings_per_month


def nudge_due(*, last_meeting: datetime | None, binome_started: datetime, next_planned: datetime | None,
              meetings_per_month: int, now: datetime) -> bool:
    """Whether the mentor should be nudged to plan a meeting.

    True when nothing is planned ahead (`next_planned` is None or before `now`; a meeting planned
    exactly at `now` counts as planned) and `now >= (last_meeting or binome_started) + interval`
    (the boundary instant itself is due).
    """
    now = _utc(now, "now")
    since = _utc(last_meeting if last_meeting is not None else binome_started, "last_meeting/binome_started")
    if next_planned is not None and _utc(next_planned, "next_planned") >= now:
        return False
    return now >= since + meeting_interval(meetings_per_month)


# --- recurring rhythm ---------------------------------------------------------------------------------------

def next_occurrence(*, weekday: int, at: time, every_weeks: int, anchor: date, tz: str, after: datetime) -> datetime:
    """The first occurrence strictly after `after` of a rhythm such as "every other Thursday at 17:00".

    Occurrences are the local dates anchor + k * every_weeks weeks (k >= 0; `anchor` is the first
    occurrence and must fall on `weekday`, Monday=0) at the wall time `at` in `tz`, each converted
    with `local_instant` on its own day, so 17:00 stays 17:00 across DST changes. Returns UTC.
    """
    if not 0 <= weekday <= 6:
        raise ValueError("weekday must be 0 (Monday) to 6 (Sunday)")
    if anchor.weekday() != weekday:
        raise ValueError("anchor must fall on the given weekday")
    if every_weeks < 1:
        raise ValueError("every_weeks must be at least 1")
    after = _utc(after, "after")
    period = timedelta(weeks=every_weeks)
    days_since_anchor = (after.astimezone(_zone(tz)).date() - anchor).days
    # start one period early: a gap shift could in theory push an occurrence past local midnight
    k = max(0, -(-days_since_anchor // period.days) - 1)
    while True:
        candidate = local_instant(anchor + k * period, at, tz)
        if candidate > after:
            return candidate
        k += 1


# --- calendar file ------------------------------------------------------------------------------------------

ICS_PRODID = "-//Binome//Binome//FR"
ALARM_BEFORE = timedelta(hours=1)


def _ics_text(value: str) -> str:
    """Drop the control characters RFC 5545 TEXT does not allow (tab and line breaks are kept: icalendar
    writes line breaks as \\n); icalendar does the escaping and the folding."""
    return "".join(c for c in value if c in "\t\n\r" or not (ord(c) < 0x20 or ord(c) == 0x7F))


def meeting_ics(*, uid: str, starts_at: datetime, duration: timedelta, summary: str, location: str | None,
                description: str | None, sequence: int = 0, cancelled: bool = False, now: datetime) -> bytes:
    """One meeting as an RFC 5545 calendar file (UTF-8 bytes, CRLF line endings, lines folded at 75 octets),
    written by `icalendar`.

    VCALENDAR (VERSION 2.0, PRODID -//Binome//Binome//FR, CALSCALE GREGORIAN, METHOD PUBLISH) with
    one VEVENT: UID, DTSTAMP (`now`), DTSTART/DTEND in UTC "Z" form (phones show them in their own
    zone), SEQUENCE, SUMMARY, LOCATION and DESCRIPTION (left out when None or empty), STATUS
    CONFIRMED, and a VALARM (DISPLAY, one hour before). Cancelled: METHOD CANCEL, STATUS CANCELLED,
    no alarm. To update or cancel an event already sent, keep the UID and raise `sequence`.
    """
    if not uid or any(ord(c) < 0x20 or ord(c) == 0x7F for c in uid):
        raise ValueError("uid must be non-empty, without control characters")
    if duration <= timedelta(0):
        raise ValueError("duration must be positive")
    if sequence < 0:
        raise ValueError("sequence must not be negative")
    starts_at, now = _utc(starts_at, "starts_at"), _utc(now, "now")

    calendar = Calendar()
    calendar.add("version", "2.0")
    calendar.add("prodid", ICS_PRODID)
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", now)
    event.add("dtstart", starts_at)
    event.add("dtend", starts_at + duration)
    event.add("sequence", sequence)
    event.add("summary", _ics_text(summary))
    if location:
        event.add("location", _ics_text(location))
    if description:
        event.add("description", _ics_text(description))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if not cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", _ics_text(summary))
        alarm.add("trigger", -ALARM_BEFORE)
        event.add_component(alarm)
    calendar.add_component(event)
    return calendar.to_ical()
