"""The one place that wires the application: builder, services, handlers, scheduled tick."""
from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes

import conversations
from bot.scheduler import tick
from bot.commands import publish_default_menus
from bot.context import BotContext
from bot.services import Services

log = logging.getLogger(__name__)


def file_url_for(api_url: str) -> str:
    """Telegram serves files at /file/bot<token>/… beside /bot<token>/…"""
    if api_url.endswith("/bot"):
        return api_url[: -len("/bot")] + "/file/bot"
    return api_url.rstrip("/") + "/file/bot"


OVERALL_RATE = 29  # messages per second: just under Telegram's ~30/s


def telegram_rate_limiter() -> AIORateLimiter:
    """Smooth pacing (a burst of one every 1/29 s) rather than bursts of 30: requests reach Telegram
    with some jitter, and evenly spaced sends leave its bucket the slack to absorb it."""
    return AIORateLimiter(overall_max_rate=1, overall_time_period=1 / OVERALL_RATE, max_retries=2)


def build_application(services: Services, *, token: str | None = None, api_url: str | None = None) -> Application:
    settings = services.settings
    api_url = api_url or settings.telegram_api_url
    application = (
        ApplicationBuilder()
        .token(token or settings.telegram_bot_token)
        .base_url(api_url)
        .base_file_url(file_url_for(api_url))
        .context_types(ContextTypes(context=BotContext))
        .rate_limiter(telegram_rate_limiter())
        .concurrent_updates(False)  # conversations assume one update at a time
        .post_init(start_services)
        .build()
    )
    application.bot_data["services"] = services
    conversations.register(application)
    return application


async def start_services(application: Application) -> None:
    """What `post_init` does; tests that drive the application themselves call it too."""
    services: Services = application.bot_data["services"]
    await publish_default_menus(application.bot, services.settings.default_language)
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            _tick_job, interval=services.settings.tick_seconds, first=services.settings.tick_seconds,
            name="tick")


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
        await application.shutdown()


async def _tick_job(context: BotContext) -> None:
    await tick(context.application)
