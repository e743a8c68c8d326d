"""How long does one send take at Telegram's limit, as python-telegram-bot's HTTPXRequest sees it?

The figure that decides the client's time-outs (bot/app.py): a send that Telegram performs but answers
after the read time-out is retried by the outbox and arrives twice, so the read time-out must sit far
above what a send takes when the bot is sending as fast as it may.

    .venv/bin/python -m bench.send_latency            # 1,000 messages to 500 chats
    .venv/bin/python -m bench.send_latency --messages 200 --latency-ms 150

It queues due outbox messages (two per person, like tests/test_delivery.py), runs one tick of the real
application against the local Bot API enforcing 30 messages/s overall and 1/s per chat, and times each
`HTTPXRequest.do_request` (the HTTP exchange only: the rate limiter's waiting happens before it) and
each whole `send_message` call (queueing in the rate limiter and the pacer included). `--latency-ms`
makes the server answer each send that much later, to stand in for the network to Telegram; the
local server alone answers in milliseconds, so its figures are a floor, not Telegram's.
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from telegram import Bot
from telegram.request import HTTPXRequest

import conversations  # noqa: F401  (registers the renderers, as the application does)
from bot.app import build_application, running
from bot.clock import ManualClock
from bot.i18n import load_all
from bot.scheduler import tick
from bot.services import Services
from bot.settings import load_settings
from localapi import LocalBotApi
from storage import outbox
from storage.db import make_engine, session_scope, upgrade
from storage.models import Binome, Participant, ParticipantStatus, Role
from storage.programmes import create_programme

START = datetime(2026, 9, 7, 8, 0, tzinfo=timezone.utc)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def describe(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (f"{name}: n={len(ms)} p50={statistics.median(ms):.1f} ms p99={percentile(ms, 0.99):.1f} ms "
            f"max={max(ms):.1f} ms")


def seed(engine, server: LocalBotApi, clock: ManualClock, messages: int) -> None:
    """messages/2 people in pairs, each linked to a simulated phone, each with two messages due now."""
    now = clock.now()
    with session_scope(engine) as session:
        programme = create_programme(session=session, name="Bench", now=now)
        people = []
        for index in range(max(1, messages // 4)):
            pair = []
            for role, name in ((Role.MENTOR, f"Marc{index}"), (Role.MENTEE, f"Amina{index}")):
                user = server.user(first_name=name, language_code="fr")
                user.open_chat()
                person = Participant(programme_id=programme.id, role=role, first_name=name, language="fr",
                                     import_key=f"bench|{index}|{role}", created_at=now,
                                     telegram_user_id=user.id, telegram_chat_id=user.id,
                                     status=ParticipantStatus.ACTIVE, consent_at=now, linked_at=now,
                                     onboarded_at=now)
                session.add(person)
                pair.append(person)
            session.flush()
            session.add(Binome(programme_id=programme.id, label=f"B{index:04d}", mentor_id=pair[0].id,
                               mentee_id=pair[1].id, started_on=now.date(), planned_end_on=now.date(),
                               created_at=now))
            people.append(pair)
        for mentor, mentee in people:
            for recipient, about in ((mentor, mentee), (mentee, mentor)):
                for n in range(2):
                    outbox.enqueue(session=session, participant_id=recipient.id, kind="partner_joined",
                                   key=f"bench:{recipient.id}:{n}", due_at=now, now=now,
                                   params={"participant_id": about.id})


async def measure(messages: int, latency_ms: float) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"http": [], "call": []}
    real_do_request, real_send = HTTPXRequest.do_request, Bot.send_message

    async def timed_request(self, url, method, *args, **kwargs):
        started = time.perf_counter()
        try:
            return await real_do_request(self, url, method, *args, **kwargs)
        finally:
            if url.endswith("/sendMessage"):
                timings["http"].append(time.perf_counter() - started)

    async def timed_send(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return await real_send(self, *args, **kwargs)
        finally:
            timings["call"].append(time.perf_counter() - started)

    load_all()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        engine = make_engine(url)
        upgrade(engine)
        clock = ManualClock(START)
        async with LocalBotApi(token="123456:BENCH-TOKEN", bot_username="binome_bench_bot") as server:
            server.set_rate_limits(global_per_second=30, per_chat_per_second=1, burst=3)
            if latency_ms:
                server.inject_fault("slow", method="sendMessage", times=10 ** 9, delay=latency_ms / 1000)
            settings = load_settings(_env_file=None, TELEGRAM_BOT_TOKEN=server.token,
                                     TELEGRAM_API_URL=server.base_url, DATABASE_URL=url, TICK_SECONDS=3600)
            services = Services(settings=settings, engine=engine, clock=clock)
            seed(engine, server, clock, messages)
            HTTPXRequest.do_request, Bot.send_message = timed_request, timed_send
            try:
                async with running(build_application(services)) as application:
                    started = time.perf_counter()
                    sent = await tick(application)
                    elapsed = time.perf_counter() - started
            finally:
                HTTPXRequest.do_request, Bot.send_message = real_do_request, real_send
            print(f"{sent} messages in {elapsed:.1f} s ({sent / elapsed:.1f}/s), 429s: {server.stats['429']}")
        engine.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=0.0,
                        help="answer each sendMessage this much later (the network to Telegram)")
    args = parser.parse_args()
    timings = asyncio.run(measure(args.messages, args.latency_ms))
    print(describe("HTTP request (HTTPXRequest.do_request, sendMessage)", timings["http"]))
    print(describe("whole send_message call (rate limiter and pacing included)", timings["call"]))


if __name__ == "__main__":
    main()
