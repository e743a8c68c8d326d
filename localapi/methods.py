"""The Bot API methods about the bot, its updates, commands and chats.

Why: each method is a small function of ``(api, params, uploads)`` returning the ``result``
or raising ``ApiError``; server.py does transport, faults and rate limits around them. The
messages themselves (sending, editing, deleting) are in messages.py.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING

from . import errors
from .errors import bad_request, forbidden
from .registry import MethodTable
from .state import now

if TYPE_CHECKING:
    from .server import LocalBotApi

METHODS = MethodTable()
method = METHODS.register

SCOPES = {"default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
          "chat_administrators", "chat_member"}


# ---------------------------------------------------------------- identity
@method("getMe")
async def get_me(api: LocalBotApi, p: dict, files: dict) -> dict:
    return {**api.world.bot_user, "can_join_groups": True,
            "can_read_all_group_messages": not api.group_privacy,
            "supports_inline_queries": False, "can_connect_to_business": False,
            "has_main_web_app": False}


@method("logOut")
async def log_out(api: LocalBotApi, p: dict, files: dict) -> bool:
    return True


@method("close")
async def close(api: LocalBotApi, p: dict, files: dict) -> bool:
    return True


# ---------------------------------------------------------------- updates and webhooks
@method("getUpdates")
async def get_updates(api: LocalBotApi, p: dict, files: dict) -> list[dict]:
    queue = api.world.updates
    if api.webhook.url:
        raise errors.WEBHOOK_CONFLICT
    if p.get("allowed_updates") is not None:
        queue.set_allowed(p["allowed_updates"])
    if p.get("offset"):
        queue.confirm(p["offset"])
    limit = min(100, max(1, p.get("limit") or 100))
    timeout = max(0, p.get("timeout") or 0)
    api.poll_generation += 1
    generation = api.poll_generation
    queue.signal.fire()  # an older long poll is terminated by this one
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        if generation != api.poll_generation:
            raise errors.POLL_CONFLICT
        if queue.pending or api.closing or api.webhook.url:
            return queue.pending[:limit]
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            return []
        await queue.signal.wait(remaining)


@method("setWebhook")
async def set_webhook(api: LocalBotApi, p: dict, files: dict) -> bool:
    url = p.get("url") or ""
    if not url:
        await api.webhook.delete(bool(p.get("drop_pending_updates")))
        return True
    m = re.match(r"https?://([^/:]+)", url)
    if not m:
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if m.group(1) not in ("127.0.0.1", "localhost"):
        # The local server never leaves the machine.
        raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
    secret = p.get("secret_token")
    if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
        raise bad_request("secret token contains unallowed characters")
    if p.get("allowed_updates") is not None:
        api.world.updates.set_allowed(p["allowed_updates"])
    if p.get("drop_pending_updates"):
        api.world.updates.drop_all()
    api.webhook.set(url, secret, p.get("allowed_updates"), p.get("max_connections") or 40)
    return True


@method("deleteWebhook")
async def delete_webhook(api: LocalBotApi, p: dict, files: dict) -> bool:
    await api.webhook.delete(bool(p.get("drop_pending_updates")))
    return True


@method("getWebhookInfo")
async def get_webhook_info(api: LocalBotApi, p: dict, files: dict) -> dict:
    return api.webhook.info()


# ---------------------------------------------------------------- callbacks
@method("answerCallbackQuery")
async def answer_callback_query(api: LocalBotApi, p: dict, files: dict) -> bool:
    pending = api.world.callbacks.get(str(p.get("callback_query_id") or ""))
    if pending is None or pending.answer.done():
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = p.get("text")
    if text and len(str(text)) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    pending.answer.set_result({"text": text, "show_alert": bool(p.get("show_alert")),
                               "url": p.get("url"), "cache_time": p.get("cache_time")})
    return True


# ---------------------------------------------------------------- commands
def _command_key(api: LocalBotApi, p: dict) -> tuple[str, str]:
    scope = p.get("scope")
    if scope is not None and (not isinstance(scope, dict) or scope.get("type") not in SCOPES):
        raise bad_request("wrong parameter scope")
    if isinstance(scope, dict) and scope.get("type") in ("chat", "chat_administrators", "chat_member"):
        api.world.chat(scope.get("chat_id"))
    language = p.get("language_code") or ""
    if language and not re.fullmatch(r"[a-z]{2}", language):
        raise bad_request("invalid language code specified")
    return api.world.commands_key(scope, language)


@method("setMyCommands")
async def set_my_commands(api: LocalBotApi, p: dict, files: dict) -> bool:
    commands = p.get("commands")
    if not isinstance(commands, list):
        raise bad_request("parameter \"commands\" is required" if commands is None
                          else "can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("too many commands")
    clean = []
    for cmd in commands:
        if not isinstance(cmd, dict) or not re.fullmatch(r"[a-z0-9_]{1,32}", str(cmd.get("command", ""))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(cmd.get("description", "")).strip()) <= 256:
            raise bad_request("command description is empty" if not cmd.get("description")
                              else "BOT_COMMAND_DESCRIPTION_INVALID")
        clean.append({"command": cmd["command"], "description": cmd["description"]})
    key = _command_key(api, p)
    if clean:
        api.world.commands[key] = clean
    else:
        api.world.commands.pop(key, None)
    return True


@method("getMyCommands")
async def get_my_commands(api: LocalBotApi, p: dict, files: dict) -> list[dict]:
    return list(api.world.commands.get(_command_key(api, p), []))


@method("deleteMyCommands")
async def delete_my_commands(api: LocalBotApi, p: dict, files: dict) -> bool:
    api.world.commands.pop(_command_key(api, p), None)
    return True


# ---------------------------------------------------------------- the menu button
MENU_BUTTONS = {"commands", "web_app", "default"}


def check_web_app(web_app: object) -> None:
    """A Mini App's address: Telegram opens HTTPS only."""
    url = web_app.get("url") if isinstance(web_app, dict) else None
    if not isinstance(url, str) or not re.match(r"https://[^\s/]+\S*$", url):
        raise bad_request(f"Web App URL '{url}' is invalid: Only HTTPS links are allowed")


@method("setChatMenuButton")
async def set_chat_menu_button(api: LocalBotApi, p: dict, files: dict) -> bool:
    button = p.get("menu_button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in MENU_BUTTONS:
        raise bad_request("can't parse menu button JSON object")
    if button["type"] == "web_app":
        if not 1 <= len(str(button.get("text") or "").strip()) <= 64:
            raise bad_request("menu button text is empty" if not button.get("text") else "BUTTON_TEXT_INVALID")
        check_web_app(button.get("web_app"))
    chat_id = p.get("chat_id")
    if chat_id not in (None, ""):
        chat = api.world.chat(chat_id)
        if chat.is_group:
            raise bad_request("the menu button can be set only in private chats")
        chat_id = chat.id
    else:
        chat_id = None
    if button["type"] == "default":
        api.world.menu_buttons.pop(chat_id, None)
    else:
        api.world.menu_buttons[chat_id] = {k: button[k] for k in ("type", "text", "web_app") if k in button}
    return True


@method("getChatMenuButton")
async def get_chat_menu_button(api: LocalBotApi, p: dict, files: dict) -> dict:
    chat_id = p.get("chat_id")
    if chat_id not in (None, ""):
        chat_id = api.world.chat(chat_id).id
        if chat_id in api.world.menu_buttons:
            return dict(api.world.menu_buttons[chat_id])
    return dict(api.world.menu_buttons.get(None, {"type": "commands"}))


# ---------------------------------------------------------------- chats
@method("getChat")
async def get_chat(api: LocalBotApi, p: dict, files: dict) -> dict:
    chat = api.world.chat(p.get("chat_id"))
    return {**chat.chat, "accent_color_id": 0, "max_reaction_count": 11,
            "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                    "unique_gifts": False, "premium_subscription": False,
                                    "gifts_from_channels": False}}


@method("leaveChat")
async def leave_chat(api: LocalBotApi, p: dict, files: dict) -> bool:
    chat = api.world.chat(p.get("chat_id"))
    if not chat.is_group:
        raise bad_request("chat member status can't be changed in private chats")
    if not chat.bot_member:
        raise forbidden(f"bot is not a member of the {chat.chat['type']} chat")
    chat.bot_member = False
    api.world.left_chats.append(chat.id)
    api.world.updates.push("my_chat_member", {
        "chat": chat.chat, "from": api.world.bot_user, "date": now(),
        "old_chat_member": {"user": api.world.bot_user, "status": "member"},
        "new_chat_member": {"user": api.world.bot_user, "status": "left"},
    })
    return True


__all__ = ["METHODS"]
