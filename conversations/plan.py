"""The action plan from the chat: /plan for the mentor and the mentee, adding and editing actions by
buttons, the mentor's review after a meeting held, the mentor's grouped "done" notice.

Callback data: `p:<id>:<verb>[:<value>]` where `<id>` is an action id, a meeting id (review verbs
`review`, `radd`, `rend`) or 0 (`p:0:list`, `p:0:all`, `p:0:add`). A value may carry a
meeting id after a dot (`p:<action id>:c:training.<meeting id>`) when the step belongs to a review.
Looks: conversations.plan_texts. Rules (storage.plans) check the presser: an old or forged button changes nothing.

Free text (an action's title, a new title, what blocks an action) comes through conversations.awaited
with the purposes `plan_title` (ref: binôme id), `plan_review_title` (ref: meeting id), `plan_rename`
and `plan_blocked` (ref: action id).
"""
from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

from sqlmodel import Session
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import replies
from bot.commands import names
from bot.context import BotContext
from bot.i18n import Translator
from conversations import awaited, buttons, which_binome
from conversations.plan_review import review, review_action, review_add, review_end
from conversations.plan_texts import (closed_plan_view, button, category_keyboard, detail, due_keyboard, edit, history_view, line,
                                      partner_term, plan_button, plan_view, title_question)
from storage import meetings as meeting_rules, plans as rules
from storage.models import ActionStatus, AwaitedText, Binome, Participant, PlanAction, Programme, Role
from storage.participants import active_binomes_of, ended_binome_of, member_binome
from storage.programmes import add_months

PATTERN = buttons.pattern("p")


def due_date(choice: str, today: date) -> date | None:
    """The date a due-date button means, from the presser's local `today`; ValueError if unknown."""
    if choice == "1w":
        return today + timedelta(days=7)
    if choice == "2w":
        return today + timedelta(days=14)
    if choice == "1m":
        return add_months(today, 1)
    if choice == "eom":
        return today.replace(day=calendar.monthrange(today.year, today.month)[1])
    if choice == "none":
        return None
    raise ValueError(choice)


# ---------------------------------------------------------------- /plan

async def show_plan(update: Update, context: BotContext) -> None:
    """/plan: the plan, for the mentor and the mentee."""
    _ = context._
    participant = context.participant
    if participant is None or participant.onboarded_at is None:
        await update.effective_message.reply_text(_("The action plan is for the mentor and the mentee of a binôme. "
                                                    "To see what you can do, send /help."))
        return
    if participant.role == Role.COORDINATOR:
        await update.effective_message.reply_text(_("The action plan belongs to the pair: the mentor and the mentee "
                                                    "see it with /plan. /help shows what you can do."))
        return
    with context.services.session() as session:
        binomes = active_binomes_of(session=session, participant=participant)
        if not binomes:  # the plan of a closed binôme stays visible, read-only
            ended = ended_binome_of(session=session, participant=participant)
            await replies.reply(update.effective_message, closed_plan_view(context.tr, session, ended, participant)
                                if ended is not None else _("You are not in a binôme yet."))
            return
        if len(binomes) > 1:
            await which_binome.ask(update, context, session, binomes, "p")
            return
        text, keyboard = plan_view(context.tr, session, binomes[0], participant, context.services.now(), several=False)
    await replies.reply(update.effective_message, text, keyboard)


@which_binome.on_choice("p")
async def _plan_of(update: Update, context: BotContext, binome: Binome) -> None:
    await _list(update, context, binome.id, context.participant, None)  # /plan, the binôme chosen


def _own_binome(session: Session, participant: Participant, ref: int = 0) -> Binome | None:
    """`ref` (a binôme id), else the only one; None: several, and the button does not say which."""
    if ref:
        binome = member_binome(session=session, participant=participant, binome_id=ref)
        if binome is None:
            raise rules.PlanRefused(rules.PlanRefusal.GONE)
        return binome
    binomes = active_binomes_of(session=session, participant=participant)
    if not binomes:
        raise rules.PlanRefused(rules.PlanRefusal.GONE)
    return binomes[0] if len(binomes) == 1 else None


async def _list(update, context: BotContext, ref: int, participant: Participant, value, closed: bool = False) -> None:
    with context.services.session() as session:
        binome = _own_binome(session, participant, ref)
        text, keyboard = (plan_view(context.tr, session, binome, participant, context.services.now(),
                                    include_closed=closed) if binome else which_binome.question(context, session, "p"))
    await edit(update, text, keyboard)


async def _all(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    await _list(update, context, ref, participant, value, closed=True)


# ---------------------------------------------------------------- adding: title, category, due date

async def _add(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        binome = _own_binome(session, participant, ref)
        if binome is None:
            return await edit(update, *which_binome.question(context, session, "p"))
        awaited.expect(session=session, participant_id=participant.id, purpose="plan_title", ref_id=binome.id,
                       now=context.services.now())
        cancel = plan_button(context.tr, session, participant, binome.id, context._("✖ Cancel"), "list")
    await edit(update, title_question(context.tr), InlineKeyboardMarkup([[cancel]]))


async def _new_title(update: Update, context: BotContext, ref_id: int | None, text: str, *,
                     meeting_id: int | None = None) -> None:
    """The title of a new action arrived: create it, then ask its category."""
    participant = context.participant
    now = context.services.now()
    purpose = "plan_review_title" if meeting_id is not None else "plan_title"
    with context.services.session() as session:
        if meeting_id is not None:
            meeting, pair = rules.review_meeting(session=session, meeting_id=meeting_id, participant_id=participant.id)
            binome_id = pair.binome.id
        else:
            binome_id = ref_id
        try:
            action = rules.add_action(session=session, binome_id=binome_id, participant_id=participant.id,
                                      title=text, now=now)
        except rules.PlanRefused as refused:
            if refused.refusal != rules.PlanRefusal.INVALID:
                raise
            awaited.expect(session=session, participant_id=participant.id, purpose=purpose,
                           ref_id=ref_id, now=now)
            await update.effective_message.reply_text(context._(
                "This is too long. Please write 200 characters at most and send it again."))
            return
        programme = session.get(Programme, session.get(Binome, binome_id).programme_id)
        suffix = f".{meeting_id}" if meeting_id is not None else ""
        keyboard = category_keyboard(context.tr, programme, action.id, "c", suffix, context._("Skip"))
        question = context._("“{title}”: which kind of action is it?").format(title=action.title)
    await update.effective_message.reply_text(question, reply_markup=keyboard)


@awaited.on_text("plan_title")
async def on_title(update: Update, context: BotContext, ref_id: int | None, text: str) -> None:
    try:
        await _new_title(update, context, ref_id, text)
    except rules.PlanRefused:
        await update.effective_message.reply_text(context._("You cannot change this plan any more."))


@awaited.on_text("plan_review_title")
async def on_review_title(update: Update, context: BotContext, ref_id: int | None, text: str) -> None:
    try:
        await _new_title(update, context, ref_id, text, meeting_id=ref_id)
    except (rules.PlanRefused, meeting_rules.MeetingRefused):
        await update.effective_message.reply_text(context._("You cannot change this plan any more."))


def _split(value: str | None) -> tuple[str, int | None]:
    """`key` or `key.<meeting id>`."""
    if not value:
        raise ValueError(value)
    key, _, meeting = value.partition(".")
    return key, (int(meeting) if meeting else None)


async def _new_category(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    key, meeting_id = _split(value)
    now = context.services.now()
    with context.services.session() as session:
        action, pair = rules.member_action(session, ref, participant.id)
        if meeting_id is not None:
            rules.review_meeting(session=session, meeting_id=meeting_id, participant_id=participant.id,
                                 binome_id=action.binome_id)
        rules.edit_action(session=session, action_id=ref, participant_id=participant.id, now=now,
                          category=None if key == "skip" else key)
        title = action.title
    suffix = f".{meeting_id}" if meeting_id is not None else ""
    await edit(update, context._("“{title}”: by when?").format(title=title),
                due_keyboard(context.tr, ref, "d", suffix))


async def _new_due(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    code, meeting_id = _split(value)
    now = context.services.now()
    due = due_date(code, context.tr.local(now).date())
    with context.services.session() as session:
        action, pair = rules.member_action(session, ref, participant.id)
        if meeting_id is not None:
            rules.review_meeting(session=session, meeting_id=meeting_id, participant_id=participant.id,
                                 binome_id=action.binome_id)
        rules.edit_action(session=session, action_id=ref, participant_id=participant.id, now=now, due_on=due)
        text = context._("Added to the plan:") + "\n" + line(context.tr, action)
        others = [plan_button(context.tr, session, participant, action.binome_id, label, verb)
                  for label, verb in ((context._("➕ Add another"), "add"), (context._("📋 The plan"), "list"))]
    if meeting_id is not None:
        keyboard = InlineKeyboardMarkup([[button(context._("➕ Something else new"), meeting_id, "radd")],
                                         [button(context._("✔ No, finished"), meeting_id, "rend")]])
    else:
        keyboard = InlineKeyboardMarkup([others])
    await edit(update, text, keyboard)


# ---------------------------------------------------------------- one action

async def _open(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        action, _ = rules.member_action(session, ref, participant.id)
        text, keyboard = detail(context.tr, session, action, context.services.now())
    await edit(update, text, keyboard)


def ask_what_blocks(*, session: Session, tr: Translator, participant: Participant, action: PlanAction,
                    now: datetime) -> tuple[str, InlineKeyboardMarkup] | None:
    """If `participant` is the mentee and `action` is blocked: await their text (purpose `plan_blocked`)
    and return the question with its Skip button, for the caller to show; otherwise None."""
    binome = session.get(Binome, action.binome_id)
    if action.status != ActionStatus.BLOCKED or participant.id != binome.mentee_id:
        return None
    awaited.expect(session=session, participant_id=participant.id, purpose="plan_blocked", ref_id=action.id, now=now)
    return (tr("⛔ “{title}” is blocked. What is the problem? Tell me in a few words. Only you and your {role} will "
               "see it. Or tap Skip.").format(title=action.title, role=partner_term(tr, session, binome, participant)),
            InlineKeyboardMarkup([[button(tr("Skip"), action.id, "bskip")]]))


async def _status(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    status = ActionStatus(value)
    now = context.services.now()
    with context.services.session() as session:
        action = rules.change_status(session=session, action_id=ref, participant_id=participant.id, status=status,
                                     now=now)
        question = ask_what_blocks(session=session, tr=context.tr, participant=participant, action=action, now=now)
        text, keyboard = question or detail(context.tr, session, action, now)
    await edit(update, text, keyboard)


async def _blocked_skip(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        awaited.clear(session=session, participant_id=participant.id, purpose="plan_blocked")
        action, _ = rules.member_action(session, ref, participant.id)
        text, keyboard = detail(context.tr, session, action, context.services.now())
    await edit(update, text, keyboard)


@awaited.on_text("plan_blocked")
async def on_blocked_note(update: Update, context: BotContext, ref_id: int | None, text: str) -> None:
    now = context.services.now()
    try:
        with context.services.session() as session:
            action = rules.set_blocked_note(session=session, action_id=ref_id, participant_id=context.participant.id,
                                            note=text, now=now)
            reply, keyboard = detail(context.tr, session, action, now)
    except rules.PlanRefused:
        await update.effective_message.reply_text(context._("This action is not blocked any more. I changed nothing."))
        return
    await update.effective_message.reply_text(context._("Noted.") + "\n\n" + reply, reply_markup=keyboard)


async def _rename(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        rules.member_action(session, ref, participant.id)
        awaited.expect(session=session, participant_id=participant.id, purpose="plan_rename", ref_id=ref,
                       now=context.services.now())
    await edit(update, context._("Send me the new title."),
                InlineKeyboardMarkup([[button(context._("← Back"), ref, "open")]]))


@awaited.on_text("plan_rename")
async def on_rename(update: Update, context: BotContext, ref_id: int | None, text: str) -> None:
    now = context.services.now()
    try:
        with context.services.session() as session:
            action = rules.edit_action(session=session, action_id=ref_id, participant_id=context.participant.id,
                                       now=now, title=text)
            reply, keyboard = detail(context.tr, session, action, now)
    except rules.PlanRefused as refused:
        if refused.refusal == rules.PlanRefusal.INVALID:
            with context.services.session() as session:
                awaited.expect(session=session, participant_id=context.participant.id, purpose="plan_rename",
                               ref_id=ref_id, now=now)
            await update.effective_message.reply_text(context._(
                "This is too long. Please write 200 characters at most and send it again."))
        else:
            await update.effective_message.reply_text(context._("You cannot change this plan any more."))
        return
    await update.effective_message.reply_text(reply, reply_markup=keyboard)


async def _date(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        action, _ = rules.member_action(session, ref, participant.id)
        title = action.title
    keyboard = due_keyboard(context.tr, ref, "ed")
    await edit(update, context._("“{title}”: by when?").format(title=title),
                InlineKeyboardMarkup(list(keyboard.inline_keyboard) + [[button(context._("← Back"), ref, "open")]]))


async def _edit_date(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    now = context.services.now()
    due = due_date(value or "", context.tr.local(now).date())
    with context.services.session() as session:
        action = rules.edit_action(session=session, action_id=ref, participant_id=participant.id, now=now, due_on=due)
        text, keyboard = detail(context.tr, session, action, now)
    await edit(update, text, keyboard)


async def _category(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        action, pair = rules.member_action(session, ref, participant.id)
        keyboard = category_keyboard(context.tr, pair.programme, ref, "ec", "", context._("No kind"))
        title = action.title
    await edit(update, context._("“{title}”: which kind of action is it?").format(title=title),
                InlineKeyboardMarkup(list(keyboard.inline_keyboard) + [[button(context._("← Back"), ref, "open")]]))


async def _edit_category(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    now = context.services.now()
    if not value:
        raise ValueError(value)
    with context.services.session() as session:
        action = rules.edit_action(session=session, action_id=ref, participant_id=participant.id, now=now,
                                   category=None if value == "skip" else value)
        text, keyboard = detail(context.tr, session, action, now)
    await edit(update, text, keyboard)


async def _history(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        action, _ = rules.member_action(session, ref, participant.id)
        text = history_view(context.tr, session, action)
    await edit(update, text, InlineKeyboardMarkup([[button(context._("← Back"), ref, "open")]]))


# ---------------------------------------------------------------- the review after a meeting held (conversations.plan_review)

def review_offer(tr: Translator, meeting_id: int) -> InlineKeyboardMarkup:
    """The button under "the meeting is recorded as held": the mentor reviews the plan from there, the
    message turning into the review."""
    return InlineKeyboardMarkup([[button(tr("📋 Review the action plan now"), meeting_id, "review")]])


# ---------------------------------------------------------------- buttons

ACTIONS = {"list": _list, "all": _all, "add": _add, "c": _new_category, "d": _new_due, "open": _open, "s": _status,
           "bskip": _blocked_skip, "ren": _rename, "date": _date, "ed": _edit_date, "cat": _category,
           "ec": _edit_category, "hist": _history, "review": review, "rdone": review_action,
           "rkeep": review_action, "rdrop": review_action, "radd": review_add, "rend": review_end,
           "bl": _list, "ba": _all, "badd": _add}  # b…: the same, for the binôme <id> of someone in several
NEEDS_ID = {"c", "d", "open", "s", "bskip", "ren", "date", "ed", "cat", "ec", "hist", "review", "rdone",
            "rkeep", "rdrop", "radd", "rend", "bl", "ba", "badd"}
VALUES = {"c": rf"[a-z_]+(\.{buttons.ID})?", "d": rf"[a-z0-9]+(\.{buttons.ID})?", "s": "[a-z_]+", "ed": "[a-z0-9]+",
          "ec": "[a-z_]+", "rdone": buttons.ID, "rkeep": buttons.ID, "rdrop": buttons.ID} | {
    verb: None for verb in ("list", "all", "add", "open", "bskip", "ren", "date", "cat", "hist", "review", "radd",
                            "rend", "bl", "ba", "badd")}  # verb: its value (None: no value)


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    press = buttons.parse(context.match, VALUES)
    participant = context.participant
    handler = ACTIONS.get(press.verb) if press is not None else None
    if (participant is None or participant.onboarded_at is None or participant.role == Role.COORDINATOR
            or handler is None or (press.verb in NEEDS_ID) != (press.ref != 0)):
        await buttons.refuse(update, context)
        return
    ref, value = press.ref, press.value
    # Another step is taken: a text asked for before by the plan is no longer expected (the handler asks
    # again if its step needs text); a refused press leaves it as it was.
    with context.services.session() as session:
        row = session.get(AwaitedText, participant.id)
        waiting = None
        if row is not None and row.purpose.startswith("plan_"):
            waiting = (row.purpose, row.ref_id, row.since)
            session.delete(row)
    try:
        await handler(update, context, ref, participant, value)
    except (rules.PlanRefused, meeting_rules.MeetingRefused, ValueError, KeyError):
        if waiting is not None:
            with context.services.session() as session:
                if session.get(AwaitedText, participant.id) is None:
                    session.add(AwaitedText(participant_id=participant.id, purpose=waiting[0], ref_id=waiting[1],
                                            since=waiting[2]))
        await query.answer(context._("This button is no longer valid."))


HANDLERS = [
    CommandHandler(names("plan"), show_plan),
    CallbackQueryHandler(on_button, pattern=PATTERN),
]
