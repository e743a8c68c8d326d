"""Texts longer than one Telegram message, for replies, edits and the outbox alike.

Telegram refuses a text over 4096 characters ("Message is too long"), counted in UTF-16 code units
(an emoji counts two). `split_text` cuts such a text at paragraph ends (then line, then word ends);
`reply` sends the parts in order with the buttons under the last one; `edit` turns a pressed message
into a text that may be long. An edit cannot be split: the pressed message takes the first part
(without buttons) and the rest follows as new messages, the buttons under the last. Nothing is cut
away, because what is cut could be what the press was about (an alert card's new state is its last
line) or a word a mentee chose to share. bot/sender.py sends the outbox's texts with `split_text`.
"""
from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardMarkup, Message
from telegram.error import BadRequest

TELEGRAM_TEXT_LIMIT = 4096


def telegram_length(text: str) -> int:
    """The length Telegram counts: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _window(text: str, limit: int) -> str:
    """The longest start of `text` that Telegram counts as at most `limit`."""
    window = text[:limit]
    while (excess := telegram_length(window) - limit) > 0:
        window = window[:len(window) - (excess + 1) // 2]
    return window


def split_text(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """The text in parts of at most `limit`, cut at paragraph, then line, then word ends (a cut in the
    first half of a part is not worth it: then the part is cut where it is full)."""
    parts: list[str] = []
    while telegram_length(text) > limit:
        window = _window(text, limit)
        cut = next((at for at in (window.rfind(mark) for mark in ("\n\n", "\n", " ")) if at > len(window) // 2),
                   len(window))
        part, text = text[:cut].rstrip(), text[cut:].lstrip()
        if part:
            parts.append(part)
    if text or not parts:
        parts.append(text)
    return parts


async def reply(message: Message, text: str, reply_markup: InlineKeyboardMarkup | None = None,
                **kwargs) -> Message:
    """Answer `message` with `text`, in as many messages as it needs; the buttons go with the last."""
    *leading, last = split_text(text)
    for part in leading:
        await message.reply_text(part, **kwargs)
    return await message.reply_text(last, reply_markup=reply_markup, **kwargs)


async def edit(query: CallbackQuery, text: str, reply_markup: InlineKeyboardMarkup | None = None) -> None:
    """Turn the pressed message into `text`; a text too long for one message goes on in new messages,
    the buttons under the last. Asking for the same text again (a double tap) changes nothing."""
    first, *rest = split_text(text)
    try:
        await query.edit_message_text(first, reply_markup=None if rest else reply_markup)
    except BadRequest as error:
        if "not modified" in error.message.lower():
            return
        raise
    if rest:
        *middle, last = rest
        bot, chat_id = query.get_bot(), query.message.chat.id
        for part in middle:
            await bot.send_message(chat_id, part)
        await bot.send_message(chat_id, last, reply_markup=reply_markup)
