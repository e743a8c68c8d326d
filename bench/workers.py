"""Several `binome run` on one PostgreSQL database, the leader killed with SIGKILL.

Needs a PostgreSQL URL (--database-url); otherwise it says why it was skipped. W workers run as
tests/test_workers.py runs them: in webhook mode (one long-polling `binome run` per database is all
PostgreSQL allows, bot/runner.py) behind localapi.balancer.Balancer, on a database seeded with M check-ins
due now (one per person), LEADER_RETRY_SECONDS at its default. The leader is the worker whose INFO line
"this worker (pid N) leads the scheduler and the sender" names its own pid; once a third of the
check-ins have arrived it is killed with SIGKILL (no clean-up of any kind), and at that moment the rows it
had claimed and not sent are counted (claimed_by names its pid). Measured from the kill: the next
worker's "leads" line (take-over), its first message received, its first scan's "scan: " summary (logged
when that first tick ends, after it has sent the backlog nobody held), the last check-in received, and duplicates (a chat receiving its one check-in twice,
counted after three more ticks). The dead leader's claimed rows wait for their lease
(bot.sender.CLAIM_LEASE) before the new leader may take them: the last check-in comes about that long
after the kill, and `claimed_by_dead_leader` says how many waited. Six people then write /help through
the balancer: each is answered once by the workers left.
"""
from __future__ import annotations

import asyncio
import re
import signal
import socket
import time
from collections import Counter
from datetime import datetime, timezone

from sqlalchemy import text

import storage.checkin_rhythm  # noqa: F401  (declares the check-in kind whose priority the rows take)
from bench.proc import TOKEN, BotProcess, Recorder
from bench.seed import open_checkins_in_outbox, seed, telegram_id
from bot.sender import CLAIM_LEASE
from localapi import LocalBotApi
from localapi.balancer import Balancer
from storage import outbox
from storage.db import make_engine

LEADS = re.compile(r"this worker \(pid (\d+)\) leads the scheduler and the sender")
TICK_SECONDS = 1.0
VISITORS = 6


def skipped(database_url: str | None) -> str | None:
    if not database_url or not database_url.startswith(("postgresql", "postgres:")):
        return "skipped: needs a PostgreSQL database (--database-url postgresql://…)"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def leaders(bots: list[BotProcess]) -> list[tuple[float, BotProcess]]:
    """(when it said so, the worker) for each worker whose log says it leads, naming its own pid."""
    found = []
    for bot in bots:
        for at, line in list(bot.lines):
            match = LEADS.search(line)
            if match and int(match.group(1)) == bot.pid:
                found.append((at, bot))
    return sorted(found, key=lambda pair: pair[0])


def claimed_by(database_url: str, pid: int) -> int:
    """Rows claimed by that process (its worker id is host:pid:random) and neither sent nor dropped."""
    engine = make_engine(database_url)
    with engine.connect() as connection:
        held = connection.execute(text(
            "SELECT count(*) FROM outbound_message WHERE sent_at IS NULL AND dropped_at IS NULL "
            "AND claimed_by LIKE :worker"), {"worker": f"%:{pid}:%"}).scalar_one()
    engine.dispose()
    return held


async def run(workers: int, count: int, database_url: str | None) -> dict:
    reason = skipped(database_url)
    if reason:
        return {"workers": workers, "skipped": reason}
    now = datetime.now(timezone.utc)
    pairs = max(1, count // 2)
    seeded = seed(database_url, pairs, now=now)
    recipients = [pid for i in range(pairs) for pid in (seeded.mentor_id(i), seeded.mentee_id(i))]
    priority = getattr(outbox.KINDS["checkin"], "priority", None)
    queued = open_checkins_in_outbox(database_url, seeded, recipients, now=now, priority=priority)
    chats = {telegram_id(i, role) for i in range(pairs) for role in ("mentor", "mentee")}
    result: dict = {"workers": workers, "queued": queued, "leader_retry_seconds": 2.0,
                    "claim_lease_seconds": CLAIM_LEASE.total_seconds()}
    async with LocalBotApi(token=TOKEN, bot_username="binome_bench_bot") as server:
        recorder = Recorder(server)
        for i in range(pairs):
            for role in ("mentor", "mentee"):
                server.user(user_id=telegram_id(i, role), first_name=role, language_code="fr").open_chat()
        ports = [free_port() for _ in range(workers)]
        async with Balancer([f"http://127.0.0.1:{port}" for port in ports]) as balancer:
            env = {"WEBHOOK_URL": f"{balancer.url}/telegram", "WEBHOOK_SECRET": "shared-by-the-bench-workers",
                   "LOG_LEVEL": "INFO"}
            bots = [BotProcess(server, database_url, tick_seconds=TICK_SECONDS,
                               env={**env, "WEBHOOK_PORT": str(port)}) for port in ports]
            try:
                result.update(await _kill_the_leader(server, recorder, bots, chats, database_url, queued))
                visitors = [server.user(first_name=f"Eve{n}", language_code="en") for n in range(VISITORS)]
                for visitor in visitors:
                    await visitor.send("/help")
                    await visitor.wait_for_message(timeout=30)
                await asyncio.sleep(3 * TICK_SECONDS)  # three more ticks: anything sent twice shows now
                result["visitors_answered"] = sum(len(v.messages) == 1 for v in visitors)
                result["visitors"] = VISITORS
                result["workers_that_answered"] = len(balancer.served)
            finally:
                for bot in bots:
                    await bot.stop()
        per_chat = Counter(chat for _, chat, _ in recorder.sends() if chat in chats)
    result.update(received=sum(per_chat.values()), sent=len(per_chat),
                  duplicates=sum(n - 1 for n in per_chat.values() if n > 1),
                  refused=recorder.count("sendMessage", status=None) - recorder.count("sendMessage"))
    return result


async def _kill_the_leader(server, recorder: Recorder, bots: list[BotProcess], chats: set[int], database_url: str,
                           queued: int) -> dict:
    deadline = time.perf_counter() + 120
    while len(server.calls("setWebhook")) < len(bots):  # every worker serves its webhook
        for bot in bots:
            if bot.process.poll() is not None:
                raise RuntimeError(f"a worker exited with {bot.process.returncode}: {bot.stderr_tail()}")
        if time.perf_counter() > deadline:
            raise TimeoutError("the workers never set their webhook")
        await asyncio.sleep(0.05)

    def received() -> list[float]:
        return [at for at, chat, _ in recorder.sends() if chat in chats]

    while len(received()) < max(1, queued // 3):
        if time.perf_counter() > deadline:
            raise TimeoutError(f"{len(received())} of {queued} check-ins before the kill")
        await asyncio.sleep(0.01)
    before = leaders(bots)
    if len(before) != 1:
        raise RuntimeError(f"{len(before)} workers say they lead before the kill")
    leader = before[0][1]
    leader.kill(signal.SIGKILL)
    killed_at = time.perf_counter()
    at_kill = len(received())
    held = claimed_by(database_url, leader.pid)  # the dead process commits nothing more
    others = [bot for bot in bots if bot is not leader]
    deadline = killed_at + CLAIM_LEASE.total_seconds() + queued / 25 + 60
    while len(set(_chats(recorder, chats))) < queued and time.perf_counter() < deadline:
        await asyncio.sleep(0.02)
    after = [at for at in received() if at > killed_at]
    new = [(at, bot) for at, bot in leaders(others) if at > killed_at]
    scans = [at for _, bot in new[:1] for at in bot.said("scan: ") if at > killed_at]
    return {"leaders_before_kill": len(before), "received_before_kill": at_kill,
            "claimed_by_dead_leader": held, "new_leaders": len({bot.pid for _, bot in new}),
            "takeover_seconds": new[0][0] - killed_at if new else None,
            "first_scan_after_kill_seconds": scans[0] - killed_at if scans else None,
            "first_send_after_kill_seconds": after[0] - killed_at if after else None,
            "last_send_after_kill_seconds": after[-1] - killed_at if after else None}


def _chats(recorder: Recorder, chats: set[int]) -> list[int]:
    return [chat for _, chat, _ in recorder.sends() if chat in chats]
