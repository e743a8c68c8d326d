"""Meetings from the chat: plan by buttons (day, time, place), accept, calendar file, reminders,
and "I can't come" with the other side warned at once.

Callback data: `m:<meeting id>:<action>[:<value>]`. The rules (storage.meetings) check that the
meeting is still in the state the button was made for; an old or forged button changes nothing.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from sqlmodel import Session, col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import sender
from bot.context import BotContext
from bot.i18n import N_, Translator, translator_for
from bot.vocabulary import term
from conversations.formats import SHORT_DAY, long_day
from storage import outbox
from storage import meetings as rules
from storage.models import (AbsenceReason, Binome, BinomeStatus, Meeting, MeetingSeries, MeetingStatus, Participant,
                            PlaceKind,
                            Programme, Role)
from storage.options import meeting_options
from storage.participants import current_binome, partner_of
from storage.schedule import meeting_ics, meeting_interval, nudge_due, out_of_quiet_hours, reminder_times

PATTERN = r"^m:(\d+):([a-z]+)(?::([A-Za-z0-9_]+))?$"
DAYS_AHEAD = 14
TIMES = ("08:00", "09:00", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00", "17:00", "17:30",
         "18:00", "18:30", "19:00", "20:00")
REASONS = {
    AbsenceReason.ILL: N_("🤒 Ill"),
    AbsenceReason.JOB_INTERVIEW: N_("💼 Job interview"),
    AbsenceReason.TRANSPORT: N_("🚌 Transport"),
    AbsenceReason.SCHOOL: N_("🎓 School or training"),
    AbsenceReason.FAMILY: N_("👪 Family"),
    AbsenceReason.OTHER: N_("Other reason"),
}
PLACES = {
    PlaceKind.WORKPLACE: N_("🏢 At {name}'s workplace"),
    PlaceKind.VIDEO: N_("💻 Video call"),
    PlaceKind.OTHER: N_("📍 Another place"),
}


def button(text: str, meeting_id: int, action: str, value: str | None = None) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=f"m:{meeting_id}:{action}" + (f":{value}" if value else ""))


def when(tr: Translator, meeting: Meeting) -> str:
    return tr("{day} at {time}").format(day=long_day(tr, meeting.starts_at), time=tr.time(meeting.starts_at))


def place_text(tr: Translator, session: Session, meeting: Meeting) -> str:
    pair = rules.pair_of(session=session, meeting=meeting)
    if meeting.place_kind == PlaceKind.WORKPLACE:
        where = tr("at {name}'s workplace").format(name=pair.mentor.first_name)
        return f"{where} ({pair.mentor.employer})" if pair.mentor.employer else where
    if meeting.place_kind == PlaceKind.VIDEO:
        return tr("by video call ({link})").format(link=meeting.place_detail) if meeting.place_detail \
            else tr("by video call")
    return tr("at {place}").format(place=meeting.place_detail) if meeting.place_detail \
        else tr("at a place to agree together")


# ---------------------------------------------------------------- planning by buttons

async def plan(update: Update, context: BotContext) -> None:
    """/meeting: start planning the next meeting."""
    _ = context._
    participant = context.participant
    if participant is None or participant.onboarded_at is None or participant.role == Role.COORDINATOR:
        await update.effective_message.reply_text(_("Meetings are planned by the mentor and the mentee of a "
                                                    "binôme. /help shows what you can do."))
        return
    now = context.services.now()
    with context.services.session() as session:
        binome = current_binome(session=session, participant=participant)
        if binome is None:
            await update.effective_message.reply_text(_("You are not in a binôme yet."))
            return
        upcoming = rules.next_meeting(session=session, participant=participant, now=now, not_started=True)
        if upcoming is not None:
            status = (_("confirmed") if upcoming.status == MeetingStatus.CONFIRMED
                      else _("waiting for an answer"))
            text = _("Your next meeting: {when}, {place} ({status}).").format(
                when=when(context.tr, upcoming), place=place_text(context.tr, session, upcoming), status=status)
            rows = [[button(_("📅 Plan another meeting"), upcoming.id, "new")],
                    [button(_("🔁 Move it"), upcoming.id, "move"), button(_("✖ Cancel it"), upcoming.id, "cancel")]]
            if rules.has_rhythm(session=session, binome_id=binome.id):
                rows.append([button(_("⏹ Stop the regular rhythm"), upcoming.id, "stoprhythm")])
            keyboard = InlineKeyboardMarkup(rows)
            await update.effective_message.reply_text(text, reply_markup=keyboard)
            return
        meeting = rules.start_draft(session=session, binome=binome, proposer=participant, now=now)
    await update.effective_message.reply_text(_("When shall we meet? Choose a day:"),
                                              reply_markup=_days(context.tr, meeting.id, now))


def _days(tr: Translator, meeting_id: int, now: datetime) -> InlineKeyboardMarkup:
    today = tr.local(now).date()
    days = [today + timedelta(days=n) for n in range(DAYS_AHEAD)]
    labels = [tr("Today") if d == today else tr.date(d, tr(SHORT_DAY)) for d in days]
    buttons = [button(label, meeting_id, "d", d.strftime("%Y%m%d")) for label, d in zip(labels, days)]
    return InlineKeyboardMarkup([buttons[i:i + 2] for i in range(0, len(buttons), 2)])


def _times(tr: Translator, meeting_id: int) -> InlineKeyboardMarkup:
    buttons = [button(t, meeting_id, "t", t.replace(":", "")) for t in TIMES]
    rows = [buttons[i:i + 3] for i in range(0, len(buttons), 3)]
    return InlineKeyboardMarkup(rows + [[button(tr("← Another day"), meeting_id, "back")]])


def _places(tr: Translator, meeting_id: int, session: Session, meeting: Meeting) -> InlineKeyboardMarkup:
    pair = rules.pair_of(session=session, meeting=meeting)
    rows = [[button(tr(label).format(name=pair.mentor.first_name), meeting_id, "p", kind.value)]
            for kind, label in PLACES.items()]
    return InlineKeyboardMarkup(rows)


async def on_button(update: Update, context: BotContext) -> None:
    """Every meeting button: check it still applies, then do what it says."""
    query = update.callback_query
    meeting_id, action, value = int(context.match.group(1)), context.match.group(2), context.match.group(3)
    participant = context.participant
    if participant is None:
        await query.answer(context._("This button is no longer valid."))
        return
    handler = ACTIONS.get(action)
    try:
        if handler is None:
            raise rules.MeetingRefused(rules.Refusal.GONE)
        await handler(update, context, meeting_id, participant, value)
    except rules.MeetingRefused as refused:
        await query.answer(_refusal(context, refused), show_alert=False)
        return
    except (ValueError, KeyError):  # a forged value (day, time, reason, outcome)
        await query.answer(context._("This button is no longer valid."))
        return


def _refusal(context: BotContext, refused: rules.MeetingRefused) -> str:
    _ = context._
    if refused.refusal == rules.Refusal.PAST:
        return _("This time has already passed: choose another one.")
    if refused.refusal == rules.Refusal.NOT_YOURS:
        return _("This button is no longer valid.")
    if refused.status == MeetingStatus.CONFIRMED:
        return _("This meeting is already confirmed.")
    if refused.status in (MeetingStatus.CANCELLED, MeetingStatus.MENTEE_ABSENT, MeetingStatus.MENTOR_ABSENT):
        return _("This meeting will not take place: nothing was changed.")
    return _("This button is no longer valid.")


async def _day(update, context: BotContext, meeting_id: int, participant: Participant, value: str) -> None:
    day = datetime.strptime(value or "", "%Y%m%d").date()
    now = context.services.now()
    if not 0 <= (day - context.tr.local(now).date()).days < DAYS_AHEAD:
        raise ValueError(value)
    with context.services.session() as session:
        rules.choose_day(session=session, meeting_id=meeting_id, participant_id=participant.id, day=day, now=now)
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(
        context._("{day}: at what time?").format(day=long_day(context.tr, day)),
        reply_markup=_times(context.tr, meeting_id))


async def _back(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        rules.own_draft(session, meeting_id, participant.id, context.services.now())
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(context._("When shall we meet? Choose a day:"),
                                                  reply_markup=_days(context.tr, meeting_id, context.services.now()))


async def _time(update, context: BotContext, meeting_id: int, participant: Participant, value: str) -> None:
    at = datetime.strptime(value or "", "%H%M").time()
    with context.services.session() as session:
        meeting = rules.choose_time(session=session, meeting_id=meeting_id, participant_id=participant.id, at=at,
                                    now=context.services.now())
        keyboard = _places(context.tr, meeting_id, session, meeting)
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(
        context._("{when}: where?").format(when=when(context.tr, meeting)), reply_markup=keyboard)


async def _place(update, context: BotContext, meeting_id: int, participant: Participant, value: str) -> None:
    place = PlaceKind(value)
    with context.services.session() as session:
        meeting = rules.choose_place(session=session, meeting_id=meeting_id, participant_id=participant.id,
                                     place=place, now=context.services.now())
        if place != PlaceKind.WORKPLACE:
            meeting.awaiting_place_detail = True
            session.add(meeting)
    if place != PlaceKind.WORKPLACE:
        question = (context._("Send me the video call link, or tap Skip to agree on it later.") if place == PlaceKind.VIDEO
                    else context._("Send me the address, or tap Skip to agree on it later."))
        await update.callback_query.answer()
        await update.callback_query.edit_message_text(question, reply_markup=InlineKeyboardMarkup(
            [[button(context._("Skip"), meeting_id, "skip")]]))
        return
    await _show_summary(update, context, meeting_id, participant, edit=True)


async def _skip(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        meeting, _ = rules.own_draft(session, meeting_id, participant.id, context.services.now())
        meeting.awaiting_place_detail = False
    await _show_summary(update, context, meeting_id, participant, edit=True)


async def place_detail(update: Update, context: BotContext) -> None:
    """Text typed after "video call" or "another place" is the link or the address; any other text goes
    to the usual answer."""
    from conversations.fallback import anything_else

    participant = context.participant
    meeting_id = None
    if participant is not None:
        with context.services.session() as session:
            meeting = rules.awaited_place(session=session, participant_id=participant.id, now=context.services.now())
            if meeting is not None:
                meeting.place_detail = update.effective_message.text.strip()[:300]
                meeting.awaiting_place_detail = False
                session.add(meeting)
                meeting_id = meeting.id
    if meeting_id is None:
        await anything_else(update, context)
        return
    await _show_summary(update, context, meeting_id, participant, edit=False)


async def _show_summary(update, context: BotContext, meeting_id: int, participant: Participant, *, edit: bool) -> None:
    with context.services.session() as session:
        meeting, _ = rules.own_draft(session, meeting_id, participant.id, context.services.now())
        partner = partner_of(session=session, participant=participant)
        text = context._("Meeting {when}, {place}. Shall I send it to {name}?").format(
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


async def _drop(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        meeting, _ = rules.own_draft(session, meeting_id, participant.id, context.services.now())
        meeting.status = MeetingStatus.CANCELLED
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(context._("Planning cancelled. /meeting to start again."))


async def _rhythm(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        rules.offer_rhythm(session=session, meeting_id=meeting_id, participant_id=participant.id,
                           now=context.services.now())
    await _send(update, context, meeting_id, participant, value)


async def _stop_rhythm(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    now = context.services.now()
    with context.services.session() as session:
        meeting, pair = rules.member_meeting(session, meeting_id, participant.id)
        rules.stop_rhythm(session=session, binome_id=pair.binome.id, participant_id=participant.id, now=now)
        other = pair.other(participant.id)
        _enqueue_soon(session, other, "rhythm_stopped", f"rhythm:{pair.binome.id}:stopped:{now:%Y%m%dT%H%M%S}", now,
                      {"by": participant.id})
        name = other.first_name
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(context._(
        "The rhythm is stopped: the meetings already planned stay. I am telling {name}.").format(name=name))


async def _send(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    now = context.services.now()
    with context.services.session() as session:
        meeting, pair = rules.propose(session=session, meeting_id=meeting_id, participant_id=participant.id, now=now)
        other = pair.other(participant.id)
        _enqueue_soon(session, other, "meeting_proposed", f"meeting:{meeting.id}:proposed", now,
                      {"meeting_id": meeting.id}, stale_after=meeting.starts_at)
        text = context._("Sent to {name}: meeting {when}, {place}. I will tell you their answer.").format(
            name=other.first_name, when=when(context.tr, meeting), place=place_text(context.tr, session, meeting))
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(text)


def _enqueue_soon(session: Session, recipient: Participant, kind: str, key: str, now: datetime, params: dict,
                  stale_after: datetime | None = None) -> None:
    """Now, or when the recipient's quiet hours end."""
    from bot.i18n import translator_for
    from storage.participants import programme_of

    programme = programme_of(session=session, participant=recipient)
    tz = translator_for(recipient, programme).timezone
    due = out_of_quiet_hours(now, tz=tz, quiet=meeting_options(programme).quiet_hours, direction="later")
    outbox.enqueue(session=session, participant_id=recipient.id, kind=kind, key=f"{key}:{recipient.id}", due_at=due,
                   now=now, params=params, stale_after=stale_after)


# ---------------------------------------------------------------- the other side answers

async def _accept(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    now = context.services.now()
    with context.services.session() as session:
        meeting, pair = rules.accept(session=session, meeting_id=meeting_id, participant_id=participant.id, now=now)
        confirmed(session, meeting, pair, now)
    await update.callback_query.answer(context._("Confirmed!"))
    await update.callback_query.edit_message_reply_markup(None)


def confirmed(session: Session, meeting: Meeting, pair: rules.Pair, now: datetime) -> None:
    """What a confirmed meeting sets going: the calendar file to both, reminders, the mentor's question after."""
    for person in (pair.mentor, pair.mentee):
        outbox.enqueue(session=session, participant_id=person.id, kind="meeting_confirmed",
                       key=f"meeting:{meeting.id}:confirmed:{meeting.sequence}:{person.id}", due_at=now, now=now,
                       params={"meeting_id": meeting.id, "stamp": now.isoformat()}, stale_after=meeting.starts_at)
        schedule_reminders(session, meeting, person, now)
    schedule_outcome_question(session, meeting, pair.mentor, now)


def schedule_reminders(session: Session, meeting: Meeting, person: Participant, now: datetime) -> None:
    """The day before and a few hours before, in the person's timezone, outside their quiet hours."""
    from bot.i18n import translator_for
    from storage.participants import programme_of

    programme = programme_of(session=session, participant=person)
    tz, options = translator_for(person, programme).timezone, meeting_options(programme)
    plan = reminder_times(starts_at=meeting.starts_at, now=now, tz=tz, quiet=options.quiet_hours,
                          day_before_at=options.reminder_day_before_at, hours_before=options.reminder_hours_before)
    for name, due in (("day_before", plan.day_before), ("hours_before", plan.hours_before)):
        if due is not None:
            outbox.enqueue(session=session, participant_id=person.id, kind="meeting_reminder",
                           key=f"meeting:{meeting.id}:{meeting.starts_at:%Y%m%dT%H%M}:{name}:{person.id}",
                           due_at=due, now=now, stale_after=meeting.starts_at,
                           params={"meeting_id": meeting.id, "starts_at": meeting.starts_at.isoformat(), "which": name})


def schedule_outcome_question(session: Session, meeting: Meeting, mentor: Participant, now: datetime) -> None:
    """Shortly after the planned end the mentor is asked how it went; once more a day later."""
    end = rules.ends_at(meeting)
    for which, due in (("asked", end + rules.OUTCOME_ASKED_AFTER),
                       ("again", end + rules.OUTCOME_ASKED_AFTER + rules.OUTCOME_REMINDED_AFTER)):
        outbox.enqueue(session=session, participant_id=mentor.id, kind="meeting_outcome",
                       key=f"meeting:{meeting.id}:{meeting.starts_at:%Y%m%dT%H%M}:outcome:{which}:{mentor.id}",
                       due_at=due, now=now, stale_after=end + rules.UNCONFIRMED_AFTER,
                       params={"meeting_id": meeting.id, "starts_at": meeting.starts_at.isoformat(), "which": which})


async def _another(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    now = context.services.now()
    with context.services.session() as session:
        old, draft, pair = rules.ask_another_slot(session=session, meeting_id=meeting_id,
                                                  participant_id=participant.id, now=now)
        _enqueue_soon(session, pair.other(participant.id), "meeting_declined", f"meeting:{old.id}:declined", now,
                      {"meeting_id": old.id, "by": participant.id})
    await update.callback_query.answer()
    await update.callback_query.edit_message_reply_markup(None)
    await context.bot.send_message(update.effective_chat.id, context._("Which day suits you better?"),
                                   reply_markup=_days(context.tr, draft.id, now))


# ---------------------------------------------------------------- "I'll be there" / "I can't come"

async def _here(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        meeting, _ = rules.member_meeting(session, meeting_id, participant.id)
        if meeting.status != MeetingStatus.CONFIRMED:
            raise rules.MeetingRefused(rules.Refusal.GONE, meeting)
    await update.callback_query.answer(context._("Noted, see you there!"))
    await update.callback_query.edit_message_reply_markup(None)


async def _cant(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        meeting, _ = rules.member_meeting(session, meeting_id, participant.id)
        if meeting.status not in rules.OPEN:
            raise rules.MeetingRefused(rules.Refusal.GONE, meeting)
    await update.callback_query.answer()
    await context.bot.send_message(update.effective_chat.id, context._("Sorry to hear it. What is the reason?"),
                                   reply_markup=_reasons(context.tr, meeting_id))


def _reasons(tr: Translator, meeting_id: int) -> InlineKeyboardMarkup:
    buttons = [button(tr(label), meeting_id, "r", reason.value) for reason, label in REASONS.items()]
    return InlineKeyboardMarkup([buttons[i:i + 2] for i in range(0, len(buttons), 2)])


async def _reason(update, context: BotContext, meeting_id: int, participant: Participant, value: str) -> None:
    reason = AbsenceReason(value)
    now = context.services.now()
    with context.services.session() as session:
        meeting, absence, pair = rules.announce_absence(session=session, meeting_id=meeting_id,
                                                        participant_id=participant.id, reason=reason, now=now)
        other = pair.other(participant.id)
        outbox.cancel(session=session, key_prefix=f"meeting:{meeting.id}:", now=now, reason="meeting will not happen")
        outbox.enqueue(session=session, participant_id=other.id, kind="absence_warning",
                       key=f"meeting:{meeting.id}:absence:{participant.id}:{other.id}", due_at=now, now=now,
                       params={"meeting_id": meeting.id, "absent": participant.id, "reason": reason.value})
        name = other.first_name
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(
        context._("Thank you for saying so. I am warning {name} now. Tap /meeting to plan another meeting.").format(
            name=name),
        reply_markup=InlineKeyboardMarkup([[button(context._("📅 Propose another time"), meeting_id, "new")]]))


async def cannot_come(update: Update, context: BotContext) -> None:
    """/absent: "I can't come" to the next meeting, at any time."""
    participant = context.participant
    _ = context._
    if participant is None or participant.onboarded_at is None or participant.role == Role.COORDINATOR:
        await update.effective_message.reply_text(_("This command is for the mentor and the mentee of a binôme."))
        return
    with context.services.session() as session:
        meeting = rules.next_meeting(session=session, participant=participant, now=context.services.now())
        if meeting is None:
            await update.effective_message.reply_text(_("You have no meeting planned. /meeting plans one."))
            return
        text = _("You cannot come to the meeting {when}? What is the reason?").format(when=when(context.tr, meeting))
    await update.effective_message.reply_text(text, reply_markup=_reasons(context.tr, meeting.id))


async def _new(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    now = context.services.now()
    with context.services.session() as session:
        meeting, pair = rules.member_meeting(session, meeting_id, participant.id)
        draft = rules.start_draft(session=session, binome=pair.binome, proposer=participant, now=now)
    await update.callback_query.answer()
    await update.callback_query.edit_message_reply_markup(None)  # the message itself (e.g. a warning) stays
    await context.bot.send_message(update.effective_chat.id, context._("When shall we meet? Choose a day:"),
                                   reply_markup=_days(context.tr, draft.id, now))


async def _cancel(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    """Cancel ("cancel") or move ("move") a planned meeting: the other side is told at once."""
    now = context.services.now()
    moving = value == "move"
    with context.services.session() as session:
        meeting, pair = rules.cancel_meeting(session=session, meeting_id=meeting_id, participant_id=participant.id,
                                             now=now)
        other = pair.other(participant.id)
        outbox.cancel(session=session, key_prefix=f"meeting:{meeting.id}:", now=now, reason="meeting cancelled")
        outbox.enqueue(session=session, participant_id=other.id, kind="meeting_cancelled",
                       key=f"meeting:{meeting.id}:cancelled:{other.id}", due_at=now, now=now,
                       params={"meeting_id": meeting.id, "by": participant.id, "moved": moving,
                               "stamp": now.isoformat()})
        draft = rules.start_draft(session=session, binome=pair.binome, proposer=participant, now=now,
                                  replaces=meeting) if moving else None
        name = other.first_name
    await update.callback_query.answer()
    if draft is None:
        await update.callback_query.edit_message_text(
            context._("The meeting is cancelled; I am telling {name} now.").format(name=name))
    else:
        await update.callback_query.edit_message_text(
            context._("I am telling {name} the meeting is moved. Which day suits you better?").format(name=name),
            reply_markup=_days(context.tr, draft.id, now))


async def _move(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    await _cancel(update, context, meeting_id, participant, "move")


async def report_absence(update: Update, context: BotContext) -> None:
    """/absence (coordinators): record an absence learned elsewhere; the mentor is warned at once."""
    participant = context.participant
    _ = context._
    if participant is None or participant.role != Role.COORDINATOR:
        await update.effective_message.reply_text(_("This command is for coordinators. /help shows yours."))
        return
    now = context.services.now()
    with context.services.session() as session:
        upcoming = rules.upcoming_in_programme(session=session, programme_id=participant.programme_id, now=now)
        rows = [[button(f"{binome.label} · {mentee.first_name} · {context.tr.date(meeting.starts_at, context.tr(SHORT_DAY))} "
                        f"{context.tr.time(meeting.starts_at)}", meeting.id, "co")]
                for meeting, binome, mentee in upcoming[:20]]
    if not rows:
        await update.effective_message.reply_text(_("No meeting is planned in the coming week."))
        return
    await update.effective_message.reply_text(_("Which mentee will not come?"), reply_markup=InlineKeyboardMarkup(rows))


async def _coordinator_pick(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    if participant.role != Role.COORDINATOR:
        raise rules.MeetingRefused(rules.Refusal.NOT_YOURS)
    buttons = [button(context.tr(label), meeting_id, "cr", reason.value) for reason, label in REASONS.items()]
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(context._("What is the reason?"), reply_markup=InlineKeyboardMarkup(
        [buttons[i:i + 2] for i in range(0, len(buttons), 2)]))


async def _coordinator_reason(update, context: BotContext, meeting_id: int, participant: Participant,
                              value: str) -> None:
    reason = AbsenceReason(value)
    now = context.services.now()
    with context.services.session() as session:
        coordinator = session.get(Participant, participant.id)
        meeting, absence, pair = rules.report_absence(session=session, meeting_id=meeting_id, coordinator=coordinator,
                                                      reason=reason, now=now)
        outbox.cancel(session=session, key_prefix=f"meeting:{meeting.id}:", now=now, reason="meeting will not happen")
        outbox.enqueue(session=session, participant_id=pair.mentor.id, kind="absence_warning",
                       key=f"meeting:{meeting.id}:absence:{pair.mentee.id}:{pair.mentor.id}", due_at=now, now=now,
                       params={"meeting_id": meeting.id, "absent": pair.mentee.id, "reason": reason.value,
                               "reported_by": coordinator.id})
        names = {"mentor": pair.mentor.first_name, "mentee": pair.mentee.first_name}
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(
        context._("Recorded: {mentee} will not come. I am warning {mentor} now.").format(**names))


OUTCOME_VALUES = {"held": MeetingStatus.HELD, "noshow": MeetingStatus.MENTEE_ABSENT,
                  "cancelled": MeetingStatus.CANCELLED, "postponed": MeetingStatus.POSTPONED}


async def _outcome(update, context: BotContext, meeting_id: int, participant: Participant, value: str) -> None:
    outcome = OUTCOME_VALUES[value]  # KeyError on forged data: answered as an invalid button
    now = context.services.now()
    _ = context._
    with context.services.session() as session:
        meeting, pair, absence = rules.record_outcome(session=session, meeting_id=meeting_id,
                                                      participant_id=participant.id, outcome=outcome, now=now)
        outbox.cancel(session=session, key_prefix=f"meeting:{meeting.id}:", now=now, reason="outcome recorded")
        if absence is not None:
            _enqueue_soon(session, pair.mentee, "meeting_missed", f"meeting:{meeting.id}:missed", now,
                          {"meeting_id": meeting.id})
        name = pair.mentee.first_name
    texts = {
        MeetingStatus.HELD: _("Thank you! The meeting is recorded as held."),
        MeetingStatus.MENTEE_ABSENT: _("Noted. I am writing to {name} to ask what happened.").format(name=name),
        MeetingStatus.CANCELLED: _("Noted: the meeting was cancelled. /meeting plans the next one."),
        MeetingStatus.POSTPONED: _("Noted: the meeting is postponed. /meeting sets the new date."),
    }
    from conversations.plan import review_offer  # held: the action plan, reviewed while the meeting is fresh
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(
        texts[outcome], reply_markup=review_offer(context.tr, meeting_id) if outcome == MeetingStatus.HELD else None)


ACTIONS = {"skip": _skip, "rhythm": _rhythm, "stoprhythm": _stop_rhythm, "new": _new, "cancel": _cancel, "move": _move,
           "co": _coordinator_pick, "cr": _coordinator_reason, "o": _outcome, "d": _day, "back": _back, "t": _time, "p": _place, "send": _send, "drop": _drop, "ok": _accept,
           "other": _another, "here": _here, "cant": _cant, "r": _reason}


# ---------------------------------------------------------------- what the outbox sends

def _meeting(session: Session, params: dict) -> Meeting:
    return session.get(Meeting, params["meeting_id"])


def _still(status: MeetingStatus):
    def relevant(session: Session, message) -> bool:
        meeting = session.get(Meeting, message.params["meeting_id"])
        if meeting is None or meeting.status != status:
            return False
        expected = message.params.get("starts_at")
        return expected is None or meeting.starts_at.isoformat() == expected
    return relevant


def calendar_file(tr: Translator, meeting: Meeting, other: Participant, place: str | None, stamp: str, *,
                  cancelled: bool = False) -> tuple[str, bytes]:
    """The meeting as an .ics file; the same UID with a higher SEQUENCE updates or removes it."""
    ics = meeting_ics(uid=f"binome-meeting-{meeting.id}@binome", starts_at=meeting.starts_at,
                      duration=timedelta(minutes=meeting.duration_minutes),
                      summary=tr("Binôme: meeting with {name}").format(name=other.first_name), location=place,
                      description=None, sequence=meeting.sequence, cancelled=cancelled,
                      now=datetime.fromisoformat(stamp))
    return tr("meeting.ics"), ics


@sender.renderer("meeting_proposed", max_delay=timedelta(days=7), relevant=_still(MeetingStatus.PROPOSED))
def render_proposed(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    meeting = _meeting(session, params)
    pair = rules.pair_of(session=session, meeting=meeting)
    proposer = pair.other(recipient.id)
    text = tr("{name} proposes a meeting {when}, {place}.").format(
        name=proposer.first_name, when=when(tr, meeting), place=place_text(tr, session, meeting))
    if meeting.series_id is not None:
        weeks = session.get(MeetingSeries, meeting.series_id).every_weeks
        text += " " + tr.ngettext("Then the same every week, until one of you stops it.",
                                  "Then the same every {n} weeks, until one of you stops it.", weeks).format(n=weeks)
    keyboard = InlineKeyboardMarkup([[button(tr("✅ Accept"), meeting.id, "ok")],
                                     [button(tr("🔁 Propose another time"), meeting.id, "other")]])
    return sender.Rendered(text, keyboard)


@sender.renderer("meeting_declined", max_delay=timedelta(days=7))
def render_declined(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    meeting = _meeting(session, params)
    other = session.get(Participant, params["by"])
    return sender.Rendered(tr("{name} cannot make it {when} and is choosing another time. I will send you their "
                              "proposal.").format(name=other.first_name, when=when(tr, meeting)))


@sender.renderer("meeting_confirmed", max_delay=timedelta(days=7), relevant=_still(MeetingStatus.CONFIRMED))
def render_confirmed(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    meeting = _meeting(session, params)
    pair = rules.pair_of(session=session, meeting=meeting)
    other = pair.other(recipient.id)
    place = place_text(tr, session, meeting)
    text = tr("📅 Confirmed: meeting with {name} {when}, {place}. Add it to your calendar with the file "
              "below.").format(name=other.first_name, when=when(tr, meeting), place=place)
    return sender.Rendered(text, document=calendar_file(tr, meeting, other, place, params["stamp"]))


@sender.renderer("meeting_reminder", max_delay=timedelta(days=1), relevant=_still(MeetingStatus.CONFIRMED))
def render_reminder(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    meeting = _meeting(session, params)
    pair = rules.pair_of(session=session, meeting=meeting)
    values = {"name": pair.other(recipient.id).first_name, "when": when(tr, meeting),
              "time": tr.time(meeting.starts_at), "place": place_text(tr, session, meeting)}
    if params["which"] == "day_before":
        text = tr("⏰ Reminder: meeting with {name} tomorrow at {time}, {place}.").format(**values)
    else:
        text = tr("⏰ Soon: meeting with {name} at {time}, {place}.").format(**values)
    keyboard = InlineKeyboardMarkup([[button(tr("👍 I'll be there"), meeting.id, "here"),
                                      button(tr("🙁 I can't come"), meeting.id, "cant")]])
    return sender.Rendered(text, keyboard)


@sender.renderer("absence_warning", max_delay=timedelta(days=2))
def render_absence(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    meeting = _meeting(session, params)
    absent = session.get(Participant, params["absent"])
    pair = rules.pair_of(session=session, meeting=meeting)
    role = term(tr, pair.programme, pair.role_of(absent.id))
    text = tr("⚠️ {name}, your {role}, cannot come to the meeting {when}. Reason: {reason}. Tap /meeting to "
              "plan another one.").format(name=absent.first_name, role=role, when=when(tr, meeting),
                                          reason=tr(REASONS[AbsenceReason(params["reason"])]))
    if params.get("reported_by"):
        coordinator = session.get(Participant, params["reported_by"])
        text += "\n" + tr("(Reported by {name}, coordinator.)").format(name=coordinator.first_name)
    keyboard = InlineKeyboardMarkup([[button(tr("📅 Plan another meeting"), meeting.id, "new")]])
    return sender.Rendered(text, keyboard)


@sender.renderer("meeting_cancelled", max_delay=timedelta(days=2))
def render_cancelled(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    meeting = _meeting(session, params)
    by = session.get(Participant, params["by"])
    if params.get("moved"):
        text = tr("🔁 {name} has to move the meeting {when} and will propose another time.")
    else:
        text = tr("✖ {name} has cancelled the meeting {when}. /meeting plans another one.")
    text = text.format(name=by.first_name, when=when(tr, meeting))
    if meeting.confirmed_at is None:  # never in their calendar: no file to remove it
        return sender.Rendered(text)
    return sender.Rendered(text, document=calendar_file(tr, meeting, by, None, params["stamp"], cancelled=True))


@sender.renderer("meeting_outcome", max_delay=timedelta(days=2), relevant=_still(MeetingStatus.CONFIRMED))
def render_outcome(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    meeting = _meeting(session, params)
    mentee = rules.pair_of(session=session, meeting=meeting).mentee
    question = tr("How did the meeting with {name} {when} go?").format(name=mentee.first_name, when=when(tr, meeting))
    if params["which"] == "again":
        question = tr("I still do not know how the meeting with {name} {when} went. One tap is enough:").format(
            name=mentee.first_name, when=when(tr, meeting))
    keyboard = InlineKeyboardMarkup([
        [button(tr("✅ It took place"), meeting.id, "o", "held")],
        [button(tr("🚫 {name} did not come").format(name=mentee.first_name), meeting.id, "o", "noshow")],
        [button(tr("✖ Cancelled"), meeting.id, "o", "cancelled"), button(tr("🔁 Postponed"), meeting.id, "o",
                                                                          "postponed")],
    ])
    return sender.Rendered(question, keyboard)


@sender.renderer("meeting_missed", max_delay=timedelta(days=3))
def render_missed(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    meeting = _meeting(session, params)
    mentor = rules.pair_of(session=session, meeting=meeting).mentor
    return sender.Rendered(tr(
        "We missed you at the meeting with {name} {when}. I hope everything is all right. Next time, tap /absent "
        "as soon as you know you cannot come: {name} will be warned at once. /meeting plans the next "
        "meeting.").format(name=mentor.first_name, when=when(tr, meeting)))


def _no_meeting_planned(session: Session, message) -> bool:
    return not rules.has_planned_meeting(session=session, binome_id=message.params["binome_id"],
                                         now=message.due_at)


@sender.renderer("cadence_nudge", max_delay=timedelta(days=2), relevant=_no_meeting_planned)
def render_nudge(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    binome = session.get(Binome, params["binome_id"])
    mentee = session.get(Participant, binome.mentee_id)
    programme = session.get(Programme, binome.programme_id)
    return sender.Rendered(tr(
        "It is time to plan your next meeting with {name}: the programme plans {count} a month. Tap /meeting to "
        "choose a day.").format(name=mentee.first_name, count=programme.meetings_per_month))




def queue_due_work(session: Session, now: datetime, *, scan: bool = True) -> None:
    """Run by the tick: meetings the mentor never confirmed, rhythms to extend, and (when
    `scan`) pairs due to plan a meeting."""
    rules.expire_unconfirmed(session=session, now=now)
    for meeting in rules.next_in_rhythm(session=session, now=now):
        confirmed(session, meeting, rules.pair_of(session=session, meeting=meeting), now)
    if not scan:
        return
    pairs = session.exec(
        select(Binome, Programme, Participant)
        .join(Programme, Programme.id == Binome.programme_id)
        .join(Participant, Participant.id == Binome.mentor_id)
        .where(Binome.status == BinomeStatus.ACTIVE, col(Participant.onboarded_at).is_not(None))
    ).all()
    for binome, programme, mentor in pairs:
        if rules.has_planned_meeting(session=session, binome_id=binome.id, now=now):
            continue
        last = rules.last_meeting_time(session=session, binome_id=binome.id)
        started = datetime.combine(binome.started_on, time(), tzinfo=timezone.utc)
        if not nudge_due(last_meeting=last, binome_started=started, next_planned=None,
                         meetings_per_month=programme.meetings_per_month, now=now):
            continue
        base = last or started
        week = (now - base - meeting_interval(programme.meetings_per_month)) // timedelta(days=7)
        tz = translator_for(mentor, programme).timezone
        outbox.enqueue(session=session, participant_id=mentor.id, kind="cadence_nudge",
                       key=f"nudge:{binome.id}:{base:%Y%m%dT%H%M}:{week}",
                       due_at=out_of_quiet_hours(now, tz=tz, quiet=meeting_options(programme).quiet_hours,
                                                 direction="later"), now=now,
                       params={"binome_id": binome.id})


@sender.renderer("rhythm_stopped", max_delay=timedelta(days=3))
def render_rhythm_stopped(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    by = session.get(Participant, params["by"])
    return sender.Rendered(tr("{name} has stopped your regular rhythm of meetings; the meetings already planned "
                              "stay. /meeting plans the next ones.").format(name=by.first_name))


HANDLERS = [
    CommandHandler("meeting", plan),
    CommandHandler("absent", cannot_come),
    CommandHandler("absence", report_absence),
    CallbackQueryHandler(on_button, pattern=PATTERN),
    # Free text reaches `place_detail` through conversations.awaited.route.
]
