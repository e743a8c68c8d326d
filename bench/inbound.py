"""Inbound: people writing to the bot, the real `binome run` against the bare echo bot (bench/echo.py),
both in their own process against the same local Bot API in this one, with no flood limits: the local
Bot API enforces none and the bot runs with SEND_RATE=LIMITS_OFF (its own budget, 29/s for Telegram,
would otherwise pace the burst and the one-at-a-time replies), so both figures compare the bot's own
work with python-telegram-bot's.

The bot's update is `/plan` from a mentee (it reads the plan and replies; the gatekeeper writes the
update id); the echo bot's a text it repeats. Two passes each: one at a time (a person writes, waits
for the answer, the next writes: the latency p50/p99 and msg/s) and a burst (every update queued at
once: throughput and the process's CPU seconds per update, from /proc, user + system).
"""
from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from bench.proc import TOKEN, BotProcess, Recorder, percentile, reply_latency
from bench.seed import seed, telegram_id
from localapi import LocalBotApi

PEOPLE = 50
LIMITS_OFF = 100_000  # SEND_RATE, messages a second: never reached here


async def _pass(server: LocalBotApi, recorder: Recorder, bot: BotProcess, users: list, text: str,
                count: int) -> dict:
    await bot.polling()
    # warm-up: every person once (imports, first queries, connection pool)
    for user in users:
        await reply_latency(user, lambda u=user: u.send(text), timeout=60)
    latencies = []
    started = time.perf_counter()
    for n in range(count):
        user = users[n % len(users)]
        latencies.append(await reply_latency(user, lambda u=user: u.send(text), timeout=60))
    one_at_a_time = time.perf_counter() - started
    before_sends, before_cpu = recorder.count("sendMessage"), bot.cpu_seconds()
    started = time.perf_counter()
    for n in range(count):
        await users[n % len(users)].send(text)
    while recorder.count("sendMessage") < before_sends + count:
        if time.perf_counter() - started > 600:
            raise TimeoutError("burst not answered")
        await asyncio.sleep(0.005)
    burst = time.perf_counter() - started
    await asyncio.sleep(0.3)  # let the process finish the last update's bookkeeping before reading its CPU
    cpu = bot.cpu_seconds() - before_cpu
    return {"updates": count, "p50_ms": percentile(latencies, 0.5) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000, "one_at_a_time_per_s": count / one_at_a_time,
            "burst_per_s": count / burst, "cpu_ms_per_update": cpu / count * 1000,
            "replies": recorder.count("sendMessage") - before_sends}


async def run(count: int, database_url: str | None = None) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{Path(folder) / 'inbound.sqlite3'}"
        people = min(PEOPLE, count)
        seed(url, people, now=datetime.now(timezone.utc))
        results = {}
        for name, module, args, text, env in (("binome", "bot", ("run",), "/plan", {"SEND_RATE": str(LIMITS_OFF)}),
                                              ("echo", "bench.echo", (), "hello", {})):
            async with LocalBotApi(token=TOKEN, bot_username="binome_bench_bot") as server:
                recorder = Recorder(server)
                users = [server.user(user_id=telegram_id(i, "mentee"), first_name=f"Amina{i}", language_code="fr")
                         for i in range(people)]
                for user in users:
                    user.open_chat()
                bot = BotProcess(server, url, module=module, args=args, env=env)
                try:
                    results[name] = await _pass(server, recorder, bot, users, text, count)
                finally:
                    await bot.stop()
        b, e = results["binome"], results["echo"]
        results["throughput_ratio"] = b["burst_per_s"] / e["burst_per_s"]
        results["cpu_ratio"] = b["cpu_ms_per_update"] / e["cpu_ms_per_update"]
        results["send_rate"] = LIMITS_OFF
        return results
