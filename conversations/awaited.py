"""Free text that answers a question: one mechanism for every "type it, or tap Skip".

A flow that wants the participant's next text (an action's title, what blocks an action, a check-in's
word) calls `expect(...)`; the participant's next text message goes to the handler registered for
that purpose with `@on_text(purpose)`. One question at a time per participant: asking another one
replaces it; a command, or `clear(...)`, forgets it; it expires after `LIFETIME`. Text with nothing
awaited goes to the handler registered with `@on_text(NOTHING_AWAITED)` (the meetings' place detail,
which passes anything else on to the polite fallback).
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlmodel import Session
from telegram import Update
from telegram.ext import MessageHandler, filters

from bot.context import BotContext
from storage.models import AwaitedText
from storage.text import clean_text

LIFETIME = timedelta(hours=12)
MAX_TEXT = 1000  # longer texts are cut: a word, not a letter
# Typed text is cleaned once, here (storage.text.clean_text): what only invisible characters make is refused.
NOTHING_AWAITED = ""  # the purpose whose handler takes text when no question is waiting for it

TextHandler = Callable[[Update, BotContext, int | None, str], Awaitable[None]]
_HANDLERS: dict[str, TextHandler] = {}


def on_text(purpose: str) -> Callable[[TextHandler], TextHandler]:
    """Register what to do with the text awaited for `purpose`: `handler(update, context, ref_id, text)`.

    The awaited row is already gone when the handler runs; it may `expect` again for a next question."""

    def register(handler: TextHandler) -> TextHandler:
        _HANDLERS[purpose] = handler
        return handler

    return register


def expect(*, session: Session, participant_id: int, purpose: str, ref_id: int | None, now: datetime) -> None:
    row = session.get(AwaitedText, participant_id)
    if row is None:
        row = AwaitedText(participant_id=participant_id, purpose=purpose, ref_id=ref_id, since=now)
    row.purpose, row.ref_id, row.since = purpose, ref_id, now
    session.add(row)


def clear(*, session: Session, participant_id: int, purpose: str | None = None) -> None:
    """Forget the awaited text (only if it is for `purpose`, when given)."""
    row = session.get(AwaitedText, participant_id)
    if row is not None and (purpose is None or row.purpose == purpose):
        session.delete(row)


def awaited(*, session: Session, participant_id: int, now: datetime) -> AwaitedText | None:
    row = session.get(AwaitedText, participant_id)
    if row is None or now - row.since > LIFETIME or row.purpose not in _HANDLERS:
        return None
    return row


def typed(text: str | None) -> str:
    """A typed answer as it is kept: no control or invisible characters, at most MAX_TEXT ('' when nothing
    visible is left: the caller answers `nothing_readable`)."""
    return clean_text(clean_text(text, multiline=True)[:MAX_TEXT], multiline=True)


async def nothing_readable(update: Update, context: BotContext) -> None:
    """The answer to a text that is empty once its invisible characters are gone (nothing is stored)."""
    await update.effective_message.reply_text(context._(
        "I cannot find any text in your message. Please type it again."))


async def route(update: Update, context: BotContext) -> None:
    """The one handler for free text."""
    text = typed(update.effective_message.text)
    if not text:  # only invisible characters: the question, if one waits, still waits
        await nothing_readable(update, context)
        return
    participant = context.participant
    found: tuple[str, int | None] | None = None
    if participant is not None:
        with context.services.session() as session:
            row = awaited(session=session, participant_id=participant.id, now=context.services.now())
            if row is not None:
                found, since = (row.purpose, row.ref_id), row.since
                session.delete(row)
    purpose, ref_id = found if found is not None else (NOTHING_AWAITED, None)
    try:
        await _HANDLERS[purpose](update, context, ref_id, text)
    except Exception:
        if found is not None:  # the handler's write failed: the question still stands for a retry
            with context.services.session() as session:
                if session.get(AwaitedText, participant.id) is None:
                    expect(session=session, participant_id=participant.id, purpose=purpose, ref_id=ref_id,
                           now=since)
        raise


async def forget_on_command(update: Update, context: BotContext) -> None:
    """A command changes the subject: whatever text was awaited is no longer."""
    if context.participant is None:
        return
    with context.services.session() as session:
        clear(session=session, participant_id=context.participant.id)


HANDLERS = [
    MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, route),
]
