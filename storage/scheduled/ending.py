"""What the tick does before the planned end: ask mentor and mentee, once per planned end, whether they
are ready to close or would like to extend (storage.ending). Days, not minutes: once a scan is enough."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage import ending


def queue_due_work(session: Session, now: datetime, *, scan: bool) -> None:
    """Run by the tick: on a scan, write and queue the questions now due (set queries, storage.ending)."""
    if not scan:
        return
    for binome, person in ending.due_questions(session=session, now=now):
        ending.ask(session=session, binome=binome, person=person, now=now)
