"""Several `binome run` on one database, as real processes against the local Bot API.

On PostgreSQL: two webhook workers behind a load balancer both answer people, only one of them (the
leader, holding an advisory lock) runs the scheduler and the sender, so each due message arrives
exactly once; killed with SIGKILL, the leader is replaced by the other worker within its retry
interval and what falls due next is still sent exactly once. On SQLite: a second `binome run` on the
same database file is refused with one line (docs/scaling.md).
"""
from __future__ import annotations

import asyncio
import signal
import sys
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from bot.clock import SystemClock
from bot.leader import AlreadyRunning, Leadership, only_process
from localapi.balancer import Balancer
from storage import outbox
from storage.db import make_engine, normalise_url, session_scope, upgrade
from tests.conftest import require_postgres_url
from tests.factories import link, make_pair, make_programme
from tests.test_crash import until
from tests.test_processes import binome, clean_env, free_port

PAIRS = 20  # 40 people
NEWS = "Bonne nouvelle : "  # how partner_joined reads in French


class Worker:
    """A `binome run` subprocess whose log lines are read as they come (never left to fill the pipe)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, env: dict[str, str], cwd) -> Worker:
        process = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", env=env, cwd=cwd,
                                                       stdout=asyncio.subprocess.DEVNULL,
                                                       stderr=asyncio.subprocess.PIPE)
        return cls(process)

    async def _read(self) -> None:
        async for line in self.process.stderr:
            self.lines.append(line.decode(errors="replace"))

    def said(self, words: str) -> int:
        return sum(words in line for line in self.lines)

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.returncode is None:
            self.process.send_signal(sig)
        code = await asyncio.wait_for(self.process.wait(), 30)
        await self.reader
        return code


@pytest.fixture
def postgres_database():
    """A database of its own in the test PostgreSQL, so the advisory lock and the rows are ours alone."""
    url = require_postgres_url()
    name = f"binome_workers_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


def queue_news(engine, people: dict[int, int], *, wave: str) -> None:
    now = SystemClock().now()  # `binome run` lives on the system clock
    with session_scope(engine) as s:
        for person, other in people.items():
            outbox.enqueue(session=s, participant_id=person, kind="partner_joined", key=f"{wave}:{person}",
                           due_at=now, now=now, params={"participant_id": other})


async def test_two_workers_share_the_work_and_a_killed_leader_is_replaced(server, tmp_path, postgres_database):
    engine = make_engine(postgres_database)
    upgrade(engine)
    now = SystemClock().now()
    users, partner_of = {}, {}
    with session_scope(engine) as s:
        programme = make_programme(s, now)
        programme.options = {"quiet_hours": "00:00-00:00"}  # on the system clock, maybe at night: the sender checks
        for index in range(PAIRS):
            mentor, mentee, _ = make_pair(s, programme, now, mentor=f"Marc{index}", mentee=f"Amina{index}",
                                          label=f"B{index:02d}")
            for person, other in ((mentor, mentee), (mentee, mentor)):
                users[person.id] = server.user(first_name=person.first_name, language_code="fr")
                link(person, users[person.id], now, "fr")
                partner_of[person.id] = other.id
    queue_news(engine, partner_of, wave="first")

    ports = [free_port(), free_port()]
    async with Balancer([f"http://127.0.0.1:{port}" for port in ports]) as balancer:
        env = clean_env(DATABASE_URL=postgres_database, TELEGRAM_BOT_TOKEN=server.token,
                        TELEGRAM_API_URL=server.base_url, WEBHOOK_URL=f"{balancer.url}/telegram",
                        WEBHOOK_SECRET="shared-by-the-workers", TICK_SECONDS="0.2", LEADER_RETRY_SECONDS="0.3",
                        LOG_LEVEL="INFO")
        workers = [await Worker.start({**env, "WEBHOOK_PORT": str(port)}, tmp_path) for port in ports]
        try:
            def news() -> list[int]:
                return [sum(m.text.startswith(NEWS) for m in u.messages) for u in users.values()]

            await until(lambda: min(news()) >= 1, what="the first wave delivered")
            # People write while the workers run: the balancer spreads them, each is answered once.
            visitors = [server.user(first_name=f"Eve{index}", language_code="en") for index in range(6)]
            for visitor in visitors:
                await visitor.send("/help")
                await visitor.wait_for_message(timeout=20)
            await asyncio.sleep(0.6)  # three more ticks: nothing may be sent twice
            assert sorted(set(news())) == [1]  # every person received it exactly once
            assert all(len(v.messages) == 1 for v in visitors)
            assert len(balancer.served) == 2  # both workers handled updates

            leaders = [w for w in workers if w.said("leads the scheduler and the sender")]
            assert len(leaders) == 1, [w.lines for w in workers]
            leader, other = leaders[0], next(w for w in workers if w is not leaders[0])
            # Only the leader ticks: its first tick scans and says so; the other one never did.
            assert leader.said("scan: ") >= 1 and other.said("scan: ") == 0

            # A third one in long-polling mode would fight the webhook for the updates: refused, and it
            # touched nothing on its way out (the workers still get their updates).
            polling = {k: v for k, v in env.items() if not k.startswith("WEBHOOK_")}
            code, out, err = await binome("run", env={**polling, "DEFAULT_LANGUAGE": "en"}, cwd=tmp_path)
            assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
            assert err.startswith("binome: another `binome run` is already using postgresql")
            assert "Set WEBHOOK_URL for several workers" in err and "binome_workers_" in err
            assert server.calls("deleteWebhook") == [] and not server.calls("getUpdates")

            await leader.stop(signal.SIGKILL)  # no clean-up of any kind
            queue_news(engine, partner_of, wave="second")
            await until(lambda: min(news()) >= 2, timeout=20, what="the second wave delivered by the other worker")
            late = server.user(first_name="Lou", language_code="en")
            await late.send("/help")  # the balancer skips the dead worker
            await late.wait_for_message(timeout=20)
            await asyncio.sleep(0.6)
            assert sorted(set(news())) == [2]
            assert other.said("leads the scheduler and the sender") == 1 and other.said("scan: ") >= 1
        finally:
            codes = [await w.stop() for w in workers]
    assert codes[workers.index(other)] == 0, "".join(other.lines)[-2000:]
    assert not any("Traceback" in line for line in other.lines), "".join(other.lines)[-3000:]
    engine.dispose()


async def test_a_second_binome_run_on_one_sqlite_database_is_refused(server, tmp_path, engine, database_url,
                                                                     database_path):
    env = clean_env(DATABASE_URL=database_url, TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_API_URL=server.base_url)
    first = await Worker.start(env, tmp_path)
    try:
        eve = server.user(first_name="Eve", language_code="en")
        await eve.send("/help")
        await eve.wait_for_message(timeout=30)  # the first one runs
        code, out, err = await binome("run", env=env, cwd=tmp_path)  # in DEFAULT_LANGUAGE, French here
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err, err
        assert err.startswith(f"binome : un autre `binome run` utilise déjà {database_path} (pid {first.process.pid}) : "
                              "SQLite n'accepte qu'un seul processus.")
    finally:
        assert await first.stop() == 0, "".join(first.lines)[-2000:]


def test_the_sqlite_lock_is_the_process_s_and_freed_with_it(tmp_path):
    url = f"sqlite:///{tmp_path}/binome.sqlite3"
    with only_process(url):
        with pytest.raises(AlreadyRunning) as refused, only_process(url):
            pass
        assert refused.value.where == str(tmp_path / "binome.sqlite3")
    with only_process(url):  # released when the holder ends: the next start is not refused
        pass
    with only_process("sqlite://"), only_process("sqlite://"):  # in memory: nothing to share
        pass


async def test_one_leader_at_a_time_and_a_lost_connection_stops_it_at_once(postgres_database):
    engine = make_engine(postgres_database)
    first, second = Leadership(engine), Leadership(engine)
    try:
        assert first.acquire_now() and not second.acquire_now()
        assert await first.still_leading() and not await second.try_lead()
        # The database ends the leader's session (a restart, a network cut, an operator): the next check
        # finds it before any tick, and the other worker can take over.
        with engine.connect() as connection:
            assert connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'").scalars().all() == [True]
        assert not await first.still_leading()
        assert await second.try_lead() and not await first.try_lead()
        second.close()  # a clean stop frees the lock at once
        assert await first.try_lead()
    finally:
        first.close()
        second.close()
        engine.dispose()
