"""HTTP control side (``/_sim/...``): drive simulated users from another process.

Why: when the bot runs as a subprocess (``binome run``), the test lives in another process and
cannot call the Python API directly. These routes are a thin JSON layer over it; answers are
``{"ok": true, "result": ...}`` or ``{"ok": false, "description": ...}`` with a 4xx status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Awaitable, Callable

from aiohttp import web

if TYPE_CHECKING:
    from .server import LocalBotApi
    from .sim import SimUser


def add_control_routes(app: web.Application, api: LocalBotApi) -> None:
    r = app.router

    def route(method: str, path: str, fn: Callable[[web.Request, dict], Awaitable[Any]]) -> None:
        async def handler(request: web.Request) -> web.StreamResponse:
            body: dict = {}
            if request.can_read_body:
                try:
                    body = await request.json()
                except ValueError:
                    return web.json_response({"ok": False, "description": "body must be JSON"}, status=400)
            try:
                return web.json_response({"ok": True, "result": await fn(request, body)})
            except (AssertionError, KeyError, ValueError, TypeError) as exc:
                return web.json_response({"ok": False, "description": f"{type(exc).__name__}: {exc}"}, status=400)
            except TimeoutError as exc:
                return web.json_response({"ok": False, "description": f"TimeoutError: {exc}"}, status=408)
        r.add_route(method, "/_sim" + path, handler)

    def user(request: web.Request, body: dict | None = None) -> SimUser:
        uid = int(request.match_info["user_id"])
        if uid in api.world.users:
            return api.world.users[uid]
        fields = {k: v for k, v in (body or {}).items()
                  if k in ("first_name", "last_name", "username", "language_code")}
        return api.user(uid, **fields)

    async def create_user(request: web.Request, body: dict) -> dict:
        fields = {k: body[k] for k in ("user_id", "first_name", "last_name", "username", "language_code") if k in body}
        return api.user(**fields).to_dict()

    async def send(request: web.Request, body: dict) -> dict:
        u = user(request, body)
        kind = body.get("kind", "text")
        if kind == "text":
            return await u.send(body["text"], reply_to=body.get("reply_to"))
        if kind == "sticker":
            return await u.send_sticker(body.get("emoji", "👍"))
        if kind == "photo":
            return await u.send_photo(caption=body.get("caption"))
        if kind == "voice":
            return await u.send_voice(int(body.get("duration", 3)))
        if kind == "document":
            data = body.get("data", "hello")
            return await u.send_document(body.get("filename", "document.txt"), data.encode(),
                                         body.get("mime_type"), body.get("caption"))
        raise ValueError(f"unknown kind {kind!r}")

    async def press(request: web.Request, body: dict) -> dict:
        u = user(request)
        message = body["message_id"] if "message_id" in body else u.last_message
        if message is None:
            raise AssertionError("no bot message to press")
        if body.get("forge"):
            cq = await u.press_data(message, body["data"])
        else:
            cq = await u.press(message, text=body.get("text"), data=body.get("data"))
        return {"callback_query_id": cq}

    async def answer(request: web.Request, body: dict) -> dict:
        u = user(request)
        return await u.callback_answer(request.match_info["cq_id"], float(request.query.get("timeout", 5)))

    async def block(request: web.Request, body: dict) -> bool:
        await user(request).block_bot()
        return True

    async def unblock(request: web.Request, body: dict) -> bool:
        await user(request).unblock_bot()
        return True

    async def messages(request: web.Request, body: dict) -> list[dict]:
        return [m.summary() for m in user(request).messages]

    async def next_message(request: web.Request, body: dict) -> dict:
        m = await user(request).wait_for_message(float(request.query.get("timeout", 5)))
        return m.summary()

    async def faults(request: web.Request, body: dict) -> dict:
        kind = body.pop("kind")
        fault = api.inject_fault(kind, **body)
        return {"kind": fault.kind, "method": fault.method, "times": fault.times}

    async def clear_faults(request: web.Request, body: dict) -> bool:
        api.clear_faults()
        return True

    async def rate_limits(request: web.Request, body: dict) -> bool:
        if body.get("disable"):
            api.disable_rate_limits()
        else:
            api.set_rate_limits(**body)
        return True

    async def stats(request: web.Request, body: dict) -> dict:
        return {"stats": dict(api.stats), "requests": len(api.requests),
                "pending_updates": len(api.world.updates.pending), "left_chats": api.left_chats}

    async def requests(request: web.Request, body: dict) -> list:
        method = request.query.get("method")
        return [{"method": m, "params": p, "status": s} for m, p, s in api.requests
                if method is None or m.lower() == method.lower()]

    async def commands(request: web.Request, body: dict) -> list:
        return api.commands(request.query.get("scope"), request.query.get("language_code"))

    async def settle(request: web.Request, body: dict) -> bool:
        await api.settle(float(body.get("quiet", 0.2)), float(body.get("timeout", 10)))
        return True

    route("POST", "/users", create_user)
    route("POST", "/users/{user_id}/send", send)
    route("POST", "/users/{user_id}/press", press)
    route("GET", "/users/{user_id}/callback_answers/{cq_id}", answer)
    route("POST", "/users/{user_id}/block", block)
    route("POST", "/users/{user_id}/unblock", unblock)
    route("GET", "/users/{user_id}/messages", messages)
    route("GET", "/users/{user_id}/messages/next", next_message)
    route("POST", "/faults", faults)
    route("DELETE", "/faults", clear_faults)
    route("POST", "/rate_limits", rate_limits)
    route("GET", "/stats", stats)
    route("GET", "/requests", requests)
    route("GET", "/commands", commands)
    route("POST", "/settle", settle)
