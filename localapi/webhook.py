"""Webhook mode: push pending updates to the bot's HTTP endpoint, like Telegram does.

Why: a bot deployed with ``run_webhook`` must check the secret header and answer quickly;
this delivers each update as a JSON POST with ``X-Telegram-Bot-Api-Secret-Token``, in order,
retrying a few times before giving up on it (recorded in getWebhookInfo's last_error_*).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

from .state import UpdateQueue, now

log = logging.getLogger(__name__)


class Webhook:
    def __init__(self, updates: UpdateQueue, retries: int = 3, retry_delay: float = 0.1) -> None:
        self.updates = updates
        self.retries = retries
        self.retry_delay = retry_delay
        self.url = ""
        self.secret: str | None = None
        self.allowed_updates: list[str] | None = None
        self.max_connections = 40
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.deliveries: list[tuple[int, int | None]] = []  # (update_id, HTTP status or None)
        self._task: asyncio.Task | None = None

    def set(self, url: str, secret: str | None, allowed: list[str] | None, max_connections: int) -> None:
        self.url, self.secret, self.allowed_updates = url, secret, allowed
        self.max_connections = max_connections
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="localapi-webhook")
        self.updates.signal.fire()

    async def delete(self, drop_pending: bool) -> None:
        self.url, self.secret, self.allowed_updates = "", None, None
        await self.stop()
        if drop_pending:
            self.updates.drop_all()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def info(self) -> dict[str, Any]:
        info: dict[str, Any] = {"url": self.url, "has_custom_certificate": False,
                                "pending_update_count": len(self.updates.pending)}
        if self.url:
            info["max_connections"] = self.max_connections
            info["ip_address"] = "127.0.0.1"
            if self.allowed_updates:
                info["allowed_updates"] = self.allowed_updates
        if self.last_error_date:
            info["last_error_date"] = self.last_error_date
            info["last_error_message"] = self.last_error_message
        return info

    async def _run(self) -> None:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            while self.url:
                if not self.updates.pending:
                    await self.updates.signal.wait(None)
                    continue
                update = self.updates.pending[0]
                await self._deliver(session, update)
                self.updates.confirm(update["update_id"] + 1)

    async def _deliver(self, session: aiohttp.ClientSession, update: dict) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.secret} if self.secret else {}
        status: int | None = None
        for attempt in range(self.retries):
            try:
                async with session.post(self.url, json=update, headers=headers) as resp:
                    status = resp.status
                    if 200 <= resp.status < 300:
                        self.deliveries.append((update["update_id"], status))
                        return
                    error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                error = f"Connection refused ({exc.__class__.__name__})"
            self.last_error_date, self.last_error_message = now(), error
            log.info("webhook delivery of update %s failed (%s)", update["update_id"], error)
            await asyncio.sleep(self.retry_delay * 2 ** attempt)
        self.deliveries.append((update["update_id"], status))
