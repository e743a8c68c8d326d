"""/binome for coordinators: the programme's binômes at a glance, and one binôme's summary with its buttons
(pause, resume, close, the closing-interview guide: conversations.binome_card).

`/binome` lists the open binômes (active and paused) by their code, one button each (`bs:<binôme id>:show`);
`/binome B07` shows B07's summary at once, closed ones included. Only a coordinator of the binôme's
programme sees it: another programme's code is "not found", as if it did not exist.
"""
from __future__ import annotations

from sqlmodel import col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import replies
from bot.commands import names
from bot.context import BotContext
from conversations import buttons, referents
from conversations.alert_cards import summary
from conversations.binome_card import summary_keyboard
from storage.models import Binome, BinomeStatus, Participant, Role

PATTERN = buttons.pattern("bs")
VALUES = {"show": None}
LIST_LIMIT = 30
CODE_LIMIT = 80  # Binome.label


async def show_binomes(update: Update, context: BotContext) -> None:
    participant, tr = context.participant, context.tr
    if participant is not None and participant.role == Role.REFERENT and participant.onboarded_at is not None:
        await referents.show(update, context)  # the binômes they follow, facts only
        return
    if participant is None or participant.role != Role.COORDINATOR:
        await update.effective_message.reply_text(tr("This command is for coordinators. To see your commands, send "
                                                     "/help."))
        return
    code = " ".join(context.args or []).strip()[:CODE_LIMIT]
    with context.services.session() as session:
        if code:
            binome = session.exec(select(Binome).where(Binome.programme_id == participant.programme_id,
                                                       Binome.label == code)).first()
            if binome is None:
                await update.effective_message.reply_text(
                    tr("No binôme {label} in your programme. /binome lists them.").format(label=code))
                return
            await replies.reply(update.effective_message, summary(tr, session, binome), summary_keyboard(tr, binome))
            return
        open_ones = session.exec(select(Binome).where(Binome.programme_id == participant.programme_id,
                                                      Binome.status != BinomeStatus.CLOSED)
                                 .order_by(col(Binome.label))).all()
        closed = len(session.exec(select(Binome.id).where(Binome.programme_id == participant.programme_id,
                                                          Binome.status == BinomeStatus.CLOSED)).all())
    if not open_ones:
        await update.effective_message.reply_text(tr("No open binôme in your programme."))
        return
    lines = [tr.ngettext("{n} open binôme; tap one to see it:", "{n} open binômes; tap one to see it:",
                         len(open_ones)).format(n=len(open_ones))]
    if len(open_ones) > LIST_LIMIT:
        lines.append(tr("The first {shown} are below; /binome followed by a code (/binome B07) shows any "
                        "other.").format(shown=LIST_LIMIT))
    if closed:
        lines.append(tr.ngettext("({n} closed binôme: /binome followed by its code shows it.)",
                                 "({n} closed binômes: /binome followed by a code shows one.)", closed).format(n=closed))
    marks = {BinomeStatus.PAUSED: " ⏸"}
    keys = [InlineKeyboardButton(f"{b.label}{marks.get(b.status, '')}", callback_data=f"bs:{b.id}:show")
            for b in open_ones[:LIST_LIMIT]]
    await replies.reply(update.effective_message, "\n".join(lines),
                        InlineKeyboardMarkup(buttons.grid(keys, 3)))


async def on_button(update: Update, context: BotContext) -> None:
    press = buttons.parse(context.match, VALUES)
    participant, tr = context.participant, context.tr
    if press is None or participant is None or participant.role != Role.COORDINATOR:
        await buttons.refuse(update, context)
        return
    with context.services.session() as session:
        me = session.get(Participant, participant.id)
        binome = session.get(Binome, press.ref)
        if binome is None or binome.programme_id != me.programme_id:
            await buttons.refuse(update, context)
            return
        text, markup = summary(tr, session, binome), summary_keyboard(tr, binome)
    await update.callback_query.answer()
    await replies.reply(update.effective_message, text, markup)


HANDLERS = [CommandHandler(names("binome"), show_binomes), CallbackQueryHandler(on_button, pattern=PATTERN)]
