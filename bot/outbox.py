"""The outbox: messages the bot sends on its own.

A feature writes an OutboundMessage in the same transaction as the change that causes it, with an
idempotency key, so the same logical message can never be queued twice. The tick delivers what is
due, rendering each text at send time in the recipient's language, within Telegram's limits:
AIORateLimiter keeps the overall rate and honours 429 `retry_after`; `ChatPacer` keeps one message
a second per chat; several chats are served at once so the overall rate is filled.

Delivery is at least once: a crash between Telegram's answer and our commit (a few milliseconds)
sends that one message again after the restart; every other message is sent exactly once.
"""
from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, or_, select
from telegram import Bot, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.i18n import Translator, pick_language, translator
from bot.services import Services
from storage.models import OutboundMessage, Participant, ParticipantStatus, Programme

log = logging.getLogger(__name__)

GIVE_UP_AFTER = timedelta(hours=6)  # transient failures: retried with backoff until then
MAX_ATTEMPTS = 12
BATCH = 2000  # rows looked at per tick
CONCURRENCY = 16  # requests in flight; the rate limiter decides the pace


@dataclass
class Rendered:
    text: str
    reply_markup: InlineKeyboardMarkup | None = None
    parse_mode: str | None = None
    document: tuple[str, bytes] | None = None  # (file name, content), e.g. a calendar file


Renderer = Callable[[Translator, dict, Participant, Session], Rendered]
Relevance = Callable[[Session, OutboundMessage], bool]


@dataclass(frozen=True)
class Kind:
    render: Renderer
    max_delay: timedelta  # sent later than this after its due time, it is no longer useful
    relevant: Relevance | None = None  # asked at send time: False drops it (e.g. a nudge already acted on)


KINDS: dict[str, Kind] = {}


def renderer(kind: str, *, max_delay: timedelta = timedelta(days=1),
             relevant: Relevance | None = None) -> Callable[[Renderer], Renderer]:
    """Register how a kind of message is written, how late it may still be sent, and whether it still
    applies when its time comes."""

    def register(function: Renderer) -> Renderer:
        KINDS[kind] = Kind(function, max_delay, relevant)
        return function

    return register


def cancel(*, session: Session, key_prefix: str, now: datetime, reason: str) -> int:
    """Drop the queued, unsent messages whose key starts with `key_prefix` (e.g. a moved meeting's
    reminders); returns how many."""
    pending = session.exec(
        select(OutboundMessage)
        .where(col(OutboundMessage.idempotency_key).startswith(key_prefix, autoescape=True))
        .where(col(OutboundMessage.sent_at).is_(None), col(OutboundMessage.dropped_at).is_(None))
    ).all()
    for message in pending:
        _drop(message, now, reason)
        session.add(message)
    return len(pending)


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
        raise KeyError(f"no renderer for message kind {kind!r}")
    if session.exec(select(OutboundMessage.id).where(OutboundMessage.idempotency_key == key)).first():
        return None
    message = OutboundMessage(participant_id=participant_id, kind=kind, params=params or {}, idempotency_key=key,
                              due_at=due_at, stale_after=stale_after or due_at + KINDS[kind].max_delay,
                              created_at=now)
    session.add(message)
    return message


def translator_for(participant: Participant, programme: Programme) -> Translator:
    return translator(pick_language(participant.language, programme.language), participant.timezone or programme.timezone)


TELEGRAM_TEXT_LIMIT = 4096


def split_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Telegram refuses texts over 4096 characters: cut at paragraph, then line, then word ends."""
    parts: list[str] = []
    while len(text) > limit:
        window = text[:limit]
        cut = next((at for at in (window.rfind(mark) for mark in ("\n\n", "\n", " ")) if at > limit // 2), limit)
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    parts.append(text)
    return parts


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s … capped at 10 minutes."""
    return timedelta(seconds=min(5 * 2 ** max(0, attempts - 1), 600))


async def send_due(services: Services, bot: Bot) -> int:
    """Deliver what is due now; returns how many messages were sent."""
    now = services.now()
    with services.session() as session:
        rows = session.exec(
            select(OutboundMessage.id, Participant.telegram_chat_id)
            .join(Participant, Participant.id == OutboundMessage.participant_id)
            .where(col(OutboundMessage.sent_at).is_(None), col(OutboundMessage.dropped_at).is_(None))
            .where(OutboundMessage.due_at <= now)
            .where(or_(col(OutboundMessage.next_attempt_at).is_(None), OutboundMessage.next_attempt_at <= now))
            .order_by(OutboundMessage.due_at, OutboundMessage.id)
            .limit(BATCH)
        ).all()
    by_chat: dict[int | None, list[int]] = defaultdict(list)
    for message_id, chat_id in rows:
        by_chat[chat_id].append(message_id)
    slots = asyncio.Semaphore(CONCURRENCY)

    async def serve(message_ids: list[int]) -> int:
        sent = 0
        for message_id in message_ids:  # one chat's messages in order, paced
            prepared = _prepare(services, message_id, now)
            if prepared is None:
                continue
            await services.pacer.wait(prepared.chat_id)
            async with slots:
                sent += await _send(services, bot, prepared, now)
        return sent

    return sum(await asyncio.gather(*(serve(ids) for ids in by_chat.values())))


@dataclass
class _Prepared:
    message_id: int
    participant_id: int
    chat_id: int
    rendered: Rendered


def _drop(message: OutboundMessage, now: datetime, reason: str) -> None:
    message.dropped_at = now
    message.error = reason[:200]


def _prepare(services: Services, message_id: int, now: datetime) -> _Prepared | None:
    """Decide whether the message still goes out, and write it in the recipient's language."""
    with services.session() as session:
        message = session.get(OutboundMessage, message_id)
        if message is None or message.sent_at or message.dropped_at:
            return None
        participant = session.get(Participant, message.participant_id)
        if message.stale_after and now > message.stale_after:
            _drop(message, now, "stale")  # e.g. due while the bot was down, no longer useful
            return None
        if participant.telegram_chat_id is None or participant.status != ParticipantStatus.ACTIVE:
            _drop(message, now, f"recipient {participant.status}")
            return None
        kind = KINDS.get(message.kind)
        if kind is None:
            _drop(message, now, f"unknown kind {message.kind}")
            return None
        if kind.relevant is not None and not kind.relevant(session, message):
            _drop(message, now, "no longer relevant")
            return None
        programme = session.get(Programme, participant.programme_id)
        rendered = kind.render(translator_for(participant, programme), message.params, participant, session)
        return _Prepared(message_id, participant.id, participant.telegram_chat_id, rendered)


async def _send(services: Services, bot: Bot, prepared: _Prepared, now: datetime) -> int:
    rendered = prepared.rendered
    *leading, last = split_text(rendered.text)
    try:
        for part in leading:  # a very long text: the buttons go with its last part
            await bot.send_message(prepared.chat_id, part, parse_mode=rendered.parse_mode)
        if rendered.document is not None:
            name, content = rendered.document
            sent = await bot.send_document(prepared.chat_id, InputFile(content, filename=name), caption=last[:1024],
                                           reply_markup=rendered.reply_markup, parse_mode=rendered.parse_mode)
        else:
            sent = await bot.send_message(prepared.chat_id, last, reply_markup=rendered.reply_markup,
                                          parse_mode=rendered.parse_mode)
    except Forbidden:
        from bot.notices import participant_unreachable

        with services.session() as session:
            _drop(session.get(OutboundMessage, prepared.message_id), now, "forbidden")
            participant_unreachable(session=session, participant=session.get(Participant, prepared.participant_id),
                                    now=now)
        log.info("outbox: message %s refused (403), recipient marked unreachable", prepared.message_id)
        return 0
    except RetryAfter as exc:  # still flooded after the rate limiter's own retries
        return _retry_later(services, prepared.message_id, now, "retry_after", delay=exc.retry_after, count=False)
    except BadRequest as exc:
        with services.session() as session:
            _drop(session.get(OutboundMessage, prepared.message_id), now, f"bad request: {exc.message}")
        log.warning("outbox: message %s refused as a bad request", prepared.message_id)
        return 0
    except (NetworkError, TelegramError) as exc:  # time-outs, dropped connections, 5xx
        return _retry_later(services, prepared.message_id, now, type(exc).__name__)
    with services.session() as session:
        message = session.get(OutboundMessage, prepared.message_id)
        message.sent_at = now
        message.attempts += 1
        message.error = None
        message.telegram_message_id = sent.message_id
    return 1


def _retry_later(services: Services, message_id: int, now: datetime, reason: str, *,
                 delay: timedelta | int | None = None, count: bool = True) -> int:
    with services.session() as session:
        message = session.get(OutboundMessage, message_id)
        if count:
            message.attempts += 1
        if now - message.due_at >= GIVE_UP_AFTER or message.attempts >= MAX_ATTEMPTS:
            _drop(message, now, f"gave up after {message.attempts} attempts: {reason}")
            log.warning("outbox: gave up on message %s after %s attempts", message_id, message.attempts)
            return 0
        if isinstance(delay, int | float):
            delay = timedelta(seconds=delay)
        message.error = reason
        message.next_attempt_at = now + (delay or backoff(message.attempts))
    return 0
