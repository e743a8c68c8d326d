"""The action plan from the chat: /plan for the mentor and the mentee, adding and editing actions by
buttons, the mentor's review after a meeting held, the mentor's grouped "done" notice.

Callback data: `p:<id>:<verb>[:<value>]` where `<id>` is an action id, a meeting id (review verbs
`review`, `radd`, `rend`) or 0 (`p:0:list`, `p:0:all`, `p:0:add`). A value may carry a
meeting id after a dot (`p:<action id>:c:training.<meeting id>`) when the step belongs to a review.
The rules (storage.plans) check that the presser belongs to the action's binôme; an old or forged
button changes nothing and is answered "This button is no longer valid."

Free text (an action's title, a new title, what blocks an action) comes through conversations.awaited
with the purposes `plan_title` (ref: binôme id), `plan_review_title` (ref: meeting id), `plan_rename`
and `plan_blocked` (ref: action id).
"""
from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import sender
from bot.context import BotContext
from bot.i18n import N_, Translator, translator_for
from conversations import awaited
from conversations.formats import LONG_DAY, SHORT_DAY
from storage import outbox
from storage import meetings as meeting_rules
from storage import plans as rules
from storage.models import (ActionStatus, AwaitedText, Binome, BinomeStatus, Meeting, MeetingStatus, OutboundMessage, Participant,
                            PlanAction, PlanActionChange, Programme, Role)
from storage.options import meeting_options
from storage.participants import current_binome
from storage.programmes import add_months
from storage.schedule import local_instant, out_of_quiet_hours

PATTERN = r"^p:(\d+):([a-z_]+)(?::([A-Za-z0-9_.]+))?$"
DONE_NOTICE_AT = time(18, 0)  # the mentor's grouped "done" notice, in the mentor's timezone
LIST_LIMIT = 15  # actions listed under /plan (lines and buttons)

CATEGORIES = {
    "job_search": N_("💼 Job search"),
    "cv_letters": N_("📄 CV and letters"),
    "training": N_("🎓 Training"),
    "network": N_("🤝 Network"),
    "language": N_("🗣 Language"),
    "administrative": N_("🗂 Administrative"),
    "wellbeing": N_("🌱 Well-being"),
    "other": N_("📌 Other"),
}
ICONS = {ActionStatus.TO_DO: "⬜", ActionStatus.IN_PROGRESS: "▶️", ActionStatus.BLOCKED: "⛔",
         ActionStatus.DONE: "✅", ActionStatus.DROPPED: "✖"}
STATUS_NAMES = {
    ActionStatus.TO_DO: N_("to do"),
    ActionStatus.IN_PROGRESS: N_("in progress"),
    ActionStatus.BLOCKED: N_("blocked"),
    ActionStatus.DONE: N_("done"),
    ActionStatus.DROPPED: N_("dropped"),
}
STATUS_BUTTONS = {
    ActionStatus.DONE: N_("✅ Done"),
    ActionStatus.IN_PROGRESS: N_("▶️ In progress"),
    ActionStatus.BLOCKED: N_("⛔ Blocked"),
    ActionStatus.DROPPED: N_("✖ Drop"),
    ActionStatus.TO_DO: N_("⬜ To do"),
}
DUE_CHOICES = {"1w": N_("In 1 week"), "2w": N_("In 2 weeks"), "1m": N_("In 1 month"), "eom": N_("End of the month"),
               "none": N_("No date")}


def button(text: str, ref: int, verb: str, value: str | None = None) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=f"p:{ref}:{verb}" + (f":{value}" if value else ""))


def _rows(buttons: list[InlineKeyboardButton], width: int = 2) -> list[list[InlineKeyboardButton]]:
    return [buttons[i:i + width] for i in range(0, len(buttons), width)]


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


def category_name(tr: Translator, key: str | None) -> str:
    return tr(CATEGORIES[key]) if key in CATEGORIES else ""


def line(tr: Translator, action: PlanAction, today: date | None = None) -> str:
    """One action on one line: its status icon, title, and due date (⚠️ when overdue and still open)."""
    text = f"{ICONS[action.status]} {action.title}"
    if action.due_on is not None:
        late = today is not None and action.due_on < today and action.status in rules.OPEN_STATUSES
        text += " — " + ("⚠️ " if late else "") + tr("due {day}").format(day=tr.date(action.due_on, tr(SHORT_DAY)))
    return text


def _short(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


# ---------------------------------------------------------------- /plan

def _plan_view(tr: Translator, session: Session, binome: Binome, participant: Participant, now: datetime,
               *, include_closed: bool = False) -> tuple[str, InlineKeyboardMarkup]:
    actions = rules.plan_of(session=session, binome_id=binome.id, include_closed=include_closed)
    all_actions = rules.plan_of(session=session, binome_id=binome.id, include_closed=True)
    closed = len(all_actions) - len(rules.plan_of(session=session, binome_id=binome.id))
    partner = session.get(Participant, binome.mentee_id if participant.id == binome.mentor_id else binome.mentor_id)
    today = tr.local(now).date()
    if not actions:
        text = tr("📋 Your action plan is empty.")
    else:
        text = tr("📋 Your action plan, soonest due first:") + "\n\n" + "\n".join(
            f"{n}. {line(tr, action, today)}" for n, action in enumerate(actions[:LIST_LIMIT], 1))
        if len(actions) > LIST_LIMIT:  # one message holds 4096 characters: the furthest due wait their turn
            more = len(actions) - LIST_LIMIT
            text += "\n" + tr.ngettext("…and {n} more, due later.", "…and {n} more, due later.", more).format(n=more)
    if closed and not include_closed:
        text += "\n\n" + tr.ngettext("({n} action done or dropped.)", "({n} actions done or dropped.)",
                                     closed).format(n=closed)
    text += "\n\n" + tr("You and {name} can both add actions and change them. Tap an action to open it.").format(
        name=partner.first_name)
    buttons = [button(f"{n}. {_short(action.title)}", action.id, "open")
               for n, action in enumerate(actions[:LIST_LIMIT], 1)]
    rows = [[b] for b in buttons]
    rows.append([button(tr("➕ Add an action"), 0, "add")])
    if closed and not include_closed:
        rows.append([button(tr("Show done and dropped"), 0, "all")])
    return text, InlineKeyboardMarkup(rows)


async def show_plan(update: Update, context: BotContext) -> None:
    """/plan: the plan, for the mentor and the mentee."""
    _ = context._
    participant = context.participant
    if participant is None or participant.onboarded_at is None:
        await update.effective_message.reply_text(_("The action plan is for the mentor and the mentee of a binôme. "
                                                    "/help shows what you can do."))
        return
    if participant.role == Role.COORDINATOR:
        await update.effective_message.reply_text(_("The action plan belongs to the pair: the mentor and the mentee "
                                                    "see it with /plan. /help shows what you can do."))
        return
    with context.services.session() as session:
        binome = current_binome(session=session, participant=participant)
        if binome is None:
            await update.effective_message.reply_text(_("You are not in a binôme yet."))
            return
        text, keyboard = _plan_view(context.tr, session, binome, participant, context.services.now())
    await update.effective_message.reply_text(text, reply_markup=keyboard)


def _own_binome(session: Session, participant: Participant) -> Binome:
    binome = current_binome(session=session, participant=participant)
    if binome is None:
        raise rules.PlanRefused(rules.PlanRefusal.GONE)
    return binome


async def _edit(update: Update, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
    await update.callback_query.answer()
    try:
        await update.callback_query.edit_message_text(text, reply_markup=keyboard)
    except BadRequest as error:  # a double tap asking for the same text again
        if "not modified" not in error.message.lower():
            raise


async def _list(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        binome = _own_binome(session, participant)
        text, keyboard = _plan_view(context.tr, session, binome, participant, context.services.now())
    await _edit(update, text, keyboard)


async def _all(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        binome = _own_binome(session, participant)
        text, keyboard = _plan_view(context.tr, session, binome, participant, context.services.now(),
                                    include_closed=True)
    await _edit(update, text, keyboard)


# ---------------------------------------------------------------- adding: title, category, due date

def _title_question(tr: Translator) -> str:
    return tr("What is the action? Send me a short title, for example \"Send three applications\".")


async def _add(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        binome = _own_binome(session, participant)
        awaited.expect(session=session, participant_id=participant.id, purpose="plan_title", ref_id=binome.id,
                       now=context.services.now())
    await _edit(update, _title_question(context.tr), InlineKeyboardMarkup([[button(context._("✖ Cancel"), 0, "list")]]))


def _category_keyboard(tr: Translator, programme: Programme, action_id: int, verb: str, suffix: str,
                       skip_label: str) -> InlineKeyboardMarkup:
    buttons = [button(tr(CATEGORIES[key]), action_id, verb, key + suffix) for key in rules.categories_for(programme)]
    return InlineKeyboardMarkup(_rows(buttons) + [[button(skip_label, action_id, verb, "skip" + suffix)]])


def _due_keyboard(tr: Translator, action_id: int, verb: str, suffix: str = "") -> InlineKeyboardMarkup:
    buttons = [button(tr(label), action_id, verb, code + suffix) for code, label in DUE_CHOICES.items()]
    return InlineKeyboardMarkup(_rows(buttons))


async def _new_title(update: Update, context: BotContext, ref_id: int | None, text: str, *,
                     meeting_id: int | None = None) -> None:
    """The title of a new action arrived: create it, then ask its category."""
    participant = context.participant
    now = context.services.now()
    purpose = "plan_review_title" if meeting_id is not None else "plan_title"
    with context.services.session() as session:
        if meeting_id is not None:
            meeting, pair = _review_meeting(session, meeting_id, participant)
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
                "Please keep it shorter (200 characters at most) and send it again."))
            return
        programme = session.get(Programme, session.get(Binome, binome_id).programme_id)
        suffix = f".{meeting_id}" if meeting_id is not None else ""
        keyboard = _category_keyboard(context.tr, programme, action.id, "c", suffix, context._("Skip"))
        question = context._("“{title}”: which kind of action is it?").format(title=action.title)
    await update.effective_message.reply_text(question, reply_markup=keyboard)


@awaited.on_text("plan_title")
async def on_title(update: Update, context: BotContext, ref_id: int | None, text: str) -> None:
    try:
        await _new_title(update, context, ref_id, text)
    except rules.PlanRefused:
        await update.effective_message.reply_text(context._("This plan can no longer be changed."))


@awaited.on_text("plan_review_title")
async def on_review_title(update: Update, context: BotContext, ref_id: int | None, text: str) -> None:
    try:
        await _new_title(update, context, ref_id, text, meeting_id=ref_id)
    except (rules.PlanRefused, meeting_rules.MeetingRefused):
        await update.effective_message.reply_text(context._("This plan can no longer be changed."))


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
            _review_meeting(session, meeting_id, participant, binome_id=action.binome_id)
        rules.edit_action(session=session, action_id=ref, participant_id=participant.id, now=now,
                          category=None if key == "skip" else key)
        title = action.title
    suffix = f".{meeting_id}" if meeting_id is not None else ""
    await _edit(update, context._("“{title}”: by when?").format(title=title),
                _due_keyboard(context.tr, ref, "d", suffix))


async def _new_due(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    code, meeting_id = _split(value)
    now = context.services.now()
    due = due_date(code, context.tr.local(now).date())
    with context.services.session() as session:
        action, pair = rules.member_action(session, ref, participant.id)
        if meeting_id is not None:
            _review_meeting(session, meeting_id, participant, binome_id=action.binome_id)
        rules.edit_action(session=session, action_id=ref, participant_id=participant.id, now=now, due_on=due)
        text = context._("Added to the plan:") + "\n" + line(context.tr, action)
    if meeting_id is not None:
        keyboard = InlineKeyboardMarkup([[button(context._("➕ Something else new"), meeting_id, "radd")],
                                         [button(context._("✔ No, finished"), meeting_id, "rend")]])
    else:
        keyboard = InlineKeyboardMarkup([[button(context._("➕ Add another"), 0, "add"),
                                          button(context._("📋 The plan"), 0, "list")]])
    await _edit(update, text, keyboard)


# ---------------------------------------------------------------- one action

def _detail(tr: Translator, session: Session, action: PlanAction, now: datetime) -> tuple[str, InlineKeyboardMarkup]:
    author = session.get(Participant, action.created_by)
    parts = [line(tr, action, tr.local(now).date()),
             tr("Status: {status}").format(status=tr(STATUS_NAMES[action.status]))]
    if action.category:
        parts.append(tr("Kind: {category}").format(category=category_name(tr, action.category)))
    if action.due_on:
        parts.append(tr("Due: {day}").format(day=tr.date(action.due_on, tr(LONG_DAY))))
    parts.append(tr("Added by {name}, {day}").format(name=author.first_name,
                                                     day=tr.date(tr.local(action.created_at), tr(LONG_DAY))))
    if action.status == ActionStatus.BLOCKED and action.blocked_note:
        parts.append(tr("What blocks it: {note}").format(note=action.blocked_note))
    statuses = [button(tr(label), action.id, "s", status.value) for status, label in STATUS_BUTTONS.items()
                if status != action.status]
    rows = _rows(statuses) + [
        [button(tr("✏️ Rename"), action.id, "ren"), button(tr("📅 Date"), action.id, "date")],
        [button(tr("🏷 Kind"), action.id, "cat"), button(tr("🕘 History"), action.id, "hist")],
        [button(tr("← The plan"), 0, "list")],
    ]
    return "\n".join(parts), InlineKeyboardMarkup(rows)


async def _open(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        action, _ = rules.member_action(session, ref, participant.id)
        text, keyboard = _detail(context.tr, session, action, context.services.now())
    await _edit(update, text, keyboard)


def change_status(session: Session, action_id: int, participant: Participant, status: ActionStatus,
                  now: datetime) -> PlanAction:
    """Set an action's status (storage.plans.set_status) and queue what follows:

    - the mentee marks it done: the mentor's grouped "done" notice (outbox kind `plan_done`, one a day
      at 18:00 in the mentor's timezone, key `plan_done:<binôme id>:<mentor's local date>`).
    - the mentee marks it blocked: nothing is queued; the CALLER asks what blocks it, with
      `ask_what_blocks(...)` (which returns the question and its Skip button, or None).

    Raises storage.plans.PlanRefused for a foreign, gone or invalid action.
    """
    action, pair = rules.member_action(session, action_id, participant.id)
    old = action.status
    action = rules.set_status(session=session, action_id=action_id, participant_id=participant.id, status=status,
                              now=now)
    if old != action.status and action.status == ActionStatus.DONE and participant.id == pair.mentee.id:
        _queue_done_notice(session, pair, now)
    return action


def ask_what_blocks(*, session: Session, tr: Translator, participant: Participant, action: PlanAction,
                    now: datetime) -> tuple[str, InlineKeyboardMarkup] | None:
    """If `participant` is the mentee and `action` is blocked: await their text (purpose `plan_blocked`)
    and return the question with its Skip button, for the caller to show; otherwise None."""
    binome = session.get(Binome, action.binome_id)
    if action.status != ActionStatus.BLOCKED or participant.id != binome.mentee_id:
        return None
    awaited.expect(session=session, participant_id=participant.id, purpose="plan_blocked", ref_id=action.id, now=now)
    return (tr("⛔ “{title}” is blocked. What blocks it? Tell me in a few words (only you and your {role} will see "
               "it), or tap Skip.").format(title=action.title, role=_partner_term(tr, session, binome, participant)),
            InlineKeyboardMarkup([[button(tr("Skip"), action.id, "bskip")]]))


def _partner_term(tr: Translator, session: Session, binome: Binome, participant: Participant) -> str:
    from bot.vocabulary import term

    programme = session.get(Programme, binome.programme_id)
    return term(tr, programme, Role.MENTOR if participant.id == binome.mentee_id else Role.MENTEE)


async def _status(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    status = ActionStatus(value)
    now = context.services.now()
    with context.services.session() as session:
        action = change_status(session, ref, session.get(Participant, participant.id), status, now)
        question = ask_what_blocks(session=session, tr=context.tr, participant=participant, action=action, now=now)
        text, keyboard = question or _detail(context.tr, session, action, now)
    await _edit(update, text, keyboard)


async def _blocked_skip(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        awaited.clear(session=session, participant_id=participant.id, purpose="plan_blocked")
        action, _ = rules.member_action(session, ref, participant.id)
        text, keyboard = _detail(context.tr, session, action, context.services.now())
    await _edit(update, text, keyboard)


@awaited.on_text("plan_blocked")
async def on_blocked_note(update: Update, context: BotContext, ref_id: int | None, text: str) -> None:
    now = context.services.now()
    try:
        with context.services.session() as session:
            action = rules.set_blocked_note(session=session, action_id=ref_id, participant_id=context.participant.id,
                                            note=text, now=now)
            reply, keyboard = _detail(context.tr, session, action, now)
    except rules.PlanRefused:
        await update.effective_message.reply_text(context._("This action is no longer blocked: nothing was changed."))
        return
    await update.effective_message.reply_text(context._("Noted.") + "\n\n" + reply, reply_markup=keyboard)


async def _rename(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        rules.member_action(session, ref, participant.id)
        awaited.expect(session=session, participant_id=participant.id, purpose="plan_rename", ref_id=ref,
                       now=context.services.now())
    await _edit(update, context._("Send me the new title."),
                InlineKeyboardMarkup([[button(context._("← Back"), ref, "open")]]))


@awaited.on_text("plan_rename")
async def on_rename(update: Update, context: BotContext, ref_id: int | None, text: str) -> None:
    now = context.services.now()
    try:
        with context.services.session() as session:
            action = rules.edit_action(session=session, action_id=ref_id, participant_id=context.participant.id,
                                       now=now, title=text)
            reply, keyboard = _detail(context.tr, session, action, now)
    except rules.PlanRefused as refused:
        if refused.refusal == rules.PlanRefusal.INVALID:
            with context.services.session() as session:
                awaited.expect(session=session, participant_id=context.participant.id, purpose="plan_rename",
                               ref_id=ref_id, now=now)
            await update.effective_message.reply_text(context._(
                "Please keep it shorter (200 characters at most) and send it again."))
        else:
            await update.effective_message.reply_text(context._("This plan can no longer be changed."))
        return
    await update.effective_message.reply_text(reply, reply_markup=keyboard)


async def _date(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        action, _ = rules.member_action(session, ref, participant.id)
        title = action.title
    keyboard = _due_keyboard(context.tr, ref, "ed")
    await _edit(update, context._("“{title}”: by when?").format(title=title),
                InlineKeyboardMarkup(list(keyboard.inline_keyboard) + [[button(context._("← Back"), ref, "open")]]))


async def _edit_date(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    now = context.services.now()
    due = due_date(value or "", context.tr.local(now).date())
    with context.services.session() as session:
        action = rules.edit_action(session=session, action_id=ref, participant_id=participant.id, now=now, due_on=due)
        text, keyboard = _detail(context.tr, session, action, now)
    await _edit(update, text, keyboard)


async def _category(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        action, pair = rules.member_action(session, ref, participant.id)
        keyboard = _category_keyboard(context.tr, pair.programme, ref, "ec", "", context._("No kind"))
        title = action.title
    await _edit(update, context._("“{title}”: which kind of action is it?").format(title=title),
                InlineKeyboardMarkup(list(keyboard.inline_keyboard) + [[button(context._("← Back"), ref, "open")]]))


async def _edit_category(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    now = context.services.now()
    if not value:
        raise ValueError(value)
    with context.services.session() as session:
        action = rules.edit_action(session=session, action_id=ref, participant_id=participant.id, now=now,
                                   category=None if value == "skip" else value)
        text, keyboard = _detail(context.tr, session, action, now)
    await _edit(update, text, keyboard)


def _change_text(tr: Translator, change: PlanActionChange) -> str:
    if change.field == "created":
        return tr("added the action")
    if change.field == "title":
        return tr("renamed it")
    if change.field == "due_on":
        if not change.new:
            return tr("due date removed")
        return tr("due date: {day}").format(day=tr.date(date.fromisoformat(change.new), tr(SHORT_DAY)))
    if change.field == "category":
        if not change.new:
            return tr("kind removed")
        return tr("kind: {category}").format(category=category_name(tr, change.new))
    old = tr(STATUS_NAMES[ActionStatus(change.old)]) if change.old else ""
    return tr("{old} → {new}").format(old=old, new=tr(STATUS_NAMES[ActionStatus(change.new)]))


async def _history(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    tr = context.tr
    with context.services.session() as session:
        action, _ = rules.member_action(session, ref, participant.id)
        names: dict[int, str] = {}
        lines = []
        for change in rules.history_of(session, ref)[-30:]:
            if change.by not in names:
                names[change.by] = session.get(Participant, change.by).first_name
            lines.append(tr("{day}, {time} — {name}: {what}").format(
                day=tr.date(tr.local(change.at), tr(SHORT_DAY)), time=tr.time(change.at), name=names[change.by],
                what=_change_text(tr, change)))
        text = tr("🕘 History of “{title}”:").format(title=action.title) + "\n" + "\n".join(lines)
    await _edit(update, text, InlineKeyboardMarkup([[button(context._("← Back"), ref, "open")]]))


# ---------------------------------------------------------------- the review after a meeting held

def _review_meeting(session: Session, meeting_id: int, participant: Participant,
                    binome_id: int | None = None) -> tuple[Meeting, meeting_rules.Pair]:
    """The held meeting whose review the mentor is doing; PlanRefused otherwise."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.status != MeetingStatus.HELD or meeting.outcome_at is None:
        raise rules.PlanRefused(rules.PlanRefusal.GONE)
    pair = meeting_rules.pair_of(session=session, meeting=meeting)
    if participant.id != pair.mentor.id or (binome_id is not None and binome_id != pair.binome.id):
        raise rules.PlanRefused(rules.PlanRefusal.NOT_YOURS)
    if pair.binome.status == BinomeStatus.CLOSED:
        raise rules.PlanRefused(rules.PlanRefusal.GONE)
    return meeting, pair


def review_offer(tr: Translator, meeting_id: int) -> InlineKeyboardMarkup:
    """The button under "the meeting is recorded as held": the mentor reviews the plan from there, the
    message turning into the review."""
    return InlineKeyboardMarkup([[button(tr("📋 Review the action plan now"), meeting_id, "review")]])


def _sort_key(action: PlanAction) -> tuple:
    return (action.due_on is None, action.due_on or date.max, action.created_at, action.id)


def _review_step(tr: Translator, session: Session, meeting: Meeting, pair: meeting_rules.Pair, participant: Participant,
                 now: datetime, after: PlanAction | None) -> tuple[str, InlineKeyboardMarkup]:
    """The next open action to review (after `after` in plan order), or "anything new?"."""
    actions = rules.plan_of(session=session, binome_id=pair.binome.id)
    if after is not None:
        actions = [a for a in actions if _sort_key(a) > _sort_key(after)]
    if actions:
        action = actions[0]
        text = tr("📋 Plan review — how is this one going?") + "\n\n" + line(tr, action, tr.local(now).date())
        keyboard = InlineKeyboardMarkup([
            [button(tr("✅ Done"), action.id, "rdone", str(meeting.id)),
             button(tr("▶️ Still on"), action.id, "rkeep", str(meeting.id)),
             button(tr("✖ Drop"), action.id, "rdrop", str(meeting.id))],
        ])
        return text, keyboard
    had_actions = rules.plan_of(session=session, binome_id=pair.binome.id, include_closed=True)
    if not had_actions:
        awaited.expect(session=session, participant_id=participant.id, purpose="plan_review_title", ref_id=meeting.id,
                       now=now)
        return (tr("The action plan is still empty. What is a first action for {name}? Send me a short title, or tap "
                   "Finished.").format(name=pair.mentee.first_name),
                InlineKeyboardMarkup([[button(tr("✔ Finished"), meeting.id, "rend")]]))
    return (tr("Anything new to add to the plan?"),
            InlineKeyboardMarkup([[button(tr("➕ Yes, add an action"), meeting.id, "radd")],
                                  [button(tr("✔ No, finished"), meeting.id, "rend")]]))


async def _review(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    now = context.services.now()
    with context.services.session() as session:
        meeting, pair = _review_meeting(session, ref, participant)
        text, keyboard = _review_step(context.tr, session, meeting, pair, participant, now, None)
    await _edit(update, text, keyboard)


async def _review_action(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    verb = context.match.group(2)
    meeting_id = int(value or "")
    now = context.services.now()
    with context.services.session() as session:
        action, _ = rules.member_action(session, ref, participant.id)
        meeting, pair = _review_meeting(session, meeting_id, participant, binome_id=action.binome_id)
        if verb == "rdone":
            change_status(session, ref, participant, ActionStatus.DONE, now)
        elif verb == "rdrop":
            change_status(session, ref, participant, ActionStatus.DROPPED, now)
        text, keyboard = _review_step(context.tr, session, meeting, pair, participant, now, action)
    await _edit(update, text, keyboard)


async def _review_add(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        _review_meeting(session, ref, participant)
        awaited.expect(session=session, participant_id=participant.id, purpose="plan_review_title", ref_id=ref,
                       now=context.services.now())
    await _edit(update, _title_question(context.tr),
                InlineKeyboardMarkup([[button(context._("✔ No, finished"), ref, "rend")]]))


def review_counts(session: Session, meeting: Meeting, mentor_id: int, now: datetime) -> dict[str, int]:
    """What the mentor did to the plan since the meeting's outcome: done, new, dropped."""
    changes = session.exec(
        select(PlanActionChange).join(PlanAction, PlanAction.id == PlanActionChange.action_id)
        .where(PlanAction.binome_id == meeting.binome_id, PlanActionChange.by == mentor_id,
               PlanActionChange.at >= meeting.outcome_at, PlanActionChange.at <= now)).all()
    counts = {"done": set(), "new": set(), "dropped": set()}
    for change in changes:
        if change.field == "created":
            counts["new"].add(change.action_id)
        elif change.field == "status" and change.new in ("done", "dropped"):
            counts[change.new].add(change.action_id)
    return {key: len(ids) for key, ids in counts.items()}


async def _review_end(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    now = context.services.now()
    tr = context.tr
    with context.services.session() as session:
        meeting, pair = _review_meeting(session, ref, participant)
        counts = review_counts(session, meeting, participant.id, now)
        if counts["new"]:
            _enqueue_soon(session, pair.mentee, "plan_news", f"plan_news:{pair.binome.id}:{meeting.id}", now,
                          {"binome_id": pair.binome.id, "meeting_id": meeting.id, "by": participant.id})
        name = pair.mentee.first_name
    text = "\n".join([
        tr("Plan reviewed, thank you!"),
        tr.ngettext("✅ {n} done", "✅ {n} done", counts["done"]).format(n=counts["done"]),
        tr.ngettext("➕ {n} new", "➕ {n} new", counts["new"]).format(n=counts["new"]),
        tr.ngettext("✖ {n} dropped", "✖ {n} dropped", counts["dropped"]).format(n=counts["dropped"]),
    ])
    if counts["new"]:
        text += "\n" + tr("I am telling {name} about the new actions.").format(name=name)
    await _edit(update, text, InlineKeyboardMarkup([[button(tr("📋 The plan"), 0, "list")]]))


# ---------------------------------------------------------------- buttons

ACTIONS = {"list": _list, "all": _all, "add": _add, "c": _new_category, "d": _new_due, "open": _open, "s": _status,
           "bskip": _blocked_skip, "ren": _rename, "date": _date, "ed": _edit_date, "cat": _category,
           "ec": _edit_category, "hist": _history, "review": _review, "rdone": _review_action,
           "rkeep": _review_action, "rdrop": _review_action, "radd": _review_add, "rend": _review_end}
NEEDS_ID = {"c", "d", "open", "s", "bskip", "ren", "date", "ed", "cat", "ec", "hist", "review", "rdone",
            "rkeep", "rdrop", "radd", "rend"}


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    ref, verb, value = int(context.match.group(1)), context.match.group(2), context.match.group(3)
    participant = context.participant
    handler = ACTIONS.get(verb)
    if (participant is None or participant.onboarded_at is None or participant.role == Role.COORDINATOR
            or handler is None or (verb in NEEDS_ID) != (ref != 0)):
        await query.answer(context._("This button is no longer valid."))
        return
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


# ---------------------------------------------------------------- what the outbox sends

def _enqueue_soon(session: Session, recipient: Participant, kind: str, key: str, now: datetime, params: dict) -> None:
    programme = session.get(Programme, recipient.programme_id)
    tz = translator_for(recipient, programme).timezone
    due = out_of_quiet_hours(now, tz=tz, quiet=meeting_options(programme).quiet_hours, direction="later")
    outbox.enqueue(session=session, participant_id=recipient.id, kind=kind, key=key, due_at=due, now=now,
                   params=params)


def done_notice_time(now: datetime, tz: str, quiet) -> tuple[date, datetime]:
    """The mentor's local day and instant of the next grouped "done" notice: today at 18:00 local if
    that is still ahead, else tomorrow; moved out of quiet hours."""
    from zoneinfo import ZoneInfo

    day = now.astimezone(ZoneInfo(tz)).date()
    due = local_instant(day, DONE_NOTICE_AT, tz)
    if due <= now:
        day += timedelta(days=1)
        due = local_instant(day, DONE_NOTICE_AT, tz)
    return day, out_of_quiet_hours(due, tz=tz, quiet=quiet, direction="later")


def _queue_done_notice(session: Session, pair: meeting_rules.Pair, now: datetime) -> None:
    tz = translator_for(pair.mentor, pair.programme).timezone
    day, due = done_notice_time(now, tz, meeting_options(pair.programme).quiet_hours)
    outbox.enqueue(session=session, participant_id=pair.mentor.id, kind="plan_done",
                   key=f"plan_done:{pair.binome.id}:{day.isoformat()}", due_at=due, now=now,
                   params={"binome_id": pair.binome.id})


def _done_to_report(session: Session, binome_id: int) -> list[PlanAction]:
    binome = session.get(Binome, binome_id)
    last = session.exec(
        select(OutboundMessage.sent_at)
        .where(OutboundMessage.kind == "plan_done", OutboundMessage.participant_id == binome.mentor_id,
               col(OutboundMessage.idempotency_key).startswith(f"plan_done:{binome_id}:", autoescape=True),
               col(OutboundMessage.sent_at).is_not(None))
        .order_by(col(OutboundMessage.sent_at).desc())).first()
    return rules.done_since(session=session, binome_id=binome_id, by=binome.mentee_id, since=last)


def _anything_done(session: Session, message: OutboundMessage) -> bool:
    return bool(_done_to_report(session, message.params["binome_id"]))


@sender.renderer("plan_done", max_delay=timedelta(days=1), relevant=_anything_done)
def render_done(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    binome = session.get(Binome, params["binome_id"])
    mentee = session.get(Participant, binome.mentee_id)
    actions = _done_to_report(session, binome.id)
    text = tr.ngettext("🎉 {name} has done {n} action of the plan:", "🎉 {name} has done {n} actions of the plan:",
                       len(actions)).format(name=mentee.first_name, n=len(actions))
    text += "\n" + "\n".join(f"✅ {action.title}" for action in actions)
    text += "\n\n" + tr("A word of encouragement from you will count. /plan shows the whole plan.")
    return sender.Rendered(text)


def _news(session: Session, params: dict) -> list[PlanAction]:
    meeting = session.get(Meeting, params["meeting_id"])
    return rules.added_since(session=session, binome_id=params["binome_id"], by=params["by"],
                             since=meeting.outcome_at)


@sender.renderer("plan_news", max_delay=timedelta(days=3),
                 relevant=lambda session, message: bool(_news(session, message.params)))
def render_news(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    by = session.get(Participant, params["by"])
    actions = _news(session, params)
    text = tr.ngettext("📋 {name} added {n} action to your plan:", "📋 {name} added {n} actions to your plan:",
                       len(actions)).format(name=by.first_name, n=len(actions))
    text += "\n" + "\n".join(line(tr, action) for action in actions) + "\n\n" + tr("/plan shows the whole plan.")
    return sender.Rendered(text)


HANDLERS = [
    CommandHandler("plan", show_plan),
    CallbackQueryHandler(on_button, pattern=PATTERN),
]
