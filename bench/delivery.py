"""The real `binome run` in its own process, started on a seeded database (bench/seed.py).

startup: N binômes, ten mentees' check-ins due a minute ago: seconds from starting the process to the
first check-in received, and the process's peak RSS (VmHWM) once they are all sent (its first tick,
a scan of every binôme, is behind them).

fanout: F check-ins due now (one per person), queued once the process's first scan of the seeded
binômes is over (the scan is not the sender's work), through the local Bot API enforcing Telegram's limits
(30/s overall, 1/s per chat): seconds from the first to the last received against the F ÷ 30 floor,
429 refusals, duplicates (a chat receiving its one check-in twice), the process's CPU per message;
a third of the way through, a person outside the fan-out sends /plan (its reply's latency) and an
absence warning is queued for a mentor outside it (its delay until received). Baseline: the bare
python-telegram-bot send loop (bench/echo.py send-loop) sending F messages, no limits, CPU per message.
"""
from __future__ import annotations

import asyncio
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import text

import storage.checkin_rhythm  # noqa: F401  (declares the kinds the benchmark queues)
import storage.meeting_messages  # noqa: F401
from bench.proc import TOKEN, BotProcess, Recorder
from bench.seed import due_checkins, open_checkins_in_outbox, seed, telegram_id
from localapi import LocalBotApi
from storage import outbox
from storage.db import make_engine, session_scope

DUE = 10
RATE = 30


async def startup(size: int, database_url: str | None = None) -> dict:
    now = datetime.now(timezone.utc)
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{Path(folder) / f'startup-{size}.sqlite3'}"
        seeded = seed(url, size, now=now)
        due_checkins(url, seeded, range(min(DUE, size)), due_at=now - timedelta(minutes=1), now=now)
        async with LocalBotApi(token=TOKEN, bot_username="binome_bench_bot") as server:
            recorder = Recorder(server)
            chats = set()
            for i in range(min(DUE, size)):
                server.user(user_id=telegram_id(i, "mentee"), first_name=f"Amina{i}", language_code="fr").open_chat()
                chats.add(telegram_id(i, "mentee"))
            bot = BotProcess(server, url, tick_seconds=5)
            try:
                polling = await bot.polling(timeout=600)
                first = None
                deadline = time.perf_counter() + 3600
                while True:
                    received = [at for at, chat, _ in recorder.sends() if chat in chats]
                    if first is None and received:
                        first = received[0] - bot.started
                    if len(received) >= len(chats) or time.perf_counter() > deadline:
                        break
                    if bot.process.poll() is not None:
                        raise RuntimeError(bot.stderr_tail())
                    await asyncio.sleep(0.05)
                peak = bot.peak_rss_mb()
            finally:
                await bot.stop()
    return {"binomes": size, "polling_after_s": polling, "first_checkin_s": first,
            "checkins_received": len(received), "checkins_due": len(chats), "peak_rss_mb": peak}


def _absence_warning(url: str, seeded, index: int, now: datetime) -> None:
    engine = make_engine(url)
    with session_scope(engine) as session:
        meeting = session.execute(text("SELECT id FROM meeting WHERE binome_id = :b ORDER BY id DESC LIMIT 1"),
                                  {"b": seeded.binome_id(index)}).scalar()
        outbox.enqueue(session=session, participant_id=seeded.mentor_id(index), kind="absence_warning",
                       key=f"meeting:{meeting}:absence:{seeded.mentee_id(index)}:bench", due_at=now, now=now,
                       params={"meeting_id": meeting, "absent": seeded.mentee_id(index), "reason": "ill"})
    engine.dispose()


async def fanout(count: int, database_url: str | None = None) -> dict:
    count += count % 2
    now = datetime.now(timezone.utc)
    pairs = count // 2
    with tempfile.TemporaryDirectory() as folder:
        url = database_url or f"sqlite:///{Path(folder) / f'fanout-{count}.sqlite3'}"
        seeded = seed(url, pairs + 1, now=now)  # the last pair stays out of the fan-out
        recipients = [pid for i in range(pairs) for pid in (seeded.mentor_id(i), seeded.mentee_id(i))]
        priority = getattr(outbox.KINDS["checkin"], "priority", None)
        async with LocalBotApi(token=TOKEN, bot_username="binome_bench_bot") as server:
            recorder = Recorder(server)
            chats = {telegram_id(i, role) for i in range(pairs) for role in ("mentor", "mentee")}
            for i in range(pairs + 1):
                for role in ("mentor", "mentee"):
                    server.user(user_id=telegram_id(i, role), first_name=role, language_code="fr").open_chat()
            outsider = next(u for u in server.users if u.id == telegram_id(pairs, "mentee"))
            mentor_chat = telegram_id(pairs, "mentor")
            server.set_rate_limits(global_per_second=RATE, per_chat_per_second=1, burst=3)
            bot = BotProcess(server, url, tick_seconds=1)
            reply_ms = warning_s = None
            try:
                await bot.polling(timeout=120)
                # The process's first scan (every seeded binôme is marked to be looked at) is not the
                # sender's work: the fan-out is queued once it is over, and its CPU counted from then.
                scan_seconds = await _first_scan_done(url, bot)
                queued = open_checkins_in_outbox(url, seeded, recipients, now=datetime.now(timezone.utc),
                                                 priority=priority)
                cpu_start = None
                deadline = time.perf_counter() + max(120, count / RATE * 4)
                warned_at = pinged = None
                while time.perf_counter() < deadline:
                    received = [at for at, chat, _ in recorder.sends() if chat in chats]
                    if received and cpu_start is None:
                        cpu_start = bot.cpu_seconds()
                    if pinged is None and len(received) >= count // 3:
                        outsider.skip_to_end()
                        pinged = time.perf_counter()
                        await outsider.send("/plan")
                        _absence_warning(url, seeded, pairs, datetime.now(timezone.utc))
                        warned_at = time.perf_counter()
                    if pinged is not None and reply_ms is None and outsider.messages[outsider._cursor:]:
                        reply_ms = (time.perf_counter() - pinged) * 1000
                    if warned_at is not None and warning_s is None and any(
                            chat == mentor_chat for _, chat, _ in recorder.sends()):
                        warning_s = time.perf_counter() - warned_at
                    if len(received) >= count and reply_ms is not None and warning_s is not None:
                        break
                    await asyncio.sleep(0.01)
                cpu = bot.cpu_seconds() - (cpu_start or 0)
            finally:
                await bot.stop()
            sends = [(at, chat) for at, chat, _ in recorder.sends() if chat in chats]
            per_chat = Counter(chat for _, chat in sends)
            refused = sum(1 for _, name, _, status in recorder.events if name == "sendMessage" and status == 429)
        baseline = await _send_loop(count)
    seconds = sends[-1][0] - sends[0][0] if sends else float("nan")
    floor = count / RATE
    cpu_ms = cpu / max(1, len(sends)) * 1000
    return {"queued": queued, "sent": len(per_chat), "received": len(sends), "seconds": seconds,
            "floor_seconds": floor, "ratio_to_floor": seconds / floor, "refused_429": refused,
            "duplicates": sum(n - 1 for n in per_chat.values() if n > 1), "cpu_ms_per_message": cpu_ms,
            "send_loop_cpu_ms_per_message": baseline, "cpu_ratio": cpu_ms / baseline,
            "reply_during_fanout_ms": reply_ms, "absence_warning_delay_s": warning_s,
            "first_scan_seconds_before_fanout": scan_seconds}


async def _first_scan_done(url: str, bot: BotProcess) -> float:
    """Seconds until no binôme is left for the first scan to look at, and a tick more for its last steps."""
    engine = make_engine(url)
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < 600:
            with engine.connect() as connection:
                if not connection.execute(text("SELECT count(*) FROM binome WHERE signals_dirty")).scalar():
                    break
            if bot.process.poll() is not None:
                raise RuntimeError(bot.stderr_tail())
            await asyncio.sleep(0.2)
    finally:
        engine.dispose()
    await asyncio.sleep(2.0)
    return time.perf_counter() - started


async def _send_loop(count: int) -> float:
    """CPU ms per message of a bare python-telegram-bot loop sending `count` messages, no limits."""
    async with LocalBotApi(token=TOKEN, bot_username="binome_bench_bot") as server:
        recorder = Recorder(server)
        chats = [server.user(first_name="Echo").id for _ in range(min(count, 500))]
        for user in server.users:
            user.open_chat()
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "cpu"
            bot = BotProcess(server, "sqlite://", module="bench.echo", args=("send-loop", str(count)),
                             env={"BENCH_CHATS": ",".join(map(str, chats)), "BENCH_OUT": str(out)})
            while bot.process.poll() is None:
                await asyncio.sleep(0.02)
            await bot.stop()
            cpu = float(out.read_text())
        sent = recorder.count("sendMessage")
    return cpu / max(1, sent) * 1000
