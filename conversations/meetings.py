"""Meetings from the chat: every meeting button, the other side's answer, "I can't come" with the
other side warned at once, cancelling or moving, a coordinator's /absence, and the mentor's answer
after the meeting. Planning by buttons is in conversations.meeting_picker, how meetings read in
conversations.meeting_texts, and what each change queues in storage.meeting_messages.

Callback data: `m:<meeting id>:<action>[:<value>]`. The rules (storage.meetings) check that the
meeting is still in the state the button was made for; an old or forged button changes nothing.
"""
from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.commands import names
from bot.context import BotContext
from bot.i18n import Translator
from conversations import buttons, which_binome
from conversations.buttons import grid
from conversations.formats import SHORT_DAY
from conversations.meeting_picker import (days_keyboard, on_back, on_day, on_drop, on_place, on_rhythm, on_send,
                                          on_skip, on_time, plan)
from conversations.meeting_texts import PATTERN, REASONS, button, when
from conversations.plan import review_offer
from storage import meetings as rules
from storage.meeting_messages import (queue_absence_warning, queue_after_outcome, queue_cancellation,
                                      queue_confirmation, queue_declined, queue_rhythm_stopped)
from storage.models import AbsenceReason, MeetingStatus, Participant, Role
from storage.participants import active_binomes_of

async def on_button(update: Update, context: BotContext) -> None:
    """Every meeting button: check it still applies, then do what it says."""
    query = update.callback_query
    press = buttons.parse(context.match, VALUES)
    participant = context.participant
    if press is None or participant is None:
        await buttons.refuse(update, context)
        return
    meeting_id, value = press.ref, press.value
    handler = ACTIONS.get(press.verb)
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
        return _("This time is already past. Please choose another one.")
    if refused.refusal == rules.Refusal.NOT_YOURS:
        return _("This button is no longer valid.")
    if refused.status == MeetingStatus.CONFIRMED:
        return _("This meeting is already confirmed.")
    if refused.status in (MeetingStatus.CANCELLED, MeetingStatus.MENTEE_ABSENT, MeetingStatus.MENTOR_ABSENT):
        return _("This meeting will not take place. I changed nothing.")
    return _("This button is no longer valid.")


async def _stop_rhythm(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    now = context.services.now()
    with context.services.session() as session:
        meeting, pair = rules.member_meeting(session, meeting_id, participant.id)
        rules.stop_rhythm(session=session, binome_id=pair.binome.id, participant_id=participant.id, now=now)
        other = pair.other(participant.id)
        queue_rhythm_stopped(session=session, binome_id=pair.binome.id, recipient=other, by=participant, now=now)
        name = other.first_name
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(context._(
        "The regular meetings are stopped. The meetings already planned stay. I am telling {name}.").format(name=name))


# ---------------------------------------------------------------- the other side answers

async def _accept(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    now = context.services.now()
    with context.services.session() as session:
        meeting, pair = rules.accept(session=session, meeting_id=meeting_id, participant_id=participant.id, now=now)
        queue_confirmation(session=session, meeting=meeting, pair=pair, now=now)
    await update.callback_query.answer(context._("Confirmed!"))
    await update.callback_query.edit_message_reply_markup(None)


async def _another(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    now = context.services.now()
    with context.services.session() as session:
        old, draft, pair = rules.ask_another_slot(session=session, meeting_id=meeting_id,
                                                  participant_id=participant.id, now=now)
        queue_declined(session=session, meeting=old, recipient=pair.other(participant.id), by=participant, now=now)
    await update.callback_query.answer()
    await update.callback_query.edit_message_reply_markup(None)
    await context.bot.send_message(update.effective_chat.id, context._("Which day is better for you?"),
                                   reply_markup=days_keyboard(context.tr, draft.id, now))


# ---------------------------------------------------------------- "I'll be there" / "I can't come"

async def _here(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        meeting, _ = rules.member_meeting(session, meeting_id, participant.id)
        if meeting.status != MeetingStatus.CONFIRMED:
            raise rules.MeetingRefused(rules.Refusal.GONE, meeting)
    await update.callback_query.answer(context._("OK, see you there!"))
    await update.callback_query.edit_message_reply_markup(None)


async def _cant(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        meeting, _ = rules.member_meeting(session, meeting_id, participant.id)
        if meeting.status not in rules.OPEN:
            raise rules.MeetingRefused(rules.Refusal.GONE, meeting)
    await update.callback_query.answer()
    await context.bot.send_message(update.effective_chat.id, context._("I am sorry. What is the reason?"),
                                   reply_markup=_reasons(context.tr, meeting_id))


def _reasons(tr: Translator, meeting_id: int) -> InlineKeyboardMarkup:
    buttons = [button(tr(label), meeting_id, "r", reason.value) for reason, label in REASONS.items()]
    return InlineKeyboardMarkup(grid(buttons, 2))


async def _reason(update, context: BotContext, meeting_id: int, participant: Participant, value: str) -> None:
    reason = AbsenceReason(value)
    now = context.services.now()
    with context.services.session() as session:
        meeting, absence, pair = rules.announce_absence(session=session, meeting_id=meeting_id,
                                                        participant_id=participant.id, reason=reason, now=now)
        other = pair.other(participant.id)
        queue_absence_warning(session=session, meeting=meeting, absent=participant, recipient=other, reason=reason,
                              now=now)
        name = other.first_name
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(
        context._("Thank you for telling me. I am warning {name} now. Tap /meeting to plan another meeting.").format(
            name=name),
        reply_markup=InlineKeyboardMarkup([[button(context._("📅 Propose another time"), meeting_id, "new")]]))


async def cannot_come(update: Update, context: BotContext) -> None:
    """/absent: "I can't come" to the next meeting, at any time."""
    participant = context.participant
    _ = context._
    if participant is None or participant.onboarded_at is None or participant.role == Role.COORDINATOR:
        await update.effective_message.reply_text(_("This command is for the mentor and the mentee of a binôme."))
        return
    now = context.services.now()
    with context.services.session() as session:
        binomes = active_binomes_of(session=session, participant=participant)
        several = len(binomes) > 1
        if several:  # someone in several binômes: ask only among those with a meeting planned
            binomes = [b for b in binomes if rules.next_meeting(session=session, participant=participant, now=now,
                                                                binome=b) is not None]
            if len(binomes) > 1:
                await which_binome.ask(update, context, session, binomes, "a")
                return
        meeting = rules.next_meeting(session=session, participant=participant, now=now,
                                     binome=binomes[0]) if binomes else None
        if meeting is None:
            await update.effective_message.reply_text(_("You have no meeting planned. To plan one, send /meeting."))
            return
        text = _absent_question(context, session, meeting, participant, several=several)
    await update.effective_message.reply_text(text, reply_markup=_reasons(context.tr, meeting.id))


def _absent_question(context: BotContext, session, meeting, participant: Participant, *, several: bool) -> str:
    if not several:
        return context._("You cannot come to the meeting {when}? What is the reason?").format(
            when=when(context.tr, meeting))
    other = rules.pair_of(session=session, meeting=meeting).other(participant.id)
    return context._("You cannot come to the meeting with {name} {when}? What is the reason?").format(
        name=other.first_name, when=when(context.tr, meeting))


@which_binome.on_choice("a")
async def _absent_in(update: Update, context: BotContext, binome) -> None:
    """/absent, the binôme chosen: its next meeting's reasons."""
    with context.services.session() as session:
        meeting = rules.next_meeting(session=session, participant=context.participant, now=context.services.now(),
                                     binome=binome)
        if meeting is None:
            await which_binome.show(update, context, context._("You have no meeting planned. To plan one, send "
                                                               "/meeting."),
                                    None, edit=True)
            return
        text = _absent_question(context, session, meeting, context.participant, several=True)
    await which_binome.show(update, context, text, _reasons(context.tr, meeting.id), edit=True)


async def _new(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    now = context.services.now()
    with context.services.session() as session:
        meeting, pair = rules.member_meeting(session, meeting_id, participant.id)
        draft = rules.start_draft(session=session, binome=pair.binome, proposer=participant, now=now)
    await update.callback_query.answer()
    await update.callback_query.edit_message_reply_markup(None)  # the message itself (e.g. a warning) stays
    await context.bot.send_message(update.effective_chat.id, context._("When do you want to meet? Choose a day:"),
                                   reply_markup=days_keyboard(context.tr, draft.id, now))


async def _cancel(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    """Cancel ("cancel") or move ("move") a planned meeting: the other side is told at once."""
    now = context.services.now()
    moving = value == "move"
    with context.services.session() as session:
        meeting, pair = rules.cancel_meeting(session=session, meeting_id=meeting_id, participant_id=participant.id,
                                             now=now)
        other = pair.other(participant.id)
        queue_cancellation(session=session, meeting=meeting, recipient=other, by=participant, moved=moving, now=now)
        draft = rules.start_draft(session=session, binome=pair.binome, proposer=participant, now=now,
                                  replaces=meeting) if moving else None
        name = other.first_name
    await update.callback_query.answer()
    if draft is None:
        await update.callback_query.edit_message_text(
            context._("The meeting is cancelled. I am telling {name} now.").format(name=name))
    else:
        await update.callback_query.edit_message_text(
            context._("I am telling {name} that the meeting is moved. Which day is better for you?").format(name=name),
            reply_markup=days_keyboard(context.tr, draft.id, now))


async def _move(update, context: BotContext, meeting_id: int, participant: Participant, value) -> None:
    await _cancel(update, context, meeting_id, participant, "move")


async def report_absence(update: Update, context: BotContext) -> None:
    """/absence (coordinators): record an absence learned elsewhere; the mentor is warned at once."""
    participant = context.participant
    _ = context._
    if participant is None or participant.role != Role.COORDINATOR:
        await update.effective_message.reply_text(_("This command is for coordinators. To see your commands, send "
                                                    "/help."))
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
        grid(buttons, 2)))


async def _coordinator_reason(update, context: BotContext, meeting_id: int, participant: Participant,
                              value: str) -> None:
    reason = AbsenceReason(value)
    now = context.services.now()
    with context.services.session() as session:
        coordinator = session.get(Participant, participant.id)
        meeting, absence, pair = rules.report_absence(session=session, meeting_id=meeting_id, coordinator=coordinator,
                                                      reason=reason, now=now)
        queue_absence_warning(session=session, meeting=meeting, absent=pair.mentee, recipient=pair.acting,
                              reason=reason, now=now, reported_by=coordinator)
        names = {"mentor": pair.acting.first_name, "mentee": pair.mentee.first_name}
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
        queue_after_outcome(session=session, meeting=meeting, pair=pair, absence=absence, now=now)
        name = pair.mentee.first_name
    texts = {
        MeetingStatus.HELD: _("Thank you! The meeting is recorded as held."),
        MeetingStatus.MENTEE_ABSENT: _("Noted. I am writing to {name} to ask what happened.").format(name=name),
        MeetingStatus.CANCELLED: _("Noted: the meeting was cancelled. /meeting plans the next one."),
        MeetingStatus.POSTPONED: _("Noted: the meeting is postponed. /meeting sets the new date."),
    }
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(  # held: the action plan, reviewed while the meeting is fresh
        texts[outcome], reply_markup=review_offer(context.tr, meeting_id) if outcome == MeetingStatus.HELD else None)


ACTIONS = {"d": on_day, "back": on_back, "t": on_time, "p": on_place, "skip": on_skip, "send": on_send, "drop": on_drop,
           "rhythm": on_rhythm, "stoprhythm": _stop_rhythm, "ok": _accept, "other": _another, "here": _here,
           "cant": _cant, "r": _reason, "new": _new, "cancel": _cancel, "move": _move, "co": _coordinator_pick,
           "cr": _coordinator_reason, "o": _outcome}
VALUES = {"d": r"\d{8}", "t": r"\d{4}", "p": "[a-z_]+", "r": "[a-z_]+", "cr": "[a-z_]+", "o": "[a-z_]+"} | {
    action: None for action in ("back", "skip", "send", "drop", "rhythm", "stoprhythm", "ok", "other", "here", "cant",
                                "new", "cancel", "move", "co")}  # action: its value (None: no value)


HANDLERS = [
    CommandHandler(names("meeting"), plan),
    CommandHandler(names("absent"), cannot_come),
    CommandHandler(names("absence"), report_absence),
    CallbackQueryHandler(on_button, pattern=PATTERN),
    # Free text reaches `meeting_picker.place_detail` through conversations.awaited.route.
]
