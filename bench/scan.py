"""Tick and scan at a size: the real application in this process (bot.app.build_application, running),
the test clock moved by hand, `bot.scheduler.tick` timed.

At N seeded binômes: the first tick (a scan that also writes everyone's next check-ins), idle ticks
(5 s apart, nothing due, no scan), the 15-minute scan with nothing changed, then with 1% of the binômes
changed (each mentee marks an action done through storage.plans.change_status, as the /plan button does;
the dirty listener marks those binômes, nothing here sets a mark). Meanwhile a mentee sends `/plan` every 100 ms
from before the scan starts until it ends: the replies' latencies say whether the chat waits for the
scheduler (the local Bot API runs in the same event loop, so a blocked loop delays the answer exactly
as a person would see it).
"""
from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

import conversations  # noqa: F401  (registers the renderers, as the application does)
from bench.proc import TOKEN, percentile
from bench.seed import seed, telegram_id
from bot import sender
from bot.app import build_application, running
from bot.clock import ManualClock
from bot.i18n import load_all
from bot.pacing import ChatPacer
from bot.scheduler import tick
from bot.services import Services
from bot.settings import load_settings
from localapi import LocalBotApi
from storage import plans
from storage.db import make_engine, session_scope
from storage.models import ActionStatus, Binome, PlanAction

IDLE_TICKS = 5


class _Unpaced(ChatPacer):
    """The local Bot API enforces no limit in this scenario: no per-chat second to keep (as tests/conftest.py)."""

    async def wait(self, chat_id: int) -> None:
        return None


SENDING = {"seconds": 0.0}
_real_send_due = sender.send_due


async def _timed_send_due(*args, **kwargs):
    started = time.perf_counter()
    try:
        return await _real_send_due(*args, **kwargs)
    finally:
        SENDING["seconds"] += time.perf_counter() - started


async def _timed_tick(application) -> tuple[float, float, int]:
    """(whole tick, tick without delivering the outbox, messages sent)."""
    SENDING["seconds"] = 0.0
    sender.send_due = _timed_send_due
    try:
        started = time.perf_counter()
        sent = await tick(application)
        whole = time.perf_counter() - started
    finally:
        sender.send_due = _real_send_due
    return whole, whole - SENDING["seconds"], sent


async def _scan_with_pings(application, user, clock: ManualClock) -> dict:
    """A scan 15 minutes after the last one, with /plan sent every 100 ms while it runs."""
    pings: list[tuple[float, float]] = []  # (sent, answered)
    done, in_flight = asyncio.Event(), asyncio.Event()

    async def pinger() -> None:
        while not done.is_set():
            user.skip_to_end()
            started = time.perf_counter()
            await user.send("/plan")
            in_flight.set()
            await user.wait_for_message(timeout=3600)
            in_flight.clear()
            pings.append((started, time.perf_counter()))

    clock.advance(timedelta(minutes=15))
    task = asyncio.create_task(pinger())
    while not pings:
        await asyncio.sleep(0.01)
    await in_flight.wait()  # the scan starts while a /plan waits for its answer
    started = time.perf_counter()
    whole, scan, _ = await _timed_tick(application)
    ended = time.perf_counter()
    done.set()
    await task
    during = [answered - sent for sent, answered in pings if sent < ended and answered > started]
    return {"seconds": scan, "tick_seconds": whole, "plan_replies": len(during),
            "plan_p50_ms": percentile(during, 0.5) * 1000, "plan_p99_ms": percentile(during, 0.99) * 1000,
            "plan_max_ms": max(during, default=float("nan")) * 1000}


def _change(url: str, seeded, share: float, now: datetime) -> dict:
    """`share` of the binômes change the way the bot changes them: each mentee marks their action in
    progress as done (storage.plans.change_status, what the /plan button calls), in one ORM session, so the
    dirty listener (storage/dirty.py) marks the binôme as any change does. Returns the binômes changed
    and the dirty marks counted before and after (the marks are the bot's, never set here)."""
    engine = make_engine(url)
    count = max(1, int(seeded.binomes * share))
    step = max(1, seeded.binomes // count)
    indexes = list(range(0, seeded.binomes, step))[:count]
    dirty = select(func.count()).select_from(Binome).where(Binome.signals_dirty)
    with session_scope(engine) as session:
        before = session.execute(dirty).scalar_one()
        for index in indexes:
            action_id = session.execute(select(PlanAction.id).where(
                PlanAction.binome_id == seeded.binome_id(index),
                PlanAction.status == ActionStatus.IN_PROGRESS)).scalars().first()
            plans.change_status(session=session, action_id=action_id, participant_id=seeded.mentee_id(index),
                             status=ActionStatus.DONE, now=now)
    with session_scope(engine) as session:
        after = session.execute(dirty).scalar_one()
    engine.dispose()
    return {"changed": len(indexes), "dirty_before": before, "dirty_after": after}


async def run(size: int, database_url: str | None = None) -> dict:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    load_all()
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{Path(folder) / f'scan-{size}.sqlite3'}"
        seeded = seed(url, size, now=now)
        result: dict = {"binomes": size, "seed_seconds": seeded.seconds, "seeded_rows": sum(seeded.rows.values())}
        engine = make_engine(url)
        clock = ManualClock(now)
        async with LocalBotApi(token=TOKEN, bot_username="binome_bench_bot") as server:
            user = server.user(user_id=telegram_id(0, "mentee"), first_name="Amina0", language_code="fr")
            user.open_chat()
            settings = load_settings(_env_file=None, TELEGRAM_BOT_TOKEN=server.token,
                                     TELEGRAM_API_URL=server.base_url, DATABASE_URL=url, TICK_SECONDS=3600)
            services = Services(settings=settings, engine=engine, clock=clock, pacer=_Unpaced())
            async with running(build_application(services)) as application:
                whole, result["first_scan_seconds"], result["first_scan_sent"] = await _timed_tick(application)
                result["first_tick_seconds"] = whole
                idle = []
                for _ in range(IDLE_TICKS):
                    clock.advance(timedelta(seconds=5))
                    idle.append((await _timed_tick(application))[0])
                result["idle_tick_ms"] = percentile(idle, 0.5) * 1000
                result["scan_unchanged"] = await _scan_with_pings(application, user, clock)
                changed = _change(url, seeded, 0.01, clock.now())
                result["changed_binomes"] = changed["changed"]
                result["dirty_before_change"], result["dirty_after_change"] = (changed["dirty_before"],
                                                                               changed["dirty_after"])
                clock.advance(timedelta(minutes=15))
                _, result["scan_changed_seconds"], _ = await _timed_tick(application)
        engine.dispose()
    return result
