"""Telegram update ids already handled, so an update Telegram delivers again changes nothing."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy import bindparam, exists
from sqlmodel import Session, select

from storage.models import AwaitedText, Participant, ProcessedUpdate, Programme


def arrival(*, session: Session, update_id: int, telegram_user_id: int | None
            ) -> tuple[bool, tuple[Participant, Programme] | None, bool]:
    """What every update asks first, in one query for someone known: whether this update id was handled
    already, the participant behind the Telegram account with their programme, and whether a free text
    is awaited from them (an AwaitedText row)."""
    if telegram_user_id is not None:
        row = session.exec(_ARRIVAL, params={"update_id": update_id, "telegram_user_id": telegram_user_id}).first()
        if row is not None:
            return bool(row[2]), (row[0], row[1]), row[3] is not None
    return bool(session.exec(_HANDLED, params={"update_id": update_id}).one()), None, False


_handled = exists().where(ProcessedUpdate.update_id == bindparam("update_id"))
_HANDLED = select(_handled)
_ARRIVAL = (select(Participant, Programme, _handled, AwaitedText.participant_id)
            .join(Programme, Programme.id == Participant.programme_id)
            .outerjoin(AwaitedText, AwaitedText.participant_id == Participant.id)
            .where(Participant.telegram_user_id == bindparam("telegram_user_id")))


def already_handled(*, session: Session, update_id: int) -> bool:
    return session.get(ProcessedUpdate, update_id) is not None


def mark_handled(*, session: Session, update_id: int, now: datetime) -> None:
    """One statement, whether or not another worker recorded it first (several workers on PostgreSQL),
    built once and run on the session's connection (every update writes it)."""
    connection = session.connection()
    connection.execute(_MARK[connection.dialect.name == "postgresql"], {"update_id": update_id, "at": now})


_AT = ProcessedUpdate.__table__.c.at.type
_MARK = {postgresql: insert(ProcessedUpdate).values(update_id=bindparam("update_id"), at=bindparam("at", type_=_AT))
         .on_conflict_do_nothing(index_elements=["update_id"])
         for postgresql, insert in ((True, postgresql_insert), (False, sqlite_insert))}
