"""/report for coordinators: the programme's indicators (storage.indicators, docs/indicators.md) for a period
chosen by buttons (this month, last month, this quarter, the school year September–August, since the
start); then a short text summary, the PNG chart as a photo and the XLSX (three sheets) as a document.

Callback data: `rp:<coordinator's participant id>:<period>`. A press by someone else (a forwarded or forged
button), by a non-coordinator or with an unknown period changes nothing and is answered "no longer valid".
The figures and the files are made in a worker thread, so other people's updates are answered meanwhile.
"""
from __future__ import annotations

import asyncio
import io
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import replies
from bot.commands import names
from bot.context import BotContext
from bot.i18n import N_, Translator
from bot.report_chart import chart_png
from bot.report_files import to_xlsx
from bot.report_texts import period_line, summary
from conversations import buttons
from conversations.web import open_table_row
from storage.checkins import local_day
from storage.followup import all_rows
from storage.indicators import compute, months
from storage.models import Binome, Participant, Programme, Role
from storage.programmes import add_months

PATTERN = buttons.pattern("rp")
PERIODS = {"month": N_("This month"), "last_month": N_("Last month"), "quarter": N_("This quarter"),
           "school_year": N_("School year (Sept–Aug)"), "all": N_("Since the start")}
VALUES = {name: None for name in PERIODS}


def period_of(name: str, today: date, first_start: date | None) -> tuple[date, date]:
    """The dates a period button stands for, up to today (a past month or school year up to its end)."""
    this_month = today.replace(day=1)
    if name == "month":
        return this_month, today
    if name == "last_month":
        return add_months(this_month, -1), this_month - timedelta(days=1)
    if name == "quarter":
        return this_month.replace(month=(today.month - 1) // 3 * 3 + 1), today
    if name == "school_year":
        return date(today.year if today.month >= 9 else today.year - 1, 9, 1), today
    return min(first_start or today, today), today


def _keyboard(tr: Translator, coordinator_id: int, web_url: str = "") -> InlineKeyboardMarkup:
    keys = [InlineKeyboardButton(tr(text), callback_data=f"rp:{coordinator_id}:{name}") for name, text in PERIODS.items()]
    return InlineKeyboardMarkup([keys[0:2], keys[2:4], keys[4:], *open_table_row(tr, web_url)])


async def ask_period(update: Update, context: BotContext) -> None:
    participant, tr = context.participant, context.tr
    if participant is None or participant.role != Role.COORDINATOR:
        await update.effective_message.reply_text(tr("This command is for coordinators. To see your commands, send "
                                                     "/help."))
        return
    await update.effective_message.reply_text(tr("📊 The programme's report: which period?"),
                                              reply_markup=_keyboard(tr, participant.id,
                                                                                     context.services.settings.web_url))


def _build(context: BotContext, participant_id: int, name: str, tr: Translator):
    """In a worker thread: the summary, the chart and the workbook of the coordinator's programme."""
    now = context.services.now()
    with context.services.session() as session:
        me = session.get(Participant, participant_id)
        programme = session.get(Programme, me.programme_id)
        first = session.exec(select(func.min(Binome.started_on)).where(Binome.programme_id == programme.id)).one()
        since, until = period_of(name, local_day(now, programme.timezone), first)
        values = compute(session=session, programme=programme, since=since, until=until)
        by_month = months(session=session, programme=programme, since=since, until=until)
        text = summary(tr, programme, values, since, until)
        title = f"{programme.name} · {period_line(tr, since, until)}"
        png = chart_png(tr, programme, by_month, values["exits_by_outcome"], title)
        workbook = to_xlsx(tr, programme, values, all_rows(session=session, programme_id=programme.id, now=now),
                           by_month)
    return text, png, workbook, f"report-{since.isoformat()}-{until.isoformat()}.xlsx", title


async def on_button(update: Update, context: BotContext) -> None:
    press = buttons.parse(context.match, VALUES)
    participant, tr = context.participant, context.tr
    if (press is None or participant is None or participant.role != Role.COORDINATOR
            or press.ref != participant.id):
        await buttons.refuse(update, context)
        return
    query = update.callback_query
    await query.answer(tr("Preparing the report…"))
    text, png, workbook, filename, title = await asyncio.to_thread(_build, context, participant.id, press.verb, tr)
    await replies.edit(query, text)
    chat = query.message.chat
    await chat.send_photo(io.BytesIO(png), caption=title[:1000])
    await chat.send_document(io.BytesIO(workbook), filename=filename,
                             caption=tr("The indicators, the follow-up table and the figures by month (XLSX)."))


HANDLERS = [CommandHandler(names("report"), ask_period), CallbackQueryHandler(on_button, pattern=PATTERN)]
