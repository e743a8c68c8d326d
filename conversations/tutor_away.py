"""A mentor's `/away` with dates, and what the substitute tutor, the mentee and the coordinators are told
(storage.substitutes, docs/tutoring.md).

Callback data: `aw:0:<verb>[:<value>]`: `from:<days from today>` (asks until when), `to:<days>_<length>`
(records it), `back` (the mentor is back early), `menu` (the start again). Only a mentor's presses count; a
forged value (a start more than four weeks ahead, a length not offered) changes nothing. A mentee's or a
coordinator's /away stays the check-ins' pause (conversations.checkins).
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot import replies, sender
from bot.context import BotContext
from bot.i18n import N_, Translator
from bot.vocabulary import term
from conversations import buttons
from conversations.formats import SHORT_DAY
from storage import checkins, substitutes
from storage.models import Binome, MentorAway, Participant, Programme, Role
from storage.participants import programme_of, timezone_of
from storage.checkins import local_day

PATTERN = buttons.pattern("aw")
LENGTHS = (3, 7, 14, 21, 30)
VALUES = {"from": r"\d{1,2}", "to": r"\d{1,2}_(?:" + "|".join(map(str, LENGTHS)) + ")", "back": None, "menu": None}
MAX_START = 28  # days ahead
LENGTH_LABELS = {3: N_("3 days (back on {date})"), 7: N_("1 week (back on {date})"),
                 14: N_("2 weeks (back on {date})"), 21: N_("3 weeks (back on {date})"),
                 30: N_("1 month (back on {date})")}


def _button(text: str, verb: str, value: str | None = None) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=f"aw:0:{verb}" + (f":{value}" if value else ""))


def _short(tr: Translator, day: date) -> str:
    return tr.date(day, tr(SHORT_DAY))


def _starts(tr: Translator, today: date) -> InlineKeyboardMarkup:
    monday = today + timedelta(days=7 - today.weekday())
    offsets = {0: tr("Today"), 1: tr("Tomorrow ({date})").format(date=_short(tr, today + timedelta(days=1)))}
    for day in (monday, monday + timedelta(days=7)):
        offsets.setdefault((day - today).days, tr("From {date}").format(date=_short(tr, day)))
    return InlineKeyboardMarkup([[_button(label, "from", str(offset))] for offset, label in offsets.items()])


def _lengths(tr: Translator, offset: int, start: date) -> InlineKeyboardMarkup:
    rows = [[_button(tr(LENGTH_LABELS[n]).format(date=_short(tr, start + timedelta(days=n))), "to", f"{offset}_{n}")]
            for n in LENGTHS]
    return InlineKeyboardMarkup(rows + [[_button(tr("← Back"), "menu")]])


def _today(session: Session, mentor: Participant, now) -> date:
    return local_day(now, timezone_of(mentor, programme_of(session=session, participant=mentor)))


def _current(session: Session, mentor: Participant, today: date) -> list[MentorAway]:
    return list(session.exec(select(MentorAway).where(MentorAway.mentor_id == mentor.id, MentorAway.ends_on >= today,
                                                      col(MentorAway.ended_at).is_(None))
                             .order_by(MentorAway.binome_id)).all())


def _menu(tr: Translator, session: Session, mentor: Participant, today: date) -> tuple[str, InlineKeyboardMarkup]:
    current = _current(session, mentor, today)
    if not current:
        return tr("From when are you away? Your substitute, if you have one, will stand in for you."), \
            _starts(tr, today)
    lines = [tr("You are away from {start} to {end} (back on {back}).").format(
        start=_short(tr, current[0].starts_on), end=_short(tr, current[0].ends_on),
        back=_short(tr, current[0].ends_on + timedelta(days=1)))]
    lines += _coverage(tr, session, current)
    return "\n".join(lines), InlineKeyboardMarkup([[_button(tr("I'm back"), "back")],
                                                   [_button(tr("Change the dates"), "menu")]])


def _coverage(tr: Translator, session: Session, aways: list[MentorAway]) -> list[str]:
    lines = []
    for away in aways:
        mentee = session.get(Participant, session.get(Binome, away.binome_id).mentee_id)
        if away.substitute_id is not None:
            lines.append(tr("{substitute} stands in for you with {mentee}.").format(
                substitute=session.get(Participant, away.substitute_id).first_name, mentee=mentee.first_name))
        else:
            lines.append(tr("No substitute for {mentee}: your coordinator is told.").format(mentee=mentee.first_name))
    return lines


async def menu(update: Update, context: BotContext) -> None:
    """/away for a mentor: the period under way (I'm back, change the dates), or from when."""
    with context.services.session() as session:
        mentor = session.get(Participant, context.participant.id)
        text, markup = _menu(context.tr, session, mentor, _today(session, mentor, context.services.now()))
    await update.effective_message.reply_text(text, reply_markup=markup)


async def on_button(update: Update, context: BotContext) -> None:
    query, press, tr, now = update.callback_query, buttons.parse(context.match, VALUES), context.tr, \
        context.services.now()
    participant = context.participant
    if press is None or participant is None or participant.role != Role.MENTOR or participant.onboarded_at is None:
        await buttons.refuse(update, context)
        return
    with context.services.session() as session:
        mentor = session.get(Participant, participant.id)
        today, toast = _today(session, mentor, now), None
        if press.verb == "from":
            offset = int(press.value)
            if offset > MAX_START:
                await buttons.refuse(update, context)
                return
            start = today + timedelta(days=offset)
            text = tr("Away from {date}: until when?").format(date=_short(tr, start))
            markup = _lengths(tr, offset, start)
        elif press.verb == "to":
            offset, length = map(int, press.value.split("_"))
            if offset > MAX_START:
                await buttons.refuse(update, context)
                return
            start = today + timedelta(days=offset)
            end = start + timedelta(days=length - 1)
            checkins.away_until(session=session, participant=mentor, until=end, now=now,
                                starts_on=start if offset else None)
            aways = substitutes.declare_away(session=session, mentor=mentor, starts_on=start, ends_on=end, now=now)
            lines = [tr("🌴 Noted: you are away from {start} to {end} (back on {back}): no check-in in that "
                        "time.").format(start=_short(tr, start), end=_short(tr, end),
                                        back=_short(tr, end + timedelta(days=1)))]
            text = "\n".join(lines + _coverage(tr, session, aways) + [tr("/away changes it.")])
            markup, toast = None, tr("Noted.")
        elif press.verb == "back":
            ended = substitutes.end_away(session=session, mentor=mentor, now=now)
            if not checkins.end_away(session=session, participant=mentor, now=now) and not ended:
                await query.answer(tr("You are not away at the moment: nothing was changed."))
                return
            text, markup = tr("Welcome back! Your {mentee} and your substitute are told; the meetings to come are "
                              "yours again.").format(mentee=term(tr, programme_of(session=session, participant=mentor),
                                                                  Role.MENTEE)), None
        else:
            text, markup = tr("From when are you away? Your substitute, if you have one, will stand in for you."), \
                _starts(tr, today)
    await query.answer(toast)
    await replies.edit(query, text, markup)


# ---------------------------------------------------------------- what the outbox sends

def _facts(session: Session, params: dict):
    away = session.get(MentorAway, params["away_id"])
    binome = session.get(Binome, away.binome_id)
    return (away, binome, session.get(Programme, binome.programme_id), session.get(Participant, away.mentor_id),
            session.get(Participant, binome.mentee_id),
            session.get(Participant, away.substitute_id) if away.substitute_id else None)


def _dates(tr: Translator, away: MentorAway) -> dict:
    return {"start": tr.date(away.starts_on, tr(SHORT_DAY)), "end": tr.date(away.ends_on, tr(SHORT_DAY)),
            "back": tr.date(away.ends_on + timedelta(days=1), tr(SHORT_DAY))}


@sender.renderer("substitute_asked")
def render_substitute_asked(tr: Translator, params: dict, recipient: Participant,
                            session: Session) -> sender.Rendered:
    away, binome, programme, mentor, mentee, _ = _facts(session, params)
    return sender.Rendered(tr(
        "Hello {name}, {mentor} is away from {start} to {end}: you stand in for them with {mentee}, their {role} "
        "(binôme {label}). Until {mentor} is back on {back}, I send you {mentee}'s meeting requests and absences, "
        "and the question after each meeting.").format(
        name=recipient.first_name, mentor=mentor.first_name, mentee=mentee.first_name,
        role=term(tr, programme, Role.MENTEE), label=binome.label, **_dates(tr, away)))


@sender.renderer("tutor_away")
def render_tutor_away(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    away, _, programme, mentor, _, substitute = _facts(session, params)
    values = dict(name=recipient.first_name, mentor=mentor.first_name, role=term(tr, programme, Role.MENTOR, mentor.gender),
                  **_dates(tr, away))
    if substitute is not None:
        return sender.Rendered(tr(
            "Hello {name}, your {role} {mentor} is away from {start} to {end}. {mentor} is back on {back}. Until "
            "then, {substitute} replaces {mentor}: you can talk to {substitute}. /meeting and /absent go to "
            "{substitute}.").format(
            substitute=substitute.first_name, **values))
    return sender.Rendered(tr(
        "Hello {name}, your {role} {mentor} is away from {start} to {end}. {mentor} is back on {back}. Until then, "
        "your coordinator is there for you: send /help.").format(**values))


@sender.renderer("binome_uncovered")
def render_uncovered(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    away, binome, programme, mentor, _, _ = _facts(session, params)
    return sender.Rendered(tr(
        "⚠️ Binôme {label} has no substitute from {start} to {end}: {mentor} ({role}) is away. Name one with "
        "`binome binome substitute {label} --mentor-of PAIR`.").format(
        label=binome.label, mentor=mentor.first_name, role=term(tr, programme, Role.MENTOR, mentor.gender),
        **_dates(tr, away)))


@sender.renderer("tutor_back")
def render_back(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    away, _, programme, mentor, mentee, _ = _facts(session, params)
    if recipient.id == mentee.id:
        return sender.Rendered(tr("Good news, {name}: your {role} {mentor} is back. /meeting goes to {mentor} "
                                  "again.").format(name=recipient.first_name, role=term(tr, programme, Role.MENTOR),
                                                   mentor=mentor.first_name))
    return sender.Rendered(tr("Hello {name}, {mentor} is back: you no longer stand in for them with {mentee}. "
                              "Thank you!").format(name=recipient.first_name, mentor=mentor.first_name,
                                                   mentee=mentee.first_name))


HANDLERS = [CallbackQueryHandler(on_button, pattern=PATTERN)]
