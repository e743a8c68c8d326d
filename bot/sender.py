"""Sending the outbox: render each due row at send time in the recipient's language, deliver it within
Telegram's limits, and record what happened (the rows and their rules are in `storage.outbox`).

AIORateLimiter keeps the overall rate and honours 429 `retry_after`; `ChatPacer` keeps one message a
second per chat; several chats are served at once so the overall rate is filled.

Delivery is at least once: a crash between Telegram's answer and our commit (a few milliseconds), or
an answer that comes after the read time-out (bot/app.py, 30 s), sends that message again; see
docs/ARCHITECTURE.md for the measured figures.
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
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.i18n import Translator, translator_for
from bot.replies import TELEGRAM_TEXT_LIMIT, split_text  # noqa: F401 (the one splitting, shared with replies)
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
    document: tuple[str, bytes] | None = None  # (file name, content), e.g. a calendar file: sent after the text


Renderer = Callable[[Translator, dict, Participant, Session], Rendered]

RENDERERS: dict[str, Renderer] = {}


def renderer(kind: str) -> Callable[[Renderer], Renderer]:
    """Register how a kind of message is written (in the recipient's language, at send time); the kind
    itself is declared in storage, beside the rule that queues it (`storage.outbox.declare`)."""

    def register(function: Renderer) -> Renderer:
        RENDERERS[kind] = function
        return function

    return register


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
    text_sent: int | None = None  # its text went on an earlier attempt (Telegram's id): only its file is left


def _prepare(services: Services, message_id: int, now: datetime) -> _Prepared | None:
    """Decide whether the message still goes out, and write it in the recipient's language."""
    with services.session() as session:
        message = session.get(OutboundMessage, message_id)
        if message is None or message.sent_at or message.dropped_at:
            return None
        participant = session.get(Participant, message.participant_id)
        if message.stale_after and now > message.stale_after:
            _close(message, now, "stale")  # e.g. due while the bot was down, no longer useful
            return None
        if participant.telegram_chat_id is None or participant.status != ParticipantStatus.ACTIVE:
            _close(message, now, f"recipient {participant.status}")
            return None
        kind, render = outbox.KINDS.get(message.kind), RENDERERS.get(message.kind)
        if kind is None or render is None:
            _close(message, now, f"unknown kind {message.kind}")
            return None
        if kind.relevant is not None and not kind.relevant(session, message):
            _close(message, now, "no longer relevant")
            return None
        programme = session.get(Programme, participant.programme_id)
        rendered = render(translator_for(participant, programme), message.params, participant, session)
        return _Prepared(message_id, participant.id, participant.telegram_chat_id, rendered,
                         message.telegram_message_id)


def _close(message: OutboundMessage, now: datetime, reason: str) -> None:
    """Nothing more goes out for this row. If its text already went (only its file was left), the row
    counts as sent and the reason is kept for the file; else it is dropped."""
    if message.telegram_message_id is None:
        outbox.drop(message, now, reason)
        return
    outbox.mark_sent(message, now, message.telegram_message_id)
    message.dropped_at, message.error = None, f"file {reason}"[:200]


async def _send(services: Services, bot: Bot, prepared: _Prepared, now: datetime) -> int:
    """The text (with its buttons) first, then the file if there is one, as a message of its own: a file
    that cannot go never holds back the text. A file Telegram refuses (400) is left out and the reason
    kept; a file that fails for a while is retried alone, its text already recorded as delivered."""
    rendered, text_id = prepared.rendered, prepared.text_sent
    if text_id is None:
        try:
            text_id = await _send_text(bot, prepared.chat_id, rendered)
        except TelegramError as exc:
            return _failed(services, prepared, now, exc)
        if rendered.document is None:
            return _mark_sent(services, prepared.message_id, now, text_id)
        with services.session() as session:  # a retry from here on sends the file only
            session.get(OutboundMessage, prepared.message_id).telegram_message_id = text_id
        await services.pacer.wait(prepared.chat_id)
    name, content = rendered.document
    try:
        await bot.send_document(prepared.chat_id, InputFile(content, filename=name))
    except BadRequest as exc:
        with services.session() as session:
            _close(session.get(OutboundMessage, prepared.message_id), now, f"refused: {exc.message}")
        log.warning("outbox: message %s sent without its file, refused as a bad request", prepared.message_id)
        return 1
    except TelegramError as exc:
        return _failed(services, prepared, now, exc)
    return _mark_sent(services, prepared.message_id, now, text_id)


async def _send_text(bot: Bot, chat_id: int, rendered: Rendered) -> int:
    """The text, split at paragraph ends if too long; the buttons go with its last part. Telegram's id of
    that last part."""
    *leading, last = split_text(rendered.text)
    for part in leading:
        await bot.send_message(chat_id, part, parse_mode=rendered.parse_mode)
    sent = await bot.send_message(chat_id, last, reply_markup=rendered.reply_markup, parse_mode=rendered.parse_mode)
    return sent.message_id


def _mark_sent(services: Services, message_id: int, now: datetime, telegram_message_id: int) -> int:
    with services.session() as session:
        outbox.mark_sent(session.get(OutboundMessage, message_id), now, telegram_message_id)
    return 1


def _failed(services: Services, prepared: _Prepared, now: datetime, exc: TelegramError) -> int:
    if isinstance(exc, Forbidden):
        with services.session() as session:
            _close(session.get(OutboundMessage, prepared.message_id), now, "forbidden")
            participant_unreachable(session=session, participant=session.get(Participant, prepared.participant_id),
                                    now=now)
        log.info("outbox: message %s refused (403), recipient marked unreachable", prepared.message_id)
        return 0
    if isinstance(exc, RetryAfter):  # still flooded after the rate limiter's own retries
        return _retry_later(services, prepared.message_id, now, "retry_after", delay=exc.retry_after, count=False)
    if isinstance(exc, BadRequest):
        with services.session() as session:
            _close(session.get(OutboundMessage, prepared.message_id), now, f"bad request: {exc.message}")
        log.warning("outbox: message %s refused as a bad request", prepared.message_id)
        return 0
    return _retry_later(services, prepared.message_id, now, type(exc).__name__)  # time-outs, dropped, 5xx


def _retry_later(services: Services, message_id: int, now: datetime, reason: str, *,
                 delay: timedelta | int | None = None, count: bool = True) -> int:
    with services.session() as session:
        message = session.get(OutboundMessage, message_id)
        if not outbox.retry_later(message, now, reason, delay=delay, count=count):
            log.warning("outbox: gave up on message %s after %s attempts", message_id, message.attempts)
            if message.telegram_message_id is not None:  # only its file is given up: its text went
                _close(message, now, message.error)
    return 0
