"""The bot in its own process, measured from outside: `python -m bot run` (what `binome run` starts) or the
bare echo bot, pointed at the local Bot API that runs in the benchmark's process. CPU is the child's
user + system time from /proc/<pid>/stat; memory its RSS high-water mark (VmHWM)."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from localapi import LocalBotApi

ROOT = Path(__file__).resolve().parent.parent  # the tree whose code runs (bench/ beside bot/)
TOKEN = "123456:BENCH-TOKEN"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class Recorder:
    """Every answered Bot API call with the moment it was answered: wraps the server's `_respond`."""

    def __init__(self, server: LocalBotApi) -> None:
        self.events: list[tuple[float, str, dict, int | None]] = []
        real = server._respond

        def respond(request, name, params, outcome):
            response = real(request, name, params, outcome)
            self.events.append((time.perf_counter(), name, params, response.status))
            return response

        server._respond = respond

    def sends(self, *, ok_only: bool = True) -> list[tuple[float, int, str]]:
        return [(at, int(p.get("chat_id", 0)), str(p.get("text", ""))) for at, name, p, status in self.events
                if name == "sendMessage" and (status == 200 or not ok_only)]

    def count(self, name: str, status: int | None = 200) -> int:
        return sum(1 for _, n, _, s in self.events if n == name and (status is None or s == status))


class BotProcess:
    def __init__(self, server: LocalBotApi, database_url: str, *, tick_seconds: float = 3600,
                 module: str = "bot", args: tuple[str, ...] = ("run",), env: dict[str, str] | None = None) -> None:
        self.server = server
        environment = {**os.environ, "TELEGRAM_BOT_TOKEN": server.token, "TELEGRAM_API_URL": server.base_url,
                       "DATABASE_URL": database_url, "TICK_SECONDS": str(tick_seconds), "LOG_LEVEL": "WARNING",
                       "PYTHONPATH": str(ROOT), **(env or {})}
        self.started = time.perf_counter()
        self.process = subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, env=environment,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.lines: list[tuple[float, str]] = []  # (when read, the log line): read as they come, so the
        self._reader = threading.Thread(target=self._read, daemon=True)  # pipe never fills
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append((time.perf_counter(), line.decode(errors="replace")))

    def said(self, words: str) -> list[float]:
        """When each log line containing `words` was read."""
        return [at for at, line in list(self.lines) if words in line]

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float:
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS

    def peak_rss_mb(self) -> float:
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    async def polling(self, timeout: float = 60) -> float:
        """Wait until the bot starts its long polling (deleteWebhook, which run_polling asks first, or a
        getUpdates answered); seconds since it was started. A getUpdates is recorded only when answered,
        and an idle long poll is held for its whole timeout, so waiting for one would count that too."""
        deadline = time.perf_counter() + timeout
        while not (self.server.calls("deleteWebhook") or self.server.calls("getUpdates")):
            if self.process.poll() is not None:
                raise RuntimeError(f"the bot exited with {self.process.returncode}: {self.stderr_tail()}")
            if time.perf_counter() > deadline:
                raise TimeoutError("the bot never polled")
            await asyncio.sleep(0.02)
        return time.perf_counter() - self.started

    def stderr_tail(self) -> str:
        if self.process.poll() is None:
            return ""
        self._reader.join(5)
        return "".join(line for _, line in self.lines)[-2000:]

    async def stop(self, timeout: float = 10) -> None:
        """SIGTERM, the event loop left running meanwhile (the local Bot API in it answers the bot's
        last calls: a blocking wait would hold its shutdown for the whole timeout); SIGKILL after it."""
        if self.process.poll() is None:
            self.process.send_signal(15)
            deadline = time.perf_counter() + timeout
            while self.process.poll() is None and time.perf_counter() < deadline:
                await asyncio.sleep(0.02)
        self.kill()

    def kill(self, signal_number: int = 15) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal_number)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(5)
        self.process.stderr.close()


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def reply_latency(user, send, timeout: float = 600) -> float:
    """Seconds from a person's message to the bot's next message in their chat."""
    user.skip_to_end()
    started = time.perf_counter()
    await send()
    await user.wait_for_message(timeout=timeout)
    return time.perf_counter() - started
