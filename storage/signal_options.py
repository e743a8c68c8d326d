"""The warning signs' settings (Programme.options, JSON) with their defaults; storage.signals reads them and
gives them on (`from storage.signals import signal_options` still works)."""
from __future__ import annotations

from dataclasses import dataclass, fields

from storage.models import Programme


@dataclass(frozen=True)
class SignalOptions:
    checkins_missed_in_row: int = 2
    mentor_warning_after: int = 1  # the mentee's misses in a row before the mentor's soft warning (cohort: 1)
    mentor_head_start_hours: int = 48  # the mentor's soft warning comes this long before the coordinator's alert
    # (cohort: 0 changes nothing while mentor_warning_after is 1, the mentor then hears a week ahead anyway)
    absences_in_row: int = 1  # an unexcused absence is told (cohort: 2 made "stops coming" wait 2 meetings)
    absences_total: int = 3
    no_meeting_factor: float = 1.5
    first_meeting_days: int = 14
    mood_low: int = 2  # "low" is at most this, on the 1–5 scale
    mood_low_in_row: int = 2
    mood_drop: float = 1.5  # the last 2 answers' mean this far below the 4 before them: a falling trend
    plan_stalled_days: int = 35  # cohort: 28 raised 0.05 false alerts a binôme-month on healthy pairs
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
    for name in (f.name for f in fields(SignalOptions) if f.type == "int" and f.name != "meetings_per_month"):
        values[name] = int(options.get(name, getattr(default, name)))
    values["no_meeting_factor"] = float(options.get("no_meeting_factor", default.no_meeting_factor))
    values["mood_drop"] = float(options.get("mood_drop", default.mood_drop))
    backup = options.get("backup_coordinator_id")
    if backup is None:
        backup = ()
    elif not isinstance(backup, list | tuple):
        backup = (backup,)
    values["backup_coordinator_ids"] = tuple(int(b) for b in backup)
    values["meetings_per_month"] = max(1, programme.meetings_per_month or 1)
    return SignalOptions(**values)
