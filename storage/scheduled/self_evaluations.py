"""What the tick does for self-evaluations: when it scans, open the rounds due in the programmes that have a
framework and a `self_evaluation_every_weeks` (storage.self_evaluations)."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from storage import self_evaluations as rules
from storage.models import Competence, Programme
from storage.options import self_evaluation_weeks


def queue_due_work(session: Session, now: datetime, *, scan: bool) -> None:
    if not scan:
        return
    with_framework = set(session.exec(select(Competence.programme_id).where(Competence.active).distinct()).all())
    for programme in session.exec(select(Programme)).all():
        weeks = self_evaluation_weeks(programme)
        if weeks <= 0 or programme.id not in with_framework:
            continue
        for binome in rules.due_binomes(session=session, programme_id=programme.id, every_weeks=weeks, now=now):
            rules.open_round(session=session, binome=binome, now=now)
