"""The warning signs' settings (Programme.options, JSON) with their defaults; storage.signals reads them and
gives them on (`from storage.signals import signal_options` still works)."""
from __future__ import annotations

from dataclasses import dataclass

from storage.models import Programme


@dataclass(frozen=True)
class SignalOptions:
    checkins_missed_in_row: int = 2
    mentor_warning_after: int = 2  # the mentee's misses in a row before the mentor's soft warning
    absences_in_row: int = 2
    absences_total: int = 3
    no_meeting_factor: float = 1.5
    first_meeting_days: int = 14
    mood_low: int = 2  # "low" is at most this, on the 1–5 scale
    mood_low_in_row: int = 2
    mood_drop: int = 2
    plan_stalled_days: int = 28
    action_blocked_days: int = 14
    unconfirmed_meetings: int = 2
    closure_warning_days: int = 14
    renotify_hours: int = 48
    backup_coordinator_ids: tuple[int, ...] = ()
    digest_hour: int = 8
    meetings_per_month: int = 2  # from the programme itself
    absence_talk_days: int = 0  # the talk after an unexcused absence (storage.absence_talks); 0: not asked


def signal_options(programme: Programme) -> SignalOptions:
    options, default = programme.options or {}, SignalOptions()
    values = {}
    for name in ("checkins_missed_in_row", "mentor_warning_after", "absences_in_row", "absences_total",
                 "first_meeting_days", "mood_low", "mood_low_in_row", "mood_drop", "plan_stalled_days",
                 "action_blocked_days", "unconfirmed_meetings", "closure_warning_days", "renotify_hours",
                 "digest_hour", "absence_talk_days"):
        values[name] = int(options.get(name, getattr(default, name)))
    values["no_meeting_factor"] = float(options.get("no_meeting_factor", default.no_meeting_factor))
    backup = options.get("backup_coordinator_id")
    if backup is None:
        backup = ()
    elif not isinstance(backup, list | tuple):
        backup = (backup,)
    values["backup_coordinator_ids"] = tuple(int(b) for b in backup)
    values["meetings_per_month"] = max(1, programme.meetings_per_month or 1)
    return SignalOptions(**values)
