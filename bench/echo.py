"""The baseline: a bare python-telegram-bot bot, no database, no rate limiter.

    python -m bench.echo                # echo every text message (long polling)
    python -m bench.echo send-loop N    # send N messages to the chats in BENCH_CHATS, 16 in flight, and exit

Configured like the bot (TELEGRAM_BOT_TOKEN, TELEGRAM_API_URL), so bench/ runs both against the same
local Bot API and compares what the bot costs beyond python-telegram-bot itself.
"""
from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

from telegram import Bot, Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.effective_message.reply_text(update.effective_message.text or "?")


def run_echo() -> None:
    application = (Application.builder().token(os.environ["TELEGRAM_BOT_TOKEN"])
                   .base_url(os.environ["TELEGRAM_API_URL"]).build())
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.run_polling(poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES)


async def send_loop(count: int) -> None:
    chats = [int(c) for c in os.environ["BENCH_CHATS"].split(",")]
    slots = asyncio.Semaphore(16)
    async with Bot(os.environ["TELEGRAM_BOT_TOKEN"], base_url=os.environ["TELEGRAM_API_URL"]) as bot:
        async def one(n: int) -> None:
            async with slots:
                await bot.send_message(chats[n % len(chats)], f"Message {n}")
        started = time.process_time()  # the loop only: imports and start-up are not a send's cost
        await asyncio.gather(*(one(n) for n in range(count)))
        cpu = time.process_time() - started
    if os.environ.get("BENCH_OUT"):
        Path(os.environ["BENCH_OUT"]).write_text(f"{cpu}\n")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "send-loop":
        asyncio.run(send_loop(int(sys.argv[2])))
    else:
        run_echo()
