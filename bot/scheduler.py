"""The scheduled work, in one place: what the tick does, in order.

APScheduler (PTB's JobQueue) runs `tick` every TICK_SECONDS; tests and the demo call it at their
clock's time. Each of STEPS is one feature's `queue_due_work(session, now, *, scan)` from
`storage.scheduled`, run in its own transaction, all in a worker thread so that updates keep being
answered while a scan runs; the outbox is delivered last, so what a step queued for now goes out in
the same tick. On a scanning tick the steps first do what is due without scanning, and the outbox
delivers that while the scan runs, so a long scan never holds back a message already due.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import func, select
from telegram.ext import Application

from bot import sender
from bot.services import Services
from storage.scheduled import alerts as scheduled_alerts
from storage.scheduled import background_checks as scheduled_background_checks
from storage.scheduled import checkins as scheduled_checkins
from storage.scheduled import ending as scheduled_ending
from storage.scheduled import evaluations as scheduled_evaluations
from storage.scheduled import privacy as scheduled_privacy
from storage.models import OutboundMessage
from storage.scheduled import meetings as scheduled_meetings
from storage.scheduled import pauses as scheduled_pauses
from storage.scheduled import self_evaluations as scheduled_self_evaluations

log = logging.getLogger(__name__)

# Work found by looking at every binôme (weekly nudges, next check-ins, warning signs) is looked for
# at most this often; rows already due are handled on every tick.
SCAN_EVERY = timedelta(minutes=15)

# The features' due work, in the order the tick runs it: meetings first (an unconfirmed meeting or a
# new one in a rhythm changes what the check-ins skip), then check-ins (a missed one feeds the signals),
# then the warning signs, which read what the two before have just written.
STEPS: list[tuple[str, Callable[..., None]]] = [
    ("pauses", scheduled_pauses.queue_due_work),  # a binôme resuming today is active for what follows
    ("meetings", scheduled_meetings.queue_due_work),
    ("check-ins", scheduled_checkins.queue_due_work),
    ("warning signs", scheduled_alerts.queue_due_work),
    ("before the end", scheduled_ending.queue_due_work),  # the pair's questions as "end near" opens
    ("evaluations", scheduled_evaluations.queue_due_work),  # reminders and expiry after a closure
    ("self-evaluations", scheduled_self_evaluations.queue_due_work),  # a round of the competence framework
    ("background checks", scheduled_background_checks.queue_due_work),  # a mentor's check expiring in a month
    ("retention", scheduled_privacy.queue_due_work),  # last: what it erases was closed long ago
]


@dataclass
class _SinceLastScan:
    """What the ticks did since the last summary: kinds queued (codes, never names), sent, seconds spent."""

    queued: Counter = field(default_factory=Counter)
    sent: int = 0
    seconds: float = 0.0


def _run_steps(services: Services, now: datetime, scan: bool) -> Counter:
    """The STEPS, in a worker thread: the event loop keeps handling updates meanwhile (each step opens
    its own session here; a session never crosses threads). Returns the kinds queued, counted."""
    with services.session() as session:
        before = session.exec(select(func.max(OutboundMessage.id))).one() or 0
    for _name, queue_due_work in STEPS:
        with services.session() as session:
            queue_due_work(session, now, scan=scan)
    with services.session() as session:
        return Counter(dict(session.exec(select(OutboundMessage.kind, func.count())
                                         .where(OutboundMessage.id > before).group_by(OutboundMessage.kind)).all()))


async def tick(application: Application) -> int:
    """Turn rows that are due into work, then deliver. Returns the number of messages sent.

    Logs: one INFO line per scan (every SCAN_EVERY) summing up the ticks since the previous one; each
    tick's own line is DEBUG (a tick every TICK_SECONDS would otherwise write ~17,000 lines a day)."""
    services: Services = application.bot_data["services"]
    totals: _SinceLastScan = application.bot_data.setdefault("since_last_scan", _SinceLastScan())
    async with services.tick_lock:
        started = time.monotonic()
        now = services.now()
        last = services.cadence_scanned_at
        scan = last is None or not last <= now < last + SCAN_EVERY
        queued = await asyncio.to_thread(_run_steps, services, now, False)
        sent = 0
        if scan:
            # What is already due goes out while the scan runs (the first scan after a start or a
            # migration reads every binôme: minutes at 100,000); what the scan queues goes just after.
            scanning = asyncio.create_task(asyncio.to_thread(_run_steps, services, now, True))
            try:
                sent = await sender.send_due(services, application.bot)
            finally:
                queued.update(await scanning)
            services.cadence_scanned_at = now
        sent += await sender.send_due(services, application.bot)
        seconds = time.monotonic() - started
        log.debug("tick%s: %d messages queued, %d sent in %.2f s", " (scan)" if scan else "",
                  sum(queued.values()), sent, seconds)
        totals.queued.update(queued)
        totals.sent += sent
        totals.seconds += seconds
        if scan:
            kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(totals.queued.items(),
                                                                   key=lambda kv: (-kv[1], kv[0])))
            log.info("scan: %d messages queued%s, %d sent in %.1f s since the last scan",
                     sum(totals.queued.values()), f" ({kinds})" if kinds else "", totals.sent, totals.seconds)
            application.bot_data["since_last_scan"] = _SinceLastScan()
        return sent
