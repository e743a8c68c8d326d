"""What Telegram accepted, recorded on the outbox's rows as soon as it can be (the sender's hot path).

Each answer wakes the writer, which writes what it has in one statement (`storage.outbox.record_sent`) in
a worker thread; the answers that come while it writes go in the next write, so under load the writes
group themselves, and a quiet sender writes each answer alone. A process killed between Telegram's answer
and that commit sends those messages again after the restart (docs/ARCHITECTURE.md, "Delivery is at
least once"): the window is one write, about a millisecond, plus the request itself.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from bot.services import Services
from storage import outbox

log = logging.getLogger(__name__)


class SentMarks:
    """The sent marks of one `send_due`: `add` as Telegram answers, `run` the writer, `close` at the end."""

    def __init__(self, services: Services) -> None:
        self.services, self.sent = services, []
        self.waiting = asyncio.Event()
        self.writing: asyncio.Task | None = None

    def add(self, message_id: int, now: datetime, telegram_message_id: int) -> int:
        self.sent.append((message_id, now, telegram_message_id))
        self.waiting.set()
        return 1

    def flush(self) -> None:
        if self.sent:
            sent, self.sent = self.sent, []
            self._write(sent)

    def _write(self, sent: list[tuple[int, datetime, int]]) -> None:
        with self.services.engine.begin() as connection:
            outbox.record_sent(connection=connection, sent=sent)

    async def run(self) -> None:
        while True:
            await self.waiting.wait()
            self.waiting.clear()
            sent, self.sent = self.sent, []
            if sent:  # shielded: a write begun is finished even when the sending stops
                self.writing = asyncio.create_task(asyncio.to_thread(self._write, sent))
                await asyncio.shield(self.writing)

    async def close(self) -> None:
        """Once the writer is stopped: its last write finished, then what is left written."""
        if self.writing is not None:
            try:
                await self.writing
            except Exception as exc:  # those rows stay unmarked: sent again (at least once)
                log.error("outbox: sent messages not recorded (%s)", type(exc).__name__)
        self.flush()
