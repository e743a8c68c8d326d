"""One overall budget for everything the bot sends, served by priority: replies to people first, then
the outbox's urgent, normal and bulk messages.

Telegram allows about 30 messages a second overall (1,000 with `allow_paid_broadcast`, billed in Stars)
and answers 429 with `retry_after` beyond it. python-telegram-bot's AIORateLimiter serves requests first
come, first served, so a reply pressed during a 10,000-message fan-out waits behind it; this limiter
keeps a token bucket per lane (free and paid) and hands each token to the waiting request of the best
priority. Requests made without `rate_limit_args` (what handlers send: replies, edits) have the best
priority; the sender passes `rate_limit_args={"priority": n}` (`storage.outbox.URGENT` … `BULK`).
Requests without a chat (getUpdates, answerCallbackQuery, getMe …) are not counted, as Telegram does not
count them either, and go at once. On a 429 every request pauses for `retry_after` and the refused one
is retried (`max_retries`), as AIORateLimiter does. Per-chat pacing stays in `bot.pacing.ChatPacer`.

Real (monotonic) time: this is about Telegram's flood control, not the business clock.
"""
from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

REPLY = -1  # a request made without rate_limit_args: an answer to a person, before any outbox row
OVERALL_RATE = 29.0  # per second, just under Telegram's ~30/s; the default of SEND_RATE (bot/settings.py)
OVERALL_BURST = 8  # requests that may go at once after a quiet moment (see docs/ARCHITECTURE.md)
PAID_RATE = 990.0  # with allow_paid_broadcast: just under Telegram's 1,000/s
PAID_BURST = 30


class _Lane:
    """A token bucket whose tokens go to the waiting request of the best (lowest) priority, ties in
    arrival order."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.capacity = rate, float(max(1, burst))
        self.tokens, self.stamp = self.capacity, None
        self.waiting: list[tuple[int, int, asyncio.Future]] = []
        self.timer: asyncio.TimerHandle | None = None
        self.order = itertools.count()

    async def take(self, priority: int) -> None:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        heapq.heappush(self.waiting, (priority, next(self.order), future))
        self.serve()
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():  # it had its token: give it back
                self.tokens = min(self.capacity, self.tokens + 1)
                self.serve()
            raise

    def refill(self, now: float) -> None:
        if self.stamp is not None and now > self.stamp:
            self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now if self.stamp is None else max(self.stamp, now)

    def serve(self) -> None:
        loop = asyncio.get_running_loop()
        self.refill(loop.time())
        while self.waiting and self.tokens >= 1:
            _, _, future = heapq.heappop(self.waiting)
            if future.done():  # its requester gave up
                continue
            self.tokens -= 1
            future.set_result(None)
        while self.waiting and self.waiting[0][2].done():
            heapq.heappop(self.waiting)
        if self.waiting and self.timer is None:
            paused = max(0.0, self.stamp - loop.time())
            self.timer = loop.call_later(paused + (1 - self.tokens) / self.rate, self._wake)

    def _wake(self) -> None:
        self.timer = None
        self.serve()

    def empty(self, until: float) -> None:
        """After a 429 nothing is left to spend: the bucket starts again empty when the pause ends."""
        self.tokens, self.stamp = 0.0, max(until, self.stamp or until)


class PriorityRateLimiter(BaseRateLimiter[dict]):
    def __init__(self, rate: float = OVERALL_RATE, burst: int = OVERALL_BURST, *, paid_rate: float = PAID_RATE,
                 paid_burst: int = PAID_BURST, max_retries: int = 2) -> None:
        self._free = _Lane(rate, burst)
        self._paid = _Lane(paid_rate, paid_burst)
        self._max_retries = max_retries
        self._open = asyncio.Event()
        self._open.set()
        self._resume_at = 0.0

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict | None,
    ) -> Any:
        options = rate_limit_args or {}
        priority = options.get("priority", REPLY)
        max_retries = options.get("max_retries", self._max_retries)
        counted = data.get("chat_id") is not None
        lane = self._paid if data.get("allow_paid_broadcast") else self._free
        for attempt in range(max_retries + 1):
            await self._open.wait()
            if counted:
                await lane.take(priority)
                await self._open.wait()  # a 429 came while this one waited for its token
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == max_retries:
                    log.warning("rate limit: %s still refused after %d retries", endpoint, max_retries)
                    raise
                await self._pause(exc.retry_after)
        raise AssertionError("unreachable")

    async def _pause(self, retry_after: Any) -> None:
        seconds = retry_after.total_seconds() if hasattr(retry_after, "total_seconds") else float(retry_after)
        seconds += 0.1
        log.info("rate limit: Telegram asked to wait %.1f s, every request pauses", seconds)
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        for lane in (self._free, self._paid):
            lane.empty(until)
        if until > self._resume_at:
            self._resume_at = until
            self._open.clear()
            loop.call_later(seconds, self._reopen)
        await asyncio.sleep(seconds)

    def _reopen(self) -> None:
        if asyncio.get_running_loop().time() >= self._resume_at - 0.001:
            self._open.set()
