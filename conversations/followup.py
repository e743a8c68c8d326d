"""/binomes for coordinators: the follow-up table in the chat (storage.followup), 10 binômes a page, one line
of facts each, filter buttons (all, at risk, no meeting for a month, ending within a month, paused, closed),
and a button per row that opens the binôme's summary (conversations.binomes' `bs:<id>:show`).

Callback data: `bt:<page>:<filter>`. A forged filter, a page past the end or a coordinator of another
programme changes nothing and is answered "no longer valid"; each press edits the table in place. Facts
only: first names, status, dates, counts, the highest alert's severity, the outcome.
"""
from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import replies
from bot.commands import names
from bot.context import BotContext
from bot.i18n import N_, Translator
from bot.outcomes import outcome_name
from conversations import buttons
from conversations.web import open_table_row
from conversations.formats import DAY
from storage import followup
from storage.checkins import local_day
from storage.models import Participant, Role

PATTERN = buttons.pattern("bt")
VALUES = {name: None for name in followup.FILTERS}
FILTER_NAMES = {"all": N_("All"), "risk": N_("At risk"), "quiet": N_("No meeting for a month"),
                "ending": N_("Ending within a month"), "paused": N_("Paused"), "closed": N_("Closed")}
STATUS = {"active": N_("active"), "paused": N_("paused"), "closed": N_("closed")}
SEVERITY_MARKS = {"high": "🔴", "medium": "🟠", "low": "🟡"}


def _percent(tr: Translator, value: float | None) -> str:
    return "-" if value is None else f"{round(value * 100)} %"


def row_line(tr: Translator, row: followup.Row) -> str:
    """One binôme in two short lines: who and where it stands, then its meetings, plan, check-ins, alerts."""
    head = tr("{code} · {mentor} & {mentee} · {status}, {start} → {end}").format(
        code=row.code, mentor=row.mentor, mentee=row.mentee, status=tr(STATUS.get(row.status, row.status)),
        start=tr.date(row.started_on, tr(DAY)), end=tr.date(row.planned_end_on, tr(DAY)))
    if row.outcome:
        head += f" · {outcome_name(tr, row.outcome)}"
    facts = tr("meetings {held} held, {excused}+{unexcused} missed · plan {done}/{total} · check-ins {mentee}/"
               "{mentor}").format(held=row.held, excused=row.missed_excused, unexcused=row.missed_unexcused,
                                  done=row.actions_done, total=row.actions_total, mentee=_percent(tr, row.mentee_response),
                                  mentor=_percent(tr, row.mentor_response))
    if row.actions_blocked:
        facts += " " + tr("({n} blocked)").format(n=row.actions_blocked)
    if row.last_meeting:
        facts += " · " + tr("last {day}").format(day=tr.date(row.last_meeting, tr(DAY)))
    if row.next_meeting:
        facts += " · " + tr("next {day}").format(day=tr.date(row.next_meeting, tr(DAY)))
    if row.open_alerts:
        facts += " · " + SEVERITY_MARKS.get(row.highest_severity, "⚠️") + " " + tr.ngettext(
            "{n} alert", "{n} alerts", row.open_alerts).format(n=row.open_alerts)
    return f"{head}\n   {facts}"


def table(tr: Translator, session, coordinator: Participant, which: str, number: int, now, web_url: str = ""):
    """The page's text and buttons; None when the page is past the end (a stale or forged press)."""
    today = local_day(now, tr.timezone)
    found, total = followup.page(session=session, programme_id=coordinator.programme_id, which=which,
                                 number=number, now=now, today=today)
    pages = max(1, -(-total // followup.PAGE))
    if number >= pages:
        return None
    lines = [tr("📋 Follow-up table · {filter} · {n} binômes · page {page}/{pages}").format(
        filter=tr(FILTER_NAMES[which]), n=total, page=number + 1, pages=pages)]
    if not found:
        lines.append(tr("No binôme here."))
    lines += [row_line(tr, row) for row in found]
    keys = [InlineKeyboardButton(row.code, callback_data=f"bs:{row.binome_id}:show") for row in found]
    rows = buttons.grid(keys, 5)
    filters = [InlineKeyboardButton(("• " if name == which else "") + tr(FILTER_NAMES[name]),
                                    callback_data=f"bt:0:{name}") for name in followup.FILTERS]
    rows += [filters[0:3], filters[3:6]]
    nav = []
    if number > 0:
        nav.append(InlineKeyboardButton(tr("◀ Previous"), callback_data=f"bt:{number - 1}:{which}"))
    if number + 1 < pages:
        nav.append(InlineKeyboardButton(tr("Next ▶"), callback_data=f"bt:{number + 1}:{which}"))
    if nav:
        rows.append(nav)
    rows += open_table_row(tr, web_url)
    return "\n".join(lines), InlineKeyboardMarkup(rows)


async def show_table(update: Update, context: BotContext) -> None:
    participant, tr = context.participant, context.tr
    if participant is None or participant.role != Role.COORDINATOR:
        await update.effective_message.reply_text(tr("This command is for coordinators. To see your commands, send "
                                                     "/help."))
        return
    with context.services.session() as session:
        text, markup = table(tr, session, session.get(Participant, participant.id), "all", 0, context.services.now(),
                             context.services.settings.web_url)
    await replies.reply(update.effective_message, text, markup)


async def on_button(update: Update, context: BotContext) -> None:
    press = buttons.parse(context.match, VALUES)
    participant, tr = context.participant, context.tr
    if press is None or participant is None or participant.role != Role.COORDINATOR:
        await buttons.refuse(update, context)
        return
    with context.services.session() as session:
        shown = table(tr, session, session.get(Participant, participant.id), press.verb, press.ref,
                      context.services.now(), context.services.settings.web_url)
    if shown is None:
        await buttons.refuse(update, context)
        return
    await update.callback_query.answer()
    await replies.edit(update.callback_query, *shown)


HANDLERS = [CommandHandler(names("binomes"), show_table), CallbackQueryHandler(on_button, pattern=PATTERN)]
