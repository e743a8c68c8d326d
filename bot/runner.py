"""`binome run`: long polling, or a webhook with a secret token when WEBHOOK_URL is set.

SQLite: one process per database file (bot.leader.only_process). PostgreSQL: any number of webhook
workers, one of which leads the scheduler and the sender (bot.leader.Leadership); in long-polling
mode only one, since Telegram serves getUpdates to one consumer (docs/scaling.md)."""
from __future__ import annotations

import hashlib
import logging
from urllib.parse import urlparse

from sqlalchemy.engine import Engine
from telegram import Update

from bot.app import build_application
from bot.clock import SystemClock
from bot.leader import AlreadyRunning, Leadership, only_process
from bot.services import Services
from bot.settings import Settings

log = logging.getLogger(__name__)


def webhook_secret(settings: Settings) -> str:
    """The secret Telegram echoes in each webhook call; derived from the token unless set."""
    if settings.webhook_secret:
        return settings.webhook_secret
    return hashlib.sha256(("binome-webhook:" + settings.telegram_bot_token).encode()).hexdigest()[:48]


def run_bot(settings: Settings, engine: Engine) -> int:
    """Raises AlreadyRunning when this database cannot take one more process (cli.py says so in one line)."""
    with only_process(settings.effective_database_url):
        leadership = None
        if engine.dialect.name == "postgresql":
            leadership = Leadership(engine)
            if not leadership.acquire_now() and leadership.held_elsewhere and not settings.uses_webhook:
                leadership.close()
                raise AlreadyRunning("polling", engine.url.render_as_string(hide_password=True))
        try:
            return _serve(settings, engine, leadership)
        finally:
            if leadership is not None:
                leadership.close()


def _serve(settings: Settings, engine: Engine, leadership: Leadership | None) -> int:
    services = Services(settings=settings, engine=engine, clock=SystemClock())
    application = build_application(services)
    if leadership is not None:
        application.bot_data["leadership"] = leadership  # start_services and the tick job ask it
    if settings.uses_webhook:
        path = urlparse(settings.webhook_url).path.lstrip("/")
        log.info("starting in webhook mode on %s:%s", settings.webhook_listen, settings.webhook_port)
        application.run_webhook(listen=settings.webhook_listen, port=settings.webhook_port, url_path=path,
                                webhook_url=settings.webhook_url, secret_token=webhook_secret(settings),
                                allowed_updates=Update.ALL_TYPES)
    else:
        log.info("starting in long-polling mode")
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0
