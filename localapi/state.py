"""The in-memory world behind the local Bot API: chats, messages, files, updates.

Why: the HTTP side (the bot's calls) and the simulated people (sim.py) act on the same world.
Everything is mutated synchronously from the event loop, so each operation is atomic under
asyncio without locks; waiters are woken through ``Signal``.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import BLOCKED, CHAT_NOT_FOUND, bad_request, forbidden
from .files import FileStore

if TYPE_CHECKING:
    from .sim import SimUser

DEFAULT_UPDATE_TYPES = {
    "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
    "business_message", "edited_business_message", "deleted_business_messages", "inline_query",
    "chosen_inline_result", "callback_query", "shipping_query", "pre_checkout_query",
    "purchased_paid_media", "poll", "poll_answer", "my_chat_member", "chat_join_request",
    "chat_boost", "removed_chat_boost",
}


def now() -> int:
    return int(time.time())


class Signal:
    """A re-armable broadcast: ``fire()`` wakes every current ``wait()``.

    Callers check their condition, then wait; with no ``await`` in between nothing is missed.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float | None) -> bool:
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), timeout)
            return True
        except TimeoutError:
            return False


@dataclass
class BotMessage:
    """A message the bot sent, in its current state (edits and deletes are applied in place).

    ``text`` is what the person sees: the text (or caption) after HTML/Markdown parsing;
    ``raw_text`` is what the bot sent. ``history`` holds previous texts, oldest first.
    """

    chat_id: int
    message_id: int
    text: str | None
    parse_mode: str | None = None
    reply_markup: dict | None = None
    entities: list[dict] = field(default_factory=list)
    raw_text: str | None = None
    edited: int = 0
    deleted: bool = False
    document: dict | None = None  # {"file_name", "mime_type", "data", "file_id"}
    photo: bytes | None = None
    date: int = field(default_factory=now)
    history: list[str] = field(default_factory=list)
    kind: str = "text"  # "text", "document" or "photo"
    media: Any = None  # the Telegram Document object, or list of PhotoSize
    edit_date: int | None = None
    disable_notification: bool = False
    link_preview_options: dict | None = None
    reply_to_message_id: int | None = None

    @property
    def buttons(self) -> list[list[tuple[str, str | None]]]:
        """Rows of ``(text, callback_data or url)``; reply-keyboard buttons give ``(text, None)``."""
        markup = self.reply_markup or {}
        if "inline_keyboard" in markup:
            return [[(b.get("text", ""), b.get("callback_data", b.get("url"))) for b in row]
                    for row in markup["inline_keyboard"]]
        if "keyboard" in markup:
            return [[(b if isinstance(b, str) else b.get("text", ""), None) for b in row]
                    for row in markup["keyboard"]]
        return []

    @property
    def button_texts(self) -> list[str]:
        return [text for row in self.buttons for text, _ in row]

    @property
    def inline_buttons(self) -> list[dict]:
        markup = self.reply_markup or {}
        return [b for row in markup.get("inline_keyboard", []) for b in row]

    def summary(self) -> dict[str, Any]:
        """JSON-safe view (for the HTTP control side and error messages)."""
        out = {k: getattr(self, k) for k in (
            "chat_id", "message_id", "text", "parse_mode", "reply_markup", "edited", "deleted",
            "date", "history", "kind", "raw_text")}
        out["buttons"] = self.buttons
        if self.document:
            out["document"] = {k: v for k, v in self.document.items() if k != "data"}
            out["document"]["size"] = len(self.document["data"])
        if self.photo is not None:
            out["photo_size"] = len(self.photo)
        return out


@dataclass
class ChatState:
    chat: dict  # the Telegram Chat object
    user: SimUser | None = None  # for private chats
    started: bool = False  # the user wrote to the bot at least once
    blocked: bool = False
    bot_member: bool = True
    bot_kicked: bool = False
    members: list = field(default_factory=list)
    bot_messages: dict[int, BotMessage] = field(default_factory=dict)
    user_messages: dict[int, dict] = field(default_factory=dict)
    deleted_user_messages: set[int] = field(default_factory=set)
    reply_keyboard: dict | None = None
    actions: list[str] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    @property
    def id(self) -> int:
        return self.chat["id"]

    @property
    def is_group(self) -> bool:
        return self.chat["type"] in ("group", "supergroup")

    def new_message_id(self) -> int:
        return next(self._ids)

    def transcript(self) -> str:
        """Both sides of the conversation, for readable assertion errors."""
        lines = []
        for mid in sorted([*self.bot_messages, *self.user_messages]):
            if mid in self.bot_messages:
                bm = self.bot_messages[mid]
                flags = (" [deleted]" if bm.deleted else "") + (f" [edited x{bm.edited}]" if bm.edited else "")
                extra = f" buttons={bm.button_texts}" if bm.buttons else ""
                lines.append(f"  #{mid} bot: {bm.text!r}{flags}{extra}")
            else:
                m = self.user_messages[mid]
                content = m.get("text") or m.get("caption") or next(
                    (k for k in ("sticker", "photo", "voice", "document") if k in m), "?")
                lines.append(f"  #{mid} {m['from']['first_name']}: {content!r}")
        return "\n".join(lines) or "  (no messages)"


@dataclass
class PendingCallback:
    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answer: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class UpdateQueue:
    """Updates not yet confirmed by the bot (getUpdates offset) or delivered (webhook)."""

    def __init__(self) -> None:
        self.pending: list[dict] = []
        self.delivered: list[dict] = []  # every confirmed update, for assertions
        self.allowed: set[str] = set(DEFAULT_UPDATE_TYPES)
        self.signal = Signal()
        self.last_change = time.monotonic()
        self._ids = itertools.count(1)

    def push(self, kind: str, payload: dict) -> dict | None:
        if kind not in self.allowed:
            return None
        update = {"update_id": next(self._ids), kind: payload}
        self.pending.append(update)
        self.last_change = time.monotonic()
        self.signal.fire()
        return update

    def set_allowed(self, kinds: list[str] | None) -> None:
        self.allowed = set(kinds) if kinds else set(DEFAULT_UPDATE_TYPES)
        self.pending = [u for u in self.pending if _kind(u) in self.allowed]

    def confirm(self, offset: int) -> None:
        """Forget updates with ``update_id < offset`` (negative: keep only the last -offset)."""
        if offset < 0:
            cut = max(0, len(self.pending) + offset)
            done, self.pending = self.pending[:cut], self.pending[cut:]
        else:
            done = [u for u in self.pending if u["update_id"] < offset]
            self.pending = [u for u in self.pending if u["update_id"] >= offset]
        if done:
            self.delivered.extend(done)
            self.last_change = time.monotonic()
            self.signal.fire()

    def drop_all(self) -> None:
        self.pending.clear()
        self.signal.fire()


def _kind(update: dict) -> str:
    return next(k for k in update if k != "update_id")


class World:
    """All chats, messages, files and pending updates of one local server."""

    def __init__(self, bot_user: dict) -> None:
        self.bot_user = bot_user
        self.chats: dict[int, ChatState] = {}
        self.users: dict[int, SimUser] = {}
        self.files = FileStore()
        self.updates = UpdateQueue()
        self.callbacks: dict[str, PendingCallback] = {}
        self.commands: dict[tuple[str, str], list[dict]] = {}
        self.menu_buttons: dict[int | None, dict] = {}  # chat id (None: the bot's default) → MenuButton
        self.left_chats: list[int] = []
        self.changed = Signal()  # bot messages sent/edited/deleted

    # -- lookups used by Bot API methods
    def chat(self, chat_id: Any) -> ChatState:
        """The chat as the bot knows it, or 400 chat not found."""
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            found = next((c for c in self.chats.values()
                          if c.chat.get("username", "").lower() == chat_id[1:].lower()), None)
            if found:
                return found
        elif chat_id is not None and chat_id != "":
            try:
                found = self.chats.get(int(chat_id))
            except (TypeError, ValueError):
                found = None
            if found:
                return found
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        raise bad_request(CHAT_NOT_FOUND)

    def writable_chat(self, chat_id: Any) -> ChatState:
        """The chat if the bot may post in it, else Telegram's 400/403."""
        chat = self.chat(chat_id)
        if chat.is_group:
            if chat.bot_kicked:
                raise forbidden(f"bot was kicked from the {chat.chat['type']} chat")
            if not chat.bot_member:
                raise forbidden(f"bot is not a member of the {chat.chat['type']} chat")
        elif chat.blocked:
            raise forbidden(BLOCKED)
        elif not chat.started:
            raise forbidden("bot can't initiate conversation with a user")
        return chat

    def message_json(self, bm: BotMessage, with_reply: bool = True) -> dict:
        """The Telegram Message object for a bot message, as it is now."""
        chat = self.chats[bm.chat_id]
        msg: dict[str, Any] = {"message_id": bm.message_id, "from": self.bot_user,
                               "chat": chat.chat, "date": bm.date}
        text_key, ent_key = ("text", "entities") if bm.kind == "text" else ("caption", "caption_entities")
        if bm.text:
            msg[text_key] = bm.text
        if bm.entities:
            msg[ent_key] = bm.entities
        if bm.kind != "text":
            msg[bm.kind] = bm.media
        if bm.edit_date:
            msg["edit_date"] = bm.edit_date
        if bm.reply_markup and "inline_keyboard" in bm.reply_markup:
            msg["reply_markup"] = bm.reply_markup
        if bm.link_preview_options:
            msg["link_preview_options"] = bm.link_preview_options
        if with_reply and bm.reply_to_message_id:
            replied = self.any_message_json(chat, bm.reply_to_message_id)
            if replied:
                msg["reply_to_message"] = replied
        return msg

    def any_message_json(self, chat: ChatState, message_id: int) -> dict | None:
        if message_id in chat.bot_messages and not chat.bot_messages[message_id].deleted:
            return self.message_json(chat.bot_messages[message_id], with_reply=False)
        if message_id in chat.user_messages and message_id not in chat.deleted_user_messages:
            return {k: v for k, v in chat.user_messages[message_id].items() if k != "reply_to_message"}
        return None

    def commands_key(self, scope: Any, language_code: str | None) -> tuple[str, str]:
        if scope is None or scope == "":
            scope = {"type": "default"}
        elif isinstance(scope, str):
            scope = {"type": scope}
        return json.dumps(scope, sort_keys=True), language_code or ""
