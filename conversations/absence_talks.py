"""The talk after an unexcused absence, in the chat: the mentor's question and its two buttons
(storage.absence_talks, docs/tutoring.md).

Callback data: `at:<absence id>:held` (the talk took place) or `at:<absence id>:no` (it was not possible:
the coordinator is told through the warning sign). Only the binôme's mentor, or the substitute standing in
for that meeting, may answer; a forged, foreign, stale or doubled press changes nothing and gets a polite
answer. Nothing of the talk's content is asked or kept.
"""
from __future__ import annotations

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot import sender
from bot.context import BotContext
from bot.i18n import Translator
from bot.vocabulary import term
from conversations import buttons
from conversations.meeting_texts import when
from storage import absence_talks as rules
from storage.meetings import pair_of
from storage.models import Absence, Meeting, Participant, Role

PATTERN = buttons.pattern("at")
VALUES = {"held": None, "no": None}
RESULTS = {"held": "held", "no": "not_possible"}


async def on_button(update: Update, context: BotContext) -> None:
    query, press, participant = update.callback_query, buttons.parse(context.match, VALUES), context.participant
    if press is None or participant is None or participant.role != Role.MENTOR:
        await buttons.refuse(update, context)
        return
    _ = context._
    try:
        with context.services.session() as session:
            absence = rules.record(session=session, absence_id=press.ref, participant_id=participant.id,
                                   result=RESULTS[press.verb], now=context.services.now())
            mentee = session.get(Participant, pair_of(session=session, meeting=session.get(
                Meeting, absence.meeting_id)).mentee.id).first_name
    except rules.TalkRefused as refused:
        if refused.refusal == rules.TalkRefusal.DONE:
            await query.answer(_("Already recorded, thank you."))
        else:
            await buttons.refuse(update, context)
        return
    await query.answer(_("Noted."))
    text = (_("✅ Noted: you have talked with {name}. Thank you: it matters a lot.") if press.verb == "held" else
            _("Noted: the talk with {name} was not possible. I am telling your coordinator, who will follow it "
              "up.")).format(name=mentee)
    await query.edit_message_text(text)


@sender.renderer("absence_talk")
def render_talk(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    absence = session.get(Absence, params["absence_id"])
    meeting = session.get(Meeting, absence.meeting_id)
    pair = pair_of(session=session, meeting=meeting)
    values = {"name": pair.mentee.first_name, "when": when(tr, meeting), "role": term(tr, pair.programme,
                                                                                      Role.MENTEE, pair.mentee.gender)}
    if params.get("which") == "again":
        text = tr("A reminder: have you been able to talk with {name} since the meeting {when} they missed? One "
                  "tap is enough.").format(**values)
    else:
        text = tr("{name}, your {role}, did not come to the meeting {when}. After an absence without notice, a "
                  "talk with them is essential: call them or see them, listen, and tell me here when it has "
                  "taken place. Only that is recorded, nothing of what you say.").format(**values)
    keyboard = InlineKeyboardMarkup([
        [InlineKeyboardButton(tr("✅ We have talked"), callback_data=f"at:{absence.id}:held")],
        [InlineKeyboardButton(tr("🙁 Not possible: tell the coordinator"), callback_data=f"at:{absence.id}:no")]])
    return sender.Rendered(text, keyboard)


HANDLERS = [CallbackQueryHandler(on_button, pattern=PATTERN)]
