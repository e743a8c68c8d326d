"""What every page needs: the templates, who the viewer is, the session cookie, the refusal pages.

Every page but the entry (/app), the one-time link (/login/…) and the static files needs the session
cookie; without one it answers 401 with a page that says how to get in, and 403 to someone who is no
longer a coordinator.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2
from aiohttp import web
from telegram.ext import Application

from bot.i18n import Translator, translator, translator_for
from bot.services import Services
from miniapp import auth
from storage.models import Participant, Programme
from storage.web_access import may_enter

HERE = Path(__file__).resolve().parent
COOKIE = "binome_session"
APPLICATION = web.AppKey("application", Application)
TEMPLATES = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                               undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)

ACTIVE = {"table.html": "table", "binome.html": "table", "alerts.html": "alerts", "report.html": "report"}


@dataclass
class Viewer:
    """The coordinator on the page, as read from their session cookie on this request."""

    participant_id: int
    programme_id: int
    tr: Translator
    csrf: str


def services_of(request: web.Request) -> Services:
    return request.app[APPLICATION].bot_data["services"]


def render(request: web.Request, template: str, tr: Translator, *, code: int = 200, **values) -> web.Response:
    values.setdefault("active", ACTIVE.get(template, ""))
    page = TEMPLATES.get_template(template).render(_=tr.gettext, ngettext=tr.ngettext, lang=tr.language,
                                                   dir="rtl" if tr.right_to_left else "ltr",
                                                   **values)
    return web.Response(text=page, status=code, content_type="text/html", charset="utf-8")


def refusal(request: web.Request, status: int, reason: str, tr: Translator | None = None) -> web.Response:
    """A 401/403 page that says what to do; `reason` picks the words ("login", "expired", "not_coordinator"…)."""
    if tr is None:
        services = services_of(request)
        header = request.headers.get("Accept-Language", "")
        tr = translator(header[:2].lower() if header[:2].lower() in ("fr", "en")
                        else services.settings.default_language)
    return render(request, "refused.html", tr, code=status, reason=reason, viewer=None)


def viewer(request: web.Request) -> Viewer:
    """The coordinator behind the session cookie; raises the 401/403 page otherwise."""
    services = services_of(request)
    cookie = request.cookies.get(COOKIE)
    try:
        participant_id = auth.session_participant(cookie, bot_token=services.settings.telegram_bot_token,
                                                  now=services.now())
    except auth.Refused as refused:
        raise web.HTTPUnauthorized(text=refusal(request, 401, "expired" if refused.reason == "session_expired"
                                                else "login").text, content_type="text/html") from None
    with services.session() as session:
        participant = session.get(Participant, participant_id)
        if not may_enter(participant):
            raise web.HTTPForbidden(text=refusal(request, 403, "not_coordinator").text, content_type="text/html")
        tr = translator_for(participant, session.get(Programme, participant.programme_id))
        programme_id = participant.programme_id
    return Viewer(participant_id, programme_id, tr,
                  auth.csrf_token(cookie, bot_token=services.settings.telegram_bot_token))


def open_session(response: web.StreamResponse, request: web.Request, participant_id: int) -> None:
    """The session cookie: HttpOnly, Secure, SameSite=None, since Telegram's web client shows the page in a
    frame of another site; POSTs carry the CSRF token besides."""
    services = services_of(request)
    value = auth.new_session(participant_id, bot_token=services.settings.telegram_bot_token, now=services.now())
    response.set_cookie(COOKIE, value, max_age=int(auth.SESSION_LIFETIME.total_seconds()), path="/",
                        secure=True, httponly=True, samesite="None")
