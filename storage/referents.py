"""The partner referent (a teacher, a trainer, a "maître de stage": 000's tripartite link, 004's "organismes
partenaires"; docs/tutoring.md): attached to binômes by the import, they get the facts a coordinator gets for
those binômes only (absences, meetings held, alerts, closure) and none of what the pair writes.

What they are told is queued here, beside the change that causes it: an absence, a new warning sign, a
closure. Each notice carries ids and codes only; conversations.referents words it.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from storage import outbox
from storage.alerts import after_quiet_hours
from storage.models import Binome, BinomeReferent, Participant, Role

outbox.declare("referent_absence", max_delay=timedelta(days=3))
outbox.declare("referent_alert", max_delay=timedelta(days=3))
outbox.declare("referent_closed", max_delay=timedelta(days=7), after_closure=True)


def referents_of(*, session: Session, binome_id: int) -> list[Participant]:
    return list(session.exec(select(Participant).join(BinomeReferent, BinomeReferent.participant_id == Participant.id)
                             .where(BinomeReferent.binome_id == binome_id, Participant.role == Role.REFERENT,
                                    col(Participant.erased_at).is_(None))
                             .order_by(Participant.id)).all())


def binomes_of(*, session: Session, referent: Participant) -> list[Binome]:
    """The binômes this referent follows, by code (closed ones too: their closure is a fact)."""
    if referent.role != Role.REFERENT:
        return []
    return list(session.exec(select(Binome).join(BinomeReferent, BinomeReferent.binome_id == Binome.id)
                             .where(BinomeReferent.participant_id == referent.id).order_by(Binome.label)).all())


def follows(*, session: Session, referent: Participant, binome_id: int) -> bool:
    return referent.role == Role.REFERENT and session.exec(select(BinomeReferent.id).where(
        BinomeReferent.binome_id == binome_id, BinomeReferent.participant_id == referent.id)).first() is not None


def tell(*, session: Session, binome_id: int, kind: str, key: str, params: dict, now: datetime) -> int:
    """Queue `kind` for each linked referent of the binôme, out of their quiet hours; returns how many."""
    told = 0
    for referent in referents_of(session=session, binome_id=binome_id):
        if referent.telegram_chat_id is None:
            continue
        outbox.enqueue(session=session, participant_id=referent.id, kind=kind, key=f"{key}:{referent.id}", now=now,
                       due_at=after_quiet_hours(session=session, participant=referent, now=now),
                       params={"binome_id": binome_id, **params})
        told += 1
    return told
