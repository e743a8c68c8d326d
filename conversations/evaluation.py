"""The evaluation after a closure, in the chat: the message the outbox sends (`evaluation`, then at most one
`evaluation_reminder`), one question at a time by buttons 1..5, an optional word, whether the coordinator
may read it, and the coordinator's /evaluations (aggregates only, nothing under the floor).

Callback data: `ev:<evaluation id>:<question>:<score>`, `ev:<id>:none` (nothing to add), `ev:<id>:share:<1|0>`.
The rules (storage.evaluations) accept only the presser's own open evaluation at the step the button was
made for: a forged, stale, doubled or out-of-range press changes nothing and is answered politely. Each
press edits the message to the next step; the word is free text (conversations.awaited).
"""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import replies, sender
from bot.commands import names
from bot.context import BotContext
from bot.evaluation_report import period, role_lines
from bot.i18n import N_, Translator
from bot.vocabulary import term
from conversations import awaited, buttons
from storage import evaluations as rules
from storage.checkins import local_day
from storage.models import Binome, Evaluation, Participant, Programme, Role
from storage.participants import partner_in
from storage.programmes import add_months

PATTERN = buttons.pattern("ev")
VALUES = {code: r"\d{1,2}" for code in rules.ALL_QUESTIONS} | {"none": None, "share": "[01]"}  # verb: its value
PERIOD_MONTHS = 12  # what /evaluations looks back over

# {partner} is the other person's first name; {mentor} and {mentee} the programme's words for them.
QUESTION_TEXTS = {
    Role.MENTEE: {
        "usefulness": N_("Was the mentoring useful to you?"),
        "relationship": N_("Did you get on well with {partner}, your {mentor}?"),
        "progress": N_("Have you moved forward towards your goal?"),
        "confidence": N_("Do you feel more confident today?"),
        "support": N_("Did the programme's team support you well?"),
        "recommend": N_("Would you recommend the programme to a friend?"),
    },
    Role.MENTOR: {
        "relationship": N_("Did you get on well with {partner}, your {mentee}?"),
        "progress": N_("Have you seen {partner} move forward towards their goal?"),
        "support": N_("Did the programme's team support you well?"),
        "again": N_("Would you be a {mentor} again?"),
    },
}
REFUSALS = {
    rules.Refusal.DONE: N_("You have already answered this evaluation. Thank you!"),
    rules.Refusal.EXPIRED: N_("This evaluation is closed. Thank you anyway!"),
    rules.Refusal.STALE: N_("Already answered, thank you."),
}
USE_THE_BUTTONS = N_("Please answer with the buttons of the evaluation above. One tap is enough. 🙂")


def _button(text: str, evaluation_id: int, verb: str, value: str | int | None = None) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=f"ev:{evaluation_id}:{verb}" + (
        f":{value}" if value is not None else ""))


def _partner_name(session: Session, evaluation: Evaluation, person: Participant, tr: Translator) -> str:
    binome = session.get(Binome, evaluation.binome_id) if evaluation.binome_id is not None else None
    if binome is None:
        return ""
    partner = partner_in(session=session, binome=binome, participant=person)
    if partner.erased_at is not None:  # storage.privacy: their name is gone
        return tr("your {role}").format(role=term(tr, session.get(Programme, binome.programme_id), partner.role,
                                                        partner.gender))
    return partner.first_name


def view(tr: Translator, session: Session, evaluation: Evaluation,
         person: Participant) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons of the evaluation where `person` stands in it."""
    at, eid = rules.step(evaluation), evaluation.id
    if at in rules.ALL_QUESTIONS:
        role, programme = Role(evaluation.role), session.get(Programme, evaluation.programme_id)
        codes = rules.questions_of(evaluation)
        question = tr(QUESTION_TEXTS[role][at]).format(partner=_partner_name(session, evaluation, person, tr),
                                                       mentor=term(tr, programme, Role.MENTOR),
                                                       mentee=term(tr, programme, Role.MENTEE))
        text = "\n".join([tr("Question {n} of {total}").format(n=codes.index(at) + 1, total=len(codes)),
                          question, tr("1 = not at all … 5 = very much")])
        return text, InlineKeyboardMarkup([[_button(str(score), eid, at, score) for score in rules.SCORES]])
    if at == "word":
        return tr("Anything to add? You do not have to.") + "\n" + tr("Type a word here, or tap “Nothing to add”."), \
            InlineKeyboardMarkup([[_button(tr("Nothing to add"), eid, "none")]])
    if at == "share":
        return tr("Thank you. Can I share your word with the coordinator?"), InlineKeyboardMarkup([
            [_button(tr("Yes, without my name"), eid, "share", 1)],
            [_button(tr("No, keep it private"), eid, "share", 0)]])
    if at == rules.EXPIRED:
        return tr("This evaluation is closed. Thank you anyway!"), None
    lines = [tr("Thank you, {name}! 🌟 Your answers help the programme to do better for the next binômes.").format(
        name=person.first_name)]
    if evaluation.word and evaluation.word_shared:
        lines.append(tr("I will give your word to the coordinator, without your name."))
    elif evaluation.word:
        lines.append(tr("Your word stays private."))
    return "\n".join(lines), None


# ---------------------------------------------------------------- what the outbox sends

def _remaining(evaluation: Evaluation) -> int:
    return sum(1 for code in rules.questions_of(evaluation) if code not in (evaluation.scores or {}))


@sender.renderer("evaluation")
def render_evaluation(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    evaluation = session.get(Evaluation, params["evaluation_id"])
    count = _remaining(evaluation)
    intro = tr("Hello {name}! Your binôme with {partner} has ended. Thank you for everything you did. 🙏"
               ).format(name=recipient.first_name, partner=_partner_name(session, evaluation, recipient, tr))
    ask = tr.ngettext("Can you tell us how it went? There is {count} short question. It takes about a minute: one tap "
                      "for each answer.",
                      "Can you tell us how it went? There are {count} short questions. It takes about a minute: one "
                      "tap for each answer.",
                      count).format(count=count)
    anonymous = tr("Your answers are anonymous. The coordinator sees only totals, never your name.")
    text, markup = view(tr, session, evaluation, recipient)
    return sender.Rendered("\n\n".join([intro, f"{ask} {anonymous}", text]), markup)


@sender.renderer("evaluation_reminder")
def render_reminder(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    evaluation = session.get(Evaluation, params["evaluation_id"])
    closes = tr.date(evaluation.sent_at + rules.EXPIRE_AFTER)
    head = tr("⏰ A small reminder, {name}: you can still answer the evaluation of your binôme with {partner} until "
              "{date}. It takes a minute.").format(name=recipient.first_name, date=closes,
                                                   partner=_partner_name(session, evaluation, recipient, tr))
    text, markup = view(tr, session, evaluation, recipient)
    return sender.Rendered(f"{head}\n\n{text}", markup)


# ---------------------------------------------------------------- presses and the word

def _refusal(context: BotContext, refused: rules.EvaluationRefused) -> str:
    return context._(REFUSALS.get(refused.refusal, buttons.INVALID))


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    press = buttons.parse(context.match, VALUES)
    participant, now = context.participant, context.services.now()
    if press is None or participant is None:
        await buttons.refuse(update, context)
        return
    try:
        with context.services.session() as session:
            me = session.get(Participant, participant.id)
            if press.verb == "none":
                evaluation = rules.finish(session=session, evaluation_id=press.ref, participant=me, now=now)
            elif press.verb == "share":
                evaluation = rules.finish(session=session, evaluation_id=press.ref, participant=me, now=now,
                                          shared=press.value == "1")
            else:
                evaluation = rules.answer(session=session, evaluation_id=press.ref, participant=me,
                                          question=press.verb, score=int(press.value), now=now)
                if rules.step(evaluation) == "word":
                    awaited.expect(session=session, participant_id=me.id, purpose=rules.WORD_PURPOSE,
                                   ref_id=evaluation.id, now=now)
            text, markup = view(context.tr, session, evaluation, me)
    except rules.EvaluationRefused as refused:
        await query.answer(_refusal(context, refused))
        return
    await query.answer()
    await replies.edit(query, text, markup)


@awaited.on_text(rules.WORD_PURPOSE)
async def on_word(update: Update, context: BotContext, ref_id: int | None, text: str) -> None:
    """The optional word; the share question comes as a new message."""
    message, now = update.effective_message, context.services.now()
    try:
        with context.services.session() as session:
            me = session.get(Participant, context.participant.id)
            evaluation = rules.give_word(session=session, evaluation_id=ref_id or 0, participant=me, word=text,
                                         now=now)
            reply, markup = view(context.tr, session, evaluation, me)
    except rules.EvaluationRefused as refused:
        if refused.refusal == rules.Refusal.EMPTY:
            await awaited.nothing_readable(update, context)
        elif refused.refusal in (rules.Refusal.STALE, rules.Refusal.NOT_YET):
            await message.reply_text(context._(USE_THE_BUTTONS))
        else:
            await message.reply_text(_refusal(context, refused))
        return
    await replies.reply(message, reply, markup)


async def typed_in_evaluation(update: Update, context: BotContext) -> bool:
    """Text or a sticker nobody was waiting for, from someone in the middle of an evaluation (for the
    fallback): at the word step, text is the word (even if a command made the bot forget it was waiting);
    otherwise a kind pointer to the buttons. False when no evaluation of theirs is under way."""
    participant = context.participant
    if participant is None:
        return False
    with context.services.session() as session:
        evaluation = rules.midflow(session=session, participant_id=participant.id, now=context.services.now())
        found = (evaluation.id, rules.step(evaluation)) if evaluation is not None else None
    if found is None:
        return False
    message = update.effective_message
    if found[1] == "word" and message.text:
        word = awaited.typed(message.text)
        if not word:
            await awaited.nothing_readable(update, context)
        else:
            await on_word(update, context, found[0], word)
        return True
    await message.reply_text(context._(USE_THE_BUTTONS))
    return True


# ---------------------------------------------------------------- the coordinator's /evaluations

def report_lines(tr: Translator, session: Session, programme: Programme, now: datetime) -> list[str]:
    """The programme's aggregates over the last PERIOD_MONTHS, by role."""
    until = local_day(now, programme.timezone)
    since = add_months(until, -PERIOD_MONTHS)
    lines = [tr("📊 Evaluations after closure"), period(tr, since, until)]
    for role in (Role.MENTEE, Role.MENTOR):
        found = rules.aggregate(session=session, programme_id=programme.id, since=since, until=until, role=role)
        lines += [""] + role_lines(tr, programme, role, found)
    return lines


async def show_evaluations(update: Update, context: BotContext) -> None:
    """/evaluations (coordinators): the anonymous aggregates of their programme."""
    participant = context.participant
    if participant is None or participant.role != Role.COORDINATOR:
        await update.effective_message.reply_text(context._("This command is for coordinators. To see your commands, "
                                                            "send /help."))
        return
    with context.services.session() as session:
        programme = session.get(Programme, participant.programme_id)
        lines = report_lines(context.tr, session, programme, context.services.now())
    await replies.reply(update.effective_message, "\n".join(lines))


HANDLERS = [
    CommandHandler(names("evaluations"), show_evaluations),
    CallbackQueryHandler(on_button, pattern=PATTERN),
]
