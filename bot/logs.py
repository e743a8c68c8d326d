"""Logging without personal data.

Our own modules log ids, counts and error types only. Libraries are held back whatever LOG_LEVEL
says: python-telegram-bot logs whole updates (names, texts) at DEBUG, and httpx logs each request
URL, which contains the bot token, at INFO. APScheduler writes "Running job" and "executed
successfully" at INFO for every tick (two lines every TICK_SECONDS, ~35,000 a day): its floor is
WARNING, so a missed or failing run still shows. At INFO our tick writes one summary per scan
(`bot.scheduler`); what each tick does is at DEBUG.
"""
from __future__ import annotations

import logging

LIBRARY_FLOORS = {"telegram": logging.INFO, "apscheduler": logging.WARNING, "aiohttp": logging.INFO,
                  "httpx": logging.WARNING, "httpcore": logging.WARNING, "alembic": logging.WARNING}


def configure_logging(level: str | int, *, quiet: bool = False) -> None:
    """`quiet` (the demo) keeps the transcript readable: warnings only unless DEBUG is asked for."""
    numeric = logging.getLevelName(level) if isinstance(level, str) else level
    if quiet and numeric > logging.DEBUG:
        numeric = logging.WARNING
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(numeric)
    for name, floor in LIBRARY_FLOORS.items():
        logging.getLogger(name).setLevel(max(floor, numeric))
