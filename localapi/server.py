"""``LocalBotApi``: the project's own Telegram Bot API server on 127.0.0.1.

Why: every test and demo runs the real python-telegram-bot stack over HTTP against this
server instead of api.telegram.org. This module does the transport (routing, token check,
parameter decoding, response shapes) and wraps each method call with injected faults and
flood control; the methods themselves live in methods.py and messages.py, the world in
state.py and the simulated people in sim.py.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections import Counter
from typing import Any

from aiohttp import web

from . import errors, messages, methods
from .control import add_control_routes
from .errors import ApiError, bad_request, forbidden, too_many_requests
from .faults import Fault, FaultInjector, RateLimiter
from .params import read_params
from .registry import MethodTable
from .sim import SimGroup, SimUser
from .state import World
from .webhook import Webhook

log = logging.getLogger(__name__)
MAX_BODY = 60 * 1024 * 1024  # Telegram accepts uploads up to 50 MB
METHODS = MethodTable(methods.METHODS, messages.METHODS)


class LocalBotApi:
    """An in-process Bot API server plus the simulated users who talk to the bot."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, token: str = "123456:LOCAL-TEST-TOKEN",
                 bot_username: str = "binome_demo_bot", bot_first_name: str = "Binôme", *,
                 group_privacy: bool = True, webhook_retries: int = 3) -> None:
        bot_id, sep, _ = token.partition(":")
        if not sep or not bot_id.isdigit():
            raise ValueError("token must look like '<bot id>:<secret>'")
        self.host, self.port, self.token = host, port, token
        self.bot_id, self.bot_username, self.bot_first_name = int(bot_id), bot_username, bot_first_name
        self.group_privacy = group_privacy
        self.world = World({"id": self.bot_id, "is_bot": True, "first_name": bot_first_name,
                            "username": bot_username})
        self.faults = FaultInjector()
        self.rate_limiter = RateLimiter()
        self.webhook = Webhook(self.world.updates, retries=webhook_retries)
        self.requests: list[tuple[str, dict, int | None]] = []
        self.stats: Counter[str] = Counter()
        self.poll_generation = 0
        self.closing = False
        self._in_flight = 0
        self._last_activity = time.monotonic()
        self._application: Any | None = None  # see attach_application
        self._runner: web.AppRunner | None = None
        self._closed: asyncio.Event | None = None
        self._user_ids = itertools.count(100_000_001)
        self._group_ids = itertools.count(1)

    # ------------------------------------------------------------ lifecycle
    async def start(self) -> LocalBotApi:
        self.closing = False
        self._closed = asyncio.Event()
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        add_control_routes(app, self)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        self.closing = True
        if self._closed:
            self._closed.set()
        self.world.updates.signal.fire()
        self.world.changed.fire()
        await self.webhook.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> LocalBotApi:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    # ------------------------------------------------------------ people
    def user(self, user_id: int | None = None, first_name: str = "Amina", last_name: str | None = None,
             username: str | None = None, language_code: str | None = "fr") -> SimUser:
        """A simulated person (private chat id == user id); an existing id returns that user."""
        if user_id is not None and user_id in self.world.users:
            return self.world.users[user_id]
        uid = user_id if user_id is not None else next(self._user_ids)
        if uid in self.world.chats:
            raise ValueError(f"chat id {uid} already used")
        user = SimUser(self, uid, first_name, last_name, username, language_code)
        self.world.users[uid] = user
        return user

    def group(self, title: str = "Group", members: list[SimUser] | None = None, *,
              chat_id: int | None = None, supergroup: bool = False) -> SimGroup:
        """A group (bot not yet a member: call ``add_bot``)."""
        n = next(self._group_ids)
        gid = chat_id if chat_id is not None else (-1_002_000_000_000 - n if supergroup else -4_000_000_000 - n)
        return SimGroup(self, gid, title, list(members or []), supergroup=supergroup)

    @property
    def users(self) -> list[SimUser]:
        return list(self.world.users.values())

    # ------------------------------------------------------------ faults and limits
    def inject_fault(self, kind: str | int, *, method: str | None = None, chat_id: int | str | None = None,
                     times: int = 1, retry_after: int = 1, delay: float = 0.0,
                     description: str | None = None) -> Fault:
        """Arm a fault for the next ``times`` matching calls (see faults.Fault)."""
        return self.faults.add(Fault(str(kind), method, chat_id, times, retry_after, delay, description))

    def clear_faults(self) -> None:
        self.faults.clear()

    def set_rate_limits(self, global_per_second: float | None = 30, per_chat_per_second: float | None = 1,
                        burst: int | None = 3, group_per_minute: float | None = 20) -> None:
        """Enable Telegram-like flood control (``None`` disables a limit). Default: all off."""
        self.rate_limiter.configure(global_per_second, per_chat_per_second, burst, group_per_minute)

    def disable_rate_limits(self) -> None:
        self.rate_limiter.configure(None, None, None, None)

    # ------------------------------------------------------------ inspection
    def commands(self, scope: dict | str | None = None, language_code: str | None = None) -> list[dict]:
        """What setMyCommands stored for exactly this scope and language ([] if nothing)."""
        return list(self.world.commands.get(self.world.commands_key(scope, language_code), []))

    def calls(self, method: str) -> list[dict]:
        """Parameters of every call to ``method`` (any outcome), in order."""
        return [params for name, params, _ in self.requests if name.lower() == method.lower()]

    @property
    def left_chats(self) -> list[int]:
        return list(self.world.left_chats)

    @property
    def pending_updates(self) -> list[dict]:
        return list(self.world.updates.pending)

    @property
    def delivered_updates(self) -> list[dict]:
        return list(self.world.updates.delivered)

    @property
    def unanswered_callback_queries(self) -> list[str]:
        return [cq for cq, p in self.world.callbacks.items() if not p.answer.done()]

    def attach_application(self, application: Any | None) -> None:
        """The bot runs in this process as a python-telegram-bot ``Application``.

        ``settle`` then knows when the bot is done: every update delivered and its update queue
        joined (each update it fetched fully handled), no request in flight; no quiet period of
        real time. While that application is not running (a restart under test), ``settle`` falls
        back to the quiet period. ``None`` detaches.
        """
        self._application = application

    async def settle(self, quiet: float = 0.2, timeout: float = 10) -> None:
        """Wait until every update was delivered and handled and no request is in flight.

        With an attached application (``attach_application``) that is known exactly; otherwise
        the bot (another process, say) is taken to be done when it made no request for ``quiet`` s.
        """
        deadline = time.monotonic() + timeout
        while True:
            if not self.world.updates.pending and self._in_flight == 0:
                handled = await self._application_handled_all(deadline)
                if handled and not self.world.updates.pending and self._in_flight == 0:
                    return
                if handled is None and time.monotonic() - self._last_change() >= quiet:
                    return
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"server did not settle within {timeout}s: {len(self.world.updates.pending)} "
                    f"undelivered update(s), {self._in_flight} request(s) in flight")
            await asyncio.sleep(min(0.02, max(0.001, quiet / 5)))

    async def _application_handled_all(self, deadline: float) -> bool | None:
        """True once the attached bot handled all it fetched, None if it cannot tell, False if time is up."""
        application = self._application
        if application is None or not application.running:
            return None
        try:
            await asyncio.wait_for(application.update_queue.join(), max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            return False
        return True

    def _last_change(self) -> float:
        return max(self._last_activity, self.world.updates.last_change)

    # ------------------------------------------------------------ HTTP
    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return self._respond(request, name, {}, errors.UNAUTHORIZED)
        found = METHODS.lookup(name)
        if found is None:
            return self._respond(request, name, {}, errors.NOT_FOUND)
        name, fn = found
        try:
            params, uploads = await read_params(request)
        except ApiError as exc:
            return self._respond(request, name, {}, exc)
        recorded = dict(params)
        for key, up in uploads.items():
            recorded[key] = {"file_name": up.filename, "mime_type": up.mime_type, "size": len(up.data)}
        polling = name == "getUpdates"
        if not polling:
            self._last_activity = time.monotonic()
        fault = self.faults.take(name, params.get("chat_id"))
        if fault is not None and fault.kind in ("drop", "timeout"):
            if fault.kind == "timeout":
                await self._sleep(fault.delay or 10.0)
            return self._drop(request, name, recorded, fault.kind)
        if fault is not None and fault.kind != "slow":
            self.stats["faults"] += 1
            return self._respond(request, name, recorded, self._fault_error(fault, name))
        if not polling:
            self._in_flight += 1
        try:
            if fault is not None:
                self.stats["faults"] += 1
                await self._sleep(fault.delay)
            wait = self.rate_limiter.check(name, params.get("chat_id"), self._is_group(params.get("chat_id")),
                                           paid=params.get("allow_paid_broadcast") is True)
            if wait:
                raise too_many_requests(wait)
            outcome: Any = await fn(self, params, uploads)
        except ApiError as exc:
            outcome = exc
        finally:
            if not polling:
                self._in_flight -= 1
                self._last_activity = time.monotonic()
        return self._respond(request, name, recorded, outcome)

    def _respond(self, request: web.Request, name: str, params: dict, outcome: Any) -> web.StreamResponse:
        if isinstance(outcome, ApiError):
            body, status = outcome.payload(), outcome.code
        else:
            body, status = {"ok": True, "result": outcome}, 200
        if request.transport is None or request.transport.is_closing():
            self.requests.append((name, params, None))  # the client gave up waiting
            self.stats["abandoned"] += 1
        else:
            self.requests.append((name, params, status))
            self.stats[str(status)] += 1
        if status != 200:
            log.debug("%s -> %s %s", name, status, body.get("description"))
        return web.json_response(body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))

    def _drop(self, request: web.Request, name: str, params: dict, kind: str) -> web.StreamResponse:
        """Close the connection without any HTTP response."""
        self.requests.append((name, params, None))
        self.stats[kind] += 1
        self.stats["faults"] += 1
        if request.transport is not None:
            request.transport.close()
        return web.Response()

    def _fault_error(self, fault: Fault, method: str) -> ApiError:
        if fault.kind == "429":
            return too_many_requests(fault.retry_after)
        if fault.kind == "403":
            return ApiError(403, fault.description) if fault.description else forbidden(errors.BLOCKED)
        if fault.kind == "400":
            if fault.description:
                return ApiError(400, fault.description)
            low = method.lower()
            return bad_request(
                "message to edit not found" if low.startswith("edit")
                else "message to delete not found" if low == "deletemessage"
                else "query is too old and response timeout expired or query ID is invalid"
                if low == "answercallbackquery" else errors.CHAT_NOT_FOUND)
        if fault.kind == "500":
            return ApiError(500, fault.description or "Internal Server Error")
        return ApiError(502, fault.description or "Bad Gateway")

    def _is_group(self, chat_id: Any) -> bool:
        try:
            chat = self.world.chats.get(int(chat_id))
        except (TypeError, ValueError):
            return False
        return bool(chat and chat.is_group)

    async def _sleep(self, delay: float) -> None:
        """Sleep, but wake up at once when the server stops."""
        if delay > 0 and self._closed is not None:
            try:
                await asyncio.wait_for(self._closed.wait(), delay)
            except TimeoutError:
                pass

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        stored = self.world.files.by_path.get(request.match_info["path"])
        if request.match_info["token"] != self.token or stored is None:
            return web.json_response(errors.NOT_FOUND.payload(), status=404)
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")
