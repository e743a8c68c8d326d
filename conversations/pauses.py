"""Pause and resume a binôme from the coordinator's binôme summary, and the notices the pair gets.

Callback data: `bp:<binôme id>:<verb>[:<value>]`: `pause` (asks why), `why:<reason>` (asks until when),
`until:<reason>_<choice>` (pauses), `resume`, `back`. Every press checks that the presser is a
coordinator of the binôme's programme: a forged, stale or foreign button changes nothing. The rules are
in storage.pauses; the summary's text in conversations.alert_cards.
"""
from __future__ import annotations

from datetime import date

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot import replies, sender
from bot.context import BotContext
from bot.i18n import N_, Translator
from conversations import buttons
from conversations.alert_cards import PAUSE_REASONS, summary
from conversations.binome_card import summary_keyboard
from storage import pauses as rules
from storage.models import Binome, BinomeStatus, Participant, Role

PATTERN = buttons.pattern("bp")
_REASON = "|".join(rules.REASONS)
VALUES = {"pause": None, "resume": None, "back": None, "why": f"(?:{_REASON})",
          "until": f"(?:{_REASON})_(?:{'|'.join(rules.RESUME_CHOICES)})"}
CHOICES = {"2w": N_("In 2 weeks"), "1m": N_("In 1 month"), "2m": N_("In 2 months"), "none": N_("No date")}


def _button(text: str, binome_id: int, verb: str, value: str | None = None) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=f"bp:{binome_id}:{verb}" + (f":{value}" if value else ""))


def _reasons(tr: Translator, binome_id: int) -> InlineKeyboardMarkup:
    rows = [[_button(tr(PAUSE_REASONS[r]).capitalize(), binome_id, "why", r)] for r in rules.REASONS]
    return InlineKeyboardMarkup(rows + [[_button(tr("← Back"), binome_id, "back")]])


def _dates(tr: Translator, binome_id: int, reason: str, today: date) -> InlineKeyboardMarkup:
    rows = []
    for choice, label in CHOICES.items():
        day = rules.resume_date(choice, today)
        text = tr(label) + (f" ({tr.date(day, 'd MMM')})" if day else "")
        rows.append([_button(text, binome_id, "until", f"{reason}_{choice}")])
    return InlineKeyboardMarkup(rows + [[_button(tr("← Back"), binome_id, "back")]])


def _binome_of(session: Session, binome_id: int, coordinator: Participant) -> Binome:
    binome = session.get(Binome, binome_id)
    if binome is None or coordinator.role != Role.COORDINATOR or binome.programme_id != coordinator.programme_id:
        raise rules.PauseRefused(rules.PauseRefusal.NOT_YOURS)
    return binome


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    press = buttons.parse(context.match, VALUES)
    participant, tr, now = context.participant, context.tr, context.services.now()
    if press is None or participant is None or participant.role != Role.COORDINATOR:
        await buttons.refuse(update, context)
        return
    toast = None
    try:
        with context.services.session() as session:
            me = session.get(Participant, participant.id)
            binome = _binome_of(session, press.ref, me)
            if press.verb in ("pause", "why") and binome.status != BinomeStatus.ACTIVE:
                raise rules.PauseRefused(rules.PauseRefusal.NOT_ACTIVE)
            if press.verb == "pause":
                text, markup = summary(tr, session, binome) + "\n\n" + tr("Why is the binôme paused?"), \
                    _reasons(tr, binome.id)
            elif press.verb == "why":
                today = rules.programme_day(session=session, binome=binome, now=now)
                text, markup = summary(tr, session, binome) + "\n\n" + tr("Until when?"), \
                    _dates(tr, binome.id, press.value, today)
            else:
                if press.verb == "until":
                    reason, choice = press.value.rsplit("_", 1)
                    today = rules.programme_day(session=session, binome=binome, now=now)
                    rules.pause(session=session, binome=binome, reason=reason, now=now, by=me,
                                resume_on=rules.resume_date(choice, today))
                    session.flush()
                    toast = tr("The binôme is paused; both have been told.")
                elif press.verb == "resume":
                    rules.resume(session=session, binome=binome, by=me, now=now)
                    session.flush()
                    toast = tr("The binôme has resumed; both have been told.")
                text, markup = summary(tr, session, binome), summary_keyboard(tr, binome)
    except rules.PauseRefused:
        await buttons.refuse(update, context)
        return
    await query.answer(toast)
    await replies.edit(query, text, markup)


# ---------------------------------------------------------------- what the pair is told

def _partner(session: Session, params: dict, recipient: Participant) -> Participant:
    binome = session.get(Binome, params["binome_id"])
    return session.get(Participant, binome.mentee_id if recipient.id == binome.mentor_id else binome.mentor_id)


@sender.renderer("binome_paused")
def render_paused(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    partner = _partner(session, params, recipient)
    if params.get("until"):
        text = tr("Hello {name}, your binôme with {partner} is paused until {date}. You get no check-in until then. "
                  "If you need anything, you can still send /help. You can also still plan a meeting together with "
                  "/meeting, if you both want to.").format(name=recipient.first_name, partner=partner.first_name,
                                                         date=tr.date(date.fromisoformat(params["until"])))
    else:
        text = tr("Hello {name}, your binôme with {partner} is paused for now. You get no check-in in the meantime. "
                  "Your coordinator will tell you when it starts again. If you need anything, you can still send "
                  "/help. You can also still plan a meeting together with /meeting, if you both want to.").format(
            name=recipient.first_name, partner=partner.first_name)
    return sender.Rendered(text)


@sender.renderer("binome_resumed")
def render_resumed(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    partner = _partner(session, params, recipient)
    return sender.Rendered(tr("Hello {name}, your binôme with {partner} starts again. The check-ins start again in "
                              "the coming days. If you need anything, send /help.").format(
        name=recipient.first_name, partner=partner.first_name))


HANDLERS = [CallbackQueryHandler(on_button, pattern=PATTERN)]
