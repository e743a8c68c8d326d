"""The mentor's review of the action plan after a meeting recorded as held (buttons `p:<meeting id>:review`,
`radd`, `rend`, and `p:<action id>:rdone|rkeep|rdrop:<meeting id>`): each open action in plan order, then
"anything new?"; at the end the mentee hears of the new actions (storage.plans.queue_news).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session
from telegram import InlineKeyboardMarkup

from bot.context import BotContext
from bot.i18n import Translator
from conversations import awaited
from conversations.plan_texts import button, edit, line, title_question
from storage import meetings as meeting_rules
from storage import plans as rules
from storage.models import ActionStatus, Meeting, Participant, PlanAction


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


async def review(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    now = context.services.now()
    with context.services.session() as session:
        meeting, pair = rules.review_meeting(session=session, meeting_id=ref, participant_id=participant.id)
        text, keyboard = _review_step(context.tr, session, meeting, pair, participant, now, None)
    await edit(update, text, keyboard)


async def review_action(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    verb = context.match.group(2)
    meeting_id = int(value or "")
    now = context.services.now()
    with context.services.session() as session:
        action, _ = rules.member_action(session, ref, participant.id)
        meeting, pair = rules.review_meeting(session=session, meeting_id=meeting_id, participant_id=participant.id,
                                 binome_id=action.binome_id)
        if verb in ("rdone", "rdrop"):
            status = ActionStatus.DONE if verb == "rdone" else ActionStatus.DROPPED
            rules.change_status(session=session, action_id=ref, participant_id=participant.id, status=status, now=now)
        text, keyboard = _review_step(context.tr, session, meeting, pair, participant, now, action)
    await edit(update, text, keyboard)


async def review_add(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    with context.services.session() as session:
        rules.review_meeting(session=session, meeting_id=ref, participant_id=participant.id)
        awaited.expect(session=session, participant_id=participant.id, purpose="plan_review_title", ref_id=ref,
                       now=context.services.now())
    await edit(update, title_question(context.tr),
                InlineKeyboardMarkup([[button(context._("✔ No, finished"), ref, "rend")]]))


async def review_end(update, context: BotContext, ref: int, participant: Participant, value) -> None:
    now = context.services.now()
    tr = context.tr
    with context.services.session() as session:
        meeting, pair = rules.review_meeting(session=session, meeting_id=ref, participant_id=participant.id)
        counts = rules.review_counts(session=session, meeting=meeting, mentor_id=participant.id, now=now)
        if counts["new"]:
            rules.queue_news(session=session, pair=pair, meeting=meeting, by=participant.id, now=now)
        name = pair.mentee.first_name
    text = "\n".join([
        tr("Plan reviewed, thank you!"),
        tr.ngettext("✅ {n} done", "✅ {n} done", counts["done"]).format(n=counts["done"]),
        tr.ngettext("➕ {n} new", "➕ {n} new", counts["new"]).format(n=counts["new"]),
        tr.ngettext("✖ {n} dropped", "✖ {n} dropped", counts["dropped"]).format(n=counts["dropped"]),
    ])
    if counts["new"]:
        text += "\n" + tr("I am telling {name} about the new actions.").format(name=name)
    await edit(update, text, InlineKeyboardMarkup([[button(tr("📋 The plan"), 0, "list")]]))
