"""The one place that wires the application: builder, services, handlers, scheduled tick."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram.ext import Application, ApplicationBuilder, ContextTypes

import conversations
from bot.scheduler import tick
from bot.commands import publish_default_menus, publish_web_menus
from bot.context import BotContext
from bot.rate_limit import PriorityRateLimiter
from bot.services import Services
from bot.settings import Settings
from miniapp.server import WebServer

log = logging.getLogger(__name__)


def file_url_for(api_url: str) -> str:
    """Telegram serves files at /file/bot<token>/… beside /bot<token>/…"""
    if api_url.endswith("/bot"):
        return api_url[: -len("/bot")] + "/file/bot"
    return api_url.rstrip("/") + "/file/bot"


def telegram_rate_limiter(settings: Settings) -> PriorityRateLimiter:
    """One budget just under Telegram's 30/s (SEND_RATE, a burst of 8, which jitter of a few hundred ms
    cannot turn into a refusal), replies to people before the outbox, the outbox's urgent before its
    bulk; 429s pause everything and are retried twice (bot/rate_limit.py)."""
    return PriorityRateLimiter(rate=settings.send_rate, max_retries=2)


# Time-outs of each request to the Bot API. A send Telegram performs but answers after READ_TIMEOUT is
# retried by the outbox and arrives twice, so the read time-out sits far above what a send takes at the
# limit: bench/send_latency.py, 1,000 sends at 30/s through the local Bot API, HTTPXRequest.do_request
# p50 2.3 ms, p99 7.0 ms, max 446 ms (with 250 ms of simulated network: p50 254, p99 262, max 581 ms).
# python-telegram-bot's default (5 s) is ~10x that maximum; 30 s is ~50x and covers Telegram's slow
# moments, at the price of a stuck request holding one of the sender's 16 slots that long. A connection
# or pool time-out means nothing was sent, so those stay short and are simply retried.
READ_TIMEOUT = 30.0
WRITE_TIMEOUT = 30.0  # uploads (the .ics) included: media_write_timeout is set to the same
CONNECT_TIMEOUT = 5.0
POOL_TIMEOUT = 5.0
# Long polling: python-telegram-bot adds the poll's own timeout (10 s) to this read time-out.
GET_UPDATES_READ_TIMEOUT = 10.0


class BinomeApplication(Application):
    """Each update is handled in one database session (`Services.update_scope`): the gatekeeper's read,
    the handler and the processed mark share its connection and what it loaded."""

    async def process_update(self, update: object) -> None:
        services: Services | None = self.bot_data.get("services")
        if services is None:
            await super().process_update(update)
            return
        with services.update_scope():
            await super().process_update(update)


def build_application(services: Services, *, token: str | None = None, api_url: str | None = None) -> Application:
    settings = services.settings
    api_url = api_url or settings.telegram_api_url
    application = (
        ApplicationBuilder()
        .application_class(BinomeApplication)
        .token(token or settings.telegram_bot_token)
        .base_url(api_url)
        .base_file_url(file_url_for(api_url))
        .context_types(ContextTypes(context=BotContext))
        .rate_limiter(telegram_rate_limiter(settings))
        .read_timeout(READ_TIMEOUT).write_timeout(WRITE_TIMEOUT).media_write_timeout(WRITE_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT).pool_timeout(POOL_TIMEOUT)
        .get_updates_read_timeout(GET_UPDATES_READ_TIMEOUT).get_updates_write_timeout(WRITE_TIMEOUT)
        .get_updates_connect_timeout(CONNECT_TIMEOUT).get_updates_pool_timeout(POOL_TIMEOUT)
        .concurrent_updates(False)  # conversations assume one update at a time
        .post_init(start_services)
        .post_shutdown(stop_services)
        .build()
    )
    application.bot_data["services"] = services
    conversations.register(application)
    return application


async def start_services(application: Application) -> None:
    """What `post_init` does; tests that drive the application themselves call it too."""
    services: Services = application.bot_data["services"]
    await publish_default_menus(application.bot, services.settings.default_language)
    if services.settings.uses_web:  # the coordinator's page (docs/miniapp.md), in this process and loop
        web = WebServer(application)
        await web.start()
        application.bot_data["web"] = web
        await publish_web_menus(application.bot, services)
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            _tick_job, interval=services.settings.tick_seconds, first=services.settings.tick_seconds,
            name="tick")
        if "leadership" in application.bot_data:  # several workers on PostgreSQL (bot/runner.py)
            application.job_queue.run_repeating(
                _leader_job, interval=services.settings.leader_retry_seconds,
                first=services.settings.leader_retry_seconds, name="leader")


async def stop_services(application: Application) -> None:
    """What `post_shutdown` does: the page's server stops with the bot."""
    web = application.bot_data.pop("web", None)
    if web is not None:
        await web.stop()


@asynccontextmanager
async def running(application: Application) -> AsyncIterator[Application]:
    """Start the application with long polling as `run_polling` would, without owning the event loop.

    For the demo, tests and benchmarks, which run the local Bot API in the same loop.
    """
    await application.initialize()
    await start_services(application)
    await application.start()
    await application.updater.start_polling(poll_interval=0, timeout=1)
    try:
        yield application
    finally:
        await application.updater.stop()
        await application.stop()
        await stop_services(application)
        await application.shutdown()


async def _tick_job(context: BotContext) -> None:
    """Only the leader ticks (and so sends); in-process use (tests, the demo) has no leadership and
    always ticks. The leader's connection is checked first: lost, it stops leading and skips the tick.

    The tick runs as a task of its own, so the job returns at once: a tick longer than TICK_SECONDS (the
    first scan after a start) no longer makes APScheduler skip runs with a warning each time; while one
    runs, the next runs find it under way and have nothing to do."""
    services: Services = context.application.bot_data["services"]
    if services.tick_lock.locked() or not context.application.running:  # under way, or shutting down
        return
    leadership = context.application.bot_data.get("leadership")
    if leadership is not None and not await leadership.still_leading():
        return
    context.application.create_task(tick(context.application), name="tick")


async def _leader_job(context: BotContext) -> None:
    """Every LEADER_RETRY_SECONDS: a worker that does not lead tries to; the leader checks its connection."""
    await context.application.bot_data["leadership"].try_lead()
