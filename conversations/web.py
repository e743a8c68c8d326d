"""The coordinator's page from the chat (docs/miniapp.md): /web sends a one-time link for a desktop browser,
and "Open the table" opens the page inside Telegram under /binomes, /report and /alerts.

A web_app button only works in a private chat; the bot answers commands only there (it leaves groups), so
every keyboard built here is a private chat's. Nothing of this shows when WEB_URL is not set.
"""
from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, WebAppInfo
from telegram.ext import CommandHandler

from bot import replies, sender
from bot.commands import publish_menu_button, web_app_url, names
from bot.context import BotContext
from bot.i18n import Translator
from storage.models import Participant, Role
from storage.web_access import LINK_LIFETIME, create_link, may_enter


@sender.page_row
def open_table_row(tr: Translator, web_url: str) -> list[list[InlineKeyboardButton]]:
    """One keyboard row with "Open the table" (a web app button), or none without WEB_URL; also under the
    outbox's messages declared `page=True` (the alert cards)."""
    if not web_url:
        return []
    return [[InlineKeyboardButton(tr("🗂 Open the table"), web_app=WebAppInfo(url=web_app_url(web_url, tr)))]]


def with_open_table(markup: InlineKeyboardMarkup | None, tr: Translator, web_url: str) -> InlineKeyboardMarkup | None:
    """The keyboard with "Open the table" as its last row."""
    row = open_table_row(tr, web_url)
    if not row:
        return markup
    return InlineKeyboardMarkup([*(markup.inline_keyboard if markup else ()), *row])


async def send_link(update: Update, context: BotContext) -> None:
    participant, tr = context.participant, context.tr
    web_url = context.services.settings.web_url
    if participant is None or participant.role != Role.COORDINATOR:
        await update.effective_message.reply_text(tr("This command is for coordinators. To see your commands, send "
                                                     "/help."))
        return
    if not web_url:
        await update.effective_message.reply_text(tr(
            "The follow-up table's page is not set up here: the person who runs Binôme can turn it on (WEB_URL)."))
        return
    with context.services.session() as session:
        me = session.get(Participant, participant.id)
        if not may_enter(me):
            await update.effective_message.reply_text(tr("This command is for coordinators. To see your commands, send "
                                                         "/help."))
            return
        token = create_link(session=session, participant=me, now=context.services.now())
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    text = tr.ngettext(
        "Your link to the follow-up table, for a computer's browser. It works once, for {n} minute; keep it to "
        "yourself:\n{link}",
        "Your link to the follow-up table, for a computer's browser. It works once, for {n} minutes; keep it to "
        "yourself:\n{link}", minutes).format(n=minutes, link=f"{web_url}/login/{token}")
    await replies.reply(update.effective_message, text,
                        InlineKeyboardMarkup(open_table_row(tr, web_url)))
    await publish_menu_button(context.bot, participant, tr, web_url)


HANDLERS = [CommandHandler(names("web"), send_link)]
