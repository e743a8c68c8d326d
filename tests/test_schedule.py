"""Scheduling rules: wall times across DST, quiet hours in the recipient's zone, reminders, nudges,
recurring rhythms and the .ics file. Expected values are worked out by hand in the comments.

Paris is UTC+1 in winter (CET) and UTC+2 in summer (CEST); 2026 changes: 29 March 01:00Z (02:00 CET
-> 03:00 CEST) and 25 October 01:00Z (03:00 CEST -> 02:00 CET). Montreal is UTC-5 (EST) / UTC-4
(EDT); 2026 changes: 8 March 07:00Z and 1 November 06:00Z.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st
from icalendar import Calendar, Event

from storage.schedule import (
    DEFAULT_QUIET, ReminderPlan, in_quiet_hours, local_instant, meeting_interval, meeting_ics, next_occurrence,
    nudge_due, out_of_quiet_hours, reminder_times,
)

UTC = timezone.utc
PARIS, MONTREAL = "Europe/Paris", "America/Montreal"
NOW = datetime(2026, 9, 7, 8, 0, tzinfo=UTC)  # Monday 10:00 in Paris, 04:00 in Montreal


def z(year, month, day, hour=0, minute=0, second=0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- local_instant ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("day", "expected"), [
    (date(2026, 3, 26), z(2026, 3, 26, 16)),   # Thursday before the spring change: CET, 17-1
    (date(2026, 3, 30), z(2026, 3, 30, 15)),   # Monday after: CEST, 17-2
    (date(2026, 10, 22), z(2026, 10, 22, 15)),  # Thursday before the autumn change: CEST
    (date(2026, 10, 26), z(2026, 10, 26, 16)),  # Monday after: CET
])
def test_17h_in_paris_stays_17h_across_dst(day, expected):
    instant = local_instant(day, time(17, 0), PARIS)
    assert instant == expected and instant.tzinfo is UTC
    assert instant.astimezone(ZoneInfo(PARIS)).time() == time(17, 0)


def test_a_time_in_the_spring_gap_moves_forward_by_the_gap():
    # 02:30 on 29 March does not exist in Paris (02:00 CET -> 03:00 CEST): read at +01:00 = 01:30Z = 03:30 CEST
    instant = local_instant(date(2026, 3, 29), time(2, 30), PARIS)
    assert instant == z(2026, 3, 29, 1, 30)
    assert instant.astimezone(ZoneInfo(PARIS)).time() == time(3, 30)
    # Montreal: 02:30 on 8 March does not exist (02:00 EST -> 03:00 EDT): 07:30Z = 03:30 EDT
    assert local_instant(date(2026, 3, 8), time(2, 30), MONTREAL) == z(2026, 3, 8, 7, 30)


def test_a_time_in_the_autumn_fold_is_its_first_occurrence():
    # 02:30 on 25 October happens at 00:30Z (CEST) and again at 01:30Z (CET): the first one
    assert local_instant(date(2026, 10, 25), time(2, 30), PARIS) == z(2026, 10, 25, 0, 30)
    assert local_instant(date(2026, 10, 25), time(2, 30, fold=1), PARIS) == z(2026, 10, 25, 0, 30)
    # Montreal: 01:30 on 1 November at 05:30Z (EDT) and 06:30Z (EST)
    assert local_instant(date(2026, 11, 1), time(1, 30), MONTREAL) == z(2026, 11, 1, 5, 30)


def test_local_instant_refuses_unknown_zones_and_aware_times():
    with pytest.raises(ValueError, match="unknown time zone"):
        local_instant(date(2026, 9, 7), time(17), "Europe/Atlantis")
    with pytest.raises(ValueError, match="naive"):
        local_instant(date(2026, 9, 7), time(17, tzinfo=UTC), PARIS)


# --- quiet hours ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("moment", "quiet"), [
    (z(2026, 9, 10, 18, 59), False),  # 20:59 Paris
    (z(2026, 9, 10, 19, 0), True),    # 21:00 Paris: the start is quiet
    (z(2026, 9, 10, 22, 0), True),    # 00:00 Paris
    (z(2026, 9, 10, 5, 59), True),    # 07:59 Paris
    (z(2026, 9, 10, 6, 0), False),    # 08:00 Paris: the end is not
    (z(2026, 1, 10, 6, 59), True),    # 07:59 CET in winter
    (z(2026, 1, 10, 7, 0), False),    # 08:00 CET
    (z(2026, 1, 10, 19, 59), False),  # 20:59 CET
    (z(2026, 1, 10, 20, 0), True),    # 21:00 CET
])
def test_default_quiet_hours_wrap_midnight_in_paris(moment, quiet):
    assert in_quiet_hours(moment, tz=PARIS) is quiet
    assert in_quiet_hours(moment, tz=PARIS, quiet=DEFAULT_QUIET) is quiet


@pytest.mark.parametrize(("moment", "paris", "montreal"), [
    (z(2026, 9, 17, 15, 0), False, False),  # the meeting: 17:00 Paris, 11:00 Montreal
    (z(2026, 9, 17, 3, 0), True, True),     # 05:00 Paris, 23:00 Montreal
    (z(2026, 9, 17, 0, 30), True, False),   # 02:30 Paris, 20:30 Montreal
    (z(2026, 9, 17, 11, 30), False, True),  # 13:30 Paris, 07:30 Montreal
    (z(2026, 9, 17, 12, 0), False, False),  # 14:00 Paris, 08:00 Montreal
    (z(2026, 9, 17, 19, 0), True, False),   # 21:00 Paris, 15:00 Montreal
    (z(2026, 9, 18, 1, 0), True, True),     # 03:00 Paris, 21:00 Montreal
])
def test_quiet_hours_are_the_recipients(moment, paris, montreal):
    assert in_quiet_hours(moment, tz=PARIS) is paris
    assert in_quiet_hours(moment, tz=MONTREAL) is montreal


def test_quiet_hours_that_do_not_wrap_and_no_quiet_hours():
    lunch = (time(13, 0), time(14, 0))
    # Paris in September is UTC+2, Montreal UTC-4
    assert not in_quiet_hours(z(2026, 9, 10, 10, 59), tz=PARIS, quiet=lunch)  # 12:59
    assert in_quiet_hours(z(2026, 9, 10, 11, 0), tz=PARIS, quiet=lunch)       # 13:00
    assert in_quiet_hours(z(2026, 9, 10, 11, 59), tz=PARIS, quiet=lunch)      # 13:59
    assert not in_quiet_hours(z(2026, 9, 10, 12, 0), tz=PARIS, quiet=lunch)   # 14:00
    assert not in_quiet_hours(z(2026, 9, 10, 23, 0), tz=PARIS, quiet=lunch)   # 01:00: not a wrapping window
    assert in_quiet_hours(z(2026, 9, 10, 17, 30), tz=MONTREAL, quiet=lunch)   # 13:30 Montreal
    assert not in_quiet_hours(z(2026, 9, 10, 11, 30), tz=MONTREAL, quiet=lunch)  # 07:30 Montreal
    never = (time(22, 0), time(22, 0))
    assert not any(in_quiet_hours(z(2026, 9, 10) + timedelta(minutes=m), tz=PARIS, quiet=never)
                   for m in range(0, 24 * 60, 7))


def test_quiet_hours_refuse_naive_moments():
    with pytest.raises(ValueError, match="aware"):
        in_quiet_hours(datetime(2026, 9, 10, 12), tz=PARIS)


# --- out_of_quiet_hours ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("moment", "tz", "earlier", "later"), [
    # 06:00 Paris -> 20:59 the evening before / 08:00 the same morning
    (z(2026, 9, 10, 4, 0), PARIS, z(2026, 9, 9, 18, 59), z(2026, 9, 10, 6, 0)),
    # 23:00 Paris -> 20:59 the same evening / 08:00 the next morning
    (z(2026, 9, 10, 21, 0), PARIS, z(2026, 9, 10, 18, 59), z(2026, 9, 11, 6, 0)),
    # 21:00 exactly is quiet
    (z(2026, 9, 10, 19, 0), PARIS, z(2026, 9, 10, 18, 59), z(2026, 9, 11, 6, 0)),
    # across the spring change: 06:00 CEST Sunday 29 March -> 20:59 CET Saturday (19:59Z) / 08:00 CEST (06:00Z)
    (z(2026, 3, 29, 4, 0), PARIS, z(2026, 3, 28, 19, 59), z(2026, 3, 29, 6, 0)),
    # across the autumn change: 06:00 CET Sunday 25 October -> 20:59 CEST Saturday (18:59Z) / 08:00 CET (07:00Z)
    (z(2026, 10, 25, 5, 0), PARIS, z(2026, 10, 24, 18, 59), z(2026, 10, 25, 7, 0)),
    # Montreal 06:00 EDT = 10:00Z -> 20:59 EDT the evening before = 00:59Z / 08:00 EDT = 12:00Z
    (z(2026, 9, 10, 10, 0), MONTREAL, z(2026, 9, 10, 0, 59), z(2026, 9, 10, 12, 0)),
])
def test_out_of_quiet_hours_with_the_default_window(moment, tz, earlier, later):
    assert out_of_quiet_hours(moment, tz=tz, direction="earlier") == earlier
    assert out_of_quiet_hours(moment, tz=tz, direction="later") == later


def test_out_of_quiet_hours_leaves_allowed_moments_alone():
    noon = z(2026, 9, 10, 10, 0)  # 12:00 Paris
    assert out_of_quiet_hours(noon, tz=PARIS, direction="earlier") == noon
    assert out_of_quiet_hours(noon, tz=PARIS, direction="later") == noon
    assert out_of_quiet_hours(z(2026, 9, 10, 6, 0), tz=PARIS, direction="earlier") == z(2026, 9, 10, 6, 0)  # 08:00
    with pytest.raises(ValueError, match="direction"):
        out_of_quiet_hours(noon, tz=PARIS, direction="sooner")


def test_out_of_quiet_hours_with_a_window_that_does_not_wrap():
    lunch = (time(13, 0), time(14, 0))
    moment = z(2026, 9, 10, 11, 30)  # 13:30 Paris
    assert out_of_quiet_hours(moment, tz=PARIS, quiet=lunch, direction="earlier") == z(2026, 9, 10, 10, 59)  # 12:59
    assert out_of_quiet_hours(moment, tz=PARIS, quiet=lunch, direction="later") == z(2026, 9, 10, 12, 0)  # 14:00


def test_out_of_quiet_hours_when_the_clock_jumps_over_the_window_edges():
    window = (time(2, 30), time(5, 0))
    # Spring: the clock jumps from 02:00 CET to 03:00 CEST (01:00Z), straight into the window; the quiet
    # stretch begins at the jump, so "earlier" is 01:59 CET (00:59Z); it ends at 05:00 CEST (03:00Z).
    moment = z(2026, 3, 29, 2, 0)  # 04:00 CEST
    assert out_of_quiet_hours(moment, tz=PARIS, quiet=window, direction="earlier") == z(2026, 3, 29, 0, 59)
    assert out_of_quiet_hours(moment, tz=PARIS, quiet=window, direction="later") == z(2026, 3, 29, 3, 0)
    # Autumn: 02:30 CEST (00:30Z) quiet; at 01:00Z the clock goes back to 02:00 CET: allowed again until
    # 02:30 CET (01:30Z); quiet until 05:00 CET (04:00Z).
    first = z(2026, 10, 25, 0, 45)  # 02:45 CEST
    assert out_of_quiet_hours(first, tz=PARIS, quiet=window, direction="earlier") == z(2026, 10, 25, 0, 29)
    assert out_of_quiet_hours(first, tz=PARIS, quiet=window, direction="later") == z(2026, 10, 25, 1, 0)
    second = z(2026, 10, 25, 3, 0)  # 04:00 CET
    assert out_of_quiet_hours(second, tz=PARIS, quiet=window, direction="earlier") == z(2026, 10, 25, 1, 29)
    assert out_of_quiet_hours(second, tz=PARIS, quiet=window, direction="later") == z(2026, 10, 25, 4, 0)


def test_earlier_stays_within_an_allowed_stretch_shorter_than_a_minute():
    quiet = (time(8, 0, 30), time(8, 0))  # allowed only from 08:00:00 to 08:00:30
    result = out_of_quiet_hours(z(2026, 9, 10, 10, 0), tz=PARIS, quiet=quiet, direction="earlier")  # 12:00 Paris
    assert result == z(2026, 9, 10, 6, 0)  # 08:00:00, not 07:59:30 (which is quiet)


# --- reminder_times -------------------------------------------------------------------------------------------

def test_reminders_for_a_17h_meeting_next_week():
    starts = local_instant(date(2026, 9, 17), time(17, 0), PARIS)  # Thursday 15:00Z
    assert reminder_times(starts_at=starts, now=NOW, tz=PARIS) == ReminderPlan(
        day_before=z(2026, 9, 16, 16, 0),    # Wednesday 18:00 Paris
        hours_before=z(2026, 9, 17, 12, 0),  # Thursday 14:00 Paris
    )
    # the mentee in Montreal: 17:00 Paris is 11:00 there; 18:00 Montreal on Wednesday is 22:00Z; the short
    # reminder at 08:00 Montreal is exactly the end of their quiet hours, so it stays
    assert reminder_times(starts_at=starts, now=NOW, tz=MONTREAL) == ReminderPlan(
        day_before=z(2026, 9, 16, 22, 0), hours_before=z(2026, 9, 17, 12, 0))


def test_a_09h_meeting_gets_only_the_day_before_reminder():
    # short reminder 06:00 Paris is quiet -> moved earlier to 20:59 the evening before -> same evening as the
    # 18:00 reminder: dropped, one reminder per evening is enough
    starts = local_instant(date(2026, 9, 17), time(9, 0), PARIS)  # 07:00Z
    assert reminder_times(starts_at=starts, now=NOW, tz=PARIS) == ReminderPlan(
        day_before=z(2026, 9, 16, 16, 0), hours_before=None)
    # planned on Wednesday at 19:00 Paris (14 h before): 18:00 has passed, so the 20:59 one is kept
    assert reminder_times(starts_at=starts, now=z(2026, 9, 16, 17, 0), tz=PARIS) == ReminderPlan(
        day_before=None, hours_before=z(2026, 9, 16, 18, 59))
    # planned at 21:30 Paris: 20:59 has passed too; nothing (the person has just planned it)
    assert reminder_times(starts_at=starts, now=z(2026, 9, 16, 19, 30), tz=PARIS) == ReminderPlan(None, None)


def test_a_paris_meeting_at_15h_for_a_mentee_in_montreal():
    starts = local_instant(date(2026, 9, 17), time(15, 0), PARIS)  # 13:00Z = 09:00 Montreal
    # mentor in Paris: 18:00 Wednesday (16:00Z) and 12:00 Thursday (10:00Z)
    assert reminder_times(starts_at=starts, now=NOW, tz=PARIS) == ReminderPlan(
        z(2026, 9, 16, 16, 0), z(2026, 9, 17, 10, 0))
    # mentee in Montreal: 06:00 there is quiet -> 20:59 Wednesday Montreal (00:59Z Thursday), the same Montreal
    # evening as their 18:00 reminder (22:00Z Wednesday): dropped
    assert reminder_times(starts_at=starts, now=NOW, tz=MONTREAL) == ReminderPlan(z(2026, 9, 16, 22, 0), None)


def test_reminders_across_the_spring_change():
    # Monday 30 March 17:00 CEST = 15:00Z; the day before is Sunday 29 March, already CEST: 18:00 = 16:00Z
    starts = local_instant(date(2026, 3, 30), time(17, 0), PARIS)
    assert reminder_times(starts_at=starts, now=z(2026, 3, 20), tz=PARIS) == ReminderPlan(
        z(2026, 3, 29, 16, 0), z(2026, 3, 30, 12, 0))
    # Sunday 29 March 17:00 CEST = 15:00Z; the day before is Saturday, still CET: 18:00 = 17:00Z
    starts = local_instant(date(2026, 3, 29), time(17, 0), PARIS)
    assert reminder_times(starts_at=starts, now=z(2026, 3, 20), tz=PARIS) == ReminderPlan(
        z(2026, 3, 28, 17, 0), z(2026, 3, 29, 12, 0))


def test_a_meeting_in_5_hours_gets_only_the_short_reminder():
    starts = NOW + timedelta(hours=5)  # 15:00 Paris today
    assert reminder_times(starts_at=starts, now=NOW, tz=PARIS) == ReminderPlan(
        day_before=None, hours_before=z(2026, 9, 7, 10, 0))  # 12:00 Paris


def test_a_meeting_in_2_hours_or_already_started_gets_no_reminder():
    assert reminder_times(starts_at=NOW + timedelta(hours=2), now=NOW, tz=PARIS) == ReminderPlan(None, None)
    assert reminder_times(starts_at=NOW - timedelta(minutes=30), now=NOW, tz=PARIS) == ReminderPlan(None, None)
    # a reminder due exactly now is kept
    assert reminder_times(starts_at=NOW + timedelta(hours=3), now=NOW, tz=PARIS) == ReminderPlan(None, NOW)


def test_no_day_before_reminder_less_than_12_hours_ahead():
    quiet = (time(23, 0), time(6, 0))
    starts = local_instant(date(2026, 9, 8), time(7, 0), PARIS)  # Tuesday 07:00 Paris = 05:00Z
    # day before at 20:00 Paris (18:00Z) Monday; short 04:00 Paris is quiet -> 22:59 Monday (20:59Z)
    at_12h = reminder_times(starts_at=starts, now=starts - timedelta(hours=12), tz=PARIS, quiet=quiet,
                            day_before_at=time(20, 0))
    assert at_12h == ReminderPlan(day_before=z(2026, 9, 7, 18, 0), hours_before=None)  # same evening: one
    under_12h = reminder_times(starts_at=starts, now=starts - timedelta(hours=11, minutes=59), tz=PARIS,
                               quiet=quiet, day_before_at=time(20, 0))
    assert under_12h == ReminderPlan(day_before=None, hours_before=z(2026, 9, 7, 20, 59))


def test_a_day_before_reminder_in_quiet_hours_moves_earlier():
    starts = local_instant(date(2026, 9, 17), time(17, 0), PARIS)
    plan = reminder_times(starts_at=starts, now=NOW, tz=PARIS, day_before_at=time(22, 0))
    assert plan == ReminderPlan(z(2026, 9, 16, 18, 59), z(2026, 9, 17, 12, 0))  # 20:59 Wednesday


def test_a_short_reminder_within_an_hour_of_the_day_before_one_is_dropped():
    never = (time(0, 0), time(0, 0))
    starts = local_instant(date(2026, 9, 17), time(2, 0), PARIS)  # Thursday 02:00 Paris = Wednesday 00:00Z
    # day before: Wednesday 23:30 Paris (21:30Z); short: Thursday 00:00 Paris (22:00Z), another local day but
    # only 30 minutes later
    plan = reminder_times(starts_at=starts, now=NOW, tz=PARIS, quiet=never, day_before_at=time(23, 30),
                          hours_before=2)
    assert plan == ReminderPlan(z(2026, 9, 16, 21, 30), None)
    # 1 h 30 later and on another local day: both kept
    plan = reminder_times(starts_at=starts, now=NOW, tz=PARIS, quiet=never, day_before_at=time(22, 30),
                          hours_before=2)
    assert plan == ReminderPlan(z(2026, 9, 16, 20, 30), z(2026, 9, 16, 22, 0))
    # a short reminder before the day-before one (8 h before 02:00 = 18:00 Wednesday, day before at 23:30)
    plan = reminder_times(starts_at=starts, now=NOW, tz=PARIS, quiet=never, day_before_at=time(23, 30),
                          hours_before=8)
    assert plan == ReminderPlan(z(2026, 9, 16, 21, 30), None)


def test_reminder_times_refuses_nonsense():
    with pytest.raises(ValueError):
        reminder_times(starts_at=NOW, now=NOW, tz=PARIS, hours_before=0)
    with pytest.raises(ValueError, match="aware"):
        reminder_times(starts_at=datetime(2026, 9, 17, 15), now=NOW, tz=PARIS)


# --- cadence and nudges ---------------------------------------------------------------------------------------

def test_meeting_interval():
    assert meeting_interval(1) == timedelta(days=30)
    assert meeting_interval(2) == timedelta(days=15)
    assert meeting_interval(3) == timedelta(days=10)
    assert meeting_interval(4) == timedelta(days=7, hours=12)
    with pytest.raises(ValueError):
        meeting_interval(0)


def test_nudge_due_boundaries():
    started = z(2026, 9, 1, 8, 0)
    due = started + timedelta(days=15)  # 2 a month

    def nudge(now, last=None, planned=None):
        return nudge_due(last_meeting=last, binome_started=started, next_planned=planned, meetings_per_month=2,
                         now=now)

    assert not nudge(due - timedelta(microseconds=1))
    assert nudge(due)
    assert nudge(due + timedelta(days=40))
    # counted from the last meeting when there is one
    last = z(2026, 9, 10, 15, 0)
    assert not nudge(due, last=last)
    assert not nudge(last + timedelta(days=15) - timedelta(seconds=1), last=last)
    assert nudge(last + timedelta(days=15), last=last)
    # something planned ahead: no nudge; planned exactly now still counts; a past plan does not
    now = due + timedelta(days=1)
    assert not nudge(now, planned=now + timedelta(days=3))
    assert not nudge(now, planned=now)
    assert nudge(now, planned=now - timedelta(seconds=1))


# --- next_occurrence ------------------------------------------------------------------------------------------

THURSDAY = 3


def test_every_thursday_at_17h_across_the_autumn_change():
    def nxt(after):
        return next_occurrence(weekday=THURSDAY, at=time(17, 0), every_weeks=1, anchor=date(2026, 10, 15), tz=PARIS,
                               after=after)

    assert nxt(z(2026, 1, 1)) == z(2026, 10, 15, 15, 0)             # before the anchor: the anchor
    assert nxt(z(2026, 10, 22, 14, 59)) == z(2026, 10, 22, 15, 0)   # 17:00 CEST
    assert nxt(z(2026, 10, 22, 15, 0)) == z(2026, 10, 29, 16, 0)    # strictly after: next week, 17:00 CET
    assert nxt(z(2026, 10, 23)) == z(2026, 10, 29, 16, 0)


def test_every_other_thursday_across_the_spring_change():
    def nxt(after):
        return next_occurrence(weekday=THURSDAY, at=time(17, 0), every_weeks=2, anchor=date(2026, 3, 19), tz=PARIS,
                               after=after)

    assert nxt(z(2026, 3, 19, 15, 0)) == z(2026, 3, 19, 16, 0)  # 17:00 CET
    assert nxt(z(2026, 3, 19, 16, 0)) == z(2026, 4, 2, 15, 0)   # not 26 March; 2 April 17:00 CEST
    assert nxt(z(2026, 3, 26, 16, 0)) == z(2026, 4, 2, 15, 0)
    assert nxt(z(2026, 4, 2, 15, 0)) == z(2026, 4, 16, 15, 0)
    # the same rhythm read from Montreal's clock is still 17:00 Paris
    assert next_occurrence(weekday=THURSDAY, at=time(11, 0), every_weeks=2, anchor=date(2026, 3, 19),
                           tz=MONTREAL, after=z(2026, 3, 20)) == z(2026, 4, 2, 15, 0)  # 11:00 EDT


def test_next_occurrence_refuses_an_anchor_on_another_day():
    with pytest.raises(ValueError, match="weekday"):
        next_occurrence(weekday=THURSDAY, at=time(17), every_weeks=1, anchor=date(2026, 10, 16), tz=PARIS, after=NOW)
    with pytest.raises(ValueError):
        next_occurrence(weekday=THURSDAY, at=time(17), every_weeks=0, anchor=date(2026, 10, 15), tz=PARIS, after=NOW)


# --- meeting_ics ----------------------------------------------------------------------------------------------

def read_ics(raw: bytes) -> Calendar:
    """Check the physical form (CRLF, lines of at most 75 octets, folds between characters), then read
    the file back with icalendar."""
    assert raw.endswith(b"\r\n")
    for line in raw[:-2].split(b"\r\n"):
        assert b"\n" not in line and b"\r" not in line, line
        assert len(line) <= 75, (len(line), line)
        line.decode("utf-8")  # a fold never splits a multibyte character
    calendar = Calendar.from_ical(raw)
    assert calendar.name == "VCALENDAR"
    return calendar


def the_event(calendar: Calendar) -> Event:
    [event] = calendar.walk("VEVENT")
    return event


def test_the_ics_file_of_a_meeting():
    starts = local_instant(date(2026, 9, 17), time(17, 0), PARIS)
    summary = "Rencontre binôme : Amélie & Théo — « point d’étape » n°3, déjà prévue ; à ne pas manquer"
    description = "Ordre du jour :\n1. Bilan\\objectifs\r\n2. Suite, prochaines étapes"
    raw = meeting_ics(uid="meeting-42@binome", starts_at=starts, duration=timedelta(hours=1), summary=summary,
                      location="Café Le Zèbre, 12 rue de l'Été; Lyon", description=description, sequence=2,
                      now=NOW)
    calendar = read_ics(raw)
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"]) == "-//Binome//Binome//FR"
    assert str(calendar["CALSCALE"]) == "GREGORIAN"
    assert str(calendar["METHOD"]) == "PUBLISH"
    event = the_event(calendar)
    assert str(event["UID"]) == "meeting-42@binome"
    assert event["SEQUENCE"] == 2
    # DTSTAMP/DTSTART/DTEND are UTC ("Z" form), not local times with a TZID
    for name in ("DTSTAMP", "DTSTART", "DTEND"):
        assert "TZID" not in event[name].params and event[name].to_ical().endswith(b"Z")
    assert event.decoded("DTSTAMP") == z(2026, 9, 7, 8, 0)
    assert event.decoded("DTSTART") == z(2026, 9, 17, 15, 0)  # 17:00 CEST
    assert event.decoded("DTEND") == z(2026, 9, 17, 16, 0)
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["SUMMARY"]) == summary
    assert str(event["LOCATION"]) == "Café Le Zèbre, 12 rue de l'Été; Lyon"
    assert str(event["DESCRIPTION"]) == description.replace("\r\n", "\n")
    # on the wire, TEXT is escaped: commas, semicolons, backslashes and newlines
    assert "LOCATION:Café Le Zèbre\\, 12 rue de l'Été\\; Lyon" in raw.decode().replace("\r\n ", "")
    assert "Bilan\\\\objectifs\\n2. Suite\\, prochaines" in raw.decode().replace("\r\n ", "")
    # the accented summary was long enough to be folded, and survives
    assert raw.count(b"\r\n ") >= 2
    [alarm] = event.walk("VALARM")
    assert str(alarm["ACTION"]) == "DISPLAY"
    assert str(alarm["DESCRIPTION"]) == summary
    assert alarm.decoded("TRIGGER") == -timedelta(hours=1)
    assert [component.name for component in calendar.walk()] == ["VCALENDAR", "VEVENT", "VALARM"]


def test_the_ics_file_of_a_cancelled_meeting():
    starts = local_instant(date(2026, 9, 17), time(17, 0), PARIS)
    raw = meeting_ics(uid="meeting-42@binome", starts_at=starts, duration=timedelta(minutes=45), summary="Rencontre",
                      location=None, description=None, sequence=3, cancelled=True, now=NOW)
    calendar = read_ics(raw)
    event = the_event(calendar)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 3
    assert event.decoded("DTEND") == z(2026, 9, 17, 15, 45)
    assert "VALARM" not in raw.decode() and "LOCATION" not in event and "DESCRIPTION" not in event


def test_folding_never_splits_a_multibyte_character():
    for prefix in range(0, 6):  # shift the summary so that a fold falls on every byte of the accents
        summary = "x" * prefix + "é€😀" * 40
        raw = meeting_ics(uid="u", starts_at=NOW, duration=timedelta(hours=1), summary=summary, location=None,
                          description=None, now=NOW)
        assert str(the_event(read_ics(raw))["SUMMARY"]) == summary


def test_summary_and_place_with_separators_newlines_and_accents_round_trip():
    summary = "Binôme : rencontre avec Zoë, Anaïs; Ægir\nÉtape n°2, « suite » ; fin"
    place = ("Brasserie « L’Été », 3 place Saint-Étienne; 2e étage\nsalle Ω, code 1234; "
             "demander Élodie, accueil; ")
    place = (place * 3)[:200]
    assert len(place) == 200
    raw = meeting_ics(uid="binome-meeting-7@binome", starts_at=NOW, duration=timedelta(minutes=90), summary=summary,
                      location=place, description=place, now=NOW)
    event = the_event(read_ics(raw))
    assert str(event["SUMMARY"]) == summary
    assert str(event["LOCATION"]) == place
    assert str(event["DESCRIPTION"]) == place
    assert str(event.walk("VALARM")[0]["DESCRIPTION"]) == summary
    assert raw.count(b"\r\n ") >= 6  # the 200-character place is folded on each of its lines


def test_control_characters_are_dropped_from_the_text():
    raw = meeting_ics(uid="u", starts_at=NOW, duration=timedelta(hours=1), summary="a\x00b\x1bc\td\x7f",
                      location=None, description=None, now=NOW)
    assert str(the_event(read_ics(raw))["SUMMARY"]) == "abc\td"


def test_ics_refuses_nonsense():
    with pytest.raises(ValueError):
        meeting_ics(uid="", starts_at=NOW, duration=timedelta(hours=1), summary="s", location=None, description=None,
                    now=NOW)
    with pytest.raises(ValueError):
        meeting_ics(uid="u", starts_at=NOW, duration=timedelta(0), summary="s", location=None, description=None,
                    now=NOW)


# --- properties -----------------------------------------------------------------------------------------------

ZONES = [PARIS, MONTREAL, "UTC", "Asia/Kolkata", "Australia/Lord_Howe", "America/Santiago", "Pacific/Chatham",
         "Africa/Casablanca"]
TRANSITION_DAYS = {  # local dates of the 2026 DST changes, where wall clocks jump
    PARIS: [date(2026, 3, 29), date(2026, 10, 25)],
    MONTREAL: [date(2026, 3, 8), date(2026, 11, 1)],
    "America/Santiago": [date(2026, 4, 5), date(2026, 9, 6)],  # at midnight
    "Australia/Lord_Howe": [date(2026, 4, 5), date(2026, 10, 4)],  # by half an hour
    "Pacific/Chatham": [date(2026, 4, 5), date(2026, 9, 27)],  # at 02:45 / 03:45
}
ALL_TRANSITION_DAYS = sorted({day for days in TRANSITION_DAYS.values() for day in days})
PROPERTY = settings(max_examples=200, deadline=None, derandomize=True, database=None)

any_instant = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2037, 12, 31), timezones=st.just(UTC))


def near(days: list[date]) -> st.SearchStrategy[datetime]:
    return st.builds(lambda day, seconds: datetime.combine(day, time(), tzinfo=UTC) + timedelta(seconds=seconds),
                     st.sampled_from(days), st.integers(-2 * 86400, 2 * 86400))


instants = any_instant | near(ALL_TRANSITION_DAYS)


@st.composite
def zone_and_instant(draw) -> tuple[str, datetime]:
    """A zone, and an instant that is often within two days of one of that zone's DST changes."""
    tz = draw(st.sampled_from(ZONES))
    return tz, draw(near(TRANSITION_DAYS[tz]) if tz in TRANSITION_DAYS and draw(st.booleans()) else any_instant)


minutes_of_day = st.one_of(st.sampled_from([0, 30, 60, 90, 120, 150, 165, 180, 225, 21 * 60]),
                           st.integers(0, 24 * 60 - 1))
quiet_windows = st.one_of(
    st.just(DEFAULT_QUIET),
    st.builds(lambda start, length: (time(start // 60, start % 60),
                                     time((start + length) % 1440 // 60, (start + length) % 60)),
              minutes_of_day, st.integers(1, 20 * 60)),
)


def check_out_of_quiet_hours(moment: datetime, tz: str, quiet: tuple[time, time], direction: str) -> None:
    """Never in quiet hours, in the requested direction, less than a day away, and the nearest:
    "later" is exactly where the quiet stretch ends, "earlier" exactly one minute before it began,
    and everything in between is quiet."""
    result = out_of_quiet_hours(moment, tz=tz, quiet=quiet, direction=direction)
    assert result.tzinfo is UTC
    assert not in_quiet_hours(result, tz=tz, quiet=quiet)
    if not in_quiet_hours(moment, tz=tz, quiet=quiet):
        assert result == moment
        return
    if direction == "earlier":
        assert result < moment and moment - result < timedelta(hours=24)
        stretch_start = result + timedelta(minutes=1)  # one minute before the stretch began, exactly
        assert in_quiet_hours(stretch_start, tz=tz, quiet=quiet)
        assert not in_quiet_hours(stretch_start - timedelta(microseconds=1), tz=tz, quiet=quiet)
        span = (stretch_start, moment)
    else:
        assert result > moment and result - moment < timedelta(hours=24)
        assert in_quiet_hours(result - timedelta(microseconds=1), tz=tz, quiet=quiet)  # the nearest one
        span = (moment, result)
    probe = span[0]
    while probe < span[1]:  # the whole stretch in between is quiet (checked every 7 minutes)
        assert in_quiet_hours(probe, tz=tz, quiet=quiet)
        probe += timedelta(minutes=7)


@PROPERTY
@given(zone_moment=zone_and_instant(), quiet=quiet_windows, direction=st.sampled_from(["earlier", "later"]))
def test_out_of_quiet_hours_lands_outside_them_nearby_in_the_right_direction(zone_moment, quiet, direction):
    tz, moment = zone_moment
    check_out_of_quiet_hours(moment, tz, quiet, direction)


JUMPS = [  # 2026 DST changes (UTC instant of the jump): wall clock before -> after
    (PARIS, z(2026, 3, 29, 1, 0)),                 # 02:00 CET -> 03:00 CEST
    (PARIS, z(2026, 10, 25, 1, 0)),                # 03:00 CEST -> 02:00 CET
    (MONTREAL, z(2026, 3, 8, 7, 0)),               # 02:00 EST -> 03:00 EDT
    (MONTREAL, z(2026, 11, 1, 6, 0)),              # 02:00 EDT -> 01:00 EST
    ("America/Santiago", z(2026, 4, 5, 3, 0)),     # 24:00 -> 23:00
    ("America/Santiago", z(2026, 9, 6, 4, 0)),     # 24:00 -> 01:00
    ("Australia/Lord_Howe", z(2026, 4, 4, 15, 0)),   # 02:00 -> 01:30
    ("Australia/Lord_Howe", z(2026, 10, 3, 15, 30)),  # 02:00 -> 02:30
    ("Pacific/Chatham", z(2026, 4, 4, 14, 0)),     # 03:45 -> 02:45
    ("Pacific/Chatham", z(2026, 9, 26, 14, 0)),    # 02:45 -> 03:45
]


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(jump=st.sampled_from(JUMPS), offset=st.integers(-6 * 3600, 6 * 3600),
       start_shift=st.integers(-6, 6).map(lambda n: 15 * n), length=st.integers(1, 40).map(lambda n: 15 * n),
       direction=st.sampled_from(["earlier", "later"]))
def test_out_of_quiet_hours_when_a_window_edge_meets_a_dst_jump(jump, offset, start_shift, length, direction):
    """The same property, aimed where it is hard: a moment near a DST jump, a window starting or
    ending close to the wall time of the jump (often inside the skipped or repeated hour)."""
    tz, instant = jump
    wall_before = (instant - timedelta(seconds=1)).astimezone(ZoneInfo(tz))
    jump_minute = (wall_before.hour * 60 + wall_before.minute + 1) % 1440
    start = (jump_minute + start_shift) % 1440
    end = (start + length) % 1440
    quiet = (time(start // 60, start % 60), time(end // 60, end % 60))
    check_out_of_quiet_hours(instant + timedelta(seconds=offset), tz, quiet, direction)


@PROPERTY
@given(zone_moment=zone_and_instant())
def test_local_instant_round_trips_the_wall_clock(zone_moment):
    tz, moment = zone_moment
    wall = moment.astimezone(ZoneInfo(tz))  # a wall time that exists; fold=1 for the second of two
    result = local_instant(wall.date(), wall.time(), tz)
    assert result.astimezone(ZoneInfo(tz)).replace(tzinfo=None, fold=0) == wall.replace(tzinfo=None, fold=0)
    if wall.fold == 0:
        assert result == moment
    else:
        assert timedelta(0) < moment - result <= timedelta(hours=3)  # the first occurrence


@PROPERTY
@given(day=st.dates(min_value=date(1990, 1, 1), max_value=date(2037, 12, 31)) | st.sampled_from(ALL_TRANSITION_DAYS),
       minute=minutes_of_day, tz=st.sampled_from(ZONES))
def test_local_instant_of_any_wall_time_is_that_time_or_later_by_the_gap(day, minute, tz):
    at = time(minute // 60, minute % 60)
    naive = datetime.combine(day, at)
    result = local_instant(day, at, tz).astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    if result != naive:  # in a gap: moved forward by exactly the gap
        zone = ZoneInfo(tz)
        before, after = naive.replace(tzinfo=zone).utcoffset(), naive.replace(tzinfo=zone, fold=1).utcoffset()
        assert after > before and result - naive == after - before


@PROPERTY
@given(after=instants, tz=st.sampled_from([PARIS, MONTREAL, "America/Santiago"]), every_weeks=st.integers(1, 4),
       minute=minutes_of_day, anchor=st.dates(min_value=date(1995, 1, 1), max_value=date(2035, 1, 1)))
def test_next_occurrence_is_the_first_one_strictly_after(after, tz, every_weeks, minute, anchor):
    at = time(minute // 60, minute % 60)
    found = next_occurrence(weekday=anchor.weekday(), at=at, every_weeks=every_weeks, anchor=anchor, tz=tz,
                            after=after)
    assert found > after
    local_day = found.astimezone(ZoneInfo(tz)).date()
    if local_instant(local_day, at, tz) == found:
        day = local_day
    else:  # a wall time in a gap that moved past midnight
        day = local_day - timedelta(days=1)
        assert local_instant(day, at, tz) == found
    assert (day - anchor).days % (7 * every_weeks) == 0 and day >= anchor
    previous = day - timedelta(weeks=every_weeks)
    assert previous < anchor or local_instant(previous, at, tz) <= after
