"""Simulated people: users in private chats and groups, acting on the local Bot API.

Why: tests and demos need to behave like a person in the Telegram app: write text and
commands, send stickers/photos/voice/documents, press inline buttons, block the bot, add it to
a group; and read what the bot sent, in its current (edited) state. Each action produces the
update Telegram would produce, queued for getUpdates or the webhook.
"""

from __future__ import annotations

import asyncio
import itertools
import mimetypes
from typing import TYPE_CHECKING, Any, Callable

from .files import document_object, photo_sizes
from .formatting import command_entities
from .state import BotMessage, ChatState, PendingCallback, now

if TYPE_CHECKING:
    from .server import LocalBotApi

_callback_ids = itertools.count(4_417_000_000_000_000_001)
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8ffff3f0005fe02fea7d6a4f30000000049454e44ae426082"
)


class _ChatView:
    """Reading side shared by private chats and groups: bot messages and a wait cursor."""

    server: LocalBotApi
    chat_id: int

    def __init__(self) -> None:
        self._cursor = 0

    @property
    def _chat(self) -> ChatState:
        return self.server.world.chats[self.chat_id]

    @property
    def messages(self) -> list[BotMessage]:
        """All bot messages in this chat, in order, in their current state (deleted ones too)."""
        return list(self._chat.bot_messages.values())

    @property
    def last_message(self) -> BotMessage | None:
        live = [m for m in self.messages if not m.deleted]
        return live[-1] if live else None

    @property
    def transcript(self) -> str:
        return self._chat.transcript()

    async def wait_for_message(self, timeout: float = 5,
                               predicate: Callable[[BotMessage], bool] | None = None) -> BotMessage:
        """Next bot message after the cursor (matching ``predicate``); moves the cursor past it.

        Messages skipped because they did not match the predicate are consumed too.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            msgs = self.messages
            for index in range(self._cursor, len(msgs)):
                if predicate is None or predicate(msgs[index]):
                    self._cursor = index + 1
                    return msgs[index]
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"no new bot message in chat {self.chat_id} within {timeout}s"
                    f"{' matching the predicate' if predicate else ''}; conversation:\n{self.transcript}")
            await self.server.world.changed.wait(remaining)

    def skip_to_end(self) -> None:
        """Mark every message sent so far as consumed by ``wait_for_message``."""
        self._cursor = len(self.messages)

    def _push_message(self, sender: SimUser, content: dict, reply_to: BotMessage | int | None = None,
                      deliver: bool = True) -> dict:
        chat = self._chat
        msg = {"message_id": chat.new_message_id(), "from": sender.to_dict(), "chat": chat.chat,
               "date": now(), **content}
        if reply_to is not None:
            target = reply_to.message_id if isinstance(reply_to, BotMessage) else int(reply_to)
            replied = self.server.world.any_message_json(chat, target)
            if replied is None:
                raise AssertionError(f"cannot reply to unknown message {target}:\n{chat.transcript()}")
            msg["reply_to_message"] = replied
        chat.user_messages[msg["message_id"]] = msg
        if deliver:
            self.server.world.updates.push("message", msg)
        return msg


class SimUser(_ChatView):
    """A person talking to the bot in a private chat (chat id == user id)."""

    def __init__(self, server: LocalBotApi, user_id: int, first_name: str, last_name: str | None,
                 username: str | None, language_code: str | None) -> None:
        super().__init__()
        self.server = server
        self.id = self.chat_id = user_id
        self.first_name, self.last_name = first_name, last_name
        self.username, self.language_code = username, language_code
        chat = {"id": user_id, "type": "private", "first_name": first_name}
        if last_name:
            chat["last_name"] = last_name
        if username:
            chat["username"] = username
        server.world.chats[user_id] = ChatState(chat=chat, user=self)

    def __repr__(self) -> str:
        return f"SimUser(id={self.id}, first_name={self.first_name!r})"

    def to_dict(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    @property
    def blocked(self) -> bool:
        return self._chat.blocked

    @property
    def reply_keyboard(self) -> list[list[str]] | None:
        """The reply keyboard currently shown under the input field, as rows of texts."""
        markup = self._chat.reply_keyboard
        if not markup:
            return None
        return [[b if isinstance(b, str) else b.get("text", "") for b in row] for row in markup["keyboard"]]

    @property
    def chat_actions(self) -> list[str]:
        return list(self._chat.actions)

    def open_chat(self) -> None:
        """The person opened the chat with the bot earlier (no update now): the bot may write first."""
        self._chat.started = True

    # -- writing
    def _send(self, content: dict, reply_to: BotMessage | int | None = None) -> dict:
        chat = self._chat
        chat.started = True
        if chat.blocked:
            # The app offers "Restart" to write to a blocked bot: that unblocks it first.
            chat.blocked = False
            self._member_update("kicked", "member")
        return self._push_message(self, content, reply_to)

    async def send(self, text: str, *, reply_to: BotMessage | int | None = None) -> dict:
        """Write ``text`` (commands get ``bot_command`` entities); returns the message dict."""
        content: dict[str, Any] = {"text": text}
        entities = command_entities(text)
        if entities:
            content["entities"] = entities
        keyboard = self._chat.reply_keyboard
        if keyboard and keyboard.get("one_time_keyboard") and text in sum(self.reply_keyboard or [], []):
            self._chat.reply_keyboard = None
        return self._send(content, reply_to)

    async def press_keyboard(self, text: str) -> dict:
        """Tap a button of the reply keyboard (sends its text); fails if it is not shown."""
        rows = self.reply_keyboard or []
        if text not in sum(rows, []):
            raise AssertionError(f"no reply keyboard button {text!r}; keyboard: {rows}")
        return await self.send(text)

    async def send_sticker(self, emoji: str = "👍", set_name: str | None = "LocalStickers") -> dict:
        stored = self.server.world.files.add(b"RIFF\x00\x00\x00\x00WEBP", None, "image/webp", "sticker")
        sticker = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                   "type": "regular", "width": 512, "height": 512, "is_animated": False,
                   "is_video": False, "emoji": emoji, "file_size": len(stored.data)}
        if set_name:
            sticker["set_name"] = set_name
        return self._send({"sticker": sticker})

    async def send_photo(self, data: bytes | None = None, caption: str | None = None) -> dict:
        stored = self.server.world.files.add(data or TINY_PNG, None, "image/jpeg", "photo")
        content: dict[str, Any] = {"photo": photo_sizes(stored)}
        if caption:
            content["caption"] = caption
        return self._send(content)

    async def send_voice(self, duration: int = 3, data: bytes | None = None) -> dict:
        stored = self.server.world.files.add(data or b"OggS\x00\x02" + bytes(64), None, "audio/ogg", "voice")
        return self._send({"voice": {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                                     "duration": duration, "mime_type": "audio/ogg",
                                     "file_size": len(stored.data)}})

    async def send_document(self, filename: str = "document.txt", data: bytes = b"hello",
                            mime_type: str | None = None, caption: str | None = None) -> dict:
        mime = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        stored = self.server.world.files.add(data, filename, mime, "document")
        content: dict[str, Any] = {"document": document_object(stored)}
        if caption:
            content["caption"] = caption
        return self._send(content)

    async def edit(self, message_id: int | dict, text: str) -> dict:
        """Edit one of this user's messages: queues an ``edited_message`` update."""
        mid = message_id["message_id"] if isinstance(message_id, dict) else message_id
        msg = self._chat.user_messages.get(mid)
        if msg is None or msg["from"]["id"] != self.id or "text" not in msg:
            raise AssertionError(f"{self!r} has no text message {mid} to edit:\n{self.transcript}")
        msg["text"], msg["edit_date"] = text, now()
        entities = command_entities(text)
        msg.pop("entities", None)
        if entities:
            msg["entities"] = entities
        self.server.world.updates.push("edited_message", dict(msg))
        return msg

    # -- inline buttons
    def _bot_message(self, message: BotMessage | int) -> BotMessage:
        if isinstance(message, BotMessage):
            return message
        bm = self._chat.bot_messages.get(int(message))
        if bm is None:
            raise AssertionError(f"no bot message {message} in chat {self.chat_id}:\n{self.transcript}")
        return bm

    async def press(self, message: BotMessage | int, text: str | None = None,
                    data: str | None = None) -> str:
        """Press an inline button by text (exact, else substring) and/or callback_data.

        Returns the callback query id (see ``callback_answer``).
        """
        bm = self._bot_message(message)
        if bm.deleted:
            raise AssertionError(f"message {bm.message_id} was deleted; its buttons cannot be pressed")
        buttons = bm.inline_buttons
        found = buttons
        if data is not None:
            found = [b for b in found if b.get("callback_data") == data]
        if text is not None:
            exact = [b for b in found if b.get("text") == text]
            found = exact or [b for b in found if text in b.get("text", "")]
        if text is None and data is None and len(buttons) != 1:
            found = []
        if not found:
            raise AssertionError(
                f"no inline button matching text={text!r} data={data!r} on message {bm.message_id} "
                f"({bm.text!r}); buttons: {bm.buttons}")
        button = found[0]
        if "callback_data" not in button:
            raise AssertionError(f"button {button.get('text')!r} is not a callback button: {button}")
        return await self.press_data(bm, button["callback_data"])

    async def press_data(self, message: BotMessage | int, data: str) -> str:
        """Send a callback query with arbitrary (possibly forged or stale) data."""
        bm = self._bot_message(message)
        world = self.server.world
        cq_id = str(next(_callback_ids))
        world.callbacks[cq_id] = PendingCallback(cq_id, self.id, bm.chat_id, bm.message_id, data)
        world.updates.push("callback_query", {
            "id": cq_id, "from": self.to_dict(), "message": world.message_json(bm),
            "chat_instance": str(abs(hash((bm.chat_id, self.server.bot_id))) % 10**18), "data": data,
        })
        return cq_id

    async def callback_answer(self, cq_id: str, timeout: float = 5) -> dict:
        """Wait for the bot's answerCallbackQuery: ``{"text", "show_alert", "url", "cache_time"}``."""
        pending = self.server.world.callbacks[cq_id]
        try:
            return await asyncio.wait_for(asyncio.shield(pending.answer), timeout)
        except TimeoutError:
            raise TimeoutError(f"bot did not answer callback query {cq_id} "
                               f"(data={pending.data!r}) within {timeout}s") from None

    # -- membership
    def _member_update(self, old: str, new: str) -> None:
        bot = self.server.world.bot_user
        new_member: dict[str, Any] = {"user": bot, "status": new}
        if new == "kicked":
            new_member["until_date"] = 0
        old_member: dict[str, Any] = {"user": bot, "status": old}
        if old == "kicked":
            old_member["until_date"] = 0
        self.server.world.updates.push("my_chat_member", {
            "chat": self._chat.chat, "from": self.to_dict(), "date": now(),
            "old_chat_member": old_member, "new_chat_member": new_member})

    async def block_bot(self) -> None:
        """Block the bot: a ``my_chat_member`` update (kicked); sends now fail with 403."""
        chat = self._chat
        if not chat.blocked:
            chat.blocked = True
            self._member_update("member", "kicked")

    async def unblock_bot(self) -> None:
        chat = self._chat
        if chat.blocked:
            chat.blocked = False
            self._member_update("kicked", "member")


class SimGroup(_ChatView):
    """A group chat with simulated members; the bot joins when a member adds it.

    With ``group_privacy`` (Telegram's default for bots) the bot only receives commands,
    replies to its own messages and service messages.
    """

    def __init__(self, server: LocalBotApi, chat_id: int, title: str, members: list[SimUser],
                 supergroup: bool = False) -> None:
        super().__init__()
        self.server = server
        self.chat_id = self.id = chat_id
        self.title = title
        chat = {"id": chat_id, "type": "supergroup" if supergroup else "group", "title": title}
        if not supergroup:
            chat["all_members_are_administrators"] = True
        server.world.chats[chat_id] = ChatState(chat=chat, bot_member=False, members=list(members))

    def __repr__(self) -> str:
        return f"SimGroup(id={self.chat_id}, title={self.title!r})"

    @property
    def members(self) -> list[SimUser]:
        return list(self._chat.members)

    @property
    def bot_is_member(self) -> bool:
        return self._chat.bot_member

    def _bot_status(self, old: str, new: str, by: SimUser) -> None:
        bot = self.server.world.bot_user
        new_member: dict[str, Any] = {"user": bot, "status": new}
        if new == "kicked":
            new_member["until_date"] = 0
        self.server.world.updates.push("my_chat_member", {
            "chat": self._chat.chat, "from": by.to_dict(), "date": now(),
            "old_chat_member": {"user": bot, "status": old}, "new_chat_member": new_member})

    async def add_bot(self, by: SimUser) -> None:
        """``by`` adds the bot: ``my_chat_member`` (left -> member) then the service message."""
        chat = self._chat
        if by not in chat.members:
            chat.members.append(by)
        chat.bot_member, chat.bot_kicked = True, False
        self._bot_status("left", "member", by)
        self._push_message(by, {"new_chat_members": [self.server.world.bot_user],
                                "new_chat_member": self.server.world.bot_user,
                                "new_chat_participant": self.server.world.bot_user})

    async def remove_bot(self, by: SimUser) -> None:
        chat = self._chat
        chat.bot_member, chat.bot_kicked = False, True
        self._bot_status("member", "kicked", by)

    async def send(self, user: SimUser, text: str, *, reply_to: BotMessage | int | None = None) -> dict:
        """``user`` writes in the group; the bot gets it if it is a member and privacy allows."""
        chat = self._chat
        if user not in chat.members:
            chat.members.append(user)
        content: dict[str, Any] = {"text": text}
        entities = command_entities(text)
        if entities:
            content["entities"] = entities
        deliver = chat.bot_member and self._bot_can_see(text, entities, reply_to)
        return self._push_message(user, content, reply_to, deliver=deliver)

    def _bot_can_see(self, text: str, entities: list[dict], reply_to: BotMessage | int | None) -> bool:
        if not self.server.group_privacy:
            return True
        if reply_to is not None:
            target = reply_to.message_id if isinstance(reply_to, BotMessage) else int(reply_to)
            if target in self._chat.bot_messages:
                return True
        for ent in entities:
            command = text.encode("utf-16-le")[2 * ent["offset"]:2 * (ent["offset"] + ent["length"])].decode("utf-16-le")
            _, _, mention = command.partition("@")
            if not mention or mention.lower() == self.server.bot_username.lower():
                return True
        return False


__all__ = ["SimUser", "SimGroup", "BotMessage"]
