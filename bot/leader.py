"""Who runs the scheduler and the sender when several `binome run` share one database (docs/scaling.md).

PostgreSQL: any number of workers handle updates (webhook behind a load balancer); the one whose own
connection holds a session-level advisory lock leads: only it ticks (the scheduled steps, then the
sender). The others try again every LEADER_RETRY_SECONDS. When the leader dies its connection closes,
PostgreSQL frees the lock and another worker leads within that interval. The leader checks its
connection before each tick and stops leading at once when it is lost.

SQLite: one process. `binome run` holds an exclusive lock on "<database file>.lock" for its life; a
second one is refused (AlreadyRunning), whatever else it would have done.
"""
from __future__ import annotations

import asyncio
import fcntl
import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from storage.db import normalise_url

log = logging.getLogger(__name__)

# How long taking the lock or checking the connection may take before the connection counts as lost.
CHECK_TIMEOUT = 5.0
# Asked of PostgreSQL for the leader's session only: probe its TCP connection, so that a leader whose
# machine vanished (no FIN, no RST) loses the lock after about 10 + 3 x 5 s instead of the system's
# two hours; tcp_user_timeout (PostgreSQL 12+) bounds the same when an answer is left unacknowledged.
# Over a Unix socket PostgreSQL accepts and ignores them; one it does not know is skipped.
KEEPALIVES = ("SET tcp_keepalives_idle = 10", "SET tcp_keepalives_interval = 5", "SET tcp_keepalives_count = 3",
              "SET tcp_user_timeout = 25000")


class AlreadyRunning(Exception):
    """Another `binome run` already uses this database in a way that cannot be shared.

    `reason` is "sqlite" (one process per SQLite file) or "polling" (Telegram allows one getUpdates
    consumer, so several workers need a webhook); `where` names the database (a path, or a URL
    without its password); `pid` is the other process's, when known."""

    def __init__(self, reason: str, where: str, pid: int | None = None) -> None:
        self.reason, self.where, self.pid = reason, where, pid
        super().__init__(f"another `binome run` uses {where} ({reason})")


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL; None for PostgreSQL and for in-memory databases."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    if parsed.database.startswith("file:"):
        return None  # SQLite URI filenames (shared memory and the like): not a file we run on
    return Path(parsed.database).resolve()


@contextmanager
def only_process(url: str) -> Iterator[None]:
    """Held for the life of `binome run` on SQLite; raises AlreadyRunning if another process holds it.

    fcntl.flock: the kernel releases it when the process ends, however it ends, so a lock file left
    behind by a crash never blocks the next start."""
    path = sqlite_path(url)
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path.with_name(path.name + ".lock"), "a+", encoding="ascii")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            raise AlreadyRunning("sqlite", str(path), int(holder) if holder.isdigit() else None) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()


def lock_key(schema: str) -> int:
    """The advisory lock's key: fixed for a schema (advisory locks are per database already), so two
    deployments in two schemas of one database each have their leader."""
    digest = hashlib.sha256(f"binome:leader:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Leadership:
    """The PostgreSQL advisory lock, on a connection of its own kept open for the process's life.

    Blocking database calls run in a thread, bounded by CHECK_TIMEOUT, so the chat never waits on them;
    one at a time (the leader job and the tick may ask together)."""

    def __init__(self, engine: Engine, *, check_timeout: float = CHECK_TIMEOUT) -> None:
        # NullPool: this connection is not one of the pool's, recycled or pre-pinged behind our back.
        # AUTOCOMMIT: never "idle in transaction" (which would hold back vacuum) between checks.
        self._engine = create_engine(engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT",
                                     hide_parameters=True)
        self._check_timeout = check_timeout
        self._connection: Connection | None = None
        self._key = 0
        self._busy = asyncio.Lock()
        self.leading = False

    @property
    def held_elsewhere(self) -> bool:
        """Not leading although the database answered: another process holds the lock."""
        return not self.leading and self._connection is not None

    # ---- blocking parts, in a thread (or at start, before the event loop runs)
    def _try_lock(self) -> bool:
        if self._connection is None:
            connection = self._engine.connect()
            try:
                for statement in KEEPALIVES:
                    try:
                        connection.exec_driver_sql(statement)
                    except DBAPIError:  # an older server without it: autocommit, nothing to roll back
                        log.info("leader connection: %s not supported", statement.split()[1])
                self._key = lock_key(connection.exec_driver_sql("SELECT current_schema()").scalar_one())
            except BaseException:
                connection.close()
                raise
            self._connection = connection
        # Re-entrant within a session: asking again on a connection that already holds it says yes.
        return bool(self._connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                             {"key": self._key}).scalar_one())

    def _ping(self) -> bool:
        connection = self._connection
        return connection is not None and connection.exec_driver_sql("SELECT 1").scalar_one() == 1

    def acquire_now(self) -> bool:
        """One attempt at the lock, blocking (at start, before the event loop runs); True if this process leads."""
        if not self.leading:
            try:
                self._became(self._try_lock())
            except Exception as exc:  # the database is away: the retry job tries again
                log.warning("leader lock not taken: %s", type(exc).__name__)
                self._discard()
        return self.leading

    # ---- what the jobs call
    async def try_lead(self) -> bool:
        """The retry job: a leader checks its connection, the others try to take the lock."""
        async with self._busy:
            if self.leading and not await self._bounded(self._ping):
                self._step_down()
            if not self.leading:
                self._became(await self._bounded(self._try_lock))
            return self.leading

    async def still_leading(self) -> bool:
        """Before each tick: a cheap SELECT 1 on the lock's connection; lost, this worker stops leading."""
        async with self._busy:
            if self.leading and not await self._bounded(self._ping):
                self._step_down()
            return self.leading

    def close(self) -> None:
        """At a clean stop: closing the connection frees the lock, so another worker leads at once."""
        if self.leading:
            log.info("this worker (pid %d) stops leading: it is stopping", os.getpid())
        self.leading = False
        connection, self._connection = self._connection, None
        if connection is not None:
            _invalidate(connection)  # no rollback round trip: a stop never waits on an unreachable database
        self._engine.dispose()

    async def _bounded(self, call: Callable[[], bool]) -> bool:
        try:
            return await asyncio.wait_for(asyncio.to_thread(call), self._check_timeout)
        except Exception as exc:  # lost, or too slow to tell: as good as lost
            log.warning("leader connection check failed: %s", type(exc).__name__)
            self._discard()
            return False

    def _became(self, leading: bool) -> None:
        if leading and not self.leading:
            log.info("this worker (pid %d) leads the scheduler and the sender", os.getpid())
        self.leading = leading

    def _step_down(self) -> None:
        self.leading = False
        log.info("this worker (pid %d) stops leading: its database connection is lost", os.getpid())
        self._discard()  # already, if the check failed; a new connection is tried at once

    def _discard(self) -> None:
        """Drop the connection without waiting on it: closed in a thread of its own, because a check
        that timed out may still be blocked on it; PostgreSQL frees the lock once it is closed."""
        connection, self._connection = self._connection, None
        if connection is not None:
            threading.Thread(target=_invalidate, args=(connection,), daemon=True,
                             name="leader-connection-close").start()


def _invalidate(connection: Connection) -> None:
    try:
        connection.invalidate()  # closes the driver's connection, no rollback to wait for
    except Exception:  # already broken: nothing left to close
        pass
