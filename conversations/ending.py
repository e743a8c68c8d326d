"""Before the planned end, the pair's side (docs/closure.md): the question, an optional word for the
coordinator, whether to share it, and the notice of an extension. The rules are in storage.ending; what
the coordinator reads in conversations.ending_texts and the "end near" card.

Callback data: `ee:<answer id>:<verb>[:<value>]`: `close` / `extend` (the answer; pressed again later, a
changed mind), `noword` (no word, thanks), `share:1` / `share:0` (share the typed word with the
coordinator, or keep it private). Every press is checked by the rules against the presser's own row for
the binôme's current planned end: a forged, stale or doubled press changes nothing and is answered.
"""
from __future__ import annotations

from datetime import date

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot import replies, sender
from bot.context import BotContext
from bot.i18n import N_, Translator
from conversations import awaited, buttons
from storage import ending as rules
from storage.models import Binome, EndingAnswer, Participant

PATTERN = buttons.pattern("ee")
VALUES = {"close": None, "extend": None, "noword": None, "share": "[01]"}
CHOICE_LABELS = {"close": N_("✅ Ready to end"), "extend": N_("⏳ I would like more time")}  # also "Your answer"
WORD = "ending_word"  # the awaited text's purpose: the optional word, ref = the answer's id
REFUSALS = {
    rules.EndingRefusal.NOT_ACTIVE: N_("This question is closed. Your binôme is paused or has ended."),
    rules.EndingRefusal.STALE: N_("This question was about an old end date. Your binôme now lasts longer."),
    rules.EndingRefusal.ALREADY: N_("Already answered, thank you."),
}


def _button(text: str, answer_id: int, verb: str, value: str | None = None) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=f"ee:{answer_id}:{verb}" + (f":{value}" if value else ""))


def _choices(tr: Translator, answer_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_button(tr(CHOICE_LABELS[choice]), answer_id, choice)] for choice in rules.CHOICES])


def _question(tr: Translator, session: Session, row: EndingAnswer, recipient: Participant) -> str:
    binome = session.get(Binome, row.binome_id)
    partner = session.get(Participant, binome.mentee_id if recipient.id == binome.mentor_id else binome.mentor_id)
    return tr("Hello {name}, your binôme with {partner} is planned to end on {date}. What do you think?").format(
        name=recipient.first_name, partner=partner.first_name, date=tr.date(row.planned_end_on))


def _answered(tr: Translator, session: Session, row: EndingAnswer, recipient: Participant) -> str:
    return _question(tr, session, row, recipient) + "\n\n" + tr("Your answer: {answer}.").format(
        answer=tr(CHOICE_LABELS[row.answer]))


def _word_step(tr: Translator, session: Session, row: EndingAnswer, recipient: Participant):
    text = _answered(tr, session, row, recipient) + "\n" + tr(
        "Thank you. Do you want to add a word for your coordinator? You do not have to. If you want, type it here.")
    return text, InlineKeyboardMarkup([[_button(tr("No, thanks"), row.id, "noword")]])


def _done(tr: Translator, session: Session, row: EndingAnswer, recipient: Participant):
    lines = [_answered(tr, session, row, recipient)]
    if row.word:
        lines.append((tr("Your word, shared with your coordinator: «{word}»") if row.word_shared
                      else tr("Your word stays private: «{word}»")).format(word=row.word))
    lines.append(tr("Thank you, {name}. Your coordinator will see your answer. If you change your mind, you can "
                    "answer again below.").format(name=recipient.first_name))
    return "\n".join(lines), _choices(tr, row.id)


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    press = buttons.parse(context.match, VALUES)
    participant, tr, now = context.participant, context.tr, context.services.now()
    if press is None or participant is None:
        await buttons.refuse(update, context)
        return
    try:
        with context.services.session() as session:
            me = session.get(Participant, participant.id)
            if press.verb in rules.CHOICES:
                row = rules.answer(session=session, answer_id=press.ref, participant=me, choice=press.verb, now=now)
                awaited.expect(session=session, participant_id=me.id, purpose=WORD, ref_id=row.id, now=now)
                text, markup = _word_step(tr, session, row, me)
            elif press.verb == "noword":
                row, _binome = rules.own_current(session=session, answer_id=press.ref, participant=me)
                if row.answer is None:
                    raise rules.EndingRefused(rules.EndingRefusal.NOT_ANSWERED)
                awaited.clear(session=session, participant_id=me.id, purpose=WORD)
                text, markup = _done(tr, session, row, me)
            else:
                row = rules.share(session=session, answer_id=press.ref, participant=me, shared=press.value == "1",
                                  now=now)
                text, markup = _done(tr, session, row, me)
    except rules.EndingRefused as refused:
        await query.answer(context._(REFUSALS.get(refused.refusal, buttons.INVALID)))
        return
    await query.answer()
    await replies.edit(query, text, markup)


@awaited.on_text(WORD)
async def on_word(update: Update, context: BotContext, ref_id: int | None, text: str) -> None:
    """The typed word: kept private, then "Share it with your coordinator?"."""
    tr, now = context.tr, context.services.now()
    try:
        with context.services.session() as session:
            me = session.get(Participant, context.participant.id)
            row = rules.add_word(session=session, answer_id=ref_id, participant=me, word=text, now=now)
            markup = InlineKeyboardMarkup([[_button(tr("Yes, share it"), row.id, "share", "1")],
                                           [_button(tr("No, keep it private"), row.id, "share", "0")]])
    except rules.EndingRefused as refused:
        await update.effective_message.reply_text(context._(REFUSALS.get(refused.refusal, buttons.INVALID)))
        return
    await replies.reply(update.effective_message, tr("Thank you. Share it with your coordinator?"), markup)


# ---------------------------------------------------------------- what the outbox sends

@sender.renderer("ending_question")
def render_question(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    row = session.get(EndingAnswer, params["answer_id"])
    return sender.Rendered(_question(tr, session, row, recipient), _choices(tr, row.id))


@sender.renderer("binome_extended")
def render_extended(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    binome = session.get(Binome, params["binome_id"])
    partner = session.get(Participant, binome.mentee_id if recipient.id == binome.mentor_id else binome.mentor_id)
    return sender.Rendered(tr("Hello {name}, good news: your binôme with {partner} goes on. It is now planned to end "
                              "on {date}. If you need anything, send /help.").format(
        name=recipient.first_name, partner=partner.first_name, date=tr.date(date.fromisoformat(params["until"]))))


HANDLERS = [CallbackQueryHandler(on_button, pattern=PATTERN)]
