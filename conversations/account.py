"""/help, /language, /stop and, for coordinators, /programme."""
from __future__ import annotations

from sqlmodel import col, select
from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatMemberStatus
from telegram.ext import ChatMemberHandler, CommandHandler

from bot import replies
from bot.commands import BY_ROLE, FOR_NEWCOMERS, menu_lines, names
from bot.context import BotContext
from conversations.onboarding import ask_language
from conversations.support import support_buttons
from storage.models import Participant, ParticipantStatus, Programme, Role
from storage.reachability import participant_back, participant_unreachable
from storage.participants import coordinators_of, pause, programme_counts

LIST_LIMIT = 30  # names listed under /programme, per list


async def show_help(update: Update, context: BotContext) -> None:
    """/help: what this person can do, and who their coordinator is."""
    _ = context._
    participant = context.participant
    if participant is None or participant.onboarded_at is None:
        lines = [_("I am Binôme, the assistant of mentoring programmes. To join, open your personal link. Your "
                   "coordinator sent it to you.")]
        lines += menu_lines(context.tr, FOR_NEWCOMERS)
        await update.effective_message.reply_text("\n".join(lines))
        return
    lines = [_("Here is what you can do:")]
    lines += menu_lines(context.tr, BY_ROLE[Role(participant.role)])
    with context.services.session() as session:
        names = [c.first_name for c in coordinators_of(session=session, programme_id=participant.programme_id)
                 if c.id != participant.id]
    if names:
        lines += ["", _("Do you have a question about the programme? Ask your coordinator: {names}.").format(
            names=", ".join(names))]
    markup = None
    if participant.role in (Role.MENTOR, Role.MENTEE):  # "I need help" / "I want to stop" are the pair's
        markup = InlineKeyboardMarkup(support_buttons(context.tr))
    await update.effective_message.reply_text("\n".join(lines), reply_markup=markup)


async def change_language(update: Update, context: BotContext) -> None:
    """/language: the language buttons again."""
    if context.participant is None or context.participant.onboarded_at is None:
        await show_help(update, context)
        return
    await ask_language(update, context, context.participant, context.tr, preselect=context.participant.language)


async def stop(update: Update, context: BotContext) -> None:
    """/stop: pause every message until /start."""
    if context.participant is None:
        await show_help(update, context)
        return
    with context.services.session() as session:
        participant = session.get(Participant, context.participant.id)
        paused = pause(session=session, participant=participant, now=context.services.now())
    _ = context._
    if paused:
        await update.effective_message.reply_text(_(
            "Done. I will not send you any more messages. To get them again, send /start. Your binôme and your "
            "coordinator do not change."))
    else:
        await update.effective_message.reply_text(_("My messages are already paused. To get them again, send /start."))


async def show_programme(update: Update, context: BotContext) -> None:
    """/programme (coordinators): who has joined, in numbers and names of those still to join."""
    participant = context.participant
    _ = context._
    if participant is None or participant.role != Role.COORDINATOR:
        await update.effective_message.reply_text(_("This command is for coordinators. To see your commands, send "
                                                    "/help."))
        return
    with context.services.session() as session:
        programme = session.get(Programme, participant.programme_id)
        counts = programme_counts(session=session, programme_id=programme.id)
        waiting = session.exec(select(Participant).where(
            Participant.programme_id == programme.id, Participant.role != Role.COORDINATOR,
            col(Participant.telegram_user_id).is_(None)).order_by(Participant.last_name)).all()
    lines = [
        "«{}»".format(programme.name),
        _("{binomes} binômes; {joined} of {participants} participants have joined.").format(
            binomes=counts.binomes, joined=counts.joined, participants=counts.participants),
    ]
    declined = [p for p in waiting if p.status == ParticipantStatus.DECLINED]
    pending = [p for p in waiting if p.status != ParticipantStatus.DECLINED]
    if pending:
        lines += ["", _("Not joined yet:")] + [f"• {p.display_name}" for p in pending[:LIST_LIMIT]]
        if len(pending) > LIST_LIMIT:
            lines.append(_("…and {count} more (see `binome invite`).").format(count=len(pending) - LIST_LIMIT))
    if declined:
        lines += ["", _("Declined the processing of their data:")] + [f"• {p.display_name}" for p in declined[:LIST_LIMIT]]
        if len(declined) > LIST_LIMIT:
            lines.append(_("…and {count} more.").format(count=len(declined) - LIST_LIMIT))
    await replies.reply(update.effective_message, "\n".join(lines))


async def track_membership(update: Update, context: BotContext) -> None:
    """A user blocked or unblocked the bot in a private chat."""
    participant = context.participant
    if participant is None:
        return
    status = update.my_chat_member.new_chat_member.status
    with context.services.session() as session:
        fresh = session.get(Participant, participant.id)
        now = context.services.now()
        if status in (ChatMemberStatus.BANNED, ChatMemberStatus.LEFT):
            participant_unreachable(session=session, participant=fresh, now=now)
        elif fresh.status == ParticipantStatus.UNREACHABLE or fresh.unreachable_since is not None:
            participant_back(session=session, participant=fresh, now=now)


HANDLERS = [
    CommandHandler(names("help"), show_help),
    CommandHandler(names("language"), change_language),
    CommandHandler(names("stop"), stop),
    CommandHandler(names("programme"), show_programme),
    ChatMemberHandler(track_membership, ChatMemberHandler.MY_CHAT_MEMBER),
]
