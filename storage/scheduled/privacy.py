"""What the tick does for retention (storage.retention): on a scan, programme by programme, the coordinators
are told a week ahead how many people will be erased, then those announced a week ago or more are erased in
a batch, and links never used are removed. Set queries; a batch at most per tick, each person committed."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from storage import retention
from storage.models import Programme


def queue_due_work(session: Session, now: datetime, *, scan: bool) -> None:
    """Run by the tick: only on a scan (retention counts days, not minutes)."""
    if not scan:
        return
    budget = retention.BATCH
    for programme in session.exec(select(Programme).order_by(Programme.id)).all():
        retention.announce(session=session, programme=programme, now=now)
        if budget > 0:
            budget -= retention.erase_due(session=session, programme=programme, now=now, limit=budget)
        retention.expire_invitations(session=session, programme=programme, now=now)
        session.commit()
