"""The Bot API methods that send, edit and delete messages, with Telegram's validations.

Why: what the person sees is decided here (parse modes, keyboards, captions, media, edits), so
these change together; each is a function of ``(api, params, uploads)`` like in methods.py.
"""

from __future__ import annotations

import mimetypes
import re
from typing import TYPE_CHECKING, Any

from .errors import bad_request
from .files import StoredFile, document_object, photo_sizes
from .formatting import MAX_CAPTION, MAX_TEXT, render
from .params import Upload
from .registry import MethodTable
from .state import BotMessage, ChatState, now

if TYPE_CHECKING:
    from .server import LocalBotApi

METHODS = MethodTable()
method = METHODS.register

CHAT_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
}


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
            elif "web_app" in button:
                if not re.match(r"https://[^\s/]+\S*$", str((button["web_app"] or {}).get("url", ""))
                                if isinstance(button["web_app"], dict) else ""):
                    raise bad_request("BUTTON_TYPE_INVALID: Web App URLs must be HTTPS")
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


def _checked_text(p: dict) -> tuple[str, list]:
    """The text and its entities, refused as Telegram does when empty or over 4096 characters."""
    raw = p.get("text")
    if raw is None or not str(raw).strip():
        raise bad_request("message text is empty")
    text, entities = render(str(raw), p.get("parse_mode"), p.get("entities"))
    if not text:
        raise bad_request("message text is empty")
    if len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    return text, entities


@method("sendMessage")
async def send_message(api: LocalBotApi, p: dict, files: dict) -> dict:
    chat = api.world.writable_chat(p.get("chat_id"))
    raw = p.get("text")
    text, entities = _checked_text(p)
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


def _upload(api: LocalBotApi, p: dict, files: dict[str, Upload], field: str, kind: str) -> StoredFile:
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
    text, entities = _checked_text(p)
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


__all__ = ["METHODS", "validate_markup"]
