"""What handlers and jobs need, created once when the application starts."""
from __future__ import annotations

import asyncio
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


@dataclass
class Services:
    settings: Settings
    engine: Engine
    clock: Clock
    # One tick at a time, whether started by the scheduler or by a test moving the clock.
    tick_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    pacer: ChatPacer = field(default_factory=ChatPacer)
    cadence_scanned_at: datetime | None = None  # on the one clock

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.engine) as session:
            yield session

    def now(self):
        return self.clock.now()
