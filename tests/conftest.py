"""Fixtures: a database, the one clock, the local Bot API, and the real bot talking HTTP to it.

Real time is spent only where it is what a test is about: the database is migrated once per
session (the real alembic upgrade) and copied for each test; `server.settle()` knows when the
in-process bot has handled everything instead of waiting for a quiet period; per-chat pacing is
real only while the local Bot API enforces Telegram's per-chat limit.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from telegram.ext import Application

from bot.app import build_application, running, tick
from bot.clock import ManualClock
from bot.i18n import load_all
from bot.pacing import ChatPacer
from bot.services import Services
from bot.settings import load_settings
from localapi import LocalBotApi
from storage.db import make_engine, session_scope, upgrade

START = datetime(2026, 9, 7, 8, 0, tzinfo=timezone.utc)  # a Monday, 10:00 in Brussels


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def database_path(tmp_path) -> Path:
    return tmp_path / "binome.sqlite3"


@pytest.fixture
def database_url(database_path) -> str:
    return f"sqlite:///{database_path}"


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory) -> Path:
    """A database brought to head by the real migrations, once per session, closed and checkpointed.

    tests/test_database.py still runs the upgrade itself on empty databases.
    """
    path = tmp_path_factory.mktemp("migrated") / "binome.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture
def engine(database_path, database_url, migrated_database):
    shutil.copyfile(migrated_database, database_path)
    engine = make_engine(database_url)
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


class PacedLikeTheServer(ChatPacer):
    """Paces each chat for real while the local Bot API enforces Telegram's per-chat limit
    (`server.set_rate_limits`, tests/test_delivery.py); otherwise there is no limit to keep and a
    real second per message would prove nothing."""

    def __init__(self, server: LocalBotApi) -> None:
        super().__init__()
        self.server = server

    async def wait(self, chat_id: int) -> None:
        if self.server.rate_limiter.per_chat_per_second:
            await super().wait(chat_id)


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
    services = Services(settings=settings, engine=engine, clock=clock, pacer=PacedLikeTheServer(server))
    async with running(build_application(services)) as application:
        server.attach_application(application)  # settle() waits on it, not on a quiet period
        yield Harness(server, application, services, clock)
        server.attach_application(None)


def postgres_url() -> str | None:
    """The test PostgreSQL (BINOME_TEST_POSTGRES_URL), or None on a machine without one; in CI its
    absence is a failure, never a silent skip (.ci/run starts one)."""
    url = os.environ.get("BINOME_TEST_POSTGRES_URL")
    if not url and os.environ.get("CI"):
        pytest.fail("CI must provide BINOME_TEST_POSTGRES_URL (see .ci/run)")
    return url or None


def require_postgres_url() -> str:
    url = postgres_url()
    if url is None:
        pytest.skip("no PostgreSQL here: set BINOME_TEST_POSTGRES_URL=postgresql://… to run this test")
    return url


def require_libreoffice() -> str:
    """LibreOffice's `soffice`, for the tests that convert the report's XLSX; skipped on a machine without
    it, except in CI, where its absence is a failure (.ci/run installs it)."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have LibreOffice (see .ci/run: libreoffice-calc-nogui)")
        pytest.skip("no LibreOffice here: apt-get install libreoffice-calc-nogui to run this test")
    return found


CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def require_chromium() -> tuple[str, str]:
    """Debian's chromium and its driver, for the coordinator's page in a real browser (tests/test_miniapp_browser.py);
    skipped on a machine without them, except in CI, where their absence is a failure (.ci/run installs them).
    Nothing downloads a browser: selenium is given both paths."""
    found = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    driver = shutil.which("chromedriver") or (CHROMEDRIVER if Path(CHROMEDRIVER).exists() else None)
    if found is None or driver is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have chromium and chromium-driver (see .ci/run)")
        pytest.skip("no chromium here: apt-get install chromium chromium-driver to run this test")
    return found, driver
