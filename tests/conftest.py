"""Fixtures: a database, the one clock, the local Bot API, and the real bot talking HTTP to it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
from telegram.ext import Application

from bot.app import build_application, running, tick
from bot.clock import ManualClock
from bot.i18n import load_all
from bot.localapi import LocalBotApi
from bot.services import Services
from bot.settings import load_settings
from storage.db import make_engine, session_scope, upgrade

START = datetime(2026, 9, 7, 8, 0, tzinfo=timezone.utc)  # a Monday, 10:00 in Brussels


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def database_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'binome.sqlite3'}"


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    """A unit of work for arranging and checking data; committed when the block ends."""
    return lambda: session_scope(engine)


@pytest.fixture
async def server():
    async with LocalBotApi(token="123456:LOCAL-TEST-TOKEN", bot_username="binome_test_bot") as api:
        yield api


@dataclass
class Harness:
    server: LocalBotApi
    application: Application
    services: Services
    clock: ManualClock

    async def tick(self) -> int:
        """Run the scheduler's tick now, at the test clock's time, and let the replies arrive."""
        sent = await tick(self.application)
        await self.server.settle()
        return sent


@pytest.fixture
async def harness(server, engine, clock, database_url):
    load_all()
    settings = load_settings(_env_file=None, TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_API_URL=server.base_url,
                             DATABASE_URL=database_url, TICK_SECONDS=3600)
    services = Services(settings=settings, engine=engine, clock=clock)
    async with running(build_application(services)) as application:
        yield Harness(server, application, services, clock)
