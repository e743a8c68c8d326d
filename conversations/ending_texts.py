"""What a coordinator reads of the pair's answers before the planned end: the line on the "end near"
card, and the short notice when someone answers after the card was sent (storage.ending). Only the
choices, and a word only if its writer shared it."""
from __future__ import annotations

from sqlmodel import Session

from bot import sender
from bot.i18n import N_, Translator
from bot.vocabulary import term
from storage import ending as rules
from storage.models import Binome, EndingAnswer, Participant, Programme

ANSWER_NAMES = {"close": N_("ready to close"), "extend": N_("would like to extend")}


def answers_line(tr: Translator, session: Session, binome: Binome) -> str:
    """"Marc (mentor): ready to close · Amina (mentee): would like to extend — «…»"."""
    programme = session.get(Programme, binome.programme_id)
    parts = []
    for fact in rules.answers(session=session, binome=binome):
        answer = tr(ANSWER_NAMES[fact.answer]) if fact.answer else tr("not answered yet")
        part = tr("{name} ({role}): {answer}").format(name=fact.person.first_name, answer=answer,
                                                      role=term(tr, programme, fact.person.role))
        if fact.shared_word:
            part += " — " + tr("«{word}»").format(word=fact.shared_word)
        parts.append(part)
    return " · ".join(parts)


@sender.renderer("ending_answered")
def render_answered(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    row = session.get(EndingAnswer, params["answer_id"])
    binome, person = session.get(Binome, row.binome_id), session.get(Participant, row.participant_id)
    who = {"name": person.first_name, "label": binome.label,
           "role": term(tr, session.get(Programme, binome.programme_id), person.role)}
    if params.get("what") == "word":
        return sender.Rendered(tr("💬 {name} ({role}, {label}) shared a word with you about the end: «{word}»").format(
            word=row.word, **who))
    return sender.Rendered(tr("🗳 {name} ({role}, {label}) answered about the end: {answer}.").format(
        answer=tr(ANSWER_NAMES[row.answer]), **who))
