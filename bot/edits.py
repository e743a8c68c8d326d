"""Edits through the outbox: a row with `edits_id` (storage.cards: the coordinator's card of a binôme)
rewrites the message of that earlier row in place with editMessageText, then, if it carries one, sends its
notice, a short message replying to the card so the coordinator notices. An edit Telegram refuses (the
message was deleted, or can no longer be edited) goes as a new message instead, without the notice: the new
message is noticed on its own, and later edits rewrite it. "Not modified" counts as done (a retry after
the edit went, only its notice failed)."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import Session
from telegram import Bot, ReplyParameters
from telegram.error import BadRequest

from bot.replies import split_text
from storage import outbox
from storage.models import OutboundMessage

log = logging.getLogger(__name__)

WAIT = timedelta(seconds=5)  # the earlier row is being sent: its Telegram id comes in a moment


def target(session: Session, message: OutboundMessage, now: datetime) -> tuple[bool, int | None]:
    """(ready, the Telegram id to edit; None: send a new message). Not ready: the message to edit is still
    being sent, so this row is tried again in a few seconds (no attempt counted)."""
    if message.edits_id is None:
        return True, None
    earlier = session.get(OutboundMessage, message.edits_id)
    if earlier is None or earlier.dropped_at is not None:
        return True, None
    if earlier.telegram_message_id is None:
        outbox.retry_later(message, now, "waiting for the message it edits", delay=WAIT, count=False)
        return False, None
    return True, earlier.telegram_message_id


async def edit(bot: Bot, chat_id: int, message_id: int, text: str, reply_markup, parse_mode, options: dict) -> int | None:
    """Rewrite the message; its id, or None when Telegram refuses the edit (send it as a new one instead)."""
    try:
        await bot.edit_message_text(split_text(text)[0], chat_id=chat_id, message_id=message_id,
                                    reply_markup=reply_markup, parse_mode=parse_mode, **options)
    except BadRequest as exc:
        if "not modified" in exc.message.lower():
            return message_id
        log.info("outbox: message %s in a chat not edited (%s), sent as a new one", message_id, exc.message[:80])
        return None
    return message_id


async def notice(bot: Bot, chat_id: int, message_id: int, text: str, options: dict) -> None:
    """The short message that says the card above changed, as a reply to it."""
    await bot.send_message(chat_id, text, reply_parameters=ReplyParameters(message_id, allow_sending_without_reply=True),
                           **options)


async def send(bot: Bot, pacer, prepared, options: dict, send_text) -> int:
    """A row's text (bot.sender): an edit of `prepared.edit_target` and then its notice, or, for any other
    row and for an edit refused, a new message (`send_text`). The Telegram id the row now stands for."""
    rendered, chat, target = prepared.rendered, prepared.chat_id, prepared.edit_target
    text_id = None if target is None else await edit(bot, chat, target, rendered.text, rendered.reply_markup,
                                                     rendered.parse_mode, options)
    if text_id is None:
        return await send_text(bot, chat, rendered, options)
    if rendered.notice:
        pacer.sent(chat)
        await pacer.wait(chat)
        await notice(bot, chat, target, rendered.notice, options)
    return text_id
