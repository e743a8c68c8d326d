"""A small HTTP load balancer for tests: what stands in front of several webhook workers.

Why: Telegram pushes every update to one URL (setWebhook); to spread updates over several
``binome run`` workers, that URL is a load balancer's. This one forwards each request to the next
upstream in turn (round robin), path, headers and body as received, and answers what the upstream
answered. An upstream that refuses the connection (a dead worker) is skipped for that request and
the next one is tried, as a real balancer's health checks would; with none left it answers 502.
``served`` counts the requests each upstream answered.
"""

from __future__ import annotations

import itertools
from collections import Counter

import aiohttp
from aiohttp import web

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


class Balancer:
    def __init__(self, upstreams: list[str], host: str = "127.0.0.1", port: int = 0) -> None:
        self.upstreams = [u.rstrip("/") for u in upstreams]
        self.host, self.port = host, port
        self.served: Counter[str] = Counter()
        self._turn = itertools.cycle(range(len(self.upstreams)))
        self._runner: web.AppRunner | None = None
        self._client: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> Balancer:
        self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        app = web.Application()
        app.router.add_route("*", "/{path:.*}", self._forward)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def __aenter__(self) -> Balancer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        first = next(self._turn)
        for offset in range(len(self.upstreams)):
            upstream = self.upstreams[(first + offset) % len(self.upstreams)]
            try:
                async with self._client.request(request.method, upstream + request.path_qs, data=body,
                                                headers=headers) as answer:
                    payload = await answer.read()
                    self.served[upstream] += 1
                    return web.Response(status=answer.status, body=payload,
                                        content_type=answer.content_type if payload else None)
            except aiohttp.ClientConnectionError:
                continue  # that worker is down: the next one takes the request
        return web.Response(status=502, text="no upstream answered")
