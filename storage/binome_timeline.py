"""A binôme's history as facts, for the coordinator's page (miniapp/): its meetings (when, how they went) and
its alerts (when each was raised, acknowledged, resolved, with which outcome). Rules only.

Facts only: no meeting's place detail, no word, no typed reason is selected; an alert's `facts` (counts and
dates) are not either, the page names the signal.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from storage.models import Alert, Meeting, MeetingStatus

LIMIT = 200  # a binôme of a year has some 25 meetings; a forged or runaway history stops here


@dataclass(frozen=True)
class MeetingFact:
    starts_at: datetime
    status: str
    closing: bool  # the closing interview


@dataclass(frozen=True)
class AlertFact:
    alert_id: int
    signal: str
    severity: str
    status: str
    opened_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    cleared_at: datetime | None
    outcome: str | None


def meetings(*, session: Session, binome_id: int) -> list[MeetingFact]:
    """The binôme's meetings but drafts, latest first."""
    found = session.exec(select(Meeting.starts_at, Meeting.status, Meeting.purpose)
                         .where(Meeting.binome_id == binome_id, Meeting.status != MeetingStatus.DRAFT)
                         .order_by(col(Meeting.starts_at).desc()).limit(LIMIT)).all()
    return [MeetingFact(starts_at=starts, status=str(status), closing=purpose == "closing")
            for starts, status, purpose in found if starts is not None]


def alerts(*, session: Session, binome_id: int) -> list[AlertFact]:
    """The binôme's alerts, latest first, open or not."""
    found = session.exec(select(Alert).where(Alert.binome_id == binome_id)
                         .order_by(col(Alert.opened_at).desc()).limit(LIMIT)).all()
    return [AlertFact(alert_id=a.id, signal=a.signal, severity=a.severity, status=str(a.status),
                      opened_at=a.opened_at, acknowledged_at=a.acknowledged_at, resolved_at=a.resolved_at,
                      cleared_at=a.cleared_at, outcome=a.outcome) for a in found]
