"""The outbox's rows: messages the bot will send on its own.

A feature writes an OutboundMessage in the same transaction as the change that causes it, with an
idempotency key, so the same logical message can never be queued twice. Each kind of message is
declared here, by the storage module that queues it, with how late it is still useful and whether it
still applies at send time; `bot.sender` renders and delivers the rows, and the conversations register
how each kind is written (`bot.sender.renderer`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, or_, select

from storage.models import OutboundMessage, Participant

GIVE_UP_AFTER = timedelta(hours=6)  # transient failures: retried with backoff until then
MAX_ATTEMPTS = 12

Relevance = Callable[[Session, OutboundMessage], bool]


@dataclass(frozen=True)
class Kind:
    max_delay: timedelta  # sent later than this after its due time, it is no longer useful
    relevant: Relevance | None = None  # asked at send time: False drops it (e.g. a nudge already acted on)


KINDS: dict[str, Kind] = {}


def declare(kind: str, *, max_delay: timedelta = timedelta(days=1), relevant: Relevance | None = None) -> None:
    """Declare a kind of message: how late it may still be sent, and whether it still applies when its
    time comes. Declared once, beside the rule that queues it."""
    if kind in KINDS and KINDS[kind] != Kind(max_delay, relevant):
        raise ValueError(f"message kind {kind!r} declared twice")
    KINDS[kind] = Kind(max_delay, relevant)


def enqueue(
    *,
    session: Session,
    participant_id: int,
    kind: str,
    key: str,
    due_at: datetime,
    now: datetime,
    params: dict | None = None,
    stale_after: datetime | None = None,
) -> OutboundMessage | None:
    """Queue a message once per key; returns None when that key is already queued."""
    if kind not in KINDS:
        raise KeyError(f"message kind {kind!r} is not declared")
    if session.exec(select(OutboundMessage.id).where(OutboundMessage.idempotency_key == key)).first():
        return None
    message = OutboundMessage(participant_id=participant_id, kind=kind, params=params or {}, idempotency_key=key,
                              due_at=due_at, stale_after=stale_after or due_at + KINDS[kind].max_delay,
                              created_at=now)
    session.add(message)
    return message


def cancel(*, session: Session, key_prefix: str, now: datetime, reason: str) -> int:
    """Drop the queued, unsent messages whose key starts with `key_prefix` (e.g. a moved meeting's
    reminders); returns how many."""
    pending = session.exec(
        select(OutboundMessage)
        .where(col(OutboundMessage.idempotency_key).startswith(key_prefix, autoescape=True))
        .where(col(OutboundMessage.sent_at).is_(None), col(OutboundMessage.dropped_at).is_(None))
    ).all()
    for message in pending:
        drop(message, now, reason)
        session.add(message)
    return len(pending)


def due_messages(*, session: Session, now: datetime, limit: int) -> list[tuple[int, int | None]]:
    """(message id, recipient's chat id) of what is due now, oldest first."""
    return list(session.exec(
        select(OutboundMessage.id, Participant.telegram_chat_id)
        .join(Participant, Participant.id == OutboundMessage.participant_id)
        .where(col(OutboundMessage.sent_at).is_(None), col(OutboundMessage.dropped_at).is_(None))
        .where(OutboundMessage.due_at <= now)
        .where(or_(col(OutboundMessage.next_attempt_at).is_(None), OutboundMessage.next_attempt_at <= now))
        .order_by(OutboundMessage.due_at, OutboundMessage.id)
        .limit(limit)
    ).all())


def drop(message: OutboundMessage, now: datetime, reason: str) -> None:
    message.dropped_at = now
    message.error = reason[:200]


def mark_sent(message: OutboundMessage, now: datetime, telegram_message_id: int) -> None:
    message.sent_at = now
    message.attempts += 1
    message.error = None
    message.telegram_message_id = telegram_message_id


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s … capped at 10 minutes."""
    return timedelta(seconds=min(5 * 2 ** max(0, attempts - 1), 600))


def retry_later(message: OutboundMessage, now: datetime, reason: str, *,
                delay: timedelta | int | float | None = None, count: bool = True) -> bool:
    """Plan another attempt; False when it is given up (too old, or too many attempts)."""
    if count:
        message.attempts += 1
    if now - message.due_at >= GIVE_UP_AFTER or message.attempts >= MAX_ATTEMPTS:
        drop(message, now, f"gave up after {message.attempts} attempts: {reason}")
        return False
    if isinstance(delay, int | float):
        delay = timedelta(seconds=delay)
    message.error = reason
    message.next_attempt_at = now + (delay or backoff(message.attempts))
    return True
