"""What handlers and jobs need, created once when the application starts."""
from __future__ import annotations

import asyncio
import os
import secrets
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.clock import Clock
from bot.pacing import ChatPacer
from bot.settings import Settings
from storage.db import session_scope


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
        with session_scope(self.engine) as session:
            yield session

    def now(self):
        return self.clock.now()
