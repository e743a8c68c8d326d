"""Reachability: what the coordinators of a programme are told, facts only, once per episode.

Telegram refusing delivery (the person blocked the bot or left Telegram) stops every message to them;
their coordinators hear it once ("participant_unreachable"), and again when the person is back
("participant_back"). The same fact is an alert (open alerts, digest, re-notification), whose first
notification is that message; the person back clears it.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from storage import alerts, outbox, signals
from storage.models import Participant, ParticipantStatus
from storage.participants import coordinators_of, current_binome, mark_unreachable, resume

outbox.declare("participant_unreachable", priority=outbox.URGENT, max_delay=timedelta(days=3))
outbox.declare("participant_back", max_delay=timedelta(days=3))


def participant_unreachable(*, session: Session, participant: Participant, now: datetime) -> bool:
    """Mark the participant unreachable; tell their coordinators once. False if already known."""
    if not mark_unreachable(session=session, participant=participant, now=now):
        return False
    alert_id = _unreachable_alert(session, participant, now)
    _tell_coordinators(session, participant, "participant_unreachable", now, alert_id=alert_id)
    return True


def _unreachable_alert(session: Session, participant: Participant, now: datetime, back: bool = False) -> int | None:
    """The same fact as an alert, already notified by the message above; the person back clears it."""
    binome = current_binome(session=session, participant=participant)
    if binome is None:
        return None
    if back:
        for alert in alerts.open_alerts(session=session, programme_id=binome.programme_id, binome_id=binome.id):
            if alert.signal == signals.UNREACHABLE and alert.about_id == participant.id:
                alerts.clear(session=session, alert=alert, now=now, reason="reachable")
        return None
    finding = signals.Finding(signals.UNREACHABLE, signals.HIGH, 1, participant.id,
                              {"role": str(participant.role), "since": now.date().isoformat()})
    raised = alerts.raise_finding(session=session, binome=binome, finding=finding, now=now)
    if raised is None:
        return None
    alerts.mark_notified(session=session, alert=raised[0], now=now)
    return raised[0].id


def participant_back(*, session: Session, participant: Participant, now: datetime) -> bool:
    """They wrote to the bot or unblocked it: deliver again, and say so to the coordinators."""
    was_unreachable = participant.status == ParticipantStatus.UNREACHABLE or participant.unreachable_since is not None
    since = participant.unreachable_since
    if not resume(session=session, participant=participant, now=now, reason="participant.reachable"):
        return False
    if was_unreachable:
        _tell_coordinators(session, participant, "participant_back", now, episode=since)
        _unreachable_alert(session, participant, now, back=True)
    return True


def _tell_coordinators(session: Session, participant: Participant, kind: str, now: datetime,
                       episode: datetime | None = None, alert_id: int | None = None) -> None:
    episode = episode or participant.unreachable_since or now
    for coordinator in coordinators_of(session=session, programme_id=participant.programme_id):
        if coordinator.id == participant.id:
            continue
        outbox.enqueue(session=session, participant_id=coordinator.id, kind=kind, due_at=now, now=now,
                       key=f"{kind}:{participant.id}:{episode:%Y%m%dT%H%M%S}:{coordinator.id}",
                       params={"participant_id": participant.id, "alert_id": alert_id})
