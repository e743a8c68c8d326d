"""Scheduled check-ins from the chat: a few taps for the mentee (mood, the actions due soon, an optional
word, what to share with the mentor), a lighter one for the mentor (all fine? a word for the
coordinator), "later", "I'm away until…", /away and /progress.

Callback data: `c:<check-in id>:<verb>[:<value>]` (`c:0:…` for /away). The rules (storage.checkins)
check that the check-in is the presser's and at the step the button was made for; an old or forged
button changes nothing. The step is in the database: a restart continues where it was.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import sender
from bot.context import BotContext
from bot.i18n import N_, Translator
from bot.vocabulary import term
from conversations.formats import SHORT_DAY
from conversations import awaited
from storage import outbox
from storage import checkins as rules
from storage.plans import PlanRefused
from storage.models import (ActionStatus, Binome, BinomeStatus, CheckIn, CheckInStatus, Participant,
                            ParticipantStatus, PlanAction, PlanActionChange, Programme, Role)
from storage.participants import current_binome, partner_of, programme_of
from storage.schedule import local_instant, out_of_quiet_hours

PATTERN = r"^c:(\d+):([a-z]+)(?::([A-Za-z0-9_]+))?$"
MOOD_EMOJI = {1: "😞", 2: "🙁", 3: "😐", 4: "🙂", 5: "😄"}
ACTION_ANSWERS = {"d": ActionStatus.DONE, "p": ActionStatus.IN_PROGRESS, "b": ActionStatus.BLOCKED}
STATUS_ICON = {ActionStatus.TO_DO: "⬜", ActionStatus.IN_PROGRESS: "▶️", ActionStatus.BLOCKED: "⛔",
               ActionStatus.DONE: "✅", ActionStatus.DROPPED: "✖"}
AWAY_DAYS = (7, 14, 21, 30)
DUE_SOON_DAYS = 10
SNOOZE_HOURS = 3
EVENING = time(19, 0)
MORNING = time(9, 0)
SHORT_DATE = SHORT_DAY  # the meetings' short weekday and date, e.g. "Wed, Sep 16"
AWAY_LABELS = {7: N_("1 week (until {date})"), 14: N_("2 weeks (until {date})"), 21: N_("3 weeks (until {date})"),
               30: N_("1 month (until {date})")}


def button(text: str, checkin_id: int, verb: str, value: str | int | None = None) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=f"c:{checkin_id}:{verb}" + (f":{value}" if value is not None
                                                                                 else ""))


def support_row(tr: Translator) -> list[InlineKeyboardButton]:
    """For the warning-signs feature (conversations.alerts handles `sup:`)."""
    return [InlineKeyboardButton(tr("🆘 I need help"), callback_data="sup:help"),
            InlineKeyboardButton(tr("✋ I want to stop"), callback_data="sup:stop")]


# ---------------------------------------------------------------- the actions (the plan's table)

def due_soon(session: Session, binome_id: int, today: date) -> list[PlanAction]:
    """Up to three open actions due soon (or overdue), the most urgent first (storage.plans.due_soon)."""
    from storage.plans import due_soon as plan_due_soon

    return plan_due_soon(session=session, binome_id=binome_id, today=today, within_days=DUE_SOON_DAYS, limit=3)


def change_action_status(session: Session, action_id: int, participant: Participant, status: ActionStatus,
                         now: datetime) -> None:
    """Through the plan feature's rule (history, audit, the mentor's "done" notice)."""
    from conversations.plan import change_status

    change_status(session, action_id, participant, status, now)


def _since(session: Session, checkin: CheckIn) -> datetime:
    previous = rules.previous_sent(session=session, checkin=checkin)
    if previous is not None:
        return previous.sent_at
    binome = session.get(Binome, checkin.binome_id)
    return datetime.combine(binome.started_on, time(), tzinfo=checkin.due_at.tzinfo)


def progress_lines(tr: Translator, session: Session, checkin: CheckIn) -> list[str]:
    """For the mentor: the mentee's action progress since the last check-in, and what the mentee chose
    to share since then."""
    since = _since(session, checkin)
    changes = session.exec(
        select(PlanActionChange, PlanAction).join(PlanAction, PlanAction.id == PlanActionChange.action_id)
        .where(PlanAction.binome_id == checkin.binome_id, PlanActionChange.field == "status",
               PlanActionChange.at >= since).order_by(PlanActionChange.at)
    ).all()
    done = {action.id: action.title for change, action in changes if change.new == ActionStatus.DONE}
    moving = {action.id for change, action in changes if change.new == ActionStatus.IN_PROGRESS}
    blocked = {action.id for change, action in changes if change.new == ActionStatus.BLOCKED}
    lines = []
    if done:
        lines.append(tr.ngettext("✅ {count} action done: {titles}", "✅ {count} actions done: {titles}",
                                 len(done)).format(count=len(done), titles=", ".join(done.values())))
    if moving - done.keys():
        n = len(moving - done.keys())
        lines.append(tr.ngettext("▶️ {count} action in progress", "▶️ {count} actions in progress", n).format(count=n))
    if blocked - done.keys():
        n = len(blocked - done.keys())
        lines.append(tr.ngettext("⛔ {count} action blocked", "⛔ {count} actions blocked", n).format(count=n))
    binome = session.get(Binome, checkin.binome_id)
    shared = session.exec(
        select(CheckIn).where(CheckIn.participant_id == binome.mentee_id, col(CheckIn.completed_at).is_not(None),
                              CheckIn.completed_at > since)
        .order_by(col(CheckIn.completed_at).desc())
    ).first()
    if shared is not None:
        lines.extend(shared_lines(tr, shared))
    return lines


def shared_lines(tr: Translator, checkin: CheckIn) -> list[str]:
    """Only what the mentee ticked "share with my mentor"."""
    lines = []
    if checkin.share_with_mentor and checkin.mood:
        lines.append(tr("Mood: {emoji}").format(emoji=MOOD_EMOJI[checkin.mood]))
    if checkin.share_word_with_mentor and checkin.word:
        lines.append(tr("Their word: “{word}”").format(word=checkin.word))
    return lines


# ---------------------------------------------------------------- what a check-in looks like at each step

def view(tr: Translator, session: Session, checkin: CheckIn, now: datetime) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons of the check-in at its current step (mentee or mentor)."""
    participant = session.get(Participant, checkin.participant_id)
    programme = session.get(Programme, participant.programme_id)
    partner = partner_of(session=session, participant=participant)
    partner_name = partner.first_name if partner else ""
    step, cid = checkin.step, checkin.id
    late = [tr("(This is the check-in of {date}.)").format(date=tr.date(checkin.due_at, tr(SHORT_DATE)))] \
        if _newer_sent(session, checkin) else []
    if step == "mood":
        text = "\n".join([tr("👋 Check-in time, {name}! How are things this week?").format(
            name=participant.first_name)] + late)
        rows = [[button(MOOD_EMOJI[m], cid, "mood", m) for m in rules.MOODS],
                [button(tr("⏰ Later"), cid, "later"), button(tr("🌴 I'm away…"), cid, "away")]]
        return text, InlineKeyboardMarkup(rows)
    if step == "fine":
        lines = [tr("👋 Check-in time: how is the binôme with {name} going?").format(name=partner_name)] + late
        progress = progress_lines(tr, session, checkin)
        if progress:
            lines += ["", tr("Since the last check-in:")] + progress
        rows = [[button(tr("👍 All fine"), cid, "fine", 1), button(tr("😟 I have a concern"), cid, "fine", 0)],
                [button(tr("⏰ Later"), cid, "later"), button(tr("🌴 I'm away…"), cid, "away")]]
        return "\n".join(lines), InlineKeyboardMarkup(rows)
    if step.startswith("action:"):
        action = session.get(PlanAction, int(step.split(":")[1]))
        ids = rules.action_ids(checkin)
        position = ids.index(action.id) + 1
        text = tr("Action {n} of {total}: “{title}”, due {date}. How is it going?").format(
            n=position, total=len(ids), title=action.title, date=tr.date(action.due_on, tr(SHORT_DATE)))
        rows = [[button(tr("✅ Done"), cid, "act", f"{action.id}_d"),
                 button(tr("▶️ In progress"), cid, "act", f"{action.id}_p"),
                 button(tr("⛔ Blocked"), cid, "act", f"{action.id}_b")],
                [button(tr("Skip"), cid, "act", f"{action.id}_s")]]
        return text, InlineKeyboardMarkup(rows)
    if step == "word":
        if checkin.role == Role.MENTOR:
            text = tr("Anything for the coordinator? Type a word: it goes to the coordinator only, not to {name}. "
                      "Or tap Skip.").format(name=partner_name)
            return text, InlineKeyboardMarkup([[button(tr("Skip"), cid, "skip")], support_row(tr)])
        return tr("Anything to add? Type a word, or tap Skip."), InlineKeyboardMarkup([[button(tr("Skip"), cid,
                                                                                             "skip")]])
    if step == "share":
        mentor_word = term(tr, programme, Role.MENTOR)
        text = tr("Share with my {mentor}? Nothing is shared unless you tick it.").format(mentor=mentor_word)
        tick = {True: "☑", False: "☐"}
        rows = [[button(tr("{box} My mood {emoji}").format(box=tick[checkin.share_with_mentor],
                                                           emoji=MOOD_EMOJI.get(checkin.mood, "")), cid, "sh", "mood")]]
        if checkin.word:
            rows.append([button(tr("{box} My word").format(box=tick[checkin.share_word_with_mentor]), cid, "sh",
                                "word")])
        rows.append([button(tr("Done"), cid, "done")])
        rows.append(support_row(tr))
        return text, InlineKeyboardMarkup(rows)
    # done
    options = rules.checkin_options(programme)
    text = tr("Thank you, {name}! See you at the next check-in.").format(name=participant.first_name)
    if checkin.role == Role.MENTOR and checkin.share_with_coordinator:
        text += "\n" + tr("Your word was passed on to the coordinator.")
    markup = InlineKeyboardMarkup([[button(tr("✏️ Change my answer"), cid, "chg")]]) \
        if rules.can_change(checkin, options, now) else None
    return text, markup


def _newer_sent(session: Session, checkin: CheckIn) -> bool:
    return session.exec(select(CheckIn.id).where(CheckIn.participant_id == checkin.participant_id,
                                                 col(CheckIn.sent_at).is_not(None),
                                                 CheckIn.sent_at > checkin.sent_at)).first() is not None


# ---------------------------------------------------------------- buttons

async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    checkin_id, verb, value = int(context.match.group(1)), context.match.group(2), context.match.group(3)
    participant = context.participant
    handler = VERBS.get(verb)
    if participant is None or participant.role == Role.COORDINATOR or handler is None:
        await query.answer(context._("This button is no longer valid."))
        return
    try:
        await handler(update, context, checkin_id, participant, value)
    except rules.CheckinRefused as refused:
        await query.answer(_refusal(context, refused))
    except (ValueError, KeyError, TypeError, PlanRefused):  # a forged value, an action gone meanwhile
        await query.answer(context._("This button is no longer valid."))


def _refusal(context: BotContext, refused: rules.CheckinRefused) -> str:
    _ = context._
    if refused.refusal == rules.Refusal.CLOSED:
        return _("This check-in is closed: it can no longer be changed.")
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
            change_action_status(session, action_id, participant, status, now)
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
        if checkin.share_with_mentor or checkin.share_word_with_mentor:
            binome = session.get(Binome, checkin.binome_id)
            mentor = session.get(Participant, binome.mentor_id)
            stamp = len(rules.answers(session=session, checkin_id=checkin.id))
            _enqueue_soon(session, mentor, "checkin_shared", f"checkin:{checkin.id}:shared:{stamp}", now,
                          {"checkin_id": checkin.id})
    await _show(update, context, checkin_id)


async def _change(update, context: BotContext, checkin_id: int, participant: Participant, value) -> None:
    now = context.services.now()
    with context.services.session() as session:
        programme = programme_of(session=session, participant=participant)
        rules.reopen(session=session, checkin_id=checkin_id, participant_id=participant.id,
                     options=rules.checkin_options(programme), now=now)
    await _show(update, context, checkin_id)


async def _later(update, context: BotContext, checkin_id: int, participant: Participant, value) -> None:
    tr, now = context.tr, context.services.now()
    with context.services.session() as session:
        rules.unanswered(session, checkin_id, participant.id)
    rows = [[button(tr.ngettext("In {count} hour", "In {count} hours", SNOOZE_HOURS).format(count=SNOOZE_HOURS), checkin_id, "snz", "h")]]
    if tr.local(now).time() < time(EVENING.hour - 2):
        rows.append([button(tr("This evening"), checkin_id, "snz", "eve")])
    rows += [[button(tr("Tomorrow morning"), checkin_id, "snz", "tom")], [button(tr("← Back"), checkin_id, "back")]]
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(tr("When shall I come back to you?"),
                                                  reply_markup=InlineKeyboardMarkup(rows))


def snooze_until(choice: str, *, now: datetime, tz: str, quiet) -> datetime:
    from zoneinfo import ZoneInfo

    today = now.astimezone(ZoneInfo(tz)).date()
    if choice == "h":
        until = now + timedelta(hours=SNOOZE_HOURS)
    elif choice == "eve":
        until = local_instant(today, EVENING, tz)
    elif choice == "tom":
        until = local_instant(today + timedelta(days=1), MORNING, tz)
    else:
        raise ValueError(choice)
    return out_of_quiet_hours(until, tz=tz, quiet=quiet, direction="later")


async def _snooze(update, context: BotContext, checkin_id: int, participant: Participant, value) -> None:
    tr, now = context.tr, context.services.now()
    with context.services.session() as session:
        programme = programme_of(session=session, participant=participant)
        until = snooze_until(value, now=now, tz=rules.timezone_of(participant, programme),
                             quiet=rules.checkin_options(programme).quiet_hours)
        checkin = rules.snooze(session=session, checkin_id=checkin_id, participant_id=participant.id, until=until,
                               now=now)
        outbox.enqueue(session=session, participant_id=participant.id, kind="checkin",
                       key=f"checkin:{checkin.id}:snooze:{until:%Y%m%dT%H%M}", due_at=until, now=now,
                       params={"checkin_id": checkin.id})
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(tr("⏰ All right, I will come back to you {when}.").format(
        when=_when(tr, until, now)))


def _when(tr: Translator, moment: datetime, now: datetime) -> str:
    if tr.local(moment).date() == tr.local(now).date():
        return tr("today at {time}").format(time=tr.time(moment))
    return tr("on {date} at {time}").format(date=tr.date(moment, tr(SHORT_DATE)), time=tr.time(moment))


def away_rows(tr: Translator, checkin_id: int, today: date) -> list[list[InlineKeyboardButton]]:
    return [[button(tr(AWAY_LABELS[days]).format(date=tr.date(today + timedelta(days=days), tr(SHORT_DATE))),
                    checkin_id, "awd", days)] for days in AWAY_DAYS]


async def _away_menu(update, context: BotContext, checkin_id: int, participant: Participant, value) -> None:
    tr, now = context.tr, context.services.now()
    with context.services.session() as session:
        rules.unanswered(session, checkin_id, participant.id)
    rows = away_rows(tr, checkin_id, tr.local(now).date()) + [[button(tr("← Back"), checkin_id, "back")]]
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(
        tr("Until when are you away? No check-in until then (meetings are not changed)."),
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
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(tr(
        "🌴 Noted: no check-in until {date}. Enjoy! /away changes it.").format(date=tr.date(until, tr(SHORT_DATE))))


async def _end_away(update, context: BotContext, checkin_id: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        rules.end_away(session=session, participant=participant, now=context.services.now())
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(context._("Welcome back! Check-ins start again at the next one."))


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
    with context.services.session() as session:
        participant = session.get(Participant, context.participant.id)
        programme = programme_of(session=session, participant=participant)
        pause = rules.current_away(session=session, participant=participant, programme=programme, now=now)
    rows = away_rows(tr, 0, tr.local(now).date())
    if pause is not None:
        text = tr("You are away until {date}: no check-in until then. Change the date, or end the pause:").format(
            date=tr.date(pause.until, tr(SHORT_DATE)))
        rows.append([button(tr("I'm back: end the pause"), 0, "awend")])
    else:
        text = tr("Until when are you away? No check-in until then (meetings are not changed).")
    await update.effective_message.reply_text(text, reply_markup=InlineKeyboardMarkup(rows))


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
            await update.effective_message.reply_text(tr("You are not in a binôme yet."))
            return
        actions = session.exec(select(PlanAction).where(PlanAction.binome_id == binome.id,
                                                        PlanAction.status != ActionStatus.DROPPED)
                               .order_by(PlanAction.status == ActionStatus.DONE, PlanAction.due_on,
                                         PlanAction.id)).all()
        mentee = session.get(Participant, binome.mentee_id)
        streak = rules.streak(session=session, participant_id=mentee.id)
        lines = [tr("📋 The action plan:") if actions else tr("📋 The action plan is empty for now: /plan adds "
                                                            "an action.")]
        for action in actions:
            due = f" ({tr.date(action.due_on, tr(SHORT_DATE))})" if action.due_on else ""
            lines.append(f"{STATUS_ICON[action.status]} {action.title}{due}")
        done = sum(1 for a in actions if a.status == ActionStatus.DONE)
        if actions:
            lines.append(tr.ngettext("{done} of {count} action done.", "{done} of {count} actions done.",
                                     len(actions)).format(done=done, count=len(actions)))
        lines.append("")
        who = tr("Your check-ins") if participant.role == Role.MENTEE else \
            tr("{name}'s check-ins").format(name=mentee.first_name)
        lines.append(tr("{who}: {answered} answered of {sent}.").format(who=who, answered=streak.answered,
                                                                       sent=streak.sent))
        if streak.streak:
            lines.append(tr.ngettext("🔥 {count} in a row!", "🔥 {count} in a row!", streak.streak).format(
                count=streak.streak))
    await update.effective_message.reply_text("\n".join(lines))


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
        await on_word(update, context, found[0], message.text.strip()[:awaited.MAX_TEXT])
        return True
    await message.reply_text(context._("Please use the buttons of the check-in above. 🙂"))
    return True


# ---------------------------------------------------------------- on its own: send, remind, record missed

def _enqueue_soon(session: Session, recipient: Participant, kind: str, key: str, now: datetime, params: dict) -> None:
    programme = programme_of(session=session, participant=recipient)
    due = out_of_quiet_hours(now, tz=rules.timezone_of(recipient, programme),
                             quiet=rules.checkin_options(programme).quiet_hours, direction="later")
    outbox.enqueue(session=session, participant_id=recipient.id, kind=kind, key=key, due_at=due, now=now,
                   params=params)


def _still_waiting(session: Session, message) -> bool:
    checkin = session.get(CheckIn, message.params["checkin_id"])
    return checkin is not None and checkin.status == CheckInStatus.OPEN and checkin.answered_at is None


@sender.renderer("checkin", max_delay=timedelta(hours=12), relevant=_still_waiting)
def render_checkin(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    checkin = session.get(CheckIn, params["checkin_id"])
    text, markup = view(tr, session, checkin, checkin.sent_at)
    return sender.Rendered(text, markup)


@sender.renderer("checkin_reminder", max_delay=timedelta(hours=12), relevant=_still_waiting)
def render_reminder(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    checkin = session.get(CheckIn, params["checkin_id"])
    text, markup = view(tr, session, checkin, checkin.sent_at)
    return sender.Rendered(tr("⏰ A gentle reminder: a few taps are enough.") + "\n" + text, markup)


@sender.renderer("checkin_shared", max_delay=timedelta(days=3))
def render_shared(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    checkin = session.get(CheckIn, params["checkin_id"])
    mentee = session.get(Participant, checkin.participant_id)
    lines = shared_lines(tr, checkin)
    return sender.Rendered("\n".join([tr("💬 {name} shared this with you from the check-in:").format(
        name=mentee.first_name)] + (lines or [tr("(nothing any more)")])))


def queue_due_work(session: Session, now: datetime, *, scan: bool) -> None:
    """Run by the tick: check-ins to schedule (when `scan`), to send, to remind, to record as missed."""
    if scan:
        _schedule_all(session, now)
    for checkin in rules.due_to_send(session=session, now=now):
        participant = session.get(Participant, checkin.participant_id)
        programme = session.get(Programme, participant.programme_id)
        reason = rules.skip_reason(session=session, checkin=checkin, participant=participant, programme=programme,
                                   now=now)
        if reason is not None:
            rules.skip(session=session, checkin=checkin, reason=reason, now=now)
            continue
        ids = []
        if checkin.role == Role.MENTEE:
            ids = [a.id for a in due_soon(session, checkin.binome_id,
                                          rules.local_day(now, rules.timezone_of(participant, programme)))]
        rules.mark_sent(session=session, checkin=checkin, action_ids=ids, now=now)
        outbox.enqueue(session=session, participant_id=participant.id, kind="checkin", key=f"checkin:{checkin.id}:sent",
                       due_at=now, now=now, params={"checkin_id": checkin.id})
    for checkin, participant, programme in rules.unanswered_open(session=session):
        if participant.status == ParticipantStatus.PAUSED:
            rules.skip(session=session, checkin=checkin, reason="paused", now=now)
            continue
        if checkin.snoozed_until is not None and checkin.snoozed_until > now:
            continue
        options = rules.checkin_options(programme)
        if checkin.reminded_at is None:
            if now >= rules.reminder_due_at(checkin, options):
                rules.mark_reminded(session=session, checkin=checkin, now=now)
                stamp = f"{checkin.snoozed_until:%Y%m%dT%H%M}" if checkin.snoozed_until else "0"
                _enqueue_soon(session, participant, "checkin_reminder", f"checkin:{checkin.id}:reminder:{stamp}", now,
                              {"checkin_id": checkin.id})
        elif now >= rules.missed_due_at(checkin, options):
            rules.mark_missed(session=session, checkin=checkin, now=now)


def _schedule_all(session: Session, now: datetime) -> None:
    rows = session.exec(select(Binome, Programme).join(Programme, Programme.id == Binome.programme_id)
                        .where(Binome.status == BinomeStatus.ACTIVE)).all()
    for binome, programme in rows:
        members = [session.get(Participant, binome.mentee_id), session.get(Participant, binome.mentor_id)]
        if not all(m is not None and m.onboarded_at is not None and m.status == ParticipantStatus.ACTIVE
                   for m in members):
            continue
        for member in members:
            rules.schedule_next(session=session, binome=binome, participant=member, programme=programme, now=now)


HANDLERS = [
    CommandHandler("away", away),
    CommandHandler("progress", progress),
    CallbackQueryHandler(on_button, pattern=PATTERN),
]
