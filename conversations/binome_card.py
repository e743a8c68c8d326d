"""The buttons under a coordinator's binôme summary (conversations.alert_cards.summary): pause or resume
(`bp:`, conversations.pauses), close (`bc:`, conversations.closure), and once closed the closing-interview
guide. One place, so every flow that shows the summary again shows the same buttons."""
from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Translator
from storage.models import Binome, BinomeStatus


def summary_keyboard(tr: Translator, binome: Binome) -> InlineKeyboardMarkup:
    rows = []
    if binome.status == BinomeStatus.ACTIVE:
        rows.append([InlineKeyboardButton(tr("⏸ Pause"), callback_data=f"bp:{binome.id}:pause")])
    elif binome.status == BinomeStatus.PAUSED:
        rows.append([InlineKeyboardButton(tr("▶️ Resume"), callback_data=f"bp:{binome.id}:resume")])
    if binome.status != BinomeStatus.CLOSED:
        rows.append([InlineKeyboardButton(tr("🏁 Close the binôme"), callback_data=f"bc:{binome.id}:close")])
    rows.append([InlineKeyboardButton(tr("📝 Closing-interview guide"), callback_data=f"bc:{binome.id}:guide")])
    return InlineKeyboardMarkup(rows)
