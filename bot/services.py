"""What handlers and jobs need, created once when the application starts."""
from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.clock import Clock
from bot.pacing import ChatPacer
from bot.settings import Settings
from storage.db import BoundedSession, committed, session_scope

# The session of the update being handled, and the task handling it (see Services.update_scope).
_UPDATE: ContextVar[tuple[Session, asyncio.Task] | None] = ContextVar("update_session", default=None)


def _current_task() -> asyncio.Task | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # a worker thread: no loop running here
        return None


def worker_id() -> str:
    """This process among several senders: host, pid and a random part (a restarted pid is another worker)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


@dataclass
class Services:
    settings: Settings
    engine: Engine
    clock: Clock
    # One tick at a time, whether started by the scheduler or by a test moving the clock.
    tick_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    pacer: ChatPacer = field(default_factory=ChatPacer)
    cadence_scanned_at: datetime | None = None  # on the one clock
    worker: str = field(default_factory=worker_id)  # who holds the outbox rows this process claims

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: committed when the block ends, rolled back on an error. Inside an update
        (`update_scope`) every block is a unit of work of the update's one session, so the gatekeeper's
        read, the handler and the processed mark share one session, its connection and what it loaded."""
        held = _UPDATE.get()
        if held is not None and held[1] is _current_task():
            with committed(held[0]) as session:
                yield session
            return
        with session_scope(self.engine) as session:
            yield session

    @contextmanager
    def update_scope(self) -> Iterator[Session]:
        """The session of one update, for the task handling it only: a worker thread or a task started
        from a handler (they copy the context) opens sessions of its own."""
        with BoundedSession(self.engine, expire_on_commit=False) as session:
            token = _UPDATE.set((session, _current_task()))
            try:
                with committed(session):
                    yield session
            finally:
                _UPDATE.reset(token)

    def now(self):
        return self.clock.now()
