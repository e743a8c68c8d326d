"""Per-programme settings with their defaults, read from Programme.options (JSON)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from storage.models import Programme


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


def meeting_options(programme: Programme) -> MeetingOptions:
    options, default = programme.options or {}, MeetingOptions()
    return MeetingOptions(
        quiet_hours=parse_window(options["quiet_hours"]) if "quiet_hours" in options else default.quiet_hours,
        reminder_day_before_at=parse_hhmm(options["reminder_day_before_at"])
        if "reminder_day_before_at" in options else default.reminder_day_before_at,
        reminder_hours_before=int(options.get("reminder_hours_before", default.reminder_hours_before)),
    )
