"""Per-programme settings with their defaults, read from Programme.options (JSON).

The option groups of the meetings, the check-ins and the action plan live here, so the features import
them and this module imports no feature (the warning signs' group is read from storage.signals, which
imports nothing of ours but the models and the time rules).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from pathlib import Path

import locales  # the catalogs' folder: a language is supported when it has one
from storage.models import Programme
from storage.signals import signal_options


def parse_hhmm(text: str) -> time:
    hours, minutes = text.strip().split(":")
    return time(int(hours), int(minutes))


def parse_window(text: str) -> tuple[time, time]:
    """"21:00-08:00" → (21:00, 08:00)."""
    start, end = text.split("-")
    return parse_hhmm(start), parse_hhmm(end)


@dataclass(frozen=True)
class MeetingOptions:
    quiet_hours: tuple[time, time] = (time(21, 0), time(8, 0))
    reminder_day_before_at: time = time(18, 0)
    reminder_hours_before: int = 3
    # How long a meeting lasts: MentorYou's 90 minutes; a workplace tutor's weekly interview is often 30-60.
    meeting_minutes: int = 90


def meeting_options(programme: Programme) -> MeetingOptions:
    options, default = programme.options or {}, MeetingOptions()
    return MeetingOptions(
        quiet_hours=parse_window(options["quiet_hours"]) if "quiet_hours" in options else default.quiet_hours,
        reminder_day_before_at=parse_hhmm(options["reminder_day_before_at"])
        if "reminder_day_before_at" in options else default.reminder_day_before_at,
        reminder_hours_before=int(options.get("reminder_hours_before", default.reminder_hours_before)),
        meeting_minutes=int(options.get("meeting_minutes", default.meeting_minutes)),
    )


@dataclass(frozen=True)
class CheckinOptions:
    weekday: int = 2  # Wednesday (Monday = 0)
    at: time = time(18, 0)  # local time, in the participant's timezone
    every_weeks: int = 1
    reminder_hours: int = 24  # after sending (or the end of a snooze) without any answer
    missed_hours: int = 24  # after the reminder without any answer (cohort: 12 + 12 gains a day at most, not kept)
    skip_meeting_days: int = 2  # a meeting starting within this many days of the due time: see near_meeting
    near_meeting: str = "light"  # "light": still sent, without the plan's questions (issue 18); "skip": not sent
    change_minutes: int = 60  # how long a finished check-in can still be changed
    quiet_hours: tuple[time, time] = (time(21, 0), time(8, 0))


def checkin_options(programme: Programme) -> CheckinOptions:
    options, default = programme.options or {}, CheckinOptions()
    weekday = int(options.get("checkin_weekday", default.weekday))
    if not 0 <= weekday <= 6:
        raise ValueError("checkin_weekday must be 0 (Monday) to 6 (Sunday)")
    return CheckinOptions(
        weekday=weekday,
        at=parse_hhmm(options["checkin_time"]) if "checkin_time" in options else default.at,
        every_weeks=max(1, int(options.get("checkin_every_weeks", default.every_weeks))),
        reminder_hours=int(options.get("checkin_reminder_hours", default.reminder_hours)),
        missed_hours=int(options.get("checkin_missed_hours", default.missed_hours)),
        skip_meeting_days=int(options.get("checkin_skip_meeting_days", default.skip_meeting_days)),
        near_meeting=str(options.get("checkin_near_meeting", default.near_meeting)),
        change_minutes=int(options.get("checkin_change_minutes", default.change_minutes)),
        quiet_hours=meeting_options(programme).quiet_hours,
    )


DEFAULT_CATEGORIES = ("job_search", "cv_letters", "training", "network", "language", "administrative", "wellbeing",
                      "other")


def categories_for(programme: Programme) -> list[str]:
    """The programme's action categories: `options["action_categories"]` (known keys only, in its order),
    else the default list."""
    wanted = (programme.options or {}).get("action_categories") if programme is not None else None
    if isinstance(wanted, (list, tuple)):
        chosen = [key for key in dict.fromkeys(wanted) if isinstance(key, str) and key in DEFAULT_CATEGORIES]
        if chosen:
            return chosen
    return list(DEFAULT_CATEGORIES)


# How a binôme ended (storage.closures): every code the bot can name, with its kind by default. A programme
# chooses its own list, in its order, and may give a code another kind (`outcomes=diploma:positive,…`).
POSITIVE, NEUTRAL, NEGATIVE = "positive", "neutral", "negative"
KNOWN_OUTCOMES = {
    "job_permanent": POSITIVE, "job_temporary": POSITIVE, "internship": POSITIVE, "training": POSITIVE,
    "back_to_studies": POSITIVE, "business_creation": POSITIVE,
    "diploma": POSITIVE, "apprenticeship": POSITIVE, "continued_studies": POSITIVE, "trial_passed": POSITIVE,
    "end_of_term": NEUTRAL, "reoriented": NEUTRAL, "moved_away": NEUTRAL,
    "mentee_dropped_out": NEGATIVE, "mentor_withdrew": NEGATIVE, "lost_contact": NEGATIVE,
}
DEFAULT_OUTCOMES = ("job_permanent", "job_temporary", "internship", "training", "back_to_studies",
                    "business_creation", "end_of_term", "reoriented", "mentee_dropped_out", "mentor_withdrew",
                    "lost_contact")


def outcomes_for(programme: Programme) -> dict[str, str]:
    """The programme's outcomes, code → kind, in its order: `options["outcomes"]` (a list of "code" or
    "code:kind"), else the default list (MentorYou's). The two withdrawals are always there: "I want to
    stop" leads to them."""
    wanted = (programme.options or {}).get("outcomes") if programme is not None else None
    chosen: dict[str, str] = {}
    if isinstance(wanted, (list, tuple)):
        for item in wanted:
            code, _, kind = str(item).partition(":")
            if code in KNOWN_OUTCOMES:
                chosen[code] = kind if kind in (POSITIVE, NEUTRAL, NEGATIVE) else KNOWN_OUTCOMES[code]
    if not chosen:
        chosen = {code: KNOWN_OUTCOMES[code] for code in DEFAULT_OUTCOMES}
    for code in ("mentee_dropped_out", "mentor_withdrew"):
        chosen.setdefault(code, NEGATIVE)
    return chosen


# ---------------------------------------------------------------- changing a programme's settings

def _int_in(low: int, high: int):
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise ValueError(text)
        return value
    return parse


def _window(text: str) -> str:
    parse_window(text)
    return text.strip()


def _hhmm(text: str) -> str:
    parse_hhmm(text)
    return text.strip()


def _near_meeting(text: str) -> str:
    if text.strip() not in ("light", "skip"):
        raise ValueError(text)
    return text.strip()


def _mood_drop(text: str) -> float:
    value = float(text)
    if not 0.5 <= value <= 4:
        raise ValueError(text)
    return value


def _factor(text: str) -> float:
    value = float(text)
    if not 1 <= value <= 10:
        raise ValueError(text)
    return value


def _outcomes(text: str) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    for item in items:
        code, sep, kind = item.partition(":")
        if code not in KNOWN_OUTCOMES or (sep and kind not in (POSITIVE, NEUTRAL, NEGATIVE)):
            raise ValueError(text)
    if not items or len({item.partition(":")[0] for item in items}) != len(items):
        raise ValueError(text)
    return items


def _languages(text: str) -> list[str]:
    """"fr,nl,ar": the languages a programme's people are offered, each one with a catalog (docs/translations.md)."""
    codes = [code.strip().lower() for code in text.split(",") if code.strip()]
    folder = Path(locales.__file__).parent
    if not codes or len(set(codes)) != len(codes) or any(
            not code.isalpha() or not (folder / code / "LC_MESSAGES" / "binome.po").exists() for code in codes):
        raise ValueError(text)
    return codes


def _categories(text: str) -> list[str]:
    keys = [key.strip() for key in text.split(",") if key.strip()]
    if not keys or any(key not in DEFAULT_CATEGORIES for key in keys):
        raise ValueError(text)
    return keys


def _yes_no(text: str) -> bool:
    value = text.strip().lower()
    if value not in ("yes", "no", "true", "false", "oui", "non", "1", "0"):
        raise ValueError(text)
    return value in ("yes", "true", "oui", "1")


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _weekday(text: str) -> int:
    text = text.strip().lower()
    return WEEKDAYS.index(text[:3]) if text[:3] in WEEKDAYS else _int_in(0, 6)(text)


def self_evaluation_weeks(programme: Programme) -> int:
    """How often the mentee self-evaluates against the framework (storage.self_evaluations); 0: never."""
    return int((programme.options or {}).get("self_evaluation_every_weeks", 0))


# How long personal data is kept (storage.retention): after the last binôme's closure; for declined consents,
# people who never joined and links never used.
RETENTION_MONTHS, UNJOINED_RETENTION_MONTHS = 12, 6


# Every setting a coordinator may change, with how its text is read. The defaults are above (and, for the
# warning signs, in storage.signals); docs/settings.md lists them all.
SETTABLE = {
    "quiet_hours": _window,
    "reminder_day_before_at": _hhmm,
    "reminder_hours_before": _int_in(1, 24),
    "meeting_minutes": _int_in(15, 240),
    "checkin_weekday": _weekday,
    "checkin_time": _hhmm,
    "checkin_every_weeks": _int_in(1, 8),
    "checkin_reminder_hours": _int_in(1, 168),
    "checkin_missed_hours": _int_in(1, 168),
    "checkin_skip_meeting_days": _int_in(0, 14),
    "checkin_near_meeting": _near_meeting,
    "checkin_change_minutes": _int_in(0, 24 * 60),
    "action_categories": _categories,
    "outcomes": _outcomes,
    "languages": _languages,  # the languages the picker offers; default: every language with a catalog
    "checkins_missed_in_row": _int_in(1, 20),
    "mentor_warning_after": _int_in(1, 20),
    "absences_in_row": _int_in(1, 20),
    "absences_total": _int_in(1, 50),
    "no_meeting_factor": _factor,
    "first_meeting_days": _int_in(1, 120),
    "mood_low": _int_in(1, 4),
    "mood_low_in_row": _int_in(1, 20),
    "mood_drop": _mood_drop,
    "mentor_head_start_hours": _int_in(0, 168),
    "plan_stalled_days": _int_in(1, 365),
    "action_blocked_days": _int_in(1, 365),
    "unconfirmed_meetings": _int_in(1, 20),
    "closure_warning_days": _int_in(1, 120),
    "renotify_hours": _int_in(1, 24 * 14),
    "digest_hour": _int_in(0, 23),
    "requires_background_check": _yes_no,
    "guardian_before_start": _yes_no,  # a minor's link works once their legal guardian is recorded as informed  # storage.background_checks: mentors need a recorded check
    "self_evaluation_every_weeks": _int_in(0, 26),  # storage.self_evaluations: 0, no self-evaluation
    "absence_talk_days": _int_in(0, 60),  # storage.absence_talks: 0, the talk after an absence is not asked
    "retention_months": _int_in(1, 120),  # storage.retention: kept this long after the last binôme's closure
    "unjoined_retention_months": _int_in(1, 120),  # declined consents, people who never joined, unused links
}


class OptionError(ValueError):
    """A setting name or value that cannot be used; the message names it."""


def parse_assignment(text: str) -> tuple[str, object]:
    """"checkin_time=18:30" → ("checkin_time", "18:30"), checked; "key=" removes the setting (default again)."""
    key, sep, value = text.partition("=")
    key = key.strip().replace("-", "_")
    if not sep or key not in SETTABLE:
        raise OptionError(key or text)
    if value.strip() == "":
        return key, None
    try:
        return key, SETTABLE[key](value)
    except (ValueError, TypeError) as exc:
        raise OptionError(f"{key}={value}") from exc


def effective_options(programme: Programme) -> dict[str, object]:
    """Every setting as the features read it now (the programme's value, or the default)."""
    meeting, checkin, signal = meeting_options(programme), checkin_options(programme), signal_options(programme)
    hhmm = "{:%H:%M}".format
    values: dict[str, object] = {
        "quiet_hours": f"{hhmm(meeting.quiet_hours[0])}-{hhmm(meeting.quiet_hours[1])}",
        "reminder_day_before_at": hhmm(meeting.reminder_day_before_at),
        "reminder_hours_before": meeting.reminder_hours_before,
        "meeting_minutes": meeting.meeting_minutes,
        "checkin_weekday": WEEKDAYS[checkin.weekday],
        "checkin_time": hhmm(checkin.at),
        "checkin_every_weeks": checkin.every_weeks,
        "checkin_reminder_hours": checkin.reminder_hours,
        "checkin_missed_hours": checkin.missed_hours,
        "checkin_skip_meeting_days": checkin.skip_meeting_days,
        "checkin_near_meeting": checkin.near_meeting,
        "checkin_change_minutes": checkin.change_minutes,
        "action_categories": ",".join(categories_for(programme)),
        "outcomes": ",".join(f"{code}:{kind}" for code, kind in outcomes_for(programme).items()),
    }
    values["languages"] = ",".join((programme.options or {}).get("languages") or ()) or "-"  # "-": every catalog
    values["self_evaluation_every_weeks"] = self_evaluation_weeks(programme)
    values["guardian_before_start"] = "yes" if (programme.options or {}).get("guardian_before_start") else "no"
    values["requires_background_check"] = "yes" if (programme.options or {}).get("requires_background_check") \
        else "no"
    values["retention_months"] = int((programme.options or {}).get("retention_months", RETENTION_MONTHS))
    values["unjoined_retention_months"] = int((programme.options or {}).get("unjoined_retention_months",
                                                                            UNJOINED_RETENTION_MONTHS))
    for key in SETTABLE:
        if key not in values:
            values[key] = getattr(signal, key)
    values["backup_coordinator_id"] = ",".join(str(i) for i in signal.backup_coordinator_ids) or "-"
    return values
