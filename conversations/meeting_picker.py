"""Planning a meeting by buttons: /meeting, then a day, a time, a place (with the link or address typed
in, or skipped), then a summary to send to the other side, once or as a regular rhythm."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session
from telegram import InlineKeyboardMarkup, Update

from bot.context import BotContext
from bot.i18n import Translator
from conversations import awaited, which_binome
from conversations.buttons import grid
from conversations.fallback import anything_else
from conversations.formats import SHORT_DAY, long_day
from conversations.meeting_texts import PLACES, button, place_text, when
from conversations.no_binome import not_in_binome
from storage import meetings as rules
from storage.meeting_messages import queue_proposal
from storage.models import Binome, Meeting, MeetingStatus, Participant, PlaceKind, Role
from storage.participants import active_binomes_of
from storage.schedule import local_instant

DAYS_AHEAD = 14
TIMES = ("08:00", "09:00", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00", "17:00", "17:30",
         "18:00", "18:30", "19:00", "20:00")


async def plan(update: Update, context: BotContext) -> None:
    """/meeting: start planning the next meeting (first "with which binôme?" for someone in several)."""
    _ = context._
    participant = context.participant
    if participant is None or participant.onboarded_at is None or participant.role == Role.COORDINATOR:
        await update.effective_message.reply_text(_("The mentor and the mentee of a binôme plan the meetings. To see "
                                                    "what you can do, send /help."))
        return
    with context.services.session() as session:
        binomes = active_binomes_of(session=session, participant=participant)
        if len(binomes) > 1:
            await which_binome.ask(update, context, session, binomes, "m")
            return
        if not binomes:
            await update.effective_message.reply_text(not_in_binome(context.tr, session, participant))
            return
    await _plan_with(update, context, binomes[0], edit=False)


@which_binome.on_choice("m")
async def _chosen(update: Update, context: BotContext, binome: Binome) -> None:
    await _plan_with(update, context, binome, edit=True)


async def _plan_with(update: Update, context: BotContext, binome: Binome, *, edit: bool) -> None:
    """The binôme's next meeting with its buttons, or a new draft's days."""
    _ = context._
    participant = context.participant
    now = context.services.now()
    with context.services.session() as session:
        upcoming = rules.next_meeting(session=session, participant=participant, now=now, not_started=True,
                                      binome=binome)
        if upcoming is not None:
            status = (_("confirmed") if upcoming.status == MeetingStatus.CONFIRMED
                      else _("waiting for an answer"))
            text = _("Your next meeting: {when}, {place} ({status}).").format(
                when=when(context.tr, upcoming), place=place_text(context.tr, session, upcoming), status=status)
            rows = [[button(_("📅 Plan another meeting"), upcoming.id, "new")],
                    [button(_("🔁 Move it"), upcoming.id, "move"), button(_("✖ Cancel it"), upcoming.id, "cancel")]]
            if rules.has_rhythm(session=session, binome_id=binome.id):
                rows.append([button(_("⏹ Stop the regular rhythm"), upcoming.id, "stoprhythm")])
            await which_binome.show(update, context, text, InlineKeyboardMarkup(rows), edit=edit)
            return
        meeting = rules.start_draft(session=session, binome=binome, proposer=participant, now=now)
    await which_binome.show(update, context, _("When do you want to meet? Choose a day:"),
                            days_keyboard(context.tr, meeting.id, now), edit=edit)


def open_times(day: date, timezone: str, now: datetime) -> list[str]:
    """The TIMES of `day` (wall-clock in `timezone`) that have not passed yet."""
    return [t for t in TIMES if local_instant(day, datetime.strptime(t, "%H:%M").time(), timezone) > now]


def days_keyboard(tr: Translator, meeting_id: int, now: datetime, timezone: str | None = None) -> InlineKeyboardMarkup:
    """The next DAYS_AHEAD days; today only while one of its times can still be chosen."""
    today = tr.local(now).date()
    days = [today + timedelta(days=n) for n in range(DAYS_AHEAD)]
    days = [d for d in days if d != today or open_times(d, timezone or tr.timezone, now)]
    labels = [tr("Today") if d == today else tr.date(d, tr(SHORT_DAY)) for d in days]
    buttons = [button(label, meeting_id, "d", d.strftime("%Y%m%d")) for label, d in zip(labels, days)]
    return InlineKeyboardMarkup(grid(buttons, 2))


def _times(tr: Translator, meeting_id: int, times: list[str]) -> InlineKeyboardMarkup:
    buttons = [button(t, meeting_id, "t", t.replace(":", "")) for t in times]
    rows = grid(buttons, 3)
    return InlineKeyboardMarkup(rows + [[button(tr("← Another day"), meeting_id, "back")]])


def _places(tr: Translator, meeting_id: int, session: Session, meeting: Meeting) -> InlineKeyboardMarkup:
    pair = rules.pair_of(session=session, meeting=meeting)
    rows = [[button(tr(label).format(name=pair.mentor.first_name), meeting_id, "p", kind.value)]
            for kind, label in PLACES.items()]
    return InlineKeyboardMarkup(rows)


async def on_day(update, context: BotContext, meeting_id: int, participant: Participant, value: str) -> None:
    day = datetime.strptime(value or "", "%Y%m%d").date()
    now = context.services.now()
    if not 0 <= (day - context.tr.local(now).date()).days < DAYS_AHEAD:
        raise ValueError(value)
    with context.services.session() as session:
        meeting = rules.choose_day(session=session, meeting_id=meeting_id, participant_id=participant.id, day=day,
                                   now=now)
        times = open_times(day, rules.pair_of(session=session, meeting=meeting).programme.timezone, now)
        if not times:
            raise ValueError(value)  # today, late: an old "Today" button
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(
        context._("{day}: at what time?").format(day=long_day(context.tr, day)),
        reply_markup=_times(context.tr, meeting_id, times))


async def on_back(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        rules.own_draft(session, meeting_id, participant.id, context.services.now())
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(context._("When do you want to meet? Choose a day:"),
                                                  reply_markup=days_keyboard(context.tr, meeting_id, context.services.now()))


async def on_time(update, context: BotContext, meeting_id: int, participant: Participant, value: str) -> None:
    at = datetime.strptime(value or "", "%H%M").time()
    with context.services.session() as session:
        meeting = rules.choose_time(session=session, meeting_id=meeting_id, participant_id=participant.id, at=at,
                                    now=context.services.now())
        keyboard = _places(context.tr, meeting_id, session, meeting)
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(
        context._("{when}: where?").format(when=when(context.tr, meeting)), reply_markup=keyboard)


async def on_place(update, context: BotContext, meeting_id: int, participant: Participant, value: str) -> None:
    place = PlaceKind(value)
    with context.services.session() as session:
        meeting = rules.choose_place(session=session, meeting_id=meeting_id, participant_id=participant.id,
                                     place=place, now=context.services.now())
        if place != PlaceKind.WORKPLACE:
            meeting.awaiting_place_detail = True
            session.add(meeting)
    if place != PlaceKind.WORKPLACE:
        question = (context._("Send me the link of the video call. Or tap Skip: you choose it together later.")
                    if place == PlaceKind.VIDEO
                    else context._("Send me the address. Or tap Skip: you choose it together later."))
        await update.callback_query.answer()
        await update.callback_query.edit_message_text(question, reply_markup=InlineKeyboardMarkup(
            [[button(context._("Skip"), meeting_id, "skip")]]))
        return
    await _show_summary(update, context, meeting_id, participant, edit=True)


async def on_skip(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        meeting, _ = rules.own_draft(session, meeting_id, participant.id, context.services.now())
        meeting.awaiting_place_detail = False
    await _show_summary(update, context, meeting_id, participant, edit=True)


@awaited.on_text(awaited.NOTHING_AWAITED)
async def place_detail(update: Update, context: BotContext, ref_id: int | None, text: str) -> None:
    """Text typed after "video call" or "another place" is the link or the address; any other text goes
    to the usual answer."""
    participant = context.participant
    meeting_id = None
    if participant is not None:
        with context.services.session() as session:
            meeting = rules.awaited_place(session=session, participant_id=participant.id, now=context.services.now())
            if meeting is not None:
                meeting.place_detail = text[:300]  # cleaned by conversations.awaited.route
                meeting.awaiting_place_detail = False
                session.add(meeting)
                meeting_id = meeting.id
    if meeting_id is None:
        await anything_else(update, context)
        return
    await _show_summary(update, context, meeting_id, participant, edit=False)


async def _show_summary(update, context: BotContext, meeting_id: int, participant: Participant, *, edit: bool) -> None:
    with context.services.session() as session:
        meeting, pair = rules.own_draft(session, meeting_id, participant.id, context.services.now())
        partner = pair.other(participant.id)
        text = context._("Meeting {when}, {place}. Can I send it to {name}?").format(
            when=when(context.tr, meeting), place=place_text(context.tr, session, meeting), name=partner.first_name)
        weeks = rules.rhythm_weeks(rules.pair_of(session=session, meeting=meeting).programme.meetings_per_month)
    keyboard = InlineKeyboardMarkup([
        [button(context._("✅ Send"), meeting_id, "send"), button(context._("✖ Cancel"), meeting_id, "drop")],
        [button(context.tr.ngettext("🔁 Send, and the same every week", "🔁 Send, and the same every {n} weeks",
                                    weeks).format(n=weeks), meeting_id, "rhythm")],
    ])
    if edit:
        await update.callback_query.answer()
        await update.callback_query.edit_message_text(text, reply_markup=keyboard)
    else:
        await update.effective_message.reply_text(text, reply_markup=keyboard)


async def on_drop(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        meeting, _ = rules.own_draft(session, meeting_id, participant.id, context.services.now())
        meeting.status = MeetingStatus.CANCELLED
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(context._("Cancelled. To start again, send /meeting."))


async def on_rhythm(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        rules.offer_rhythm(session=session, meeting_id=meeting_id, participant_id=participant.id,
                           now=context.services.now())
    await on_send(update, context, meeting_id, participant, value)


async def on_send(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    now = context.services.now()
    with context.services.session() as session:
        meeting, pair = rules.propose(session=session, meeting_id=meeting_id, participant_id=participant.id, now=now)
        other = pair.other(participant.id)
        queue_proposal(session=session, meeting=meeting, recipient=other, now=now)
        text = context._("Sent to {name}: meeting {when}, {place}. I will tell you their answer.").format(
            name=other.first_name, when=when(context.tr, meeting), place=place_text(context.tr, session, meeting))
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(text)


