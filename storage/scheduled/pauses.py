"""What the tick does for pauses: resume the paused binômes whose date has come (storage.pauses). Runs
before the check-ins, so a binôme resumed today is active when they are written."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage import pauses


def queue_due_work(session: Session, now: datetime, *, scan: bool) -> None:
    """Run by the tick: every paused binôme whose resume date has come resumes (one indexed query)."""
    for binome in pauses.due_to_resume(session=session, now=now):
        pauses.resume(session=session, binome=binome, by=None, now=now, scheduled=True)
