"""Self-evaluation in the chat: the 4-step scale by buttons, a few competences at a time, the mentor's view
after the mentee's, and the /progress section with the two side by side (storage.self_evaluations,
docs/tutoring.md).

Callback data: `se:<round id>:r:<competence id>_<level 1-4>`. A press counts only from the person whose turn
it is, for the competence the round expects next: a forged id or level, another person's round, an old or
doubled press change nothing and are answered politely.
"""
from __future__ import annotations

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot import replies, sender
from bot.context import BotContext
from bot.i18n import N_, Translator
from conversations import buttons
from conversations.formats import DAY
from storage import self_evaluations as rules
from storage.models import Binome, Participant, Role, SelfEvaluation

PATTERN = buttons.pattern("se")
VALUES = {"r": rf"{buttons.ID}_[1-4]"}
LEVELS = {1: N_("Not yet"), 2: N_("With help"), 3: N_("On my own"), 4: N_("I could teach it")}
ARROWS = {1: "↗️", 0: "=", -1: "↘️"}


def _question(tr: Translator, session: Session, evaluation: SelfEvaluation) -> tuple[str, InlineKeyboardMarkup | None]:
    competence, done, total = rules.next_competence(session=session, evaluation=evaluation)
    binome = session.get(Binome, evaluation.binome_id)
    if competence is None:
        return tr("Thank you, this round is complete."), None
    if evaluation.status == rules.MENTEE:
        head = tr("📝 Self-evaluation, round {round}. Done: {done} of {total}. Where are you now?")
    else:
        head = tr("📝 Your view of {name}'s progress, round {round} ({done} of {total} done):")
    name = session.get(Participant, binome.mentee_id).first_name
    label = f"{competence.group} · {competence.label}" if competence.group else competence.label
    text = head.format(round=evaluation.round, done=done, total=total, name=name) + "\n\n" + label
    data = f"se:{evaluation.id}:r:{competence.id}_"
    row = [InlineKeyboardButton(tr(LEVELS[level]), callback_data=f"{data}{level}") for level in rules.LEVELS]
    return text, InlineKeyboardMarkup([row[:2], row[2:]])


async def on_button(update: Update, context: BotContext) -> None:
    query, press, participant, tr = update.callback_query, buttons.parse(context.match, VALUES), \
        context.participant, context.tr
    if press is None or participant is None or participant.role == Role.COORDINATOR:
        await buttons.refuse(update, context)
        return
    competence_id, level = map(int, press.value.split("_"))
    try:
        with context.services.session() as session:
            rated = rules.rate(session=session, evaluation_id=press.ref, participant_id=participant.id,
                               competence_id=competence_id, level=level, now=context.services.now())
            evaluation = rated.evaluation
            if rated.next is not None:
                text, markup = _question(tr, session, evaluation)
            elif rated.pause:
                text, markup = tr("👍 You have done {done} of {total}. That is enough for today. I will send the next "
                                  "ones tomorrow.").format(done=rated.done, total=rated.total), None
            elif evaluation.status == rules.MENTOR:
                binome = session.get(Binome, evaluation.binome_id)
                text, markup = tr("Thank you! Now {name} gives their view. Then /progress shows both views side by "
                                  "side.").format(name=session.get(Participant, binome.mentor_id).first_name), None
            else:
                text, markup = tr("Thank you! To see both views side by side, send /progress. You also see the "
                                  "change since last time."), None
    except rules.RatingRefused as refused:
        await query.answer(context._("Already answered, thank you.") if refused.refusal == rules.RatingRefusal.ANSWERED
                           else context._(buttons.INVALID))
        return
    await query.answer()
    await replies.edit(query, text, markup)


def _level(tr: Translator, level: int | None) -> str:
    return tr(LEVELS[level]).lower() if level else "—"


def _change(now: int | None, before: int | None) -> str:
    if now is None or before is None:
        return ""
    return " " + ARROWS[(now > before) - (now < before)]


def progress_lines(tr: Translator, session: Session, binome: Binome) -> tuple[list[str], rules.Progress]:
    """The competences with the mentee's view and the mentor's, and the change since the round before."""
    shown = rules.progress(session=session, binome=binome)
    if shown.round is None:
        return [], shown
    mentee, mentor = session.get(Participant, binome.mentee_id), session.get(Participant, binome.mentor_id)
    lines = ["", tr("📈 Competences, round {round} of {date} ({mentee} · {mentor}):").format(
        round=shown.round.round, date=tr.date(shown.round.opened_at, tr(DAY)), mentee=mentee.first_name,
        mentor=mentor.first_name)]
    for line in shown.lines:
        lines.append(f"• {line.competence.label}: {_level(tr, line.mentee)}{_change(line.mentee, line.mentee_before)}"
                     f" · {_level(tr, line.mentor)}{_change(line.mentor, line.mentor_before)}")
    if shown.before is not None:
        lines.append(tr("↗️ better, ↘️ lower, = the same as round {round}.").format(round=shown.before.round))
    return lines, shown


@sender.renderer("self_eval")
def render_question(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    text, markup = _question(tr, session, session.get(SelfEvaluation, params["evaluation_id"]))
    return sender.Rendered(text, markup)


@sender.renderer("self_eval_done")
def render_done(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    evaluation = session.get(SelfEvaluation, params["evaluation_id"])
    binome = session.get(Binome, evaluation.binome_id)
    other = session.get(Participant, binome.mentor_id if recipient.id == binome.mentee_id else binome.mentee_id)
    return sender.Rendered(tr("📈 Self-evaluation round {round} is complete. To see your view and {name}'s side by "
                              "side, send /progress. You also see the change since last time.").format(
        round=evaluation.round, name=other.first_name))


HANDLERS = [CallbackQueryHandler(on_button, pattern=PATTERN)]
