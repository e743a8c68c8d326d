"""The outbox: messages the bot sends on its own.

A feature writes an OutboundMessage in the same transaction as the change that causes it, with an
idempotency key, so the same logical message can never be queued twice. The tick delivers what is
due, rendering each text at send time in the recipient's language.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, or_, select
from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.i18n import Translator, pick_language, translator
from bot.services import Services
from storage.models import OutboundMessage, Participant, ParticipantStatus, Programme
from storage.participants import mark_unreachable

log = logging.getLogger(__name__)

GIVE_UP_AFTER = timedelta(hours=6)
BATCH = 200


@dataclass
class Rendered:
    text: str
    reply_markup: InlineKeyboardMarkup | None = None
    parse_mode: str | None = None


Renderer = Callable[[Translator, dict, Participant, Session], Rendered]
RENDERERS: dict[str, Renderer] = {}


def renderer(kind: str) -> Callable[[Renderer], Renderer]:
    """Register how a kind of message is written."""

    def register(function: Renderer) -> Renderer:
        RENDERERS[kind] = function
        return function

    return register


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
    if kind not in RENDERERS:
        raise KeyError(f"no renderer for message kind {kind!r}")
    if session.exec(select(OutboundMessage.id).where(OutboundMessage.idempotency_key == key)).first():
        return None
    message = OutboundMessage(participant_id=participant_id, kind=kind, params=params or {}, idempotency_key=key,
                              due_at=due_at, stale_after=stale_after, created_at=now)
    session.add(message)
    return message


def translator_for(participant: Participant, programme: Programme) -> Translator:
    return translator(pick_language(participant.language, programme.language), participant.timezone or programme.timezone)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(5 * 2 ** (attempts - 1), 600))


def _due(session: Session, now: datetime) -> list[int]:
    query = (
        select(OutboundMessage.id)
        .where(col(OutboundMessage.sent_at).is_(None), col(OutboundMessage.dropped_at).is_(None))
        .where(OutboundMessage.due_at <= now)
        .where(or_(col(OutboundMessage.next_attempt_at).is_(None), OutboundMessage.next_attempt_at <= now))
        .order_by(OutboundMessage.due_at, OutboundMessage.id)
        .limit(BATCH)
    )
    return list(session.exec(query).all())


def _drop(message: OutboundMessage, now: datetime, reason: str) -> None:
    message.dropped_at = now
    message.error = reason[:200]


async def send_due(services: Services, bot: Bot) -> int:
    """Deliver what is due now; returns how many messages were sent."""
    with services.session() as session:
        ids = _due(session, services.now())
    sent = 0
    for message_id in ids:
        sent += await _deliver(services, bot, message_id)
    return sent


async def _deliver(services: Services, bot: Bot, message_id: int) -> int:
    now = services.now()
    with services.session() as session:
        message = session.get(OutboundMessage, message_id)
        if message is None or message.sent_at or message.dropped_at:
            return 0
        participant = session.get(Participant, message.participant_id)
        programme = session.get(Programme, participant.programme_id)
        if message.stale_after and now > message.stale_after:
            _drop(message, now, "stale")
            return 0
        if participant.telegram_chat_id is None or participant.status != ParticipantStatus.ACTIVE:
            _drop(message, now, f"recipient {participant.status}")
            return 0
        rendered = RENDERERS[message.kind](translator_for(participant, programme), message.params, participant, session)
        chat_id = participant.telegram_chat_id
    try:
        sent = await bot.send_message(chat_id, rendered.text, reply_markup=rendered.reply_markup,
                                      parse_mode=rendered.parse_mode)
    except Forbidden:
        with services.session() as session:
            message, participant = session.get(OutboundMessage, message_id), session.get(Participant, participant.id)
            _drop(message, now, "forbidden")
            mark_unreachable(session=session, participant=participant, now=now)
        log.info("outbox: message %s refused (403), recipient marked unreachable", message_id)
        return 0
    except RetryAfter as exc:
        delay = exc.retry_after if isinstance(exc.retry_after, timedelta) else timedelta(seconds=exc.retry_after)
        return _retry_later(services, message_id, now, delay, "retry_after", count=False)
    except BadRequest as exc:
        with services.session() as session:
            _drop(session.get(OutboundMessage, message_id), now, f"bad request: {exc.message}")
        log.warning("outbox: message %s refused as a bad request", message_id)
        return 0
    except (NetworkError, TelegramError) as exc:
        return _retry_later(services, message_id, now, None, type(exc).__name__)
    with services.session() as session:
        message = session.get(OutboundMessage, message_id)
        message.sent_at = now
        message.attempts += 1
        message.telegram_message_id = sent.message_id
    return 1


def _retry_later(services: Services, message_id: int, now: datetime, delay: timedelta | None, reason: str,
                 count: bool = True) -> int:
    with services.session() as session:
        message = session.get(OutboundMessage, message_id)
        if count:
            message.attempts += 1
        if now - message.due_at > GIVE_UP_AFTER:
            _drop(message, now, f"gave up: {reason}")
            log.warning("outbox: gave up on message %s after %s attempts", message_id, message.attempts)
            return 0
        message.error = reason
        message.next_attempt_at = now + (delay or _backoff(message.attempts))
    return 0
