"""Per-chat pacing: Telegram allows about one message per second in a chat.

bot/rate_limit.py keeps the overall rate (29/s, replies first) and pauses everything on a 429, but
does not pace private chats; this does, by reserving each chat's next slot before waiting, so
concurrent senders never collide. Real (monotonic) time: this is about Telegram's flood control,
not the business clock.
"""
from __future__ import annotations

import asyncio


class ChatPacer:
    def __init__(self, interval: float = 1.05) -> None:  # a margin: arrival times jitter
        self.interval = interval
        self._next: dict[int, float] = {}

    async def wait(self, chat_id: int) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        ready = max(now, self._next.get(chat_id, 0.0))
        self._next[chat_id] = ready + self.interval
        if len(self._next) > 10_000:  # forget chats whose slot is long past
            self._next = {chat: at for chat, at in self._next.items() if at > now}
        if ready > now:
            await asyncio.sleep(ready - now)

    def sent(self, chat_id: int) -> None:
        """A send to this chat has just been answered: its next slot is at least an interval from now.
        The slot reserved in `wait` counts from when the send was due to go; a send that then waited
        (for the overall budget, a free request slot, a busy CPU) reached Telegram later, and the next
        one must keep its distance from that real moment, not from the reserved one."""
        at = asyncio.get_running_loop().time() + self.interval
        if at > self._next.get(chat_id, 0.0):
            self._next[chat_id] = at
