"""Closing a binôme (docs/closure.md): the coordinator's buttons, the mentor's proposal, the closing-interview
guide and the messages the pair and the coordinators get.

Coordinator, under the binôme summary or an alert ("I want to stop", "end near"), or a mentor's proposal:
`bc:<binôme id>:<verb>[:<value>]`: `close` (the outcomes, the pre-selected one first), `out:<outcome>` (its
date), `on:<outcome>_<date>` (asks to confirm), `ok:<outcome>_<date>` (closes), `decline` (not now, to a
mentor's proposal), `guide` (the closing-interview guide), `back` (the summary).
Mentor, under /plan: `bm:<binôme id>:propose` (the outcomes), `out:<outcome>` (proposes), `guide`.
Every press checks who presses against the binôme: a forged, stale, foreign or doubled button changes
nothing. Rules in storage.closures.
"""
from __future__ import annotations

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot import replies, sender
from bot.context import BotContext
from bot.i18n import N_, Translator
from bot.vocabulary import term
from conversations import buttons
from conversations.alert_cards import DAY, summary
from conversations.binome_card import summary_keyboard
from conversations.meeting_picker import days_keyboard
from conversations.meeting_texts import CLOSING
from bot.outcomes import KIND_MARKS, kind_name, outcome_name
from storage import closures as rules
from storage.closures import achieved
from storage.meetings import start_draft
from storage.models import Binome, BinomeStatus, Participant, Programme, Role
from storage.options import KNOWN_OUTCOMES, outcomes_for
from storage.pauses import programme_day

_OUTCOME = "|".join(KNOWN_OUTCOMES)
_ON = f"(?:{_OUTCOME})_(?:{'|'.join(rules.DATE_CHOICES)})"
COORDINATOR_PATTERN, MENTOR_PATTERN = buttons.pattern("bc"), buttons.pattern("bm")
COORDINATOR_VALUES = {"close": None, "out": f"(?:{_OUTCOME})", "on": _ON, "ok": _ON, "decline": None,
                      "guide": None, "back": None}
MENTOR_VALUES = {"propose": None, "out": f"(?:{_OUTCOME})", "guide": None, "closing": None}
DATE_LABELS = {"today": N_("Today"), "yesterday": N_("Yesterday"), "week": N_("A week ago"),
               "end": N_("On the planned end")}


def _button(prefix: str, text: str, binome_id: int, verb: str, value: str | None = None) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=f"{prefix}:{binome_id}:{verb}" + (f":{value}" if value else ""))


def _outcomes(tr: Translator, session: Session, binome: Binome, prefix: str, back: str | None) -> InlineKeyboardMarkup:
    """One button per outcome of the programme, positive ones first; the pre-selected one on top with a ✓."""
    kinds = outcomes_for(session.get(Programme, binome.programme_id))
    first = rules.preselected(session=session, binome=binome) if prefix == "bc" else None
    order = sorted(kinds, key=lambda code: (code != first, ("positive", "neutral", "negative").index(kinds[code])))
    rows = [[_button(prefix, ("✓ " if code == first else "") + f"{KIND_MARKS[kinds[code]]} {outcome_name(tr, code)}",
                     binome.id, "out", code)] for code in order]
    if back:
        rows.append([_button(prefix, tr("← Back"), binome.id, back)])
    return InlineKeyboardMarkup(rows)


def _dates(tr: Translator, session: Session, binome: Binome, outcome: str, now) -> InlineKeyboardMarkup:
    today = programme_day(session=session, binome=binome, now=now)
    rows = [[_button("bc", f"{tr(DATE_LABELS[choice])} ({tr.date(day, 'd MMM')})", binome.id, "on",
                     f"{outcome}_{choice}")] for choice, day in rules.date_choices(today=today, binome=binome)]
    return InlineKeyboardMarkup(rows + [[_button("bc", tr("← Back"), binome.id, "close")]])


def _binome(session: Session, binome_id: int) -> Binome:
    binome = session.get(Binome, binome_id)
    if binome is None:
        raise rules.ClosureRefused(rules.ClosureRefusal.NOT_YOURS)
    return binome


def _coordinators_binome(session: Session, binome_id: int, me: Participant) -> Binome:
    binome = _binome(session, binome_id)
    if me.role != Role.COORDINATOR or binome.programme_id != me.programme_id:
        raise rules.ClosureRefused(rules.ClosureRefusal.NOT_YOURS)
    return binome


def _split(value: str) -> tuple[str, str]:
    outcome, choice = value.rsplit("_", 1)
    return outcome, choice


async def on_coordinator_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    press = buttons.parse(context.match, COORDINATOR_VALUES)
    participant, tr, now = context.participant, context.tr, context.services.now()
    if press is None or participant is None or participant.role != Role.COORDINATOR:
        await buttons.refuse(update, context)
        return
    toast, guide = None, None
    try:
        with context.services.session() as session:
            me = session.get(Participant, participant.id)
            binome = _coordinators_binome(session, press.ref, me)
            if press.verb == "guide":
                guide = closing_guide(tr, session, binome, me)
            elif press.verb == "back":
                text, markup = summary(tr, session, binome), summary_keyboard(tr, binome)
            elif binome.status == BinomeStatus.CLOSED:
                raise rules.ClosureRefused(rules.ClosureRefusal.CLOSED)
            elif press.verb == "close":
                text, markup = summary(tr, session, binome) + "\n\n" + tr("How did the binôme end?"), \
                    _outcomes(tr, session, binome, "bc", "back")
            elif press.verb == "out":
                if press.value not in outcomes_for(session.get(Programme, binome.programme_id)):
                    raise rules.ClosureRefused(rules.ClosureRefusal.BAD_OUTCOME)
                text = summary(tr, session, binome) + "\n\n" + tr("{outcome}: on which date?").format(
                    outcome=outcome_name(tr, press.value))
                markup = _dates(tr, session, binome, press.value, now)
            elif press.verb == "on":
                outcome, choice = _split(press.value)
                today = programme_day(session=session, binome=binome, now=now)
                day = rules.closure_date(choice, today=today, binome=binome)
                if (choice, day) not in rules.date_choices(today=today, binome=binome):
                    raise rules.ClosureRefused(rules.ClosureRefusal.BAD_DATE)
                text = summary(tr, session, binome) + "\n\n" + tr(
                    "Close binôme {label} with the outcome «{outcome}» on {date}? Both will be told, what is planned "
                    "is cancelled, the plan is kept read-only, and each gets a short evaluation.").format(
                    label=binome.label, outcome=outcome_name(tr, outcome), date=tr.date(day, tr(DAY)))
                interview = rules.closing_interview_ahead(session=session, binome=binome, now=now)
                if interview is not None:
                    text += "\n\n" + tr("⚠️ The closing interview planned on {date} will be cancelled: you may "
                                         "prefer to close after it.").format(date=tr.date(interview.starts_at, tr(DAY)))
                markup = InlineKeyboardMarkup([[_button("bc", tr("🏁 Yes, close the binôme"), binome.id, "ok",
                                                        press.value)],
                                               [_button("bc", tr("← Back"), binome.id, "out", outcome)]])
            elif press.verb == "ok":
                outcome, choice = _split(press.value)
                today = programme_day(session=session, binome=binome, now=now)
                rules.close(session=session, binome=binome, outcome=outcome, by=me, now=now,
                            closed_on=rules.closure_date(choice, today=today, binome=binome))
                session.flush()
                toast = tr("The binôme is closed; both will be told.")
                text, markup = summary(tr, session, binome), summary_keyboard(tr, binome)
            else:  # decline
                rules.decline(session=session, binome=binome, by=me, now=now)
                session.flush()
                toast = tr("The proposal is set aside; the mentor will be told.")
                text, markup = summary(tr, session, binome), summary_keyboard(tr, binome)
    except (rules.ClosureRefused, ValueError):
        await buttons.refuse(update, context)
        return
    await query.answer(toast)
    if guide is not None:
        await replies.reply(query.message, guide)
    else:
        await replies.edit(query, text, markup)


async def on_mentor_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    press = buttons.parse(context.match, MENTOR_VALUES)
    participant, tr, now = context.participant, context.tr, context.services.now()
    if press is None or participant is None or participant.role != Role.MENTOR:
        await buttons.refuse(update, context)
        return
    try:
        with context.services.session() as session:
            me = session.get(Participant, participant.id)
            binome = _binome(session, press.ref)
            if binome.mentor_id != me.id:
                raise rules.ClosureRefused(rules.ClosureRefusal.NOT_YOURS)
            if press.verb == "guide":
                await query.answer()
                markup = None if binome.status == BinomeStatus.CLOSED else InlineKeyboardMarkup(
                    [[_button("bm", tr("📅 Plan the closing interview"), binome.id, "closing")]])
                await replies.reply(query.message, closing_guide(tr, session, binome, me), markup)
                return
            if binome.status == BinomeStatus.CLOSED:
                raise rules.ClosureRefused(rules.ClosureRefusal.CLOSED)
            if press.verb == "closing":  # a meeting like any other, marked as the closing interview
                meeting = start_draft(session=session, binome=binome, proposer=me, now=now, purpose=CLOSING)
                await query.answer()
                await replies.reply(query.message, tr("The closing interview: when shall we meet? Choose a day:"),
                                    days_keyboard(tr, meeting.id, now))
                return
            mentee = session.get(Participant, binome.mentee_id)
            if press.verb == "propose":
                text = tr("You would like to close your binôme with {name}. How does it end? Your coordinator will "
                          "confirm it with you.").format(name=mentee.first_name)
                markup = _outcomes(tr, session, binome, "bm", None)
            else:
                rules.propose(session=session, binome=binome, outcome=press.value, by=me, now=now)
                session.flush()
                text = tr("Thank you. Your coordinator will confirm the closure ({outcome}) with you.\n\nBefore it "
                          "ends, a last meeting with {name} to look back together helps you both: the guide below "
                          "says how.").format(outcome=outcome_name(tr, press.value), name=mentee.first_name)
                markup = InlineKeyboardMarkup([[_button("bm", tr("📝 Closing-interview guide"), binome.id, "guide")]])
    except (rules.ClosureRefused, ValueError):
        await buttons.refuse(update, context)
        return
    await query.answer()
    await replies.edit(query, text, markup)


def closing_guide(tr: Translator, session: Session, binome: Binome, reader: Participant) -> str:
    """The closing-interview canvas, with the pair's own figures."""
    programme = session.get(Programme, binome.programme_id)
    mentee = session.get(Participant, binome.mentee_id)
    done = achieved(session=session, binome=binome)
    return "\n".join([
        tr("📝 The closing interview: a last meeting to look back together and say goodbye well (about an hour)."),
        "",
        tr("1. What was achieved against the plan? So far: {held} meetings held, {done} actions done.").format(
            held=done.held, done=done.done),
        tr("2. What comes next for {name}: the next steps, and who can help from now on.").format(
            name=mentee.first_name),
        tr("3. What each of you takes away from the mentoring."),
        tr("4. Staying in touch or not: say it plainly; both are fine."),
        tr("5. Thank each other. After the closure each of you gets a short evaluation (1 minute)."),
        "",
        tr("Tell your {mentee} beforehand that it will be the last meeting: an end that is announced is easier to "
           "live.").format(mentee=term(tr, programme, Role.MENTEE)),
    ])


# ---------------------------------------------------------------- what the outbox sends

def _partner(session: Session, binome: Binome, recipient: Participant) -> Participant:
    return session.get(Participant, binome.mentee_id if recipient.id == binome.mentor_id else binome.mentor_id)


@sender.renderer("binome_closed")
def render_closed(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    binome = session.get(Binome, params["binome_id"])
    partner = _partner(session, binome, recipient)
    held, done, kind = params["held"], params["done"], params["kind"]
    if partner.erased_at is not None:  # storage.privacy: they asked to be forgotten; their name is gone
        lines = [tr("Hello {name}, your binôme has ended. Your {role} has left the programme and asked me to delete "
                    "their data.").format(name=recipient.first_name, role=term(
                        tr, session.get(Programme, binome.programme_id), partner.role))]
        kind = "withdrawn"
    else:
        lines = [tr("Hello {name}, your binôme with {partner} has ended.").format(
            name=recipient.first_name, partner=partner.first_name)]
    together = ([tr.ngettext("Together, you had {n} meeting.", "Together, you had {n} meetings.", held).format(n=held)]
                if held else []) + ([tr.ngettext("{n} action of your plan is done.", "{n} actions of your plan are "
                                                 "done.", done).format(n=done)] if done else [])
    if together:
        lines.append(" ".join(together))
    if kind == "positive" and recipient.id == binome.mentee_id:
        lines.append(tr("Congratulations on this step: {outcome}!").format(outcome=outcome_name(tr, params["outcome"])))
    elif kind == "positive":
        lines.append(tr("{partner} has reached a step: {outcome}. Thank you for your part in it!").format(
            partner=partner.first_name, outcome=outcome_name(tr, params["outcome"])))
    if recipient.id == binome.mentee_id:
        lines.append(tr("Thank you for your commitment. Good luck for what comes next! Would you like support again "
                        "one day? Tell your coordinator: the door stays open."))
    else:
        lines.append(tr("Thank you for the time you gave. If you would like to mentor again, tell your coordinator."))
    lines.append(tr("You can still see your action plan with /plan. In a moment, I will ask you a few short "
                    "questions about the mentoring."))
    return sender.Rendered("\n\n".join(lines))


@sender.renderer("closure_proposed")
def render_proposed(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    binome = session.get(Binome, params["binome_id"])
    programme = session.get(Programme, binome.programme_id)
    mentor = session.get(Participant, binome.mentor_id)
    outcome = binome.proposed_outcome
    text = tr("🏁 {name} ({role}) proposes to close binôme {label}: «{outcome}» ({kind}).").format(
        name=mentor.display_name, role=term(tr, programme, Role.MENTOR, mentor.gender), label=binome.label,
        outcome=outcome_name(tr, outcome), kind=kind_name(tr, outcomes_for(programme).get(outcome)))
    markup = InlineKeyboardMarkup([
        [_button("bc", tr("✅ Confirm this outcome"), binome.id, "out", outcome)],
        [_button("bc", tr("Choose another outcome"), binome.id, "close")],
        [_button("bc", tr("Not now"), binome.id, "decline")]])
    return sender.Rendered(text + "\n\n" + summary(tr, session, binome), markup)


@sender.renderer("closure_declined")
def render_declined(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    binome = session.get(Binome, params["binome_id"])
    mentee = session.get(Participant, binome.mentee_id)
    return sender.Rendered(tr("Your coordinator would rather not close your binôme with {name} for now, and will get in "
                              "touch with you about it.").format(name=mentee.first_name))


HANDLERS = [CallbackQueryHandler(on_coordinator_button, pattern=COORDINATOR_PATTERN),
            CallbackQueryHandler(on_mentor_button, pattern=MENTOR_PATTERN)]
