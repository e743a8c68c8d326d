"""The local Bot API server, driven by the real python-telegram-bot over HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
import html
import json
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllPrivateChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from localapi import BotMessage, LocalBotApi
from localapi.formatting import render

ROOT = Path(__file__).resolve().parents[1]
# PTB itself reads the deprecated int form of RetryAfter.retry_after when formatting the error.
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


def retry_seconds(exc: RetryAfter) -> float:
    value = exc._retry_after  # a timedelta; the public attribute warns about its future type
    return value.total_seconds()


# ---------------------------------------------------------------- fixtures
@pytest.fixture
async def server():
    async with LocalBotApi(bot_username="binome_demo_bot", bot_first_name="Binôme") as srv:
        yield srv


@pytest.fixture
async def bot(server):
    """A bare PTB Bot over HTTP (no polling) for request-level checks."""
    async with Bot(server.token, base_url=server.base_url, base_file_url=server.base_file_url) as b:
        yield b


async def on_start(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Oui, merci", callback_data="yes"),
                                      InlineKeyboardButton("Non", callback_data="no")],
                                     [InlineKeyboardButton("Site", url="https://example.org")]])
    await update.message.reply_text(
        f"<b>Bonjour</b> {update.effective_user.first_name} ({' '.join(ctx.args)})",
        parse_mode="HTML", reply_markup=keyboard)


async def on_button(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer(f"Choix: {query.data}", show_alert=query.data == "no")
    await query.edit_message_text(f"Vous avez choisi {query.data}")


async def on_doc(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_document(b"col1;col2\n1;2\n", filename="rapport.csv", caption="Votre rapport")


async def on_leave(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
    await ctx.bot.leave_chat(update.effective_chat.id)


async def on_member(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
    change = update.my_chat_member
    ctx.bot_data.setdefault("members", []).append((change.chat.type, change.new_chat_member.status))
    if change.chat.type == "group" and change.new_chat_member.status == "member":
        await ctx.bot.send_message(change.chat.id, "Bonjour le groupe")


async def on_upload(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
    msg = update.message
    if msg.document:
        data = await (await msg.document.get_file()).download_as_bytearray()
        await msg.reply_text(f"document {msg.document.file_name} {len(data)} octets")
    elif msg.photo:
        await msg.reply_text("photo")
    elif msg.voice:
        await msg.reply_text(f"voice {msg.to_dict()['voice']['duration']}s")
    elif msg.sticker:
        await msg.reply_text(f"sticker {msg.sticker.emoji}")


async def on_text(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
    if update.edited_message:
        await update.edited_message.reply_text(f"modifié: {update.edited_message.text}")
    else:
        await update.message.reply_text(f"écho: {update.message.text}")


async def on_error(update: object, ctx: ContextTypes.DEFAULT_TYPE) -> None:
    ctx.bot_data.setdefault("errors", []).append(ctx.error)


def build_app(server: LocalBotApi):
    app = (ApplicationBuilder().token(server.token).base_url(server.base_url)
           .base_file_url(server.base_file_url).build())
    app.add_handler(CommandHandler("start", on_start))
    app.add_handler(CommandHandler("doc", on_doc))
    app.add_handler(CommandHandler("leave", on_leave))
    app.add_handler(CallbackQueryHandler(on_button))
    app.add_handler(ChatMemberHandler(on_member, ChatMemberHandler.MY_CHAT_MEMBER))
    app.add_handler(MessageHandler(filters.Document.ALL | filters.PHOTO | filters.VOICE | filters.Sticker.ALL, on_upload))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, on_text))
    app.add_error_handler(on_error)
    return app


@pytest.fixture
async def app(server):
    application = build_app(server)
    await application.initialize()
    await application.start()
    await application.updater.start_polling(poll_interval=0, timeout=1)
    yield application
    await application.updater.stop()
    await application.stop()
    await application.shutdown()
    assert application.bot_data.get("errors", []) == []


async def started_user(server: LocalBotApi, **kw):
    """A user who already wrote to the bot (so the bot may message them)."""
    user = server.user(**kw)
    await user.send("/hello")
    return user


# ---------------------------------------------------------------- round trips
async def test_command_round_trip(server, app):
    amina = server.user(first_name="Amina", language_code="fr")
    sent = await amina.send("/start abc")
    assert sent["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    msg = await amina.wait_for_message(timeout=3)
    assert isinstance(msg, BotMessage)
    assert msg.text == "Bonjour Amina (abc)"
    assert msg.raw_text.startswith("<b>Bonjour</b>") and msg.parse_mode == "HTML"
    assert msg.entities == [{"type": "bold", "offset": 0, "length": 7}]
    assert msg.buttons == [[("Oui, merci", "yes"), ("Non", "no")], [("Site", "https://example.org")]]
    assert amina.last_message is msg and amina.messages == [msg]
    assert ("sendMessage", 200) in [(m, s) for m, _, s in server.requests]
    assert server.calls("sendMessage")[0]["chat_id"] == amina.id
    await server.settle(quiet=0.1, timeout=3)
    assert server.pending_updates == []


async def test_inline_keyboard_press_answer_and_edit(server, app):
    user = server.user()
    await user.send("/start")
    msg = await user.wait_for_message(timeout=3)
    cq = await user.press(msg, text="Oui")  # substring match
    answer = await user.callback_answer(cq, timeout=3)
    assert answer["text"] == "Choix: yes" and answer["show_alert"] is False
    await server.settle(quiet=0.1, timeout=3)
    assert msg.text == "Vous avez choisi yes"
    assert msg.edited == 1 and msg.history == ["Bonjour Amina ()"]
    assert msg.buttons == []  # editMessageText without reply_markup removes the keyboard
    with pytest.raises(AssertionError, match="no inline button"):
        await user.press(msg, text="Non")
    assert server.unanswered_callback_queries == []


async def test_press_errors_and_forged_data(server, app):
    user = server.user()
    await user.send("/start")
    msg = await user.wait_for_message(timeout=3)
    with pytest.raises(AssertionError, match=r"Oui, merci.*Non"):
        await user.press(msg, text="Peut-être")
    with pytest.raises(AssertionError, match="not a callback button"):
        await user.press(msg, text="Site")
    cq = await user.press_data(msg.message_id, "forged")
    assert (await user.callback_answer(cq, timeout=3))["text"] == "Choix: forged"


async def test_send_document_multipart_and_download(server, app, bot):
    user = server.user()
    await user.send("/doc")
    msg = await user.wait_for_message(timeout=3)
    assert msg.kind == "document" and msg.text == "Votre rapport"
    assert msg.document["file_name"] == "rapport.csv"
    assert msg.document["data"] == b"col1;col2\n1;2\n"
    assert msg.document["mime_type"] == "text/csv"
    file = await bot.get_file(msg.document["file_id"])
    assert bytes(await file.download_as_bytearray()) == b"col1;col2\n1;2\n"
    photo = await bot.send_photo(user.id, b"\x89PNG\r\n\x1a\n" + bytes(30), caption="<i>vue</i>", parse_mode="HTML")
    assert photo.caption == "vue" and photo.photo[0].file_id
    assert user.last_message.photo.startswith(b"\x89PNG")


async def test_user_media_and_edits_reach_the_bot(server, app):
    user = server.user()
    await user.send_document("notes.txt", b"abcdef")
    assert (await user.wait_for_message(timeout=3)).text == "document notes.txt 6 octets"
    await user.send_photo(caption="regarde")
    assert (await user.wait_for_message(timeout=3)).text == "photo"
    await user.send_voice(duration=4)
    assert (await user.wait_for_message(timeout=3)).text == "voice 4s"
    await user.send_sticker("🎉")
    assert (await user.wait_for_message(timeout=3)).text == "sticker 🎉"
    sent = await user.send("bonjour")
    assert (await user.wait_for_message(timeout=3)).text == "écho: bonjour"
    await user.edit(sent["message_id"], "bonsoir")
    assert (await user.wait_for_message(timeout=3)).text == "modifié: bonsoir"


async def test_reply_keyboard_shown_pressed_and_removed(server, bot):
    user = await started_user(server)
    markup = ReplyKeyboardMarkup([[KeyboardButton("Oui"), KeyboardButton("Non")]], one_time_keyboard=True)
    await bot.send_message(user.id, "Alors ?", reply_markup=markup)
    assert user.reply_keyboard == [["Oui", "Non"]]
    assert user.last_message.buttons == [[("Oui", None), ("Non", None)]]
    with pytest.raises(AssertionError):
        await user.press_keyboard("Peut-être")
    await user.press_keyboard("Oui")
    assert user.reply_keyboard is None  # one_time_keyboard hides it
    await bot.send_message(user.id, "Clavier", reply_markup=markup)
    await bot.send_message(user.id, "Fini", reply_markup=ReplyKeyboardRemove())
    assert user.reply_keyboard is None


async def test_set_my_commands_per_scope_and_language(server, bot):
    private = BotCommandScopeAllPrivateChats()
    await bot.set_my_commands([BotCommand("start", "Commencer")])
    await bot.set_my_commands([BotCommand("start", "Démarrer"), BotCommand("aide", "Aide")],
                              scope=private, language_code="fr")
    assert server.commands() == [{"command": "start", "description": "Commencer"}]
    assert [c["command"] for c in server.commands(private.to_dict(), "fr")] == ["start", "aide"]
    assert server.commands("all_private_chats", "fr") == server.commands(private.to_dict(), "fr")
    assert server.commands(private.to_dict()) == []
    got = await bot.get_my_commands(scope=private, language_code="fr")
    assert [(c.command, c.description) for c in got] == [("start", "Démarrer"), ("aide", "Aide")]
    await bot.delete_my_commands(scope=private, language_code="fr")
    assert await bot.get_my_commands(scope=private, language_code="fr") == ()
    with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start!", "x")])


# ---------------------------------------------------------------- validations
async def test_validation_errors(server, bot):
    user = await started_user(server)
    stranger = server.user()
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(999, "x")
    with pytest.raises(Forbidden, match="(?i)bot can't initiate conversation with a user"):
        await bot.send_message(stranger.id, "x")
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(user.id, "a" * 4097)
    await bot.send_message(user.id, "a" * 4096)
    with pytest.raises(BadRequest, match="(?i)message text is empty"):
        await bot.send_message(user.id, "   ")
    with pytest.raises(BadRequest, match="(?i)can't parse entities: can't find end tag"):
        await bot.send_message(user.id, "<b>gras", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)unsupported start tag \"br\""):
        await bot.send_message(user.id, "a<br>b", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)character '\\.' is reserved"):
        await bot.send_message(user.id, "Fin.", parse_mode="MarkdownV2")
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(user.id, "x", reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("long", callback_data="x" * 65)]]))
    sent = await bot.send_message(user.id, "*gras* \\- _ok_", parse_mode="MarkdownV2")
    assert sent.text == "gras - ok" and [e.type for e in sent.entities] == ["bold", "italic"]
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text("*gras* \\- _ok_", user.id, sent.message_id, parse_mode="MarkdownV2")
    await bot.edit_message_text("gras - ok", user.id, sent.message_id)  # entities removed: modified
    assert user.last_message.edited == 1 and user.last_message.history == []  # same text
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", user.id, 9999)
    assert await bot.delete_message(user.id, sent.message_id) is True
    assert user.messages[-1].deleted is True
    assert user.last_message.text == "a" * 4096  # last_message skips deleted messages
    with pytest.raises(BadRequest, match="(?i)message to delete not found"):
        await bot.delete_message(user.id, sent.message_id)
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query("12345")
    assert await bot.send_chat_action(user.id, "typing") is True and user.chat_actions == ["typing"]
    assert (await bot.get_chat(user.id)).first_name == "Amina"
    with pytest.raises(BadRequest):
        await bot.leave_chat(user.id)


async def test_edit_reply_markup(server, bot):
    user = await started_user(server)
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    sent = await bot.send_message(user.id, "Choisir", reply_markup=keyboard)
    with pytest.raises(BadRequest, match="(?i)not modified"):
        await bot.edit_message_reply_markup(user.id, sent.message_id, reply_markup=keyboard)
    await bot.edit_message_reply_markup(user.id, sent.message_id, reply_markup=None)
    msg = user.last_message
    assert msg.buttons == [] and msg.edited == 1 and msg.history == []


async def test_raw_wire_format(server, bot):
    user = await started_user(server)
    server.inject_fault("429", method="sendMessage", retry_after=5)
    base = f"{server.url}/bot{server.token}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/getMe") as r:
            body = await r.json()
            assert body["ok"] is True and body["result"]["username"] == "binome_demo_bot"
        async with http.post(f"{server.url}/bot1:wrong/getMe") as r:
            assert (r.status, await r.json()) == (401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        async with http.post(f"{base}/fooBar") as r:
            assert (r.status, await r.json()) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
        async with http.post(f"{base}/sendMessage", json={"chat_id": user.id, "text": "x"}) as r:
            assert (r.status, await r.json()) == (429, {
                "ok": False, "error_code": 429, "description": "Too Many Requests: retry after 5",
                "parameters": {"retry_after": 5}})
        async with http.get(f"{base}/sendMessage", params={"chat_id": "42", "text": "x"}) as r:
            assert await r.json() == {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
        # a text that looks like JSON stays a string; reply_markup is JSON-decoded
        form = {"chat_id": str(user.id), "text": "123",
                "reply_markup": json.dumps({"inline_keyboard": [[{"text": "t", "callback_data": "d"}]]})}
        async with http.post(f"{base}/sendMessage", data=form) as r:
            result = (await r.json())["result"]
            assert result["text"] == "123" and result["from"]["is_bot"] is True
            assert result["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "d"
    with pytest.raises(InvalidToken):
        async with Bot("1:wrong", base_url=server.base_url) as wrong:
            await wrong.get_me()


# ---------------------------------------------------------------- faults
@pytest.mark.parametrize("kind, error, match", [
    ("429", RetryAfter, "(?i)flood control"),
    ("403", Forbidden, "(?i)bot was blocked by the user"),
    ("400", BadRequest, "(?i)chat not found"),
    ("500", NetworkError, "(?i)internal server error"),
    ("502", NetworkError, "(?i)bad gateway"),
    ("drop", NetworkError, "(?i)disconnected"),
])
async def test_fault_kinds_raise_the_right_telegram_error(server, bot, kind, error, match):
    user = await started_user(server)
    server.inject_fault(kind, method="sendMessage", retry_after=3)
    with pytest.raises(error, match=match) as info:
        await bot.send_message(user.id, "perdu")
    if kind == "429":
        assert retry_seconds(info.value) == 3
    assert user.messages == []  # a faulted call has no effect
    await bot.send_message(user.id, "ok")
    assert [m.text for m in user.messages] == ["ok"]
    assert server.stats["faults"] == 1


async def test_timeout_and_slow_faults(server, bot):
    user = await started_user(server)
    server.inject_fault("timeout", method="sendMessage", delay=0.5)
    with pytest.raises(TimedOut):
        await bot.send_message(user.id, "trop lent", read_timeout=0.2)
    assert user.messages == []
    server.inject_fault("slow", delay=0.3)
    started = time.monotonic()
    await bot.send_message(user.id, "lent mais arrivé")
    assert time.monotonic() - started >= 0.3
    assert [m.text for m in user.messages] == ["lent mais arrivé"]


async def test_fault_targets_method_chat_and_count(server, bot):
    a, b = await started_user(server), await started_user(server, first_name="Basile")
    server.inject_fault("403", chat_id=a.id, times=2)
    await bot.send_message(b.id, "pour Basile")
    for _ in range(2):
        with pytest.raises(Forbidden):
            await bot.send_message(a.id, "pour Amina")
    await bot.send_message(a.id, "enfin")
    assert [m.text for m in a.messages] == ["enfin"]
    server.inject_fault("500", method="editMessageText")
    await bot.send_message(a.id, "pas touché")  # other methods are not affected
    assert server.stats["403"] == 2


async def test_settle_waits_for_an_attached_application_not_for_a_quiet_period(server, app):
    async def slow(update: Update, ctx: ContextTypes.DEFAULT_TYPE) -> None:
        await asyncio.sleep(0.2)  # handling takes longer than the quiet period below
        await update.message.reply_text("enfin")
    app.add_handler(CommandHandler("slow", slow))
    server.attach_application(app)
    user = server.user()
    await user.send("/slow")
    await server.settle(quiet=0.01, timeout=3)
    assert user.last_message is not None and user.last_message.text == "enfin"


# ---------------------------------------------------------------- rate limits
async def test_rate_limits_refuse_bursts_only(server, bot):
    a, b = await started_user(server), await started_user(server, first_name="Basile")
    for i in range(10):
        await bot.send_message(a.id, f"libre {i}")  # default: no limits
    server.set_rate_limits(global_per_second=None, per_chat_per_second=1, burst=3)
    for i in range(3):
        await bot.send_message(a.id, f"rafale {i}")
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(a.id, "de trop")
    assert retry_seconds(info.value) == 1
    assert server.stats["429"] == 1
    assert "de trop" not in [m.text for m in a.messages]
    await bot.send_message(b.id, "autre chat")  # another chat has its own budget

    server.set_rate_limits(global_per_second=None, per_chat_per_second=20, burst=1)
    for i in range(4):  # paced below the limit: never refused
        await bot.send_message(a.id, f"au rythme {i}")
        await asyncio.sleep(0.06)
    assert server.stats["429"] == 1

    server.set_rate_limits(global_per_second=5, per_chat_per_second=None)
    users = [await started_user(server, first_name=f"U{i}") for i in range(6)]
    for u in users[:5]:
        await bot.send_message(u.id, "global")
    with pytest.raises(RetryAfter):
        await bot.send_message(users[5].id, "global")
    assert server.stats["429"] == 2


# ---------------------------------------------------------------- webhook
async def test_webhook_delivery_secret_retry_and_conflict(server, bot):
    received: list[tuple[str | None, dict]] = []
    failures = [1]

    async def receive(request: web.Request) -> web.Response:
        if failures[0]:
            failures[0] -= 1
            return web.Response(status=500)
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response(text="ok")

    hook = web.Application()
    hook.router.add_post("/hook", receive)
    runner = web.AppRunner(hook, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        assert await bot.set_webhook(url, secret_token="s3cret-token") is True
        info = await bot.get_webhook_info()
        assert info.url == url and info.pending_update_count == 0
        user = server.user()
        await user.send("/start")
        await server.settle(quiet=0.05, timeout=3)
        assert len(received) == 1
        secret, update = received[0]
        assert secret == "s3cret-token" and update["message"]["text"] == "/start"
        assert Update.de_json(update, bot).message.from_user.id == user.id
        assert (await bot.get_webhook_info()).last_error_message  # the first attempt failed
        with pytest.raises(Conflict, match="(?i)webhook is active"):
            await bot.get_updates()
        await bot.delete_webhook()
        await user.send("encore")
        updates = await bot.get_updates(timeout=1)
        assert [u.message.text for u in updates] == ["encore"]
    finally:
        await runner.cleanup()


async def test_get_updates_long_poll_offset_and_allowed_updates(server, bot):
    user = server.user()
    started = time.monotonic()
    assert await bot.get_updates(timeout=0.3) == ()
    assert time.monotonic() - started >= 0.25

    async def later():
        await asyncio.sleep(0.1)
        await user.send("réveil")
    task = asyncio.create_task(later())
    started = time.monotonic()
    updates = await bot.get_updates(timeout=2)
    await task
    assert time.monotonic() - started < 1 and updates[0].message.text == "réveil"
    assert len(await bot.get_updates()) == 1  # not confirmed yet
    assert await bot.get_updates(offset=updates[-1].update_id + 1) == ()
    await user.send("a")
    await user.send("b")
    assert [u.message.text for u in await bot.get_updates(limit=1)] == ["a"]
    await bot.get_updates(offset=-1)  # keep only the last one
    assert [u.message.text for u in await bot.get_updates()] == ["b"]
    await user.block_bot()
    got = await bot.get_updates(offset=(await bot.get_updates())[-1].update_id + 1, allowed_updates=["message"])
    assert got == ()  # the my_chat_member update is filtered out


# ---------------------------------------------------------------- people and groups
async def test_blocked_user_gets_my_chat_member_and_403(server, app):
    user = server.user()
    await user.send("/start")
    await user.wait_for_message(timeout=3)
    await user.block_bot()
    await server.settle(quiet=0.1, timeout=3)
    assert app.bot_data["members"] == [("private", "kicked")]
    with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
        await app.bot.send_message(user.id, "coucou")
    assert server.requests[-1][2] == 403
    await user.unblock_bot()
    await server.settle(quiet=0.1, timeout=3)
    assert app.bot_data["members"][-1] == ("private", "member")
    await app.bot.send_message(user.id, "re-bonjour")
    assert user.last_message.text == "re-bonjour"


async def test_group_add_bot_privacy_and_leave(server, app):
    amina = server.user()
    group = server.group(title="Parents", members=[amina])
    with pytest.raises(Forbidden, match="(?i)not a member"):
        await app.bot.send_message(group.id, "intrus")
    await group.add_bot(by=amina)
    hello = await group.wait_for_message(timeout=3)
    assert hello.text == "Bonjour le groupe" and hello.chat_id < 0
    assert app.bot_data["members"] == [("group", "member")]
    await group.send(amina, "bavardage")  # privacy mode: the bot does not see plain messages
    assert server.pending_updates == []
    await group.send(amina, "/leave@binome_demo_bot")
    await server.settle(quiet=0.1, timeout=3)
    assert server.left_chats == [group.id] and not group.bot_is_member
    assert app.bot_data["members"][-1] == ("group", "left")
    with pytest.raises(Forbidden):
        await app.bot.send_message(group.id, "encore là ?")


async def test_wait_for_message_cursor_predicate_and_timeout(server, bot):
    user = await started_user(server)
    for text in ("un", "deux", "trois"):
        await bot.send_message(user.id, text)
    assert (await user.wait_for_message(timeout=0.1)).text == "un"
    assert (await user.wait_for_message(timeout=0.1, predicate=lambda m: m.text == "trois")).text == "trois"
    with pytest.raises(TimeoutError, match=r"(?s)no new bot message.*#1 Amina: '/hello'.*#2 bot: 'un'"):
        await user.wait_for_message(timeout=0.1)
    with pytest.raises(TimeoutError, match="did not settle"):
        await server.user().send("personne ne lit")
        await server.settle(quiet=0.05, timeout=0.2)


# ---------------------------------------------------------------- out of process
async def test_http_control_side(server, app):
    async with aiohttp.ClientSession(base_url=server.url) as http:
        async def call(verb: str, path: str, **kw):
            async with http.request(verb, f"/_sim{path}", **kw) as r:
                body = await r.json()
                assert body["ok"], body
                return body["result"]

        await call("POST", "/users", json={"user_id": 77, "first_name": "Chloé"})
        await call("POST", "/users/77/send", json={"text": "/start http"})
        msg = await call("GET", "/users/77/messages/next", params={"timeout": "3"})
        assert msg["text"] == "Bonjour Chloé (http)" and msg["buttons"][0][1] == ["Non", "no"]
        cq = (await call("POST", "/users/77/press", json={"message_id": msg["message_id"], "data": "no"}))
        answer = await call("GET", f"/users/77/callback_answers/{cq['callback_query_id']}", params={"timeout": "3"})
        assert answer == {"text": "Choix: no", "show_alert": True, "url": None, "cache_time": None}
        await call("POST", "/settle", json={"quiet": 0.1, "timeout": 3})
        assert (await call("GET", "/users/77/messages"))[0]["text"] == "Vous avez choisi no"
        await call("POST", "/faults", json={"kind": "429", "method": "sendMessage", "retry_after": 2})
        with pytest.raises(RetryAfter):
            await app.bot.send_message(77, "x")
        await call("POST", "/rate_limits", json={"per_chat_per_second": 1, "burst": 2})
        stats = await call("GET", "/stats")
        assert stats["stats"]["429"] == 1
        assert (await call("GET", "/requests", params={"method": "answerCallbackQuery"}))[0]["status"] == 200


def test_standalone_module_runs_and_prints_base_url():
    command = [sys.executable, "-m", "localapi", "--port", "0", "--token", "123456:LOCAL"]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True) as proc:
        try:
            line = proc.stdout.readline().strip()
            assert line.startswith("base_url=http://127.0.0.1:") and line.endswith("/bot")

            async def get_me():
                async with Bot("123456:LOCAL", base_url=line.removeprefix("base_url=")) as b:
                    return await b.get_me()
            assert asyncio.run(get_me()).username == "binome_demo_bot"
        finally:
            proc.terminate()
            proc.wait(timeout=5)


# ---------------------------------------------------------------- formatting properties
MD2_RESERVED = "_*[]()~`>#+-=|{}.!\\"


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=60))
def test_escaped_text_renders_back_to_itself(text):
    assert render(html.escape(text), "HTML") == (text.strip(), [])
    escaped = "".join("\\" + c if c in MD2_RESERVED else c for c in text)
    assert render(escaped, "MarkdownV2") == (text.strip(), [])


async def test_set_chat_menu_button_keeps_a_web_app_per_chat_and_wants_https():
    from localapi import LocalBotApi
    from telegram import Bot, MenuButtonWebApp, WebAppInfo
    from telegram.error import BadRequest

    async with LocalBotApi(token="123456:LOCAL-TEST-TOKEN", bot_username="binome_test_bot") as api:
        claire = api.user(first_name="Claire")
        await claire.send("/start")
        async with Bot(api.token, base_url=api.base_url) as bot:
            assert (await bot.get_chat_menu_button(chat_id=claire.id)).type == "commands"
            await bot.set_chat_menu_button(chat_id=claire.id, menu_button=MenuButtonWebApp(
                text="Tableau", web_app=WebAppInfo(url="https://binome.example/app?lang=fr")))
            shown = await bot.get_chat_menu_button(chat_id=claire.id)
            assert (shown.type, shown.text, shown.web_app.url) == ("web_app", "Tableau",
                                                                    "https://binome.example/app?lang=fr")
            assert api.world.menu_buttons[claire.id]["web_app"]["url"].startswith("https://")
            with pytest.raises(BadRequest, match="(?i)only https"):
                await bot.set_chat_menu_button(chat_id=claire.id, menu_button=MenuButtonWebApp(
                    text="Tableau", web_app=WebAppInfo(url="http://binome.example/app")))
            with pytest.raises(BadRequest, match="(?i)https"):  # a web_app button under a message, too
                await bot.send_message(claire.id, "x", reply_markup={"inline_keyboard": [[
                    {"text": "Open", "web_app": {"url": "http://binome.example/app"}}]]})
            await bot.set_chat_menu_button(chat_id=claire.id)  # back to the default
            assert (await bot.get_chat_menu_button(chat_id=claire.id)).type == "commands"
