"""Sending the outbox: render each due row at send time in the recipient's language, deliver it within
Telegram's limits, and record what happened (the rows and their rules are in `storage.outbox`).

AIORateLimiter keeps the overall rate and honours 429 `retry_after`; `ChatPacer` keeps one message a
second per chat; several chats are served at once so the overall rate is filled.

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

from sqlmodel import Session
from telegram import Bot, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.i18n import Translator, translator_for
from bot.services import Services
from storage import outbox
from storage.models import OutboundMessage, Participant, ParticipantStatus, Programme
from storage.reachability import participant_unreachable

log = logging.getLogger(__name__)

BATCH = 2000  # rows looked at per tick
CONCURRENCY = 16  # requests in flight; the rate limiter decides the pace


@dataclass
class Rendered:
    text: str
    reply_markup: InlineKeyboardMarkup | None = None
    parse_mode: str | None = None
    document: tuple[str, bytes] | None = None  # (file name, content), e.g. a calendar file


Renderer = Callable[[Translator, dict, Participant, Session], Rendered]

RENDERERS: dict[str, Renderer] = {}


def renderer(kind: str) -> Callable[[Renderer], Renderer]:
    """Register how a kind of message is written (in the recipient's language, at send time); the kind
    itself is declared in storage, beside the rule that queues it (`storage.outbox.declare`)."""

    def register(function: Renderer) -> Renderer:
        RENDERERS[kind] = function
        return function

    return register


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


async def send_due(services: Services, bot: Bot) -> int:
    """Deliver what is due now; returns how many messages were sent."""
    now = services.now()
    with services.session() as session:
        rows = outbox.due_messages(session=session, now=now, limit=BATCH)
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


def _prepare(services: Services, message_id: int, now: datetime) -> _Prepared | None:
    """Decide whether the message still goes out, and write it in the recipient's language."""
    with services.session() as session:
        message = session.get(OutboundMessage, message_id)
        if message is None or message.sent_at or message.dropped_at:
            return None
        participant = session.get(Participant, message.participant_id)
        if message.stale_after and now > message.stale_after:
            outbox.drop(message, now, "stale")  # e.g. due while the bot was down, no longer useful
            return None
        if participant.telegram_chat_id is None or participant.status != ParticipantStatus.ACTIVE:
            outbox.drop(message, now, f"recipient {participant.status}")
            return None
        kind, render = outbox.KINDS.get(message.kind), RENDERERS.get(message.kind)
        if kind is None or render is None:
            outbox.drop(message, now, f"unknown kind {message.kind}")
            return None
        if kind.relevant is not None and not kind.relevant(session, message):
            outbox.drop(message, now, "no longer relevant")
            return None
        programme = session.get(Programme, participant.programme_id)
        rendered = render(translator_for(participant, programme), message.params, participant, session)
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
        with services.session() as session:
            outbox.drop(session.get(OutboundMessage, prepared.message_id), now, "forbidden")
            participant_unreachable(session=session, participant=session.get(Participant, prepared.participant_id),
                                    now=now)
        log.info("outbox: message %s refused (403), recipient marked unreachable", prepared.message_id)
        return 0
    except RetryAfter as exc:  # still flooded after the rate limiter's own retries
        return _retry_later(services, prepared.message_id, now, "retry_after", delay=exc.retry_after, count=False)
    except BadRequest as exc:
        with services.session() as session:
            outbox.drop(session.get(OutboundMessage, prepared.message_id), now, f"bad request: {exc.message}")
        log.warning("outbox: message %s refused as a bad request", prepared.message_id)
        return 0
    except (NetworkError, TelegramError) as exc:  # time-outs, dropped connections, 5xx
        return _retry_later(services, prepared.message_id, now, type(exc).__name__)
    with services.session() as session:
        outbox.mark_sent(session.get(OutboundMessage, prepared.message_id), now, sent.message_id)
    return 1


def _retry_later(services: Services, message_id: int, now: datetime, reason: str, *,
                 delay: timedelta | int | None = None, count: bool = True) -> int:
    with services.session() as session:
        message = session.get(OutboundMessage, message_id)
        if not outbox.retry_later(message, now, reason, delay=delay, count=count):
            log.warning("outbox: gave up on message %s after %s attempts", message_id, message.attempts)
    return 0
