"""Decoding of Bot API request parameters, whatever the transport.

Why: Telegram accepts query strings, url-encoded forms, JSON bodies and multipart uploads.
python-telegram-bot sends url-encoded forms (multipart when uploading) in which every
non-string value is a JSON string, so object fields must be JSON-decoded and ints/bools coerced.
Only known fields are decoded: a message text "123" or "true" must stay a string.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from .errors import bad_request

JSON_FIELDS = {
    "reply_markup", "entities", "caption_entities", "commands", "scope", "menu_button", "allowed_updates",
    "link_preview_options", "reply_parameters", "media", "message_ids",
}
INT_FIELDS = {
    "message_id", "offset", "limit", "timeout", "user_id", "max_connections",
    "message_thread_id", "reply_to_message_id", "cache_time", "from_chat_id", "duration",
}
BOOL_FIELDS = {
    "disable_notification", "show_alert", "drop_pending_updates", "protect_content",
    "disable_web_page_preview", "allow_sending_without_reply", "has_spoiler",
    "disable_content_type_detection", "show_caption_above_media", "allow_paid_broadcast",
}
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


@dataclass
class Upload:
    """A file received in a multipart request."""

    filename: str | None
    data: bytes
    mime_type: str | None


async def read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Return ``(params, uploads)`` for a Bot API call, decoded and coerced."""
    params: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    ctype = request.content_type
    if ctype == "application/json":
        raw = await request.read()
        if raw.strip():
            try:
                body = json.loads(raw)
            except ValueError:
                raise bad_request("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON object")
            params.update(body)
    elif ctype.startswith("multipart/"):
        reader = await request.multipart()
        async for part in reader:
            if part.name is None:
                continue
            if part.filename is not None:
                data = await part.read(decode=False)
                mime = part.headers.get("Content-Type")
                uploads[part.name] = Upload(part.filename, bytes(data), mime)
            else:
                params[part.name] = await part.text()
    elif request.can_read_body:
        params.update(await request.post())
    return coerce(params), uploads


def coerce(params: dict[str, Any]) -> dict[str, Any]:
    """JSON-decode object fields, coerce numeric and boolean fields (values may be strings)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, str):
            if key in JSON_FIELDS:
                value = _json_field(key, value)
            elif key in INT_FIELDS or key == "chat_id":
                value = _int_field(key, value)
            elif key in BOOL_FIELDS:
                value = _bool_field(key, value)
        out[key] = value
    return out


def _json_field(key: str, value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        if key == "reply_markup":
            raise bad_request("can't parse reply keyboard markup JSON object") from None
        if key in {"entities", "caption_entities"}:
            raise bad_request("can't parse entities JSON object") from None
        raise bad_request(f"can't parse {key} JSON object") from None


def _int_field(key: str, value: str) -> int | float | str:
    try:
        return int(value)
    except ValueError:
        pass
    try:
        if key != "chat_id":
            return float(value)  # e.g. a fractional long-poll timeout
    except ValueError:
        if key == "chat_id" and value.startswith("@"):
            return value  # public username, resolved later
        if key == "chat_id":
            raise bad_request("chat not found") from None
        raise bad_request(f"wrong parameter {key} specified") from None


def _bool_field(key: str, value: str) -> bool:
    low = value.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise bad_request(f"wrong parameter {key} specified")
