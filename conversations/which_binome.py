""""With which binôme?": asked where it matters when a person is in several binômes (a mentor with two
mentees), with one button per pair: the partner's first name and the pair's code. With one binôme
nothing is asked.

Callback data: `wb:<binome id>:<purpose>`, where each flow registers its purpose and what follows the
choice with `@on_choice("m")` (conversations.meeting_picker: /meeting; conversations.meetings: /absent;
conversations.plan: /plan). The press is checked before anything is read: the presser must be the
mentor or the mentee of that open binôme, else "This button is no longer valid."
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot.context import BotContext
from bot.i18n import N_, Translator
from conversations import buttons
from storage.models import Binome, Participant, Role
from storage.participants import active_binomes_of, member_binome, partner_in

PATTERN = buttons.pattern("wb")
QUESTION = N_("With which binôme?")
Choice = Callable[[Update, BotContext, Binome], Awaitable[None]]
_CHOICES: dict[str, Choice] = {}


def on_choice(purpose: str) -> Callable[[Choice], Choice]:
    """Register what happens once the binôme is chosen: `handler(update, context, binome)`, which
    answers the press and turns the question into the next step."""
    def register(handler: Choice) -> Choice:
        _CHOICES[purpose] = handler
        return handler
    return register


def keyboard(tr: Translator, session: Session, participant: Participant, binomes: list[Binome],
             purpose: str) -> InlineKeyboardMarkup:
    """One button per binôme, in the order given: "Amina · P1"."""
    rows = []
    for binome in sorted(binomes, key=lambda b: b.label.casefold()):
        partner = partner_in(session=session, binome=binome, participant=participant)
        label = tr("{name} · {pair}").format(name=partner.first_name, pair=binome.label)
        rows.append([InlineKeyboardButton(label, callback_data=f"wb:{binome.id}:{purpose}")])
    return InlineKeyboardMarkup(rows)


async def ask(update: Update, context: BotContext, session: Session, binomes: list[Binome], purpose: str) -> None:
    """Reply with the question (to a command)."""
    await update.effective_message.reply_text(
        context._(QUESTION), reply_markup=keyboard(context.tr, session, context.participant, binomes, purpose))


def question(context: BotContext, session: Session, purpose: str) -> tuple[str, InlineKeyboardMarkup]:
    """The question among all the presser's open binômes, to turn a pressed message into."""
    binomes = active_binomes_of(session=session, participant=context.participant)
    return context._(QUESTION), keyboard(context.tr, session, context.participant, binomes, purpose)


async def show(update: Update, context: BotContext, text: str, markup: InlineKeyboardMarkup | None,
               *, edit: bool) -> None:
    """The next step: the pressed question turned into it (`edit`), or a reply to the command."""
    if edit:
        await update.callback_query.answer()
        await update.callback_query.edit_message_text(text, reply_markup=markup)
    else:
        await update.effective_message.reply_text(text, reply_markup=markup)


async def on_button(update: Update, context: BotContext) -> None:
    press = buttons.parse(context.match, {purpose: None for purpose in _CHOICES})
    participant = context.participant
    if (press is None or participant is None or participant.onboarded_at is None
            or participant.role == Role.COORDINATOR):
        await buttons.refuse(update, context)
        return
    with context.services.session() as session:
        binome = member_binome(session=session, participant=participant, binome_id=press.ref)
    if binome is None:
        await buttons.refuse(update, context)
        return
    await _CHOICES[press.verb](update, context, binome)


HANDLERS = [CallbackQueryHandler(on_button, pattern=PATTERN)]
