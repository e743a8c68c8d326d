"""Last in line: anything no other handler took gets a clear, polite answer."""
from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.context import BotContext, find_person
from bot.i18n import N_, Translator
from conversations import buttons
from conversations.checkins import typed_in_checkin
from conversations.evaluation import typed_in_evaluation

log = logging.getLogger(__name__)

# What anyone not yet linked is told, whatever they send.
JOIN_HINT = N_("Hello! I am Binôme, the assistant of mentoring programmes. To join, open your personal link. Your "
               "coordinator sent it to you.")


async def stale_button(update: Update, context: BotContext) -> None:
    """A button from an old message, or forged data: say so, change nothing."""
    await buttons.refuse(update, context)


async def anything_else(update: Update, context: BotContext) -> None:
    """Text, stickers, photos, voice, unknown commands."""
    _ = context._
    message = update.effective_message
    participant = context.participant
    if participant is None:
        text = _(JOIN_HINT)
    elif message.text and message.text.startswith("/"):
        text = _("I do not know this command. To see what you can do, send /help.")
    elif await typed_in_checkin(update, context) or await typed_in_evaluation(update, context):
        return
    elif message.text:
        text = _("I cannot read typed messages yet. Please use the buttons and the commands. To see the commands, send "
                 "/help.")
    else:
        text = _("I can only read text and buttons. To see what you can do, send /help.")
    await message.reply_text(text)


async def report_error(update: object, context: BotContext) -> None:
    """One error handler: log the update id and the error type, never personal data; apologise."""
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(context.error, BadRequest) and "message is not modified" in context.error.message.lower():
        # A double tap asked for the very edit already made: nothing to fix, nothing to tell.
        log.info("update %s: edit already applied", update_id)
        if isinstance(update, Update) and update.callback_query is not None:
            try:
                await update.callback_query.answer()
            except TelegramError:
                pass
        return
    log.error("error while handling update %s: %s", update_id, type(context.error).__name__,
              exc_info=(type(context.error), context.error, context.error.__traceback__))
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if update.callback_query is not None:
        try:  # stop the spinner; the handler may have answered already, which makes this fail
            await update.callback_query.answer()
        except Exception:  # noqa: BLE001, S110 - best effort: the apology below does not depend on it
            pass
    try:
        # PTB gives the error handler a new context: find the person's language again.
        tr = _translator_of(update, context)
        await context.bot.send_message(update.effective_chat.id, tr(
            "Sorry, I had a problem. Please try again in a moment."))
    except Exception as exc:  # noqa: BLE001 - the apology is best effort
        log.warning("could not apologise for update %s: %s", update_id, type(exc).__name__)


def _translator_of(update: Update, context: BotContext) -> Translator:
    """The translator of whoever sent `update`, as the gatekeeper picks it; the default if the database fails."""
    try:
        with context.services.session() as session:
            return find_person(session, context.services.settings, update.effective_user)[1]
    except Exception as exc:  # noqa: BLE001 - the error may be the database itself
        log.warning("could not find the language for update %s: %s", update.update_id, type(exc).__name__)
        return context.tr


HANDLERS = [
    CallbackQueryHandler(stale_button),
    MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE, anything_else),
]
