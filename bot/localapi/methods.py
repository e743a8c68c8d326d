"""The Bot API methods the project uses, with Telegram's validations and error messages.

Why: each method is a small function of ``(api, params, uploads)`` returning the ``result``
or raising ``ApiError``; server.py does transport, faults and rate limits around them.
"""

from __future__ import annotations

import asyncio
import mimetypes
import re
import struct
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from . import errors
from .errors import bad_request, forbidden
from .formatting import MAX_CAPTION, MAX_TEXT, render
from .params import Upload
from .state import BotMessage, ChatState, now

if TYPE_CHECKING:
    from .server import LocalBotApi

Method = Callable[["LocalBotApi", dict, dict], Awaitable[Any]]
METHODS: dict[str, tuple[str, Method]] = {}  # lower-case name -> (canonical name, function)

CHAT_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
}
SCOPES = {"default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
          "chat_administrators", "chat_member"}


def method(name: str) -> Callable[[Method], Method]:
    def register(fn: Method) -> Method:
        METHODS[name.lower()] = (name, fn)
        return fn
    return register


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


# ---------------------------------------------------------------- sending
def _reply_target(api: LocalBotApi, chat: ChatState, p: dict) -> int | None:
    params = p.get("reply_parameters") or {}
    target = params.get("message_id") or p.get("reply_to_message_id")
    if not target:
        return None
    if api.world.any_message_json(chat, int(target)) is None:
        if params.get("allow_sending_without_reply") or p.get("allow_sending_without_reply"):
            return None
        raise bad_request("message to be replied not found")
    return int(target)


def validate_markup(markup: Any, inline_only: bool = False) -> dict | None:
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request("can't parse inline keyboard button: Field \"inline_keyboard\" must be of type Array")
        for button in (b for row in rows for b in row):
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request("can't parse inline keyboard button: Text must be a String")
            if "callback_data" in button:
                if not 1 <= len(str(button["callback_data"]).encode("utf-8")) <= 64:
                    raise bad_request("BUTTON_DATA_INVALID")
            elif "url" in button:
                if not re.match(r"(https?|tg)://\S+$", str(button["url"])):
                    raise bad_request("BUTTON_URL_INVALID")
            elif not set(button) & {"switch_inline_query", "switch_inline_query_current_chat", "web_app",
                                    "login_url", "pay", "callback_game", "copy_text",
                                    "switch_inline_query_chosen_chat"}:
                raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
        return markup
    if inline_only:
        raise bad_request("inline keyboard expected")
    if "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request("can't parse reply keyboard markup JSON object")
        return markup
    if markup.get("remove_keyboard") or markup.get("force_reply"):
        return markup
    raise bad_request("can't parse reply keyboard markup JSON object")


def _remember_keyboard(chat: ChatState, markup: dict | None) -> None:
    if markup and "keyboard" in markup:
        chat.reply_keyboard = markup
    elif markup and markup.get("remove_keyboard"):
        chat.reply_keyboard = None


def _store(api: LocalBotApi, chat: ChatState, bm: BotMessage) -> dict:
    chat.bot_messages[bm.message_id] = bm
    _remember_keyboard(chat, bm.reply_markup)
    api.world.changed.fire()
    return api.world.message_json(bm)


@method("sendMessage")
async def send_message(api: LocalBotApi, p: dict, files: dict) -> dict:
    chat = api.world.writable_chat(p.get("chat_id"))
    raw = p.get("text")
    if raw is None or not str(raw).strip():
        raise bad_request("message text is empty")
    text, entities = render(str(raw), p.get("parse_mode"), p.get("entities"))
    if not text:
        raise bad_request("message text is empty")
    if len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    markup = validate_markup(p.get("reply_markup"))
    reply_to = _reply_target(api, chat, p)
    preview = p.get("link_preview_options")
    if preview is None and p.get("disable_web_page_preview"):
        preview = {"is_disabled": True}
    bm = BotMessage(chat.id, chat.new_message_id(), text, parse_mode=p.get("parse_mode"),
                    reply_markup=markup, entities=entities, raw_text=str(raw),
                    disable_notification=bool(p.get("disable_notification")),
                    link_preview_options=preview, reply_to_message_id=reply_to)
    return _store(api, chat, bm)


def _upload(api: LocalBotApi, p: dict, files: dict[str, Upload], field: str, kind: str):
    value = p.get(field)
    upload = files.get(field)
    if upload is None and isinstance(value, str) and value.startswith("attach://"):
        upload = files.get(value[len("attach://"):])
    if upload is not None:
        if not upload.data:
            raise bad_request("file must be non-empty")
        name = p.get("filename") or upload.filename
        mime = upload.mime_type
        if not mime or mime == "application/octet-stream":
            mime = mimetypes.guess_type(name or "")[0] or mime or "application/octet-stream"
        return api.world.files.add(upload.data, name, mime, kind)
    if not value:
        raise bad_request(f"there is no {field} in the request")
    known = api.world.files.get(str(value))
    if known:
        return known
    if re.match(r"https?://", str(value)):
        name = str(value).rstrip("/").rsplit("/", 1)[-1] or None
        return api.world.files.add(b"", name, mimetypes.guess_type(name or "")[0], kind)
    raise bad_request("wrong file identifier/HTTP URL specified")


def _caption(p: dict) -> tuple[str | None, list[dict]]:
    raw = p.get("caption")
    if not raw:
        return None, []
    text, entities = render(str(raw), p.get("parse_mode"), p.get("caption_entities"))
    if len(text) > MAX_CAPTION:
        raise bad_request("message caption is too long")
    return text, entities


def _image_size(data: bytes) -> tuple[int, int]:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    return 320, 320


def document_object(stored) -> dict:
    return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
            "file_name": stored.file_name, "mime_type": stored.mime_type,
            "file_size": len(stored.data)}


def photo_sizes(stored) -> list[dict]:
    width, height = _image_size(stored.data)
    return [{"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
             "width": width, "height": height, "file_size": len(stored.data)}]


async def _send_media(api: LocalBotApi, p: dict, files: dict, kind: str) -> dict:
    chat = api.world.writable_chat(p.get("chat_id"))
    stored = _upload(api, p, files, kind, kind)
    caption, entities = _caption(p)
    markup = validate_markup(p.get("reply_markup"))
    bm = BotMessage(chat.id, chat.new_message_id(), caption, parse_mode=p.get("parse_mode"),
                    reply_markup=markup, entities=entities, raw_text=p.get("caption"), kind=kind,
                    disable_notification=bool(p.get("disable_notification")),
                    reply_to_message_id=_reply_target(api, chat, p))
    if kind == "document":
        bm.media = document_object(stored)
        bm.document = {"file_name": stored.file_name, "mime_type": stored.mime_type,
                       "data": stored.data, "file_id": stored.file_id}
    else:
        bm.media = photo_sizes(stored)
        bm.photo = stored.data
    return _store(api, chat, bm)


@method("sendDocument")
async def send_document(api: LocalBotApi, p: dict, files: dict) -> dict:
    return await _send_media(api, p, files, "document")


@method("sendPhoto")
async def send_photo(api: LocalBotApi, p: dict, files: dict) -> dict:
    return await _send_media(api, p, files, "photo")


@method("getFile")
async def get_file(api: LocalBotApi, p: dict, files: dict) -> dict:
    stored = api.world.files.get(str(p.get("file_id") or ""))
    if not stored:
        raise bad_request("invalid file_id")
    return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data), "file_path": stored.file_path}


@method("sendChatAction")
async def send_chat_action(api: LocalBotApi, p: dict, files: dict) -> bool:
    chat = api.world.writable_chat(p.get("chat_id"))
    if p.get("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat.actions.append(p["action"])
    return True


# ---------------------------------------------------------------- editing
def _editable(api: LocalBotApi, p: dict) -> tuple[ChatState, BotMessage]:
    if p.get("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    chat = api.world.writable_chat(p.get("chat_id"))
    mid = p.get("message_id")
    bm = chat.bot_messages.get(mid) if isinstance(mid, int) else None
    if bm is None or bm.deleted:
        if mid in chat.user_messages and mid not in chat.deleted_user_messages:
            raise bad_request("message can't be edited")
        raise bad_request("message to edit not found")
    return chat, bm


NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message")


def _apply_edit(api: LocalBotApi, bm: BotMessage, text: str | None, entities: list[dict],
                markup: dict | None, raw: str | None, parse_mode: str | None) -> dict:
    if text == bm.text and entities == bm.entities and markup == bm.reply_markup:
        raise bad_request(NOT_MODIFIED)
    if text != bm.text:
        bm.history.append(bm.text or "")
    bm.text, bm.entities, bm.reply_markup = text, entities, markup
    bm.raw_text, bm.parse_mode = raw, parse_mode
    bm.edited += 1
    bm.edit_date = now()
    api.world.changed.fire()
    return api.world.message_json(bm)


@method("editMessageText")
async def edit_message_text(api: LocalBotApi, p: dict, files: dict) -> dict:
    _, bm = _editable(api, p)
    if bm.kind != "text":
        raise bad_request("there is no text in the message to edit")
    raw = p.get("text")
    if raw is None or not str(raw).strip():
        raise bad_request("message text is empty")
    text, entities = render(str(raw), p.get("parse_mode"), p.get("entities"))
    if not text:
        raise bad_request("message text is empty")
    if len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    markup = validate_markup(p.get("reply_markup"), inline_only=True)
    return _apply_edit(api, bm, text, entities, markup, str(raw), p.get("parse_mode"))


@method("editMessageCaption")
async def edit_message_caption(api: LocalBotApi, p: dict, files: dict) -> dict:
    _, bm = _editable(api, p)
    if bm.kind == "text":
        raise bad_request("there is no caption in the message to edit")
    caption, entities = _caption(p)
    markup = validate_markup(p.get("reply_markup"), inline_only=True)
    return _apply_edit(api, bm, caption, entities, markup, p.get("caption"), p.get("parse_mode"))


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(api: LocalBotApi, p: dict, files: dict) -> dict:
    _, bm = _editable(api, p)
    markup = validate_markup(p.get("reply_markup"), inline_only=True)
    return _apply_edit(api, bm, bm.text, bm.entities, markup, bm.raw_text, bm.parse_mode)


@method("deleteMessage")
async def delete_message(api: LocalBotApi, p: dict, files: dict) -> bool:
    chat = api.world.chat(p.get("chat_id"))
    mid = p.get("message_id")
    bm = chat.bot_messages.get(mid) if isinstance(mid, int) else None
    if bm is not None and not bm.deleted:
        bm.deleted = True
        api.world.changed.fire()
        return True
    if mid in chat.user_messages and mid not in chat.deleted_user_messages:
        if chat.is_group:
            raise bad_request("message can't be deleted")  # the bot is not an admin here
        chat.deleted_user_messages.add(mid)
        return True
    raise bad_request("message to delete not found")


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


def lookup(name: str) -> tuple[str, Method] | None:
    return METHODS.get(name.lower())


__all__ = ["METHODS", "lookup", "validate_markup"]
