"""Telegram update ids already handled, so an update Telegram delivers again changes nothing."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from storage.models import ProcessedUpdate


def already_handled(*, session: Session, update_id: int) -> bool:
    return session.get(ProcessedUpdate, update_id) is not None


def mark_handled(*, session: Session, update_id: int, now: datetime) -> None:
    """One statement, whether or not another worker recorded it first (several workers on PostgreSQL)."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(ProcessedUpdate).values(update_id=update_id, at=now)
                    .on_conflict_do_nothing(index_elements=["update_id"]))
