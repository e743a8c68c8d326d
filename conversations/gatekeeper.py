"""Runs before every other handler (group -1): who is writing, in which language; private chats only."""
from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.context import BotContext, find_person
from conversations import awaited
from storage.reachability import participant_back
from storage.models import ParticipantStatus
from storage.updates import arrival, mark_handled

log = logging.getLogger(__name__)


async def load_person(update: Update, context: BotContext) -> None:
    """Load the participant and their language; skip re-delivered updates; keep out of groups."""
    settings = context.services.settings
    user = update.effective_user
    with context.services.session() as session:
        handled, found, awaiting = arrival(session=session, update_id=update.update_id,
                                           telegram_user_id=user.id if user else None)
        if handled:
            raise ApplicationHandlerStop  # Telegram re-delivered an update we already handled
        participant, context.tr = find_person(session, settings, user, found)
        if participant is not None:
            unreachable = participant.status == ParticipantStatus.UNREACHABLE or participant.unreachable_since
            if unreachable and update.my_chat_member is None:
                # They wrote to us, so Telegram delivers again.
                participant_back(session=session, participant=participant, now=context.services.now())
        context.participant = participant
        if awaiting and update.message is not None and (update.message.text or "").startswith("/"):
            awaited.clear(session=session, participant_id=participant.id)  # a command changes the subject
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE:
        await _leave_group(update, context)
        await _stop_here(update, context)
    if update.edited_message is not None:
        # A changed message is never acted on (python-telegram-bot's CommandHandler would run an edited
        # "/stop"): say so, and stop here, even if saying so fails.
        try:
            await update.edited_message.reply_text(context._(
                "I do not read changes to a message you already sent. Please send a new message."))
        except TelegramError as exc:
            log.warning("could not answer an edited message in update %s: %s", update.update_id,
                        type(exc).__name__)
        await _stop_here(update, context)


async def _stop_here(update: Update, context: BotContext) -> None:
    """Stopping in group -1 skips group 99: record the update as handled first, so a re-delivery is skipped."""
    await mark_processed(update, context)
    raise ApplicationHandlerStop


async def _leave_group(update: Update, context: BotContext) -> None:
    """Binôme speaks one to one: explain once, then leave the group."""
    member = update.my_chat_member
    if member is not None and member.new_chat_member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
        return  # we were removed: nothing to say
    _ = context._
    chat_id = update.effective_chat.id
    try:
        await context.bot.send_message(chat_id, _(
            "Hello! I only work in private chats, one to one. This protects what each person tells me. Write to me "
            "directly with your personal link. I am leaving this group."))
        await context.bot.leave_chat(chat_id)
    except TelegramError as exc:
        log.info("could not leave a group chat: %s", type(exc).__name__)


async def mark_processed(update: Update, context: BotContext) -> None:
    """Runs last (group 99): remember the update id so a re-delivery changes nothing."""
    with context.services.session() as session:
        mark_handled(session=session, update_id=update.update_id, now=context.services.now())
