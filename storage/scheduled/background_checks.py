"""What the tick does for mentors' background checks: when it scans, announce to the coordinators the checks
that expire within a month (storage.background_checks)."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage.background_checks import warn_expiring


def queue_due_work(session: Session, now: datetime, *, scan: bool) -> None:
    if scan:
        warn_expiring(session=session, now=now)
