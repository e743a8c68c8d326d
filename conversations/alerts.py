"""Warning signs and the coordinators' alerts (to be written: issue 6)."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

HANDLERS: list = []


def queue_due_work(session: Session, now: datetime, *, scan: bool) -> None:
    """Run by the tick: evaluate the signals (when `scan`), notify, re-notify, escalate, digest."""
