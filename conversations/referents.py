"""The partner referent in the chat (storage.referents, docs/tutoring.md): /binome lists the binômes they
follow and shows one's summary, facts only and without a coordinator's buttons; and the notices they get
(an absence, a warning sign, a closure) for those binômes only.

Callback data: `rb:<binôme id>:show`. A binôme the referent does not follow is "not found", as if it did not
exist; a forged id is "no longer valid".
"""
from __future__ import annotations

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot import replies, sender
from bot.context import BotContext
from bot.i18n import Translator
from bot.outcomes import outcome_name
from bot.vocabulary import term
from conversations import buttons
from conversations.alert_cards import SIGNAL_NAMES, describe, summary
from conversations.meeting_texts import when
from storage import referents as rules
from storage.models import Alert, Binome, Meeting, Participant, Programme, Role

PATTERN = buttons.pattern("rb")
VALUES = {"show": None}
CODE_LIMIT = 80


async def show(update: Update, context: BotContext) -> None:
    """/binome [code] for a referent."""
    tr = context.tr
    code = " ".join(context.args or []).strip()[:CODE_LIMIT]
    with context.services.session() as session:
        me = session.get(Participant, context.participant.id)
        mine = rules.binomes_of(session=session, referent=me)
        if code:
            found = next((b for b in mine if b.label == code), None)
            if found is None:
                await update.effective_message.reply_text(
                    tr("You do not follow a binôme {label}. /binome lists yours.").format(label=code))
                return
            await replies.reply(update.effective_message, summary(tr, session, found, shared=False))
            return
    if not mine:
        await update.effective_message.reply_text(tr("You do not follow any binôme yet."))
        return
    keys = [InlineKeyboardButton(b.label, callback_data=f"rb:{b.id}:show") for b in mine]
    await update.effective_message.reply_text(
        tr.ngettext("You follow {n} binôme; tap it to see its facts:", "You follow {n} binômes; tap one to see its "
                    "facts:", len(mine)).format(n=len(mine)),
        reply_markup=InlineKeyboardMarkup(buttons.grid(keys, 3)))


async def on_button(update: Update, context: BotContext) -> None:
    press, participant, tr = buttons.parse(context.match, VALUES), context.participant, context.tr
    if press is None or participant is None or participant.role != Role.REFERENT:
        await buttons.refuse(update, context)
        return
    with context.services.session() as session:
        me = session.get(Participant, participant.id)
        binome = session.get(Binome, press.ref)
        if binome is None or not rules.follows(session=session, referent=me, binome_id=binome.id):
            await buttons.refuse(update, context)
            return
        text = summary(tr, session, binome, shared=False)
    await update.callback_query.answer()
    await replies.reply(update.effective_message, text)


def _binome(session: Session, params: dict) -> tuple[Binome, Programme, Participant]:
    binome = session.get(Binome, params["binome_id"])
    return binome, session.get(Programme, binome.programme_id), session.get(Participant, binome.mentee_id)


@sender.renderer("referent_absence")
def render_absence(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    binome, programme, mentee = _binome(session, params)
    meeting = session.get(Meeting, params["meeting_id"])
    text = tr("📋 Binôme {label}: {name} ({role}) said they cannot come to the meeting {when}.") if params["notice"] \
        else tr("📋 Binôme {label}: {name} ({role}) did not come to the meeting {when}, without notice.")
    return sender.Rendered(text.format(label=binome.label, name=mentee.first_name, when=when(tr, meeting),
                                       role=term(tr, programme, Role.MENTEE, mentee.gender)))


@sender.renderer("referent_alert")
def render_alert(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    binome, _, _ = _binome(session, params)
    alert = session.get(Alert, params["alert_id"])
    head = tr("⚠️ Binôme {label}: {signal}.").format(label=binome.label,
                                                    signal=tr(SIGNAL_NAMES.get(alert.signal, alert.signal)))
    return sender.Rendered("\n".join((head, describe(tr, session, alert, shared=False),  # facts, never a word
                                      tr("The coordinator has been told and follows it up."))))


@sender.renderer("referent_closed")
def render_closed(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    binome, _, _ = _binome(session, params)
    return sender.Rendered(tr("🏁 Binôme {label} is closed on {date}: {outcome}.").format(
        label=binome.label, date=tr.date(binome.closed_on), outcome=outcome_name(tr, params["outcome"])) + " " +
        tr.ngettext("{held} meeting was held.", "{held} meetings were held.", params["held"]).format(
            held=params["held"]))


HANDLERS = [CallbackQueryHandler(on_button, pattern=PATTERN)]
