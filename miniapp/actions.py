"""The pages that act or export: open alerts (acknowledge, resolve), the indicators with their chart, the XLSX.

An alert changes through storage.alerts' acknowledge and resolve, the rules of the chat's buttons (the
programme checked, audited); then its cards already in coordinators' chats are edited to read as the chat's
own button would leave them. Every POST carries the session's CSRF token; a missing or wrong one is a 403
and changes nothing. The figures are storage.indicators', the chart bot.report_chart's PNG and the file
bot.report_files' XLSX, as /report makes them, in a worker thread.
"""
from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from sqlalchemy import func
from sqlmodel import select
from telegram.error import TelegramError

from bot import replies
from bot.i18n import translator_for
from bot.report_chart import chart_png
from bot.report_files import to_xlsx
from bot.report_texts import flat, label, period_line, sub_label, value
from conversations.alert_cards import OUTCOME_NAMES, SEVERITY, SIGNAL_NAMES
from conversations.binome_alert_card import binome_card
from conversations.report import PERIODS, period_of
from conversations.web import with_open_table
from miniapp import auth
from miniapp.texts import ALERT_STATUS
from miniapp.views import COOKIE, APPLICATION, refusal, render, services_of, viewer
from storage import alerts as rules
from storage import cards
from storage.checkins import local_day
from storage.followup import all_rows
from storage.indicators import compute, months
from storage.models import Alert, Binome, Participant, Programme

log = logging.getLogger(__name__)


def _checked(request: web.Request, form, tr) -> None:
    services = services_of(request)
    if not auth.csrf_ok(request.cookies.get(COOKIE, ""), form.get("csrf"),
                        bot_token=services.settings.telegram_bot_token):
        raise web.HTTPForbidden(text=refusal(request, 403, "csrf", tr).text, content_type="text/html")


async def alerts_page(request: web.Request) -> web.Response:
    me = viewer(request)
    services = services_of(request)
    now = services.now()
    with services.session() as session:
        live = rules.open_alerts(session=session, programme_id=me.programme_id)
        codes = dict(session.exec(select(Binome.id, Binome.label).where(Binome.programme_id == me.programme_id)).all())
        items = [{"id": a.id, "binome_id": a.binome_id, "code": codes.get(a.binome_id, "?"), "signal": a.signal,
                  "severity": a.severity, "status": str(a.status), "days": (now - a.opened_at).days} for a in live]
    done = request.query.get("done", "")
    return render(request, "alerts.html", me.tr, viewer=me, items=items, severity=SEVERITY, signal_names=SIGNAL_NAMES,
                  alert_status=ALERT_STATUS, outcomes=OUTCOME_NAMES, done=done if done in ("ack", "resolve") else "")


async def refresh_cards(request: web.Request, alert_id: int) -> int:
    """Edit the alert's cards in the coordinators' chats, each in its reader's language; how many changed."""
    services = services_of(request)
    bot = request.app[APPLICATION].bot
    edits = []
    with services.session() as session:
        alert = session.get(Alert, alert_id)
        for coordinator, message_id, params in cards.cards_sent(session=session, alert=alert):
            tr = translator_for(coordinator, session.get(Programme, coordinator.programme_id))
            text, markup = binome_card(tr, session, alert.binome_id, which="update", fallback=alert)
            edits.append((coordinator.telegram_chat_id, message_id, text,
                          with_open_table(markup, tr, services.settings.web_url)))
    changed = 0
    for chat_id, message_id, text, markup in edits:
        try:
            await bot.edit_message_text(replies.split_text(text)[0], chat_id=chat_id, message_id=message_id,
                                        reply_markup=markup)
            changed += 1
        except TelegramError as exc:  # deleted by the reader, too old to edit: the page's change stands
            log.info("alert card not edited: %s", type(exc).__name__)
    return changed


async def alert_action(request: web.Request) -> web.StreamResponse:
    me = viewer(request)
    form = await request.post()
    _checked(request, form, me.tr)
    services = services_of(request)
    verb = request.match_info["verb"]
    try:
        alert_id = int(request.match_info["alert_id"])
        with services.session() as session:
            coordinator = session.get(Participant, me.participant_id)
            if verb == "ack":
                rules.acknowledge(session=session, alert_id=alert_id, coordinator=coordinator, now=services.now())
            else:
                rules.resolve(session=session, alert_id=alert_id, coordinator=coordinator,
                              outcome=str(form.get("outcome", "")), now=services.now())
    except (ValueError, rules.AlertRefused):
        return render(request, "gone.html", me.tr, code=409, viewer=me)
    await refresh_cards(request, alert_id)
    raise web.HTTPSeeOther(f"/alerts?done={verb}")


def _period(services, programme_id: int, name: str):
    with services.session() as session:
        programme = session.get(Programme, programme_id)
        first = session.exec(select(func.min(Binome.started_on)).where(Binome.programme_id == programme_id)).one()
        since, until = period_of(name, local_day(services.now(), programme.timezone), first)
    return since, until


def _figures(services, me, name: str):
    """In a worker thread: the period's indicators as (label, value) lines, in the reader's words."""
    tr = me.tr
    with services.session() as session:
        programme = session.get(Programme, me.programme_id)
        since, until = _period(services, me.programme_id, name)
        values = compute(session=session, programme=programme, since=since, until=until)
        lines = [(label(tr, programme, key) + (f" · {sub_label(tr, key, sub)}" if sub else ""), value(tr, key, raw))
                 for key, sub, raw in flat(values)]
    return since, until, lines


async def report_page(request: web.Request) -> web.Response:
    me = viewer(request)
    services = services_of(request)
    name = request.query.get("period", "month")
    name = name if name in PERIODS else "month"
    since, until, lines = await asyncio.to_thread(_figures, services, me, name)
    return render(request, "report.html", me.tr, viewer=me, period=name, periods=PERIODS, lines=lines,
                  title=period_line(me.tr, since, until))


def _files(services, me, name: str, what: str) -> tuple[bytes, str]:
    tr = me.tr
    now = services.now()
    with services.session() as session:
        programme = session.get(Programme, me.programme_id)
        since, until = _period(services, me.programme_id, name)
        values = compute(session=session, programme=programme, since=since, until=until)
        by_month = months(session=session, programme=programme, since=since, until=until)
        if what == "png":
            title = f"{programme.name} · {period_line(tr, since, until)}"
            return chart_png(tr, programme, by_month, values["exits_by_outcome"], title), ""
        workbook = to_xlsx(tr, programme, values, all_rows(session=session, programme_id=programme.id, now=now),
                           by_month)
    return workbook, f"report-{since.isoformat()}-{until.isoformat()}.xlsx"


async def report_file(request: web.Request) -> web.Response:
    me = viewer(request)
    services = services_of(request)
    name = request.query.get("period", "month")
    if name not in PERIODS:
        raise web.HTTPNotFound()
    what = request.match_info["what"]
    data, filename = await asyncio.to_thread(_files, services, me, name, what)
    if what == "png":
        return web.Response(body=data, content_type="image/png", headers={"Cache-Control": "private, max-age=60"})
    return web.Response(body=data, headers={
        "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Content-Disposition": f'attachment; filename="{filename}"'})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/alerts", alerts_page)
    app.router.add_post(r"/alerts/{alert_id}/{verb:ack|resolve}", alert_action)
    app.router.add_get("/report", report_page)
    app.router.add_get(r"/report/{what:png|xlsx}", report_file)
