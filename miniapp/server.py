"""The web application: its routes, the security headers, and starting it beside the bot.

The access log is off: a URL may carry a one-time token, and nothing here logs more than an error's type.
"""
from __future__ import annotations

import logging

from aiohttp import web
from telegram.ext import Application

from miniapp import actions, pages
from miniapp.views import APPLICATION, HERE

log = logging.getLogger(__name__)
# Scripts and styles from this origin only (no inline script, no third party); Telegram frames the page.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'self' https://web.telegram.org "
       "https://*.telegram.org")


@web.middleware
async def headers(request: web.Request, handler):
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status == 404 and not exc.body:
            exc.text = "404"
        response = exc
    except Exception as exc:  # an error's type only: the request may carry a token
        log.error("web page failed: %s", type(exc).__name__)
        response = web.Response(status=500, text="500")
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("Cache-Control", "no-store")
    if isinstance(response, web.HTTPException):
        raise response
    return response


def make_app(application: Application) -> web.Application:
    app = web.Application(middlewares=[headers], client_max_size=64 * 1024)
    app[APPLICATION] = application
    pages.add_routes(app)
    actions.add_routes(app)
    app.router.add_static("/static/", HERE / "static", show_index=False)
    return app


class WebServer:
    """The page's HTTP server, in the bot's event loop; `port` is the one bound (WEB_PORT=0: any free one)."""

    def __init__(self, application: Application) -> None:
        self.application = application
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        settings = self.application.bot_data["services"].settings
        self.runner = web.AppRunner(make_app(self.application), access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, settings.web_listen, settings.web_port)
        await site.start()
        self.port = self.runner.addresses[0][1]
        log.info("coordinator's page listening on %s:%s", settings.web_listen, self.port)

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None
