"""Scheduled check-ins from the chat: a few taps for the mentee (mood, the actions due soon, an optional
word, what to share with the mentor), a lighter one for the mentor (all fine? a word for the
coordinator), "later", "I'm away until…", /away and /progress.

Callback data: `c:<check-in id>:<verb>[:<value>]` (`c:0:…` for /away). The rules (storage.checkins,
storage.checkin_rhythm) check that the check-in is the presser's and at the step the button was made
for; an old or forged button changes nothing. The step is in the database: a restart continues where it
was. How each step looks is in conversations.checkin_views.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlmodel import Session
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import replies
from bot.commands import names
from bot.context import BotContext
from bot.progress_chart import progress_png
from conversations import awaited, buttons, tutor_away
from conversations.checkin_views import AWAY_DAYS, SHORT_DATE, STATUS_ICON, away_rows, button, view, when
from conversations.no_binome import not_in_binome
from conversations.self_evaluation import progress_lines
from storage import checkin_rhythm as rhythm
from storage import checkins as rules
from storage import plans, substitutes
from storage.checkin_progress import streak
from storage.models import ActionStatus, CheckIn, CheckInStatus, Participant, Role
from storage.options import checkin_options
from storage.participants import current_binome, programme_of, timezone_of

PATTERN = buttons.pattern("c")
VALUES = {"mood": r"\d", "act": rf"{buttons.ID}_[dpbs]", "fine": "[01]", "skip": None, "sh": "mood|word",  # verb: value
          "done": None, "chg": None, "later": None, "snz": "[a-z]+", "away": None, "awd": r"\d{1,3}", "awend": None,
          "back": None}

ACTION_ANSWERS = {"d": ActionStatus.DONE, "p": ActionStatus.IN_PROGRESS, "b": ActionStatus.BLOCKED}


# ---------------------------------------------------------------- buttons

async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    press = buttons.parse(context.match, VALUES)
    participant = context.participant
    handler = VERBS.get(press.verb) if press is not None else None
    if participant is None or participant.role == Role.COORDINATOR or handler is None:
        await buttons.refuse(update, context)
        return
    checkin_id, value = press.ref, press.value
    try:
        await handler(update, context, checkin_id, participant, value)
    except rules.CheckinRefused as refused:
        await query.answer(_refusal(context, refused))
    except (ValueError, KeyError, TypeError, plans.PlanRefused):  # a forged value, an action gone meanwhile
        await query.answer(context._("This button is no longer valid."))


def _refusal(context: BotContext, refused: rules.CheckinRefused) -> str:
    _ = context._
    if refused.refusal == rules.Refusal.CLOSED:
        return _("This check-in is closed. You cannot change it now.")
    if refused.status == CheckInStatus.SKIPPED:
        return _("This check-in is no longer open.")
    if refused.refusal == rules.Refusal.GONE and refused.answered:
        return _("Already answered, thank you.")
    return _("This button is no longer valid.")


async def _show(update: Update, context: BotContext, checkin_id: int, note: str | None = None) -> None:
    """Edit the pressed message to show the check-in's current step."""
    now = context.services.now()
    with context.services.session() as session:
        checkin = session.get(CheckIn, checkin_id)
        text, markup = view(context.tr, session, checkin, now)
    await update.callback_query.answer(note)
    await update.callback_query.edit_message_text(text, reply_markup=markup)


def _expect_word(session: Session, checkin: CheckIn, now: datetime) -> None:
    if checkin.step == "word":
        purpose = "checkin_coord_word" if checkin.role == Role.MENTOR else "checkin_word"
        awaited.expect(session=session, participant_id=checkin.participant_id, purpose=purpose, ref_id=checkin.id,
                       now=now)


async def _mood(update, context: BotContext, checkin_id: int, participant: Participant, value) -> None:
    now = context.services.now()
    with context.services.session() as session:
        checkin = rules.answer_mood(session=session, checkin_id=checkin_id, participant_id=participant.id,
                                    mood=int(value), now=now)
        _expect_word(session, checkin, now)
    await _show(update, context, checkin_id)


async def _action(update, context: BotContext, checkin_id: int, participant: Participant, value) -> None:
    action_part, answer = value.split("_")
    action_id = int(action_part)
    status = None if answer == "s" else ACTION_ANSWERS[answer]
    now = context.services.now()
    with context.services.session() as session:
        checkin = rules.answer_action(session=session, checkin_id=checkin_id, participant_id=participant.id,
                                      action_id=action_id, status=status, now=now)
        if status is not None:
            plans.change_status(session=session, action_id=action_id, participant_id=participant.id, status=status,
                                now=now)
        _expect_word(session, checkin, now)
    await _show(update, context, checkin_id)


async def _fine(update, context: BotContext, checkin_id: int, participant: Participant, value) -> None:
    if value not in ("0", "1"):
        raise ValueError(value)
    now = context.services.now()
    with context.services.session() as session:
        checkin = rules.answer_fine(session=session, checkin_id=checkin_id, participant_id=participant.id,
                                    concern=value == "0", now=now)
        _expect_word(session, checkin, now)
    await _show(update, context, checkin_id)


async def _skip_word(update, context: BotContext, checkin_id: int, participant: Participant, value) -> None:
    now = context.services.now()
    with context.services.session() as session:
        rules.answer_word(session=session, checkin_id=checkin_id, participant_id=participant.id, word=None, now=now)
        awaited.clear(session=session, participant_id=participant.id)
    await _show(update, context, checkin_id)


async def on_word(update: Update, context: BotContext, ref_id: int | None, text: str) -> None:
    """The typed word (mentee: private unless shared; mentor: for the coordinator)."""
    participant = context.participant
    now = context.services.now()
    try:
        with context.services.session() as session:
            checkin = rules.answer_word(session=session, checkin_id=ref_id, participant_id=participant.id,
                                        word=text, now=now)
            reply, markup = view(context.tr, session, checkin, now)
    except rules.CheckinRefused:
        await update.effective_message.reply_text(context._("This check-in is no longer open."))
        return
    await update.effective_message.reply_text(reply, reply_markup=markup)


awaited.on_text("checkin_word")(on_word)
awaited.on_text("checkin_coord_word")(on_word)


async def _share(update, context: BotContext, checkin_id: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        rules.toggle_share(session=session, checkin_id=checkin_id, participant_id=participant.id, what=value,
                           now=context.services.now())
    await _show(update, context, checkin_id)


async def _done(update, context: BotContext, checkin_id: int, participant: Participant, value) -> None:
    now = context.services.now()
    with context.services.session() as session:
        checkin = rules.finish(session=session, checkin_id=checkin_id, participant_id=participant.id, now=now)
        rules.queue_shared(session=session, checkin=checkin, now=now)
    await _show(update, context, checkin_id)


async def _change(update, context: BotContext, checkin_id: int, participant: Participant, value) -> None:
    now = context.services.now()
    with context.services.session() as session:
        programme = programme_of(session=session, participant=participant)
        rules.reopen(session=session, checkin_id=checkin_id, participant_id=participant.id,
                     options=checkin_options(programme), now=now)
    await _show(update, context, checkin_id)


async def _later(update, context: BotContext, checkin_id: int, participant: Participant, value) -> None:
    tr, now = context.tr, context.services.now()
    with context.services.session() as session:
        rules.unanswered(session, checkin_id, participant.id)
    rows = [[button(tr.ngettext("In {count} hour", "In {count} hours", rhythm.SNOOZE_HOURS).format(
        count=rhythm.SNOOZE_HOURS), checkin_id, "snz", "h")]]
    if tr.local(now).time() < time(rhythm.EVENING.hour - 2):
        rows.append([button(tr("This evening"), checkin_id, "snz", "eve")])
    rows += [[button(tr("Tomorrow morning"), checkin_id, "snz", "tom")], [button(tr("← Back"), checkin_id, "back")]]
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(tr("When can I write to you again?"),
                                                  reply_markup=InlineKeyboardMarkup(rows))


async def _snooze(update, context: BotContext, checkin_id: int, participant: Participant, value) -> None:
    tr, now = context.tr, context.services.now()
    with context.services.session() as session:
        programme = programme_of(session=session, participant=participant)
        until = rhythm.snooze_until(value, now=now, tz=timezone_of(participant, programme),
                                    quiet=checkin_options(programme).quiet_hours)
        rhythm.snooze(session=session, checkin_id=checkin_id, participant_id=participant.id, until=until, now=now)
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(tr("⏰ OK. I will write to you again {when}.").format(
        when=when(tr, until, now)))


async def _away_menu(update, context: BotContext, checkin_id: int, participant: Participant, value) -> None:
    tr, now = context.tr, context.services.now()
    with context.services.session() as session:
        rules.unanswered(session, checkin_id, participant.id)
    rows = away_rows(tr, checkin_id, tr.local(now).date()) + [[button(tr("← Back"), checkin_id, "back")]]
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(
        tr("Until when are you away? You get no check-in before that date. Your meetings do not change."),
        reply_markup=InlineKeyboardMarkup(rows))


async def _away(update, context: BotContext, checkin_id: int, participant: Participant, value) -> None:
    days = int(value)
    if days not in AWAY_DAYS:
        raise ValueError(value)
    tr, now = context.tr, context.services.now()
    with context.services.session() as session:
        if checkin_id:
            rules.unanswered(session, checkin_id, participant.id)
        until = tr.local(now).date() + timedelta(days=days)
        rules.away_until(session=session, participant=participant, until=until, now=now)
        if participant.role == Role.MENTOR:  # the substitute tutor stands in meanwhile (storage.substitutes)
            substitutes.declare_away(session=session, mentor=session.get(Participant, participant.id),
                                     starts_on=tr.local(now).date(), ends_on=until, now=now)
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(tr(
        "🌴 OK: no check-in until {date}. Have a good time! To change the date, send /away.").format(
            date=tr.date(until, tr(SHORT_DATE))))


async def _end_away(update, context: BotContext, checkin_id: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        rules.end_away(session=session, participant=participant, now=context.services.now())
        if participant.role == Role.MENTOR:
            substitutes.end_away(session=session, mentor=session.get(Participant, participant.id),
                                 now=context.services.now())
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(context._("Welcome back! Your check-ins start again with the next "
                                                            "one."))


async def _back(update, context: BotContext, checkin_id: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        rules.at_first_question(session, checkin_id, participant.id)
    await _show(update, context, checkin_id)


VERBS = {"mood": _mood, "act": _action, "fine": _fine, "skip": _skip_word, "sh": _share, "done": _done,
         "chg": _change, "later": _later, "snz": _snooze, "away": _away_menu, "awd": _away, "awend": _end_away,
         "back": _back}


# ---------------------------------------------------------------- commands

def _member(context: BotContext) -> bool:
    participant = context.participant
    return participant is not None and participant.onboarded_at is not None and participant.role != Role.COORDINATOR


async def away(update: Update, context: BotContext) -> None:
    """/away: pause the check-ins until a date, or end the pause."""
    tr, now = context.tr, context.services.now()
    if not _member(context):
        await update.effective_message.reply_text(tr("Check-ins are for the mentors and mentees of a binôme."))
        return
    if context.participant.role == Role.MENTOR:  # with dates, and the substitute tutor (conversations.tutor_away)
        await tutor_away.menu(update, context)
        return
    with context.services.session() as session:
        participant = session.get(Participant, context.participant.id)
        programme = programme_of(session=session, participant=participant)
        pause = rules.current_away(session=session, participant=participant, programme=programme, now=now)
    rows = away_rows(tr, 0, tr.local(now).date())
    if pause is not None:
        text = tr("You are away until {date}. You get no check-in before that date. You can change the date or end the "
                  "pause:").format(
            date=tr.date(pause.until, tr(SHORT_DATE)))
        rows.append([button(tr("I'm back: end the pause"), 0, "awend")])
    else:
        text = tr("Until when are you away? You get no check-in before that date. Your meetings do not change.")
    await update.effective_message.reply_text(text, reply_markup=InlineKeyboardMarkup(rows))


PROGRESS_LIMIT = 50  # actions listed under /progress; a long list is sent in several messages


async def progress(update: Update, context: BotContext) -> None:
    """/progress: the plan with its statuses, and the mentee's check-in streak."""
    tr = context.tr
    if not _member(context):
        await update.effective_message.reply_text(tr("Check-ins are for the mentors and mentees of a binôme."))
        return
    with context.services.session() as session:
        participant = session.get(Participant, context.participant.id)
        binome = current_binome(session=session, participant=participant)
        if binome is None:
            await update.effective_message.reply_text(not_in_binome(tr, session, participant))
            return
        actions = plans.progress_list(session=session, binome_id=binome.id)
        mentee = session.get(Participant, binome.mentee_id)
        run = streak(session=session, participant_id=mentee.id)
        lines = [tr("📋 The action plan:") if actions else tr("📋 The action plan is empty for now. "
                                                            "To add an action, send /plan.")]
        for action in actions[:PROGRESS_LIMIT]:
            due = f" ({tr.date(action.due_on, tr(SHORT_DATE))})" if action.due_on else ""
            lines.append(f"{STATUS_ICON[action.status]} {action.title}{due}")
        if len(actions) > PROGRESS_LIMIT:
            lines.append(tr("…and {count} more.").format(count=len(actions) - PROGRESS_LIMIT))
        done = sum(1 for a in actions if a.status == ActionStatus.DONE)
        if actions:
            lines.append(tr.ngettext("{done} of {count} action done.", "{done} of {count} actions done.",
                                     len(actions)).format(done=done, count=len(actions)))
        lines.append("")
        who = tr("Your check-ins") if participant.role == Role.MENTEE else \
            tr("{name}'s check-ins").format(name=mentee.first_name)
        lines.append(tr("{who}: {answered} answered of {sent}.").format(who=who, answered=run.answered,
                                                                       sent=run.sent))
        if run.streak:
            lines.append(tr.ngettext("🔥 {count} in a row!", "🔥 {count} in a row!", run.streak).format(
                count=run.streak))
        competences, shown = progress_lines(tr, session, binome)  # the self-evaluation, if the programme has one
        chart = progress_png(tr, shown.history, len(shown.lines), mentee=mentee.first_name, mentor=session.get(
            Participant, binome.mentor_id).first_name) if shown.history else None
    await replies.reply(update.effective_message, "\n".join(lines + competences))
    if chart is not None:
        await update.effective_message.reply_photo(chart)


async def typed_in_checkin(update: Update, context: BotContext) -> bool:
    """Text or a sticker nobody was waiting for, from someone in the middle of a check-in (for the fallback):
    at the word step, text is the word (even if a command made the bot forget it was waiting); otherwise a
    kind pointer to the buttons. False when no check-in is under way."""
    participant = context.participant
    if participant is None:
        return False
    with context.services.session() as session:
        checkin = rules.midflow(session=session, participant_id=participant.id, now=context.services.now())
        found = (checkin.id, checkin.step) if checkin is not None else None
    if found is None:
        return False
    message = update.effective_message
    if found[1] == "word" and message.text:
        word = awaited.typed(message.text)
        if not word:
            await awaited.nothing_readable(update, context)
            return True
        await on_word(update, context, found[0], word)
        return True
    await message.reply_text(context._("Please answer with the buttons of the check-in above. 🙂"))
    return True


HANDLERS = [
    CommandHandler(names("away"), away),
    CommandHandler(names("progress"), progress),
    CallbackQueryHandler(on_button, pattern=PATTERN),
]
