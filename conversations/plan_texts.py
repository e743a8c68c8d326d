"""How the action plan looks in the chat: its categories and statuses, one action on a line, the plan
and one action's card with their buttons, an action's history, and the messages the outbox sends
(`plan_done`, `plan_news`; queued by storage.plans). conversations.plan answers the buttons.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import replies, sender
from bot.i18n import N_, Translator
from bot.vocabulary import term
from conversations.buttons import grid
from conversations.formats import DAY, LONG_DAY, SHORT_DAY
from storage import plans
from storage.models import ActionStatus, Binome, Participant, PlanAction, PlanActionChange, Programme, Role
from storage.options import categories_for
from storage.participants import active_binomes_of, partner_in

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


def category_name(tr: Translator, key: str | None) -> str:
    return tr(CATEGORIES[key]) if key in CATEGORIES else ""


def line(tr: Translator, action: PlanAction, today: date | None = None) -> str:
    """One action on one line: its status icon, title, and due date (⚠️ when overdue and still open)."""
    text = f"{ICONS[action.status]} {action.title}"
    if action.due_on is not None:
        late = today is not None and action.due_on < today and action.status in plans.OPEN_STATUSES
        text += " — " + ("⚠️ " if late else "") + tr("by {day}").format(day=tr.date(action.due_on, tr(SHORT_DAY)))
    return text


def _short(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def plan_view(tr: Translator, session: Session, binome: Binome, participant: Participant, now: datetime,
               *, include_closed: bool = False, several: bool | None = None) -> tuple[str, InlineKeyboardMarkup]:
    """For someone in several binômes the plan says whose it is and its buttons carry the binôme
    (`p:<binome id>:badd`, `…:ba`) instead of `p:0:add`, `p:0:all`. `several`: whether they are, when the
    caller has just read their binômes (else read here)."""
    if several is None:
        several = len(active_binomes_of(session=session, participant=participant)) > 1
    all_actions = plans.plan_of(session=session, binome_id=binome.id, include_closed=True)
    open_actions = [a for a in all_actions if a.status in plans.OPEN_STATUSES]
    actions = all_actions if include_closed else open_actions
    closed = len(all_actions) - len(open_actions)
    partner = partner_in(session=session, binome=binome, participant=participant)
    today = tr.local(now).date()
    if not actions:
        text = tr("📋 Your action plan is empty.")
    else:
        text = tr("📋 Your action plan. The most urgent actions come first:") + "\n\n" + "\n".join(
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
    ref, add, everything = (binome.id, "badd", "ba") if several else (0, "add", "all")
    rows.append([button(tr("➕ Add an action"), ref, add)])
    if closed and not include_closed:
        rows.append([button(tr("Show done and dropped"), ref, everything)])
    if participant.id == binome.mentor_id:  # conversations.closure: the mentor may propose to close
        rows.append([InlineKeyboardButton(tr("🏁 Propose to close the binôme"), callback_data=f"bm:{binome.id}:propose")])
    if several:
        text = "\n\n".join([tr("📋 Binôme {pair} with {name}.").format(pair=binome.label, name=partner.first_name),
                              text])
    return text, InlineKeyboardMarkup(rows)


def closed_plan_view(tr: Translator, session: Session, binome: Binome, participant: Participant) -> str:
    """The plan of a closed binôme: every action as it was left, no button (storage.plans refuses changes)."""
    actions = plans.plan_of(session=session, binome_id=binome.id, include_closed=True)
    partner = partner_in(session=session, binome=binome, participant=participant)
    head = tr("🏁 Your binôme with {name} ended on {date}. Here is your action plan, as you left it:").format(
        name=partner.first_name, date=tr.date(binome.closed_on, tr(DAY)) if binome.closed_on else "-")
    if not actions:
        return head + "\n\n" + tr("📋 Your action plan is empty.")
    lines = [f"{n}. {line(tr, action)}" for n, action in enumerate(actions[:LIST_LIMIT], 1)]
    if len(actions) > LIST_LIMIT:
        more = len(actions) - LIST_LIMIT
        lines.append(tr.ngettext("…and {n} more, due later.", "…and {n} more, due later.", more).format(n=more))
    return head + "\n\n" + "\n".join(lines)


def plan_button(tr: Translator, session: Session, participant: Participant, binome_id: int, label: str,
                verb: str) -> InlineKeyboardButton:
    """To the plan ("list") or to adding ("add"): `p:0:<verb>`, or for someone in several binômes
    `p:<binome id>:bl` / `…:badd`, so that it stays with this binôme."""
    if len(active_binomes_of(session=session, participant=participant)) > 1:
        return button(label, binome_id, {"list": "bl", "add": "badd"}[verb])
    return button(label, 0, verb)


def title_question(tr: Translator) -> str:
    return tr("What is the action? Send me a short title, for example \"Send three applications\".")


def category_keyboard(tr: Translator, programme: Programme, action_id: int, verb: str, suffix: str,
                       skip_label: str) -> InlineKeyboardMarkup:
    buttons = [button(tr(CATEGORIES[key]), action_id, verb, key + suffix) for key in categories_for(programme)]
    return InlineKeyboardMarkup(grid(buttons, 2) + [[button(skip_label, action_id, verb, "skip" + suffix)]])


def due_keyboard(tr: Translator, action_id: int, verb: str, suffix: str = "") -> InlineKeyboardMarkup:
    buttons = [button(tr(label), action_id, verb, code + suffix) for code, label in DUE_CHOICES.items()]
    return InlineKeyboardMarkup(grid(buttons, 2))


def detail(tr: Translator, session: Session, action: PlanAction, now: datetime) -> tuple[str, InlineKeyboardMarkup]:
    author = session.get(Participant, action.created_by)
    parts = [line(tr, action, tr.local(now).date()),
             tr("Status: {status}").format(status=tr(STATUS_NAMES[action.status]))]
    if action.category:
        parts.append(tr("Kind: {category}").format(category=category_name(tr, action.category)))
    if action.due_on:
        parts.append(tr("Planned for: {day}").format(day=tr.date(action.due_on, tr(LONG_DAY))))
    parts.append(tr("Added by {name}, {day}").format(name=author.first_name,
                                                     day=tr.date(tr.local(action.created_at), tr(LONG_DAY))))
    if action.status == ActionStatus.BLOCKED and action.blocked_note:
        parts.append(tr("What blocks it: {note}").format(note=action.blocked_note))
    statuses = [button(tr(label), action.id, "s", status.value) for status, label in STATUS_BUTTONS.items()
                if status != action.status]
    rows = grid(statuses, 2) + [
        [button(tr("✏️ Rename"), action.id, "ren"), button(tr("📅 Date"), action.id, "date")],
        [button(tr("🏷 Kind"), action.id, "cat"), button(tr("🕘 History"), action.id, "hist")],
        [button(tr("← The plan"), 0, "list")],
    ]
    return "\n".join(parts), InlineKeyboardMarkup(rows)


def partner_term(tr: Translator, session: Session, binome: Binome, participant: Participant) -> str:
    programme = session.get(Programme, binome.programme_id)
    partner = session.get(Participant, binome.mentor_id if participant.id == binome.mentee_id else binome.mentee_id)
    return term(tr, programme, Role.MENTOR if participant.id == binome.mentee_id else Role.MENTEE,
                partner.gender if partner is not None else None)


def change_text(tr: Translator, change: PlanActionChange) -> str:
    if change.field == "created":
        return tr("added the action")
    if change.field == "title":
        return tr("renamed it")
    if change.field == "due_on":
        if not change.new:
            return tr("date removed")
        return tr("date: {day}").format(day=tr.date(date.fromisoformat(change.new), tr(SHORT_DAY)))
    if change.field == "category":
        if not change.new:
            return tr("kind removed")
        return tr("kind: {category}").format(category=category_name(tr, change.new))
    old = tr(STATUS_NAMES[ActionStatus(change.old)]) if change.old else ""
    return tr("{old} → {new}").format(old=old, new=tr(STATUS_NAMES[ActionStatus(change.new)]))


def history_view(tr: Translator, session: Session, action: PlanAction) -> str:
    """The action's last 30 changes: when, who, what."""
    names: dict[int, str] = {}
    lines = []
    for change in plans.history_of(session, action.id)[-30:]:
        if change.by not in names:
            names[change.by] = session.get(Participant, change.by).first_name
        lines.append(tr("{day}, {time} — {name}: {what}").format(
            day=tr.date(tr.local(change.at), tr(SHORT_DAY)), time=tr.time(change.at), name=names[change.by],
            what=change_text(tr, change)))
    return tr("🕘 History of “{title}”:").format(title=action.title) + "\n" + "\n".join(lines)


async def edit(update: Update, text: str, keyboard: InlineKeyboardMarkup | None = None) -> None:
    """Turn the pressed message into `text` (a double tap asking for the same text changes nothing)."""
    await update.callback_query.answer()
    await replies.edit(update.callback_query, text, keyboard)  # a double tap asking for the same text: nothing


# ---------------------------------------------------------------- what the outbox sends

@sender.renderer("plan_done")
def render_done(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    binome = session.get(Binome, params["binome_id"])
    mentee = session.get(Participant, binome.mentee_id)
    actions = plans.done_to_report(session=session, binome_id=binome.id)
    text = tr.ngettext("🎉 {name} has done {n} action of the plan:", "🎉 {name} has done {n} actions of the plan:",
                       len(actions)).format(name=mentee.first_name, n=len(actions))
    text += "\n" + "\n".join(f"✅ {action.title}" for action in actions)
    text += "\n\n" + tr("A word of encouragement from you will count. /plan shows the whole plan.")
    return sender.Rendered(text)


@sender.renderer("plan_news")
def render_news(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    by = session.get(Participant, params["by"])
    actions = plans.news_of(session=session, params=params)
    text = tr.ngettext("📋 {name} added {n} action to your plan:", "📋 {name} added {n} actions to your plan:",
                       len(actions)).format(name=by.first_name, n=len(actions))
    text += "\n" + "\n".join(line(tr, action) for action in actions) + "\n\n" + tr("To see the whole plan, send /plan.")
    return sender.Rendered(text)
