"""The scheduled work, in one place: what the tick does, in order.

APScheduler (PTB's JobQueue) runs `tick` every TICK_SECONDS; tests and the demo call it at their
clock's time. Each step is one feature's `queue_due_work(session, now, *, scan)` from
`storage.scheduled`, run in its own transaction; the outbox is delivered last, so what a step queued
for now goes out in the same tick.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from telegram.ext import Application

from bot import sender
from bot.services import Services

log = logging.getLogger(__name__)

# Work found by looking at every binôme (weekly nudges, next check-ins, warning signs) is looked for
# at most this often; rows already due are handled on every tick.
SCAN_EVERY = timedelta(minutes=15)

def steps() -> list[tuple[str, Callable[..., None]]]:
    """The features' due work, in the order the tick runs it."""
    from conversations import alerts, checkins, meetings  # moving to storage.scheduled (issue 15)

    return [
        ("meetings", meetings.queue_due_work),
        ("check-ins", checkins.queue_due_work),
        ("warning signs", alerts.queue_due_work),
    ]


async def tick(application: Application) -> int:
    """Turn rows that are due into work, then deliver. Returns the number of messages sent."""
    services: Services = application.bot_data["services"]
    async with services.tick_lock:
        now = services.now()
        last = services.cadence_scanned_at
        scan = last is None or not last <= now < last + SCAN_EVERY
        for _name, queue_due_work in steps():
            with services.session() as session:
                queue_due_work(session, now, scan=scan)
        if scan:
            services.cadence_scanned_at = now
        return await sender.send_due(services, application.bot)
