"""Sending the outbox: render each due row at send time in the recipient's language, deliver it within
Telegram's limits, and record what happened (the rows and their rules are in `storage.outbox`).

The due rows go in rounds of about one second of Telegram's budget (ROUND), claimed for this worker
(`outbox.claim_due`) in priority order, so an urgent row queued in the middle of a fan-out goes in the
next round. A round is read, checked and rendered in one session, in a worker thread (the chat is not
held up meanwhile); each result is recorded as soon as Telegram answers (bot/sent_marks.py: one UPDATE for
what was answered during the previous write). A row that edits an earlier one (`edits_id`) rewrites its
message in place (bot/edits.py).

bot/rate_limit.py keeps the overall rate, serves replies to people first and honours 429 `retry_after`;
`ChatPacer` keeps one message a second per chat; several chats are served at once to fill the rate.
Delivery is at least once: a crash between Telegram's answer and our commit (a few milliseconds), or
an answer that comes after the read time-out (bot/app.py, 30 s), sends that message again; see
docs/ARCHITECTURE.md for the measured figures.
"""
from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session
from telegram import Bot, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot import edits
from bot.i18n import Translator, pick_language, translator
from bot.replies import TELEGRAM_TEXT_LIMIT, split_text  # noqa: F401 (the one splitting, shared with replies)
from bot.sent_marks import SentMarks
from bot.services import Services
from storage import outbox
from storage.models import OutboundMessage, Participant, ParticipantStatus, Programme
from storage.options import meeting_options
from storage.participants import timezone_of
from storage.reachability import participant_unreachable
from storage.schedule import out_of_quiet_hours

log = logging.getLogger(__name__)

ROUND = 32  # rows claimed at a time: about one second of the overall budget
CONCURRENCY = 16  # requests in flight; the rate limiter decides the pace
CLAIM_LEASE = timedelta(seconds=60)  # a round's rows are held this long, renewed while it is being sent
RENEW_EVERY = 20.0  # real seconds
HELD_AT_MOST = 4 * ROUND  # claimed and not finished (e.g. many rows for a few chats, each paced)


@dataclass
class Rendered:
    text: str
    reply_markup: InlineKeyboardMarkup | None = None
    parse_mode: str | None = None
    document: tuple[str, bytes] | None = None  # (file name, content), e.g. a calendar file: sent after the text
    notice: str | None = None  # an edit's short message replying to what it edited (bot/edits.py)


Renderer = Callable[[Translator, dict, Participant, Session], Rendered]

RENDERERS: dict[str, Renderer] = {}
LATE_AFTER = timedelta(minutes=15)  # due longer ago than this, a row is late (the bot was down): _wait_for_morning
PAGE_ROW: list[Callable[[Translator, str], list]] = []  # (tr, WEB_URL) → "Open the table", under `page=True` kinds


def page_row(function: Callable[[Translator, str], list]) -> Callable[[Translator, str], list]:
    """Register the keyboard row that opens the coordinator's page (one, registered by conversations.web)."""
    PAGE_ROW[:] = [function]
    return function


def renderer(kind: str) -> Callable[[Renderer], Renderer]:
    """Register how a kind of message is written (in the recipient's language, at send time); the kind
    itself is declared in storage, beside the rule that queues it (`storage.outbox.declare`)."""

    def register(function: Renderer) -> Renderer:
        RENDERERS[kind] = function
        return function

    return register


async def send_due(services: Services, bot: Bot) -> int:
    """Deliver what is due now until nothing is; returns how many messages were sent. A round is claimed
    whenever the requests in hand fall below CONCURRENCY (a chat paced to one message a second never
    holds the others up); once nothing more is due, what is in hand is finished and one more look
    catches what was queued meanwhile."""
    recorder = SentMarks(services)
    flow = _Flow(services, bot, recorder)
    background = [asyncio.create_task(recorder.run()), asyncio.create_task(flow.renew())]
    try:
        while True:
            claimed = await asyncio.to_thread(_claim_round, services, services.now())
            if claimed is None:
                if not flow.outstanding:
                    return flow.sent
                await flow.drained()
                continue
            flow.add(claimed)
            await flow.room()
    except BaseException:  # cancelled (shutting down) or failed: what is in hand stays claimed for the lease
        for task in list(flow.tasks):
            task.cancel()
        await asyncio.gather(*list(flow.tasks), return_exceptions=True)
        raise
    finally:
        for task in background:
            task.cancel()
        await recorder.close()


class _Flow:
    """The messages in hand: one queue and one task per chat (its messages in order, paced), at most
    CONCURRENCY requests in flight or waiting for the rate limiter."""

    def __init__(self, services: Services, bot: Bot, recorder: SentMarks) -> None:
        self.services, self.bot, self.recorder = services, bot, recorder
        self.slots = asyncio.Semaphore(CONCURRENCY)
        self.chats: dict[int, deque[_Prepared]] = {}
        self._done: list[asyncio.Task] = []
        self.tasks: set[asyncio.Task] = set()
        self.outstanding: dict[int, _Prepared] = {}  # by message id: claimed, not finished
        self.active = 0  # past its chat's pacing: in flight or waiting for a slot
        self.changed = asyncio.Event()
        self.sent = 0

    def add(self, prepared: list[_Prepared]) -> None:
        for item in prepared:
            self.outstanding[item.message_id] = item
            if item.chat_id in self.chats:
                self.chats[item.chat_id].append(item)
            else:
                self.chats[item.chat_id] = deque([item])
                task = asyncio.create_task(self._serve(item.chat_id))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)

    async def room(self) -> None:
        while self.active >= CONCURRENCY or len(self.outstanding) >= HELD_AT_MOST:
            await self._change()

    async def drained(self) -> None:
        if self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)
        errors = [task.exception() for task in self._done if not task.cancelled() and task.exception()]
        self._done.clear()
        if errors:
            raise errors[0]

    async def _change(self) -> None:
        self.changed.clear()
        await self.changed.wait()

    async def _serve(self, chat_id: int) -> None:
        queue, refused = self.chats[chat_id], False
        try:
            while queue:
                item = queue[0]
                if refused:  # the person blocked the bot: the rest of what is in hand for them is not sent
                    await asyncio.to_thread(_recipient_gone, self.services, item.message_id, item.now)
                else:
                    await self.services.pacer.wait(chat_id)
                    self.active += 1
                    try:
                        async with self.slots:
                            sent = await _send(self.services, self.bot, item, item.now, self.recorder)
                        self.services.pacer.sent(chat_id)
                        self.sent += sent  # after the await: `+= await` would add to a stale count
                    finally:
                        self.active -= 1
                    refused = item.forbidden
                queue.popleft()
                self.outstanding.pop(item.message_id, None)
                self.changed.set()
        finally:
            del self.chats[chat_id]
            self._done.append(asyncio.current_task())
            self.changed.set()

    async def renew(self) -> None:
        """A message held long (pacing, a slow answer, a 429) keeps its claim."""
        while True:
            await asyncio.sleep(RENEW_EVERY)
            with self.services.session() as session:
                outbox.extend_claims(session=session, ids=sorted(self.outstanding), worker=self.services.worker,
                                     until=self.services.now() + CLAIM_LEASE)


@dataclass
class _Prepared:
    message_id: int
    participant_id: int
    chat_id: int
    rendered: Rendered
    text_sent: int | None = None  # its text went on an earlier attempt (Telegram's id): only its file is left
    priority: int = outbox.NORMAL  # its kind's: the rate limiter serves the best first
    forbidden: bool = False  # Telegram refused it with a 403
    edit_target: int | None = None  # the Telegram id this row rewrites in place (bot/edits.py)
    now: datetime | None = None  # its round's time on the clock

    def options(self, paid_broadcast: bool) -> dict:
        """The keywords of its requests: the priority for bot/rate_limit.py, and for bulk rows with
        PAID_BROADCAST on, Telegram's paid broadcast (1,000/s, billed in Stars)."""
        options: dict = {"rate_limit_args": {"priority": self.priority}}
        if paid_broadcast and self.priority == outbox.BULK:
            options["allow_paid_broadcast"] = True
        return options


def _recipient_gone(services: Services, message_id: int, now: datetime) -> None:
    with services.session() as session:
        message = session.get(OutboundMessage, message_id)
        participant = session.get(Participant, message.participant_id)
        if participant.status != ParticipantStatus.ACTIVE:
            _close(message, now, f"recipient {participant.status}")


def _claim_round(services: Services, now: datetime) -> list[_Prepared] | None:
    """Claim the next round and write its messages, in one session (run in a worker thread); None when
    nothing is due."""
    with services.session() as session:
        ids = outbox.claim_due(session=session, now=now, limit=ROUND, worker=services.worker, lease=CLAIM_LEASE)
        if not ids:
            return None
        messages, people, programmes = outbox.load_round(session=session, ids=ids)
        ended = outbox.ended(session=session, participant_ids={m.participant_id for m in messages.values()})
        prepared = []
        for message_id in ids:
            message = messages[message_id]
            participant = people[message.participant_id]
            try:
                item = _prepare(session, message, participant, programmes[participant.programme_id], now,
                                ended=participant.id in ended, web_url=services.settings.web_url)
            except Exception as exc:  # one message that cannot be written does not hold back the round
                log.exception("outbox: message %s could not be prepared (%s)", message_id, type(exc).__name__)
                outbox.retry_later(message, now, f"not prepared: {type(exc).__name__}")
                continue
            if item is not None:
                item.now = now
                prepared.append(item)
        return prepared


def _prepare(session: Session, message: OutboundMessage, participant: Participant, programme: Programme,
             now: datetime, *, ended: bool = False, web_url: str = "") -> _Prepared | None:
    """Decide whether the message still goes out, and write it in the recipient's language. `ended`: the
    recipient's binômes have all ended, so only the kinds declared `after_closure` still go."""
    if message.sent_at or message.dropped_at:
        return None
    if message.stale_after and now > message.stale_after:
        _close(message, now, "stale")  # e.g. due while the bot was down, no longer useful
        return None
    kind, render = outbox.KINDS.get(message.kind), RENDERERS.get(message.kind)
    refusal = (f"recipient {participant.status}" if participant.telegram_chat_id is None
               or participant.status != ParticipantStatus.ACTIVE else f"unknown kind {message.kind}"
               if kind is None or render is None else "binome closed" if ended and not kind.after_closure
               else "no longer relevant" if kind.relevant is not None and not kind.relevant(session, message) else None)
    if refusal is not None:
        _close(message, now, refusal)
        return None
    ready, target = edits.target(session, message, now)  # an edit waits for the message it edits
    if not ready or message.telegram_message_id is None and _wait_for_morning(message, participant, programme, now):
        return None
    tr = _translator(participant.language, programme.language, participant.timezone or programme.timezone)
    rendered = render(tr, message.params, participant, session)
    if kind.page and web_url and PAGE_ROW:
        rows = [*(rendered.reply_markup.inline_keyboard if rendered.reply_markup else ()), *PAGE_ROW[0](tr, web_url)]
        rendered = dataclasses.replace(rendered, reply_markup=InlineKeyboardMarkup(rows))
    return _Prepared(message.id, participant.id, participant.telegram_chat_id, rendered, message.telegram_message_id,
                     kind.priority, edit_target=target)


def _wait_for_morning(message: OutboundMessage, participant: Participant, programme: Programme,
                      now: datetime) -> bool:
    """Quiet hours checked again at send time: a late row (the bot was down) waits for their end, no attempt
    counted, stale then if past `stale_after`; a row on time goes as queued (an absence warning at night)."""
    if now - message.due_at <= LATE_AFTER:
        return False
    allowed = out_of_quiet_hours(now, tz=timezone_of(participant, programme),
                                 quiet=meeting_options(programme).quiet_hours, direction="later")
    if allowed <= now:
        return False
    message.next_attempt_at, message.claimed_by, message.claimed_until = allowed, None, None
    return True


@functools.lru_cache(maxsize=256)
def _translator(language: str | None, programme_language: str | None, timezone: str) -> Translator:
    """`bot.i18n.translator_for`, once per language and timezone (a Translator holds no state of its own)."""
    return translator(pick_language(language, programme_language), timezone)


def _close(message: OutboundMessage, now: datetime, reason: str) -> None:
    """Nothing more goes out for this row. If its text already went (only its file was left), the row
    counts as sent and the reason is kept for the file; else it is dropped."""
    if message.telegram_message_id is None:
        outbox.drop(message, now, reason)
        return
    outbox.mark_sent(message, now, message.telegram_message_id)
    message.dropped_at, message.error = None, f"file {reason}"[:200]


async def _send(services: Services, bot: Bot, prepared: _Prepared, now: datetime, recorder: SentMarks) -> int:
    """The text (with its buttons) first, then the file if there is one, as a message of its own: a file
    that cannot go never holds back the text. A file Telegram refuses (400) is left out and the reason
    kept; a file that fails for a while is retried alone, its text already recorded as delivered."""
    rendered, text_id = prepared.rendered, prepared.text_sent
    options = prepared.options(services.settings.paid_broadcast) if isinstance(bot, ExtBot) else {}
    if text_id is None:
        try:
            text_id = await edits.send(bot, services.pacer, prepared, options, _send_text)  # an edit, or _send_text
        except TelegramError as exc:
            return _failed(services, prepared, now, exc)
        if rendered.document is None:
            return recorder.add(prepared.message_id, now, text_id)
        with services.session() as session:  # a retry from here on sends the file only
            session.get(OutboundMessage, prepared.message_id).telegram_message_id = text_id
        services.pacer.sent(prepared.chat_id)
        await services.pacer.wait(prepared.chat_id)
    name, content = rendered.document
    try:
        await bot.send_document(prepared.chat_id, InputFile(content, filename=name), **options)
    except BadRequest as exc:
        with services.session() as session:
            _close(session.get(OutboundMessage, prepared.message_id), now, f"refused: {exc.message}")
        log.warning("outbox: message %s sent without its file, refused as a bad request", prepared.message_id)
        return 1
    except TelegramError as exc:
        return _failed(services, prepared, now, exc)
    return recorder.add(prepared.message_id, now, text_id)


async def _send_text(bot: Bot, chat_id: int, rendered: Rendered, options: dict) -> int:
    """The text, split at paragraph ends if too long; the buttons go with its last part. Telegram's id of
    that last part."""
    *leading, last = split_text(rendered.text)
    for part in leading:
        await bot.send_message(chat_id, part, parse_mode=rendered.parse_mode, **options)
    sent = await bot.send_message(chat_id, last, reply_markup=rendered.reply_markup, parse_mode=rendered.parse_mode,
                                  **options)
    return sent.message_id


def _failed(services: Services, prepared: _Prepared, now: datetime, exc: TelegramError) -> int:
    if isinstance(exc, Forbidden):
        prepared.forbidden = True
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
