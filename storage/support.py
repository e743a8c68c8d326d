""""I need help" / "I want to stop": a mentor's or mentee's request reaches the coordinators at once,
as an alert. The request itself carries no text."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, select

from storage import alerts, signals
from storage.audit import record
from storage.models import Participant, Programme, SupportKind, SupportRequest
from storage.participants import current_binome

SUPPORT_REPEAT = timedelta(hours=24)  # a second press within this is the same request


def request_support(*, session: Session, participant: Participant, kind: SupportKind, now: datetime) -> bool:
    """Record the request (no text) and alert the coordinators at once. False if the same request was
    made within the last day (a double tap, or asking again)."""
    binome = current_binome(session=session, participant=participant)
    recent = session.exec(select(SupportRequest.id).where(SupportRequest.participant_id == participant.id,
                                                          SupportRequest.kind == kind,
                                                          SupportRequest.at > now - SUPPORT_REPEAT)).first()
    if recent is not None:
        return False
    request = SupportRequest(binome_id=binome.id if binome else None, participant_id=participant.id, kind=kind, at=now)
    session.add(request)
    session.flush()
    record(session=session, at=now, programme_id=participant.programme_id, actor=f"participant:{participant.id}",
           action="support.requested", subject=f"support:{request.id}", details={"kind": kind.value})
    if binome is not None:
        history = signals.history_of(session, binome)
        options = signals.signal_options(session.get(Programme, binome.programme_id))
        wanted = signals.SUPPORT_HELP if kind == SupportKind.HELP else signals.SUPPORT_STOP
        for finding in signals.support(history, now, options):
            if finding.signal == wanted and finding.about == participant.id:
                raised = alerts.raise_finding(session=session, binome=binome, finding=finding, now=now)
                if raised is not None:
                    alerts.notify(session=session, alert=raised[0], now=now, which=raised[1])
    return True
