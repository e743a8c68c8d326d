"""What the tick does for the evaluations after a closure (storage.evaluations): the one reminder of an
evaluation sent 3 days ago and not finished, and the expiry of those still open after 14 days. Both read
the open rows only, by the status index: the work grows with the last two weeks' closures, not with the
programme's history."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage import evaluations


def queue_due_work(session: Session, now: datetime, *, scan: bool) -> None:
    """Run by the tick, scanning or not (the rows are already due: nothing to look for)."""
    evaluations.expire_due(session=session, now=now)
    evaluations.remind_due(session=session, now=now)
