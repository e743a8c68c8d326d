"""Scheduled check-ins (to be written: issue 5)."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

HANDLERS: list = []


def queue_due_work(session: Session, now: datetime, *, scan: bool) -> None:
    """Run by the tick: check-ins to schedule (when `scan`), to send, to remind, to record as missed."""
