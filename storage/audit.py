"""The audit log: who did what, with ids and categories only (never what people wrote)."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage.models import AuditLog


def record(
    *,
    session: Session,
    at: datetime,
    actor: str,
    action: str,
    subject: str = "",
    programme_id: int | None = None,
    details: dict | None = None,
) -> AuditLog:
    entry = AuditLog(at=at, programme_id=programme_id, actor=actor, action=action, subject=subject,
                     details=details or {})
    session.add(entry)
    return entry
