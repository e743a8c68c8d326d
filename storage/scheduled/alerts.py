"""What the tick does for warning signs: evaluate the signals, climb the ladder, re-notify, escalate,
and queue the Monday digest.

Ladder (see docs/warning-signs.md): a missed check-in → a kind nudge to the person (first miss of a
streak); the mentee's 2nd miss in a row → a soft warning to the mentor, who has a head start
(`mentor_head_start_hours`) before the coordinator's alert on those misses; a threshold crossed → an
alert on the coordinators' card of the binôme (storage.cards); unacknowledged 48 h → re-notified once (one
reminder a binôme covering every alert its card shows, so at most one a binôme each 48 h); 48 h more → the
backup coordinator, the binôme's alerts together.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, text, update
from sqlmodel import Session, col, select

from storage import alerts as rules
from storage import cards, outbox, referents, signals
from storage.binome_facts import week_facts
from storage.models import (Alert, Binome, BinomeStatus, CheckIn, CheckInStatus, OutboundMessage, Participant,
                            Programme, Role)
from storage.participants import timezone_of
from storage.signal_history import histories_of

NUDGE_LOOKBACK = timedelta(days=3)  # missed check-ins this recent get their nudge / soft warning


def _still_missed(session: Session, message: OutboundMessage) -> bool:
    checkin = session.get(CheckIn, message.params["checkin_id"])
    return checkin is not None and checkin.status == CheckInStatus.MISSED


outbox.declare("checkin_missed_nudge", priority=outbox.BULK, max_delay=timedelta(days=2), relevant=_still_missed)
outbox.declare("mentor_soft_warning", max_delay=timedelta(days=2), relevant=_still_missed)
outbox.declare("coordinator_digest", priority=outbox.BULK, max_delay=timedelta(hours=12))


def queue_due_work(session: Session, now: datetime, *, scan: bool) -> None:
    """Run by the tick: evaluate the signals (when `scan`), notify, re-notify, escalate, digest."""
    _renotify(session, now)
    if not scan:
        return
    _scan(session, now)
    _ladder(session, now)
    _digests(session, now)


SLICE = 400  # binômes per transaction of the scan: short enough that a chat's write never waits long


def due_for_scan(*, session: Session, now: datetime) -> list[int]:
    """Active binômes to look at: their facts changed (`signals_dirty`), or their signs can have changed
    with time alone by now (`signals_due_at`), or never looked at. Three index lookups; the marks of
    binômes not active are cleared (a binôme made active again is marked by that change)."""
    active = Binome.status == BinomeStatus.ACTIVE
    dirty = session.exec(select(Binome.id, Binome.status).where(text("binome.signals_dirty"))).all()  # partial index
    asleep = [b for b, status in dirty if status != BinomeStatus.ACTIVE]  # looked at again when made active
    for start in range(0, len(asleep), SLICE):
        session.execute(update(Binome.__table__).where(col(Binome.id).in_(asleep[start:start + SLICE]))
                        .values(signals_dirty=False))
    ids = {b for b, status in dirty if status == BinomeStatus.ACTIVE}
    ids.update(session.exec(select(Binome.id).where(active, col(Binome.signals_due_at).is_(None))).all())
    ids.update(session.exec(select(Binome.id).where(active, Binome.signals_due_at <= now)).all())
    return sorted(ids)


def scan_slice(session: Session, ids: list[int], now: datetime, options_by_programme: dict | None = None) -> int:
    """Evaluate these binômes and sync their alerts, in the caller's transaction; returns how many were
    evaluated. The marks are cleared first: a change committed after this statement marks again (on
    SQLite the statement takes the write lock, so the reads below see every commit before it; on
    PostgreSQL a concurrent change's mark waits for this transaction's row locks)."""
    options_by_programme = {} if options_by_programme is None else options_by_programme
    session.execute(update(Binome.__table__).where(col(Binome.id).in_(ids)).values(signals_dirty=False))
    binomes = session.exec(select(Binome).where(col(Binome.id).in_(ids), Binome.status == BinomeStatus.ACTIVE)).all()
    histories = histories_of(session, list(binomes))
    known = rules.alerts_of(session=session, binome_ids=[b.id for b in binomes])
    looked = []
    for binome in binomes:
        if binome.programme_id not in options_by_programme:  # kept for the whole scan: options, coordinators
            programme = session.get(Programme, binome.programme_id)
            options = signals.signal_options(programme)
            primary, _ = rules.routing(session=session, programme_id=programme.id, options=options)
            options_by_programme[binome.programme_id] = (programme, options, primary)
        _, options, primary = options_by_programme[binome.programme_id]
        history = histories[binome.id]
        found = signals.findings_for(history, now, options)
        for alert, why in rules.sync(session=session, binome=binome, findings=found, now=now, known=known[binome.id]):
            rules.notify(session=session, alert=alert, now=now, to=primary,
                         which=why if why in ("worse", "unsnoozed", cards.SILENT) else "new")
            if why == cards.SILENT:  # the card follows quietly; the referents hear of new levels only when graver
                continue
            referents.tell(session=session, binome_id=binome.id, kind="referent_alert", now=now,
                           key=f"alert:{alert.id}:referent:{alert.level}", params={"alert_id": alert.id})
        moments = [m for m in (signals.next_change_at(history, now, options), rules.wakes_at(known[binome.id], now))
                   if m is not None]
        looked.append({"b_id": binome.id, "due": min(moments, default=None)})
    session.flush()  # the alerts' own changes mark their binômes: written before the marks are cleared again
    if looked:
        table = Binome.__table__
        session.execute(update(table).where(table.c.id == bindparam("b_id"))
                        .values(signals_due_at=bindparam("due"), signals_dirty=False), looked)
    return len(looked)


def _scan(session: Session, now: datetime) -> None:
    """Only the binômes due (`due_for_scan`), SLICE at a time, each slice its own transaction."""
    ids, options_by_programme = due_for_scan(session=session, now=now), {}
    session.commit()
    for start in range(0, len(ids), SLICE):
        scan_slice(session, ids[start:start + SLICE], now, options_by_programme)
        session.commit()
    stale = session.exec(select(Alert.binome_id, Binome.status).join(Binome, Binome.id == Alert.binome_id)
                         .where(col(Alert.status).in_(list(rules.LIVE)), Binome.status != BinomeStatus.ACTIVE)
                         .distinct()).all()
    for binome_id, status in stale:  # a paused binôme keeps its "I need help" / "I want to stop" alerts
        if status == BinomeStatus.PAUSED:
            rules.clear_for_binome(session=session, binome_id=binome_id, now=now, reason="binome_paused",
                                   keep=(signals.SUPPORT_HELP, signals.SUPPORT_STOP))
        else:
            rules.clear_for_binome(session=session, binome_id=binome_id, now=now, reason="binome_not_active")


def _ladder(session: Session, now: datetime) -> None:
    """A kind nudge after a missed check-in (first of a streak); the mentor's soft warning after the
    mentee's `mentor_warning_after`-th miss in a row."""
    recent = session.exec(select(CheckIn).where(CheckIn.status == CheckInStatus.MISSED,
                                                col(CheckIn.missed_at).is_not(None),
                                                CheckIn.missed_at >= now - NUDGE_LOOKBACK)).all()
    for checkin in recent:
        binome = session.get(Binome, checkin.binome_id)
        if binome is None or binome.status != BinomeStatus.ACTIVE:
            continue
        options = signals.signal_options(session.get(Programme, binome.programme_id))
        mine = list(session.exec(select(CheckIn).where(CheckIn.participant_id == checkin.participant_id,
                                                       CheckIn.binome_id == binome.id)
                                 .order_by(CheckIn.due_at, CheckIn.id)).all())
        streak = signals.missed_streak(mine, checkin.participant_id)
        if not streak or streak[-1].id != checkin.id:
            continue
        person = session.get(Participant, checkin.participant_id)
        if len(streak) < options.checkins_missed_in_row:
            outbox.enqueue(session=session, participant_id=person.id, kind="checkin_missed_nudge", now=now,
                           key=f"ci_nudge:{checkin.id}",
                           due_at=rules.after_quiet_hours(session=session, participant=person, now=now),
                           params={"checkin_id": checkin.id})
        if checkin.participant_id == binome.mentee_id and len(streak) == options.mentor_warning_after:
            mentor = session.get(Participant, binome.mentor_id)
            outbox.enqueue(session=session, participant_id=mentor.id, kind="mentor_soft_warning", now=now,
                           key=f"ci_soft:{checkin.id}",
                           due_at=rules.after_quiet_hours(session=session, participant=mentor, now=now),
                           params={"checkin_id": checkin.id, "missed": len(streak)})


def _renotify(session: Session, now: datetime) -> None:
    cache: dict[int, signals.SignalOptions] = {}

    def options_of(alert: Alert) -> signals.SignalOptions:
        if alert.programme_id not in cache:
            cache[alert.programme_id] = signals.signal_options(session.get(Programme, alert.programme_id))
        return cache[alert.programme_id]

    shortest = timedelta(hours=1)
    waiting = rules.due_renotify(session=session, now=now, after=timedelta(0))
    due = {a.binome_id for a in waiting if now - a.notified_at >= shortest  # (no programme read before the hour)
           and now - a.notified_at >= timedelta(hours=options_of(a).renotify_hours)}
    by_binome: dict[int, list[Alert]] = {}
    for alert in waiting:  # one reminder a binôme a period (issue 18): it covers every alert its card shows,
        if alert.binome_id in due:  # told since or not, so the next one comes renotify_hours later at the soonest
            by_binome.setdefault(alert.binome_id, []).append(alert)
    for alerts in by_binome.values():
        alerts.sort(key=lambda a: (signals.SEVERITY_ORDER[a.severity], a.opened_at, a.id))
        for alert in alerts:
            rules.mark_renotified(session=session, alert=alert, now=now)
        rules.notify(session=session, alert=alerts[0], now=now, which="renotify")
    reminded = rules.due_escalation(session=session, now=now, after=timedelta(0))
    due = {a.binome_id for a in reminded
           if now - a.renotified_at >= shortest and now - a.renotified_at >= timedelta(hours=options_of(a).renotify_hours)}
    by_binome = {}
    for alert in reminded:  # sent on to the backups together too: one card a binôme
        if alert.binome_id in due:
            by_binome.setdefault(alert.binome_id, []).append(alert)
    for alerts in by_binome.values():
        alerts.sort(key=lambda a: (signals.SEVERITY_ORDER[a.severity], a.opened_at, a.id))
        _, backups = rules.routing(session=session, programme_id=alerts[0].programme_id, options=options_of(alerts[0]))
        for alert in alerts:
            rules.mark_escalated(session=session, alert=alert, now=now, to=[b.id for b in backups])
        if backups:
            rules.notify(session=session, alert=alerts[0], now=now, which="escalate", to=backups)


DIGEST_CATCH_UP = timedelta(hours=36)  # a digest missed at its hour (the bot was down) still goes this long after


def _digests(session: Session, now: datetime) -> None:
    """Monday from the programme's digest hour, each coordinator's local time: the week in numbers, when
    there is something to say. Queued at the first scan from that hour on, so an outage over that hour
    only delays it (up to DIGEST_CATCH_UP; the key keeps it to one a week)."""
    coordinators = session.exec(select(Participant).where(Participant.role == Role.COORDINATOR,
                                                          col(Participant.telegram_chat_id).is_not(None))).all()
    facts_by_programme, wanted = {}, {}
    for coordinator in coordinators:
        programme = session.get(Programme, coordinator.programme_id)
        local = now.astimezone(ZoneInfo(timezone_of(coordinator, programme)))
        hour = signals.signal_options(programme).digest_hour
        monday = (local - timedelta(days=local.weekday())).replace(hour=hour, minute=0, second=0, microsecond=0)
        if not monday <= local < monday + DIGEST_CATCH_UP:
            continue
        year, week, _ = local.isocalendar()
        as_of = now if local < monday + timedelta(hours=1) else monday.astimezone(now.tzinfo)  # caught up: as at its hour
        wanted[f"digest:{coordinator.id}:{year}-W{week:02d}"] = (coordinator, programme, as_of)
    if not wanted:
        return
    queued = set(session.exec(select(OutboundMessage.idempotency_key)
                              .where(col(OutboundMessage.idempotency_key).in_(sorted(wanted)))).all())
    for key, (coordinator, programme, as_of) in wanted.items():
        if key in queued:
            continue
        if (programme.id, as_of) not in facts_by_programme:
            facts_by_programme[programme.id, as_of] = week_facts(session=session, programme_id=programme.id, now=as_of)
        if not facts_by_programme[programme.id, as_of].something_to_say:
            continue
        outbox.enqueue(session=session, participant_id=coordinator.id, kind="coordinator_digest", now=now, key=key,
                       due_at=rules.after_quiet_hours(session=session, participant=coordinator, now=now),
                       params={"at": as_of.isoformat()})
