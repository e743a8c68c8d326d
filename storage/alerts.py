"""Alerts: warning signs turned into rows the coordinators act on. Plain functions, no Telegram.

One alert per (binôme, signal, person concerned) at a time. `sync` compares what the rules find now
with the alerts already there:
- a new sign opens an alert (to notify);
- the same sign, still open (open, acknowledged or snoozed), alerts again only when its severity grows
  (a higher level of the same severity is recorded quietly: it does not change what to do);
- a sign resolved by a coordinator stays quiet while its level stays the same; worse, it opens a new alert;
- a sign no longer found clears its open alert;
- a snoozed alert is quiet until `snoozed_until` (its facts are kept up to date meanwhile); then it is
  open again and notified if the sign is still there.
Every change is audited with ids and categories only. `notify` tells the programme's coordinators on
their card of the binôme (storage.cards: one message per binôme, edited in place), outside their quiet
hours; `asked_again` tells them, snoozed or taken in hand or not, that the person asked for help (or to
stop) once more.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Session, col, select

from storage import cards, outbox
from storage.audit import record
from storage.models import Alert, AlertStatus, Binome, OutboundMessage, Participant, Programme, Role
from storage.options import meeting_options
from storage.participants import timezone_of
from storage.schedule import out_of_quiet_hours
from storage.signals import SEVERITY_ORDER, Finding, SignalOptions, signal_options

LIVE = cards.LIVE
SNOOZE = timedelta(days=7)
OUTCOMES = ("contacted", "meeting_planned", "pair_paused", "pair_closed", "other")


class AlertRefusal(StrEnum):
    GONE = "gone"  # no such alert, or no longer in a state this button can change
    NOT_YOURS = "not_yours"  # another programme's alert, or not a coordinator


class AlertRefused(Exception):
    def __init__(self, refusal: AlertRefusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


def _audit(session: Session, alert: Alert, action: str, now: datetime, actor: str = "system", **details) -> None:
    record(session=session, at=now, programme_id=alert.programme_id, actor=actor, action=action,
           subject=f"alert:{alert.id}", details={"signal": alert.signal, "binome_id": alert.binome_id,
                                                  "level": alert.level, "severity": alert.severity, **details})


def alerts_of(*, session: Session, binome_ids: list[int]) -> dict[int, list[Alert]]:
    """Every alert of these binômes, oldest first, by binôme: what `sync` needs, in one query."""
    found: dict[int, list[Alert]] = {b: [] for b in binome_ids}
    for alert in session.exec(select(Alert).where(col(Alert.binome_id).in_(sorted(binome_ids)))
                              .order_by(Alert.opened_at, Alert.id)).all():
        found[alert.binome_id].append(alert)
    return found


def _latest(session: Session, binome_id: int, signal: str, about: int | None,
            known: list[Alert] | None = None) -> Alert | None:
    if known is not None:
        return max((a for a in known if a.signal == signal and a.about_id == about),
                   key=lambda a: (a.opened_at, a.id), default=None)
    return session.exec(select(Alert).where(Alert.binome_id == binome_id, Alert.signal == signal,
                                            Alert.about_id == about)
                        .order_by(col(Alert.opened_at).desc(), col(Alert.id).desc())).first()


def raise_finding(*, session: Session, binome: Binome, finding: Finding, now: datetime,
                  known: list[Alert] | None = None) -> tuple[Alert, str] | None:
    """Apply one finding. Returns (alert, "new" or "worse") when coordinators must be told now, (alert,
    "update") when their cards only follow (worse, no graver: a silent edit).
    `known`: the binôme's alerts, oldest first, when the caller read them already (a new one is added)."""
    alert = _latest(session, binome.id, finding.signal, finding.about, known)
    if alert is not None and alert.status in LIVE:
        if finding.level <= alert.level:
            if alert.facts != finding.facts:
                alert.facts = finding.facts
                session.add(alert)
            return None
        graver = SEVERITY_ORDER[finding.severity] < SEVERITY_ORDER[alert.severity]
        alert.level, alert.severity, alert.facts = finding.level, finding.severity, finding.facts
        session.add(alert)
        if not graver or (alert.status == AlertStatus.SNOOZED and alert.snoozed_until and now < alert.snoozed_until):
            # Worse but no graver: what to do is the same, so the card is not sent again (issue 18);
            # the coordinator's choice (taken in hand, snoozed) stands and the facts follow.
            _audit(session, alert, "alert.worse", now, quiet=True)
            return alert, cards.SILENT
        _reopen(alert, now)
        _audit(session, alert, "alert.worse", now)
        return alert, "worse"
    if alert is not None and alert.status == AlertStatus.RESOLVED and finding.level <= alert.level:
        return None  # a coordinator dealt with it; it only comes back if it gets worse
    alert = Alert(programme_id=binome.programme_id, binome_id=binome.id, about_id=finding.about, signal=finding.signal,
                  severity=finding.severity, level=finding.level, facts=finding.facts, status=AlertStatus.OPEN,
                  opened_at=now)
    session.add(alert)
    session.flush()
    if known is not None:
        known.append(alert)
    _audit(session, alert, "alert.opened", now)
    return alert, "new"


def _reopen(alert: Alert, now: datetime) -> None:
    alert.status = AlertStatus.OPEN
    alert.notified_at = None  # set when the notification is queued
    alert.renotified_at = alert.escalated_at = None
    alert.snoozed_until = None


def sync(*, session: Session, binome: Binome, findings: list[Finding], now: datetime,
         known: list[Alert] | None = None) -> list[tuple[Alert, str]]:
    """Bring the binôme's alerts in line with what the rules find now; returns the alerts to notify
    with why ("new", "worse", "unsnoozed", "update"). `known`: the binôme's alerts (`alerts_of`), if read already."""
    to_notify = []
    found = {(f.signal, f.about) for f in findings}
    for finding in findings:
        raised = raise_finding(session=session, binome=binome, finding=finding, now=now, known=known)
        if raised is not None:
            to_notify.append(raised)
    if known is not None:
        live = [a for a in known if a.status in LIVE]
    else:
        live = session.exec(select(Alert).where(Alert.binome_id == binome.id, col(Alert.status).in_(list(LIVE)))).all()
    for alert in live:
        if (alert.signal, alert.about_id) not in found:
            clear(session=session, alert=alert, now=now)
        elif alert.status == AlertStatus.SNOOZED and alert.snoozed_until and now >= alert.snoozed_until:
            _reopen(alert, now)
            session.add(alert)
            _audit(session, alert, "alert.unsnoozed", now)
            to_notify.append((alert, "unsnoozed"))
    return to_notify


def wakes_at(alerts: list[Alert], now: datetime) -> datetime | None:
    """The earliest end of a snooze still to come: `sync` must look at the binôme again then."""
    return min((a.snoozed_until for a in alerts if a.status == AlertStatus.SNOOZED and a.snoozed_until
                and a.snoozed_until > now), default=None)


def clear(*, session: Session, alert: Alert, now: datetime, reason: str = "signal_gone") -> None:
    alert.status, alert.cleared_at = AlertStatus.CLEARED, now
    session.add(alert)
    _audit(session, alert, "alert.cleared", now, reason=reason)


def clear_for_binome(*, session: Session, binome_id: int, now: datetime, reason: str,
                     keep: tuple[str, ...] = ()) -> int:
    """A binôme no longer followed (closed, paused, draft): its live alerts are cleared, but those of the
    signals in `keep` (a paused binôme's "I need help")."""
    live = [a for a in session.exec(select(Alert).where(Alert.binome_id == binome_id,
                                                        col(Alert.status).in_(list(LIVE)))).all()
            if a.signal not in keep]
    for alert in live:
        clear(session=session, alert=alert, now=now, reason=reason)
    return len(live)


def mark_notified(*, session: Session, alert: Alert, now: datetime) -> None:
    alert.notified_at = now
    session.add(alert)


# ---------------------------------------------------------------- what coordinators do

def coordinator_alert(session: Session, alert_id: int, coordinator: Participant) -> Alert:
    """The alert, if this coordinator may act on it: same programme, coordinator role."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertRefused(AlertRefusal.GONE)
    if coordinator.role != Role.COORDINATOR or coordinator.programme_id != alert.programme_id:
        raise AlertRefused(AlertRefusal.NOT_YOURS)
    return alert


def acknowledge(*, session: Session, alert_id: int, coordinator: Participant, now: datetime) -> Alert:
    """"I'm on it". The time to acknowledge (from the first notification) is kept for the indicators."""
    alert = coordinator_alert(session, alert_id, coordinator)
    if alert.status not in (AlertStatus.OPEN, AlertStatus.SNOOZED):
        raise AlertRefused(AlertRefusal.GONE)
    alert.status, alert.acknowledged_at, alert.acknowledged_by = AlertStatus.ACKNOWLEDGED, now, coordinator.id
    alert.snoozed_until = None
    session.add(alert)
    seconds = int((now - (alert.notified_at or alert.opened_at)).total_seconds())
    _audit(session, alert, "alert.acknowledged", now, actor=f"participant:{coordinator.id}",
           seconds_to_acknowledge=seconds)
    return alert


def acknowledge_binome(*, session: Session, alert_id: int, coordinator: Participant, now: datetime) -> Alert:
    """"I'm on it" on a card showing several alerts: every alert of the binôme told so far and not yet taken
    in hand (open or snoozed) is taken in hand; returns the pressed one."""
    pressed = coordinator_alert(session, alert_id, coordinator)
    covered = [a for a in open_alerts(session=session, programme_id=pressed.programme_id, binome_id=pressed.binome_id)
               if a.status in (AlertStatus.OPEN, AlertStatus.SNOOZED) and a.notified_at is not None]
    if not covered:
        raise AlertRefused(AlertRefusal.GONE)
    for alert in covered:
        acknowledge(session=session, alert_id=alert.id, coordinator=coordinator, now=now)
    return pressed


def resolve(*, session: Session, alert_id: int, coordinator: Participant, outcome: str, now: datetime) -> Alert:
    if outcome not in OUTCOMES:
        raise ValueError(outcome)
    alert = coordinator_alert(session, alert_id, coordinator)
    if alert.status not in LIVE:
        raise AlertRefused(AlertRefusal.GONE)
    if alert.acknowledged_at is None:  # resolving at once counts as acknowledging
        alert.acknowledged_at, alert.acknowledged_by = now, coordinator.id
        _audit(session, alert, "alert.acknowledged", now, actor=f"participant:{coordinator.id}",
               seconds_to_acknowledge=int((now - (alert.notified_at or alert.opened_at)).total_seconds()))
    alert.status, alert.resolved_at, alert.resolved_by, alert.outcome = AlertStatus.RESOLVED, now, coordinator.id, outcome
    alert.snoozed_until = None
    session.add(alert)
    _audit(session, alert, "alert.resolved", now, actor=f"participant:{coordinator.id}", outcome=outcome)
    return alert


def snooze(*, session: Session, alert_id: int, coordinator: Participant, now: datetime,
           for_: timedelta = SNOOZE) -> Alert:
    alert = coordinator_alert(session, alert_id, coordinator)
    if alert.status not in LIVE:
        raise AlertRefused(AlertRefusal.GONE)
    alert.status, alert.snoozed_until = AlertStatus.SNOOZED, now + for_
    session.add(alert)
    _audit(session, alert, "alert.snoozed", now, actor=f"participant:{coordinator.id}",
           until=alert.snoozed_until.isoformat())
    return alert


# ---------------------------------------------------------------- the ladder after the first notice

def due_renotify(*, session: Session, now: datetime, after: timedelta) -> list[Alert]:
    """Open alerts notified `after` ago and still not acknowledged, not yet re-notified."""
    return list(session.exec(select(Alert).where(Alert.status == AlertStatus.OPEN, col(Alert.notified_at).is_not(None),
                                                 Alert.notified_at <= now - after,
                                                 col(Alert.renotified_at).is_(None))).all())


def due_escalation(*, session: Session, now: datetime, after: timedelta) -> list[Alert]:
    """Open alerts re-notified `after` ago and still not acknowledged: for the backup coordinator."""
    return list(session.exec(select(Alert).where(Alert.status == AlertStatus.OPEN,
                                                 col(Alert.renotified_at).is_not(None),
                                                 Alert.renotified_at <= now - after,
                                                 col(Alert.escalated_at).is_(None))).all())


def mark_renotified(*, session: Session, alert: Alert, now: datetime) -> None:
    alert.renotified_at = now
    session.add(alert)
    _audit(session, alert, "alert.renotified", now)


def mark_escalated(*, session: Session, alert: Alert, now: datetime, to: list[int]) -> None:
    """Past the second notice: sent on to the backup coordinators (`to`); with none set, only marked so
    that it is not looked at again."""
    alert.escalated_at = now
    session.add(alert)
    if to:
        _audit(session, alert, "alert.escalated", now, to=to)


def open_alerts(*, session: Session, programme_id: int, binome_id: int | None = None) -> list[Alert]:
    """Live alerts of a programme (or one binôme), oldest first."""
    query = select(Alert).where(Alert.programme_id == programme_id, col(Alert.status).in_(list(LIVE)))
    if binome_id is not None:
        query = query.where(Alert.binome_id == binome_id)
    return list(session.exec(query.order_by(Alert.opened_at, Alert.id)).all())


def routing(*, session: Session, programme_id: int, options: SignalOptions) -> tuple[list[Participant], list[Participant]]:
    """(who gets alerts first, who gets escalations): backups are coordinators of the same programme
    named in `backup_coordinator_id`; others named there are ignored (one programme never reaches another)."""
    coordinators = list(session.exec(select(Participant).where(Participant.programme_id == programme_id,
                                                               Participant.role == Role.COORDINATOR)
                                     .order_by(Participant.id)).all())
    backups = [c for c in coordinators if c.id in options.backup_coordinator_ids]
    primary = [c for c in coordinators if c.id not in options.backup_coordinator_ids] or backups
    return primary, backups


# ---------------------------------------------------------------- telling the coordinators

def _card_relevant(session: Session, message: OutboundMessage) -> bool:
    """A new card goes while one of its alerts is open ("asked again": live, taken in hand or snoozed too); an
    edit always goes, since it shows the facts of now."""
    if message.edits_id is not None:
        return True
    statuses = [a.status for a in (session.get(Alert, i) for i in cards.alert_ids(message)) if a is not None]
    wanted = LIVE if message.params.get("which") == "again" else (AlertStatus.OPEN,)
    return any(status in wanted for status in statuses)


outbox.declare("alert", priority=outbox.URGENT, max_delay=timedelta(days=2), relevant=_card_relevant, page=True)


def after_quiet_hours(*, session: Session, participant: Participant, now: datetime) -> datetime:
    """Now, or the end of the person's quiet hours if now falls in them."""
    programme = session.get(Programme, participant.programme_id)
    return out_of_quiet_hours(now, tz=timezone_of(participant, programme), quiet=meeting_options(programme).quiet_hours,
                              direction="later")


def notify(*, session: Session, alert: Alert, now: datetime, which: str = "new",
           to: list[Participant] | None = None) -> int:
    """Tell the programme's coordinators (or `to`) on their card of the binôme (storage.cards: a new card, or
    the card edited in place, with a notice when what to do changes; `which="update"`: a silent edit); returns
    how many of them can receive it (on Telegram and not paused or unreachable)."""
    if to is None:
        options = signal_options(session.get(Programme, alert.programme_id))
        to, _ = routing(session=session, programme_id=alert.programme_id, options=options)
    for coordinator in to:
        due_at = now if which == cards.SILENT else after_quiet_hours(session=session, participant=coordinator, now=now)
        cards.tell(session=session, alert=alert, coordinator_id=coordinator.id, which=which, now=now, due_at=due_at)
    if which in ("new", "worse", "unsnoozed"):
        mark_notified(session=session, alert=alert, now=now)
    return sum(1 for coordinator in to if can_receive(coordinator))


can_receive = cards.can_receive


def asked_again(*, session: Session, alert: Alert, finding: Finding, now: datetime) -> int:
    """The person asked once more while their alert is live: its facts follow, its status stays the
    coordinator's choice (taken in hand, snoozed), and the coordinators are told at once ("again").
    Returns how many can receive it."""
    alert.level, alert.severity, alert.facts = max(alert.level, finding.level), finding.severity, finding.facts
    session.add(alert)
    _audit(session, alert, "alert.asked_again", now)
    return notify(session=session, alert=alert, now=now, which="again")


def live_alert(*, session: Session, binome_id: int, signal: str, about: int | None) -> Alert | None:
    alert = _latest(session, binome_id, signal, about)
    return alert if alert is not None and alert.status in LIVE else None


def coordinators_told(*, session: Session, alert: Alert) -> bool:
    """A card showing this alert reached a coordinator, or is queued for one who can receive it."""
    return cards.coordinators_told(session=session, alert=alert)


def refresh_cards(*, session: Session, alert: Alert, now: datetime, but: int | None = None) -> None:
    """A coordinator acted on the alert: the cards that show it follow silently (but `but`'s, written again
    by the press itself)."""
    told = {m.participant_id for m in cards.rows(session, alert.binome_id)} - {but}
    for coordinator_id in sorted(told):
        cards.tell(session=session, alert=alert, coordinator_id=coordinator_id, which=cards.SILENT, now=now, due_at=now)
