"""Callback data, read one way by every feature: `<prefix>:<id>:<verb>[:<value>]`.

Ids are bounded: 1 to 18 digits, so every id fits a signed 64-bit integer and a forged 25-digit id
is a stale button, not an OverflowError (SQLite) or a numeric-range error (PostgreSQL). Each feature
lists, per verb, the value it takes: a pattern the whole value must match, or None for no value.
A verb not listed, a value missing, extra or malformed: `parse` returns None and the handler answers
"This button is no longer valid." before anything is read or changed.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from telegram import Update

from bot.context import BotContext
from bot.i18n import N_

ID = r"\d{1,18}"  # every id of ours fits a signed 64-bit integer (storage.db guards session.get too)
INVALID = N_("This button is no longer valid.")
T = TypeVar("T")


def grid(items: list[T], width: int) -> list[list[T]]:
    """Buttons in rows of `width`, the last row shorter: how every keyboard lays out a list."""
    return [items[start:start + width] for start in range(0, len(items), width)]


def pattern(prefix: str) -> str:
    """The CallbackQueryHandler pattern of a feature; `parse` then checks the verb and its value."""
    return rf"^{prefix}:({ID}):([a-z_]+)(?::([A-Za-z0-9_.]+))?$"


@dataclass(frozen=True)
class Press:
    ref: int
    verb: str
    value: str | None


def parse(match: re.Match, values: Mapping[str, str | None]) -> Press | None:
    """The press `match` (of `pattern(...)`) stands for, if its verb is listed in `values` and its value
    is what that verb takes; otherwise None."""
    verb, value = match.group(2), match.group(3)
    if verb not in values:
        return None
    expected = values[verb]
    if (value is None) != (expected is None):
        return None
    if expected is not None and re.fullmatch(expected, value) is None:
        return None
    return Press(int(match.group(1)), verb, value)


async def refuse(update: Update, context: BotContext) -> None:
    """A stale, forged or malformed button: say so, in the presser's language; change nothing."""
    await update.callback_query.answer(context._(INVALID))
