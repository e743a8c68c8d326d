"""The pages that read: the entry inside Telegram, the one-time link, the follow-up table and a binôme's page.

The table is storage.followup's rows (the same as /binomes and the XLSX), filtered by the same conditions
(storage.followup.filter_ids), searched by code or first name and sorted here, in the query string
(`?filter=risk&sort=end&dir=desc&q=ami`): links, so it works without script and at 360 px. Every id from the
browser is checked against the viewer's programme; another programme's binôme is a 404, as an unknown one.
"""
from __future__ import annotations

from aiohttp import web

from bot.i18n import translator
from bot.outcomes import outcome_name
from conversations.alert_cards import OUTCOME_NAMES, SEVERITY, SIGNAL_NAMES
from conversations.followup import FILTER_NAMES, STATUS
from miniapp import auth
from miniapp.texts import ALERT_STATUS, COLUMNS, MEETING_STATUS
from miniapp.views import open_session, refusal, render, services_of, viewer
from storage import binome_timeline, followup
from storage.checkins import local_day
from storage.models import Binome
from storage.text import clean_text
from storage.web_access import coordinator_for_telegram_user, entered, use_link

MAX_QUERY = 50
SORTS = {
    "code": lambda r: (r.code.casefold(),), "mentor": lambda r: (r.mentor.casefold(),),
    "mentee": lambda r: (r.mentee.casefold(),), "status": lambda r: (r.status,),
    "end": lambda r: (r.planned_end_on,), "last": lambda r: (r.last_meeting is None, r.last_meeting),
    "held": lambda r: (r.held,), "plan": lambda r: (r.actions_done / r.actions_total if r.actions_total else -1,),
    "checkins": lambda r: (-1 if r.mentee_response is None else r.mentee_response,),
    "alerts": lambda r: ({"high": 3, "medium": 2, "low": 1}.get(r.highest_severity or "", 0), r.open_alerts),
}


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{round(value * 100)} %"


async def entry(request: web.Request) -> web.Response:
    """Inside Telegram: the script reads initData from the address's fragment and posts it to /auth."""
    services = services_of(request)
    language = request.query.get("lang", "")
    return render(request, "entry.html", translator(language if language in ("fr", "en")
                                                    else services.settings.default_language), viewer=None)


async def telegram_login(request: web.Request) -> web.StreamResponse:
    """POST initData: checked as Telegram specifies, then the session; 401 forged or old, 403 not a coordinator."""
    services = services_of(request)
    form = await request.post()
    try:
        user = auth.check_init_data(str(form.get("init_data", "")), bot_token=services.settings.telegram_bot_token,
                                    now=services.now())
    except auth.Refused as refused:
        return refusal(request, 401, "old_init_data" if refused.reason == "expired" else "bad_init_data")
    with services.session() as session:
        coordinator = coordinator_for_telegram_user(session=session, telegram_user_id=user.id)
        if coordinator is None:
            return refusal(request, 403, "not_coordinator")
        entered(session=session, participant=coordinator, now=services.now(), how="telegram")
        participant_id = coordinator.id
    response = web.HTTPSeeOther("/table")
    open_session(response, request, participant_id)
    return response


async def link_login(request: web.Request) -> web.StreamResponse:
    """The one-time link of /web: once, within ten minutes."""
    services = services_of(request)
    with services.session() as session:
        coordinator = use_link(session=session, token=request.match_info["token"], now=services.now())
        participant_id = coordinator.id if coordinator is not None else None
    if participant_id is None:
        return refusal(request, 401, "used_link")
    response = web.HTTPSeeOther("/table")
    open_session(response, request, participant_id)
    return response


async def table(request: web.Request) -> web.Response:
    me = viewer(request)
    services = services_of(request)
    which = request.query.get("filter", "all")
    which = which if which in followup.FILTERS else "all"
    sort = request.query.get("sort", "code")
    sort = sort if sort in SORTS else "code"
    descending = request.query.get("dir") == "desc"
    query = clean_text(request.query.get("q", ""))[:MAX_QUERY].strip()
    now = services.now()
    with services.session() as session:
        rows = list(followup.all_rows(session=session, programme_id=me.programme_id, now=now))
        if which != "all":
            kept = followup.filter_ids(session=session, programme_id=me.programme_id, which=which, now=now,
                                       today=local_day(now, me.tr.timezone))
            rows = [row for row in rows if row.binome_id in kept]
    if query:
        needle = query.casefold()
        rows = [row for row in rows if needle in row.code.casefold() or needle in row.mentor.casefold()
                or needle in row.mentee.casefold()]
    rows.sort(key=SORTS[sort], reverse=descending)
    return render(request, "table.html", me.tr, viewer=me, rows=rows, which=which, sort=sort, descending=descending,
                  query=query, filters=[(name, me.tr(FILTER_NAMES[name])) for name in followup.FILTERS],
                  columns=[(key, me.tr(text)) for key, text in COLUMNS.items()], status=STATUS, percent=_percent,
                  severity=SEVERITY)


async def binome(request: web.Request) -> web.Response:
    me = viewer(request)
    services = services_of(request)
    try:
        binome_id = int(request.match_info["binome_id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    now = services.now()
    with services.session() as session:
        found = session.get(Binome, binome_id)
        if found is None or found.programme_id != me.programme_id:
            raise web.HTTPNotFound()  # another programme's binôme is not there, as far as this page says
        rows = followup.rows(session=session, binome_ids=[binome_id], now=now)
        meetings = binome_timeline.meetings(session=session, binome_id=binome_id)
        alerts = binome_timeline.alerts(session=session, binome_id=binome_id)
        closed_on = found.closed_on
    if not rows:
        raise web.HTTPNotFound()
    tr = me.tr
    return render(request, "binome.html", tr, viewer=me, row=rows[0], meetings=meetings, alerts=alerts,
                  closed_on=closed_on, percent=_percent, status=STATUS, meeting_status=MEETING_STATUS,
                  alert_status=ALERT_STATUS, severity=SEVERITY, signal_names=SIGNAL_NAMES,
                  alert_outcomes=OUTCOME_NAMES, outcome=(outcome_name(tr, rows[0].outcome) if rows[0].outcome else None))


async def root(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther("/app")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", root)
    app.router.add_get("/app", entry)
    app.router.add_post("/auth", telegram_login)
    app.router.add_get("/login/{token}", link_login)
    app.router.add_get("/table", table)
    app.router.add_get("/binome/{binome_id}", binome)
