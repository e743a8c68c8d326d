"""The scheduled work, in one place: what the tick does, in order.

APScheduler (PTB's JobQueue) runs `tick` every TICK_SECONDS; tests and the demo call it at their
clock's time. Each of STEPS is one feature's `queue_due_work(session, now, *, scan)` from
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
from storage.scheduled import alerts as scheduled_alerts
from storage.scheduled import checkins as scheduled_checkins
from storage.scheduled import meetings as scheduled_meetings

log = logging.getLogger(__name__)

# Work found by looking at every binôme (weekly nudges, next check-ins, warning signs) is looked for
# at most this often; rows already due are handled on every tick.
SCAN_EVERY = timedelta(minutes=15)

# The features' due work, in the order the tick runs it: meetings first (an unconfirmed meeting or a
# new one in a rhythm changes what the check-ins skip), then check-ins (a missed one feeds the signals),
# then the warning signs, which read what the two before have just written.
STEPS: list[tuple[str, Callable[..., None]]] = [
    ("meetings", scheduled_meetings.queue_due_work),
    ("check-ins", scheduled_checkins.queue_due_work),
    ("warning signs", scheduled_alerts.queue_due_work),
]


async def tick(application: Application) -> int:
    """Turn rows that are due into work, then deliver. Returns the number of messages sent."""
    services: Services = application.bot_data["services"]
    async with services.tick_lock:
        now = services.now()
        last = services.cadence_scanned_at
        scan = last is None or not last <= now < last + SCAN_EVERY
        for _name, queue_due_work in STEPS:
            with services.session() as session:
                queue_due_work(session, now, scan=scan)
        if scan:
            services.cadence_scanned_at = now
        return await sender.send_due(services, application.bot)
