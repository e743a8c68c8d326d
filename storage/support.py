""""I need help" / "I want to stop": a mentor's or mentee's request reaches the coordinators at once,
as an alert. The request itself carries no text.

- A first request, or one after a coordinator resolved the alert (or it cleared), is a new request: a new
  alert, its card sent to the coordinators.
- Asked again while the alert is live (open, taken in hand, snoozed): recorded, and the coordinators get
  the card again with "asked again", snoozed or not.
- Pressed again within `DOUBLE_TAP` while that alert is live: the same request (a double tap), nothing new.
The answer says whether a coordinator was really told, so that the person is never told someone knows
when nobody could be.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Session, col, select

from storage import alerts, referents, signals
from storage.audit import record
from storage.models import Alert, Participant, Programme, SupportKind, SupportRequest
from storage.participants import current_binome

DOUBLE_TAP = timedelta(minutes=2)  # a second press this soon, the alert still live, is the same request


class Asked(StrEnum):
    NEW = "new"  # a new request, a new alert
    AGAIN = "again"  # asked again while the alert is live: the coordinators hear it again
    SAME = "same"  # a double tap: the request just made


@dataclass(frozen=True)
class SupportAnswer:
    asked: Asked
    told: bool  # a coordinator was told, or the card is queued for one who can receive it


def request_support(*, session: Session, participant: Participant, kind: SupportKind, now: datetime) -> SupportAnswer:
    """Record the request (no text) and tell the coordinators at once (see the module's rules)."""
    binome = current_binome(session=session, participant=participant)
    signal = signals.SUPPORT_HELP if kind == SupportKind.HELP else signals.SUPPORT_STOP
    live = alerts.live_alert(session=session, binome_id=binome.id, signal=signal, about=participant.id) \
        if binome is not None else None
    last = session.exec(select(SupportRequest.at).where(SupportRequest.participant_id == participant.id,
                                                        SupportRequest.kind == kind)
                        .order_by(col(SupportRequest.at).desc())).first()
    if last is not None and now - last < DOUBLE_TAP and (binome is None or live is not None):
        return SupportAnswer(Asked.SAME, live is not None and alerts.coordinators_told(session=session, alert=live))
    request = SupportRequest(binome_id=binome.id if binome else None, participant_id=participant.id, kind=kind, at=now)
    session.add(request)
    session.flush()
    record(session=session, at=now, programme_id=participant.programme_id, actor=f"participant:{participant.id}",
           action="support.requested", subject=f"support:{request.id}", details={"kind": kind.value})
    if binome is None:  # no binôme, no alert: nobody hears of it through the bot
        return SupportAnswer(Asked.NEW, False)
    options = signals.signal_options(session.get(Programme, binome.programme_id))
    finding = next((f for f in signals.support(signals.history_of(session, binome), now, options)
                    if f.signal == signal and f.about == participant.id), None)
    if finding is None:
        return SupportAnswer(Asked.NEW, False)
    if live is not None:
        told = alerts.asked_again(session=session, alert=live, finding=finding, now=now)
        return SupportAnswer(Asked.AGAIN, told > 0 or _tell_backups(session, live, "again", now, options))
    raised = alerts.raise_finding(session=session, binome=binome, finding=finding, now=now)
    if raised is None:
        return SupportAnswer(Asked.NEW, False)
    alert, which = raised
    told = alerts.notify(session=session, alert=alert, now=now, which=which)
    referents.tell(session=session, binome_id=binome.id, kind="referent_alert", now=now,
                   key=f"alert:{alert.id}:referent:{alert.level}", params={"alert_id": alert.id})
    return SupportAnswer(Asked.NEW, told > 0 or _tell_backups(session, alert, which, now, options))


def _tell_backups(session: Session, alert: Alert, which: str, now: datetime, options: signals.SignalOptions) -> bool:
    """No first coordinator can receive it: the backup coordinators, if any, are told at once."""
    primary, backups = alerts.routing(session=session, programme_id=alert.programme_id, options=options)
    others = [b for b in backups if b.id not in {p.id for p in primary}]
    return bool(others) and alerts.notify(session=session, alert=alert, now=now, which=which, to=others) > 0
