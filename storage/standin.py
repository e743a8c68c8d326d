"""Who stands in for a mentor on a given day (the substitute tutor, storage.substitutes): a plain query over
MentorAway, read by storage.meetings so that a meeting in the period goes to the substitute."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from storage.models import Binome, MentorAway, Participant


def away_on(*, session: Session, binome_id: int, day: date) -> MentorAway | None:
    """The mentor's period away covering this local day, if any (ended early: up to the day it ended)."""
    return session.exec(select(MentorAway).where(MentorAway.binome_id == binome_id, MentorAway.starts_on <= day,
                                                 MentorAway.ends_on >= day)
                        .order_by(col(MentorAway.id).desc())).first()


def stand_in(*, session: Session, binome: Binome, at: datetime | None, timezone: str) -> Participant | None:
    """The substitute standing in for the mentor at this instant (a meeting's start), or None."""
    if at is None:
        return None
    away = away_on(session=session, binome_id=binome.id, day=at.astimezone(ZoneInfo(timezone)).date())
    if away is None or away.substitute_id is None:
        return None
    return session.get(Participant, away.substitute_id)


def latest_away(*, session: Session, binome_id: int) -> MentorAway | None:
    """The binôme's latest period away that happened or will (one cancelled before it began is left out)."""
    return session.exec(select(MentorAway).where(MentorAway.binome_id == binome_id,
                                                 MentorAway.ends_on >= MentorAway.starts_on)
                        .order_by(col(MentorAway.id).desc())).first()
