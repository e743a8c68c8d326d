"""Injected faults and Telegram-like flood control.

Why: a bot that works against a perfect server can still fall over in production on a 429,
a 502 from Telegram's front-end, a dropped connection or a slow answer. Tests arm faults here
to prove the bot's error handling, and enable rate limits to prove it paces its sends.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

FAULT_KINDS = {"429", "403", "400", "500", "502", "slow", "drop", "timeout"}

# Methods that send or change messages: the ones Telegram's flood control counts.
RATE_LIMITED_METHODS = {
    "sendmessage", "senddocument", "sendphoto", "sendsticker", "sendvoice", "sendaudio",
    "sendvideo", "sendanimation", "sendmediagroup", "sendlocation", "sendcontact", "sendpoll",
    "copymessage", "forwardmessage", "editmessagetext", "editmessagecaption",
    "editmessagereplymarkup", "editmessagemedia",
}


@dataclass
class Fault:
    """One armed fault; it fires on the next ``times`` matching calls.

    ``method=None`` matches any method except ``getUpdates`` (the polling loop would otherwise
    swallow the fault at random); name ``getUpdates`` explicitly to fault polling.
    """

    kind: str
    method: str | None = None
    chat_id: int | str | None = None
    times: int = 1
    retry_after: int = 1
    delay: float = 0.0
    description: str | None = None

    def matches(self, method: str, chat_id: object) -> bool:
        if self.times <= 0:
            return False
        if self.method is None:
            if method.lower() == "getupdates":
                return False
        elif self.method.lower() != method.lower():
            return False
        return self.chat_id is None or str(self.chat_id) == str(chat_id)


class FaultInjector:
    def __init__(self) -> None:
        self.armed: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}; expected one of {sorted(FAULT_KINDS)}")
        self.armed.append(fault)
        return fault

    def take(self, method: str, chat_id: object) -> Fault | None:
        """Consume and return the first armed fault matching this call, if any."""
        for fault in self.armed:
            if fault.matches(method, chat_id):
                fault.times -= 1
                if fault.times <= 0:
                    self.armed.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self.armed.clear()


@dataclass
class TokenBucket:
    """``rate`` tokens per second, at most ``capacity`` stored: allows short bursts."""

    rate: float
    capacity: float
    tokens: float = field(default=-1.0)
    stamp: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.capacity

    def wait_time(self, now: float) -> float:
        """Seconds until one token is available (0 if available now)."""
        self.tokens = min(self.capacity, self.tokens + max(0.0, now - self.stamp) * self.rate)
        self.stamp = max(self.stamp, now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1


PAID_PER_SECOND = 1000  # with allow_paid_broadcast (billed in Stars): Telegram's limit instead of 30/s


class RateLimiter:
    """Telegram's published limits: ~1 msg/s per chat (small burst), 20/min per group, 30/s overall, or
    1,000/s overall for sends with ``allow_paid_broadcast`` (counted apart from the others).

    Disabled (``None``) limits are not checked. A refused call consumes nothing.
    """

    def __init__(self) -> None:
        self.configure(None, None)

    def configure(
        self,
        global_per_second: float | None = 30,
        per_chat_per_second: float | None = 1,
        burst: int | None = 3,
        group_per_minute: float | None = 20,
    ) -> None:
        self.global_per_second = global_per_second
        self.per_chat_per_second = per_chat_per_second
        self.burst = max(1, burst or 1)
        self.group_per_minute = group_per_minute
        self._global = TokenBucket(global_per_second, max(1.0, global_per_second)) if global_per_second else None
        self._paid = TokenBucket(PAID_PER_SECOND, PAID_PER_SECOND) if global_per_second else None
        self._chats: dict[str, TokenBucket] = {}
        self._groups: dict[str, TokenBucket] = {}

    @property
    def enabled(self) -> bool:
        return bool(self.global_per_second or self.per_chat_per_second or self.group_per_minute)

    def check(self, method: str, chat_id: object, is_group: bool, paid: bool = False) -> float:
        """Return 0 and consume a token if the call is allowed, else the seconds to wait."""
        if method.lower() not in RATE_LIMITED_METHODS or not self.enabled:
            return 0.0
        now = time.monotonic()
        overall = self._paid if paid else self._global
        buckets = [overall] if overall else []
        key = str(chat_id)
        if self.per_chat_per_second and chat_id is not None:
            buckets.append(self._chats.setdefault(key, TokenBucket(self.per_chat_per_second, self.burst)))
        if self.group_per_minute and is_group:
            buckets.append(self._groups.setdefault(key, TokenBucket(self.group_per_minute / 60, self.burst)))
        wait = max((b.wait_time(now) for b in buckets), default=0.0)
        if wait > 0:
            return wait
        for bucket in buckets:
            bucket.take()
        return 0.0
