"""Who may open the coordinator's page (docs/miniapp.md), as rules: no HTTP, no Telegram, no translation.

- `coordinator_for_telegram_user`: the page opened inside Telegram carries the user's Telegram id (in
  initData, whose signature the web layer checks); only an active coordinator who has joined gets in.
- A one-time link for a desktop browser (/web): `create_link` returns a random token and keeps only its
  SHA-256; `use_link` accepts it once, within LINK_LIFETIME, for a coordinator still active.
Every entry is audited with ids only.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, select

from storage.audit import record
from storage.models import Participant, ParticipantStatus, Role, WebLogin

LINK_LIFETIME = timedelta(minutes=10)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def may_enter(participant: Participant | None) -> bool:
    """A coordinator who has joined and is not paused or erased."""
    return (participant is not None and participant.role == Role.COORDINATOR
            and participant.status == ParticipantStatus.ACTIVE and participant.erased_at is None
            and participant.telegram_user_id is not None)


def coordinator_for_telegram_user(*, session: Session, telegram_user_id: int) -> Participant | None:
    """The coordinator behind this Telegram account, or None (a mentee, a mentor, a stranger)."""
    found = session.exec(select(Participant).where(Participant.telegram_user_id == telegram_user_id)).first()
    return found if may_enter(found) else None


def entered(*, session: Session, participant: Participant, now: datetime, how: str) -> None:
    """The audit line of a session opened on the page ("telegram" or "link")."""
    record(session=session, at=now, actor=f"participant:{participant.id}", action="web.session_opened",
           subject=f"participant:{participant.id}", programme_id=participant.programme_id, details={"how": how})


def create_link(*, session: Session, participant: Participant, now: datetime) -> str:
    """A new one-time link's token for this coordinator; the links they had not used yet stop working."""
    if not may_enter(participant):
        raise PermissionError("not a coordinator")
    for old in session.exec(select(WebLogin).where(WebLogin.participant_id == participant.id,
                                                   WebLogin.used_at.is_(None))):  # type: ignore[union-attr]
        old.used_at = now  # superseded: one live link at a time
        session.add(old)
    token = secrets.token_urlsafe(32)
    session.add(WebLogin(participant_id=participant.id, token_hash=_hash(token), created_at=now,
                         expires_at=now + LINK_LIFETIME))
    record(session=session, at=now, actor=f"participant:{participant.id}", action="web.link_created",
           subject=f"participant:{participant.id}", programme_id=participant.programme_id)
    return token


def use_link(*, session: Session, token: str, now: datetime) -> Participant | None:
    """The coordinator the token lets in, once; None for an unknown, used or expired token."""
    if not token or len(token) > 100:
        return None
    link = session.exec(select(WebLogin).where(WebLogin.token_hash == _hash(token))).first()
    if link is None or link.used_at is not None or link.expires_at <= now:
        return None
    link.used_at = now
    session.add(link)
    participant = session.get(Participant, link.participant_id)
    if not may_enter(participant):
        return None
    entered(session=session, participant=participant, now=now, how="link")
    return participant
