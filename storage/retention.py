"""How long personal data is kept (docs/privacy.md), and the erasure when that time is over.

A mentor's or mentee's data is kept `retention_months` (a programme setting, 12 by default) after the
closure of their last binôme, while none is open or paused; someone who refused the consent, or was
imported and never joined, is kept `unjoined_retention_months` (6 by default) after the refusal or the
import; a link never used is removed as long after it expired. Coordinators are not concerned: they are
the programme's staff, erased on request only (`binome privacy erase`).

A week before, the programme's coordinators are told how many people will be erased (a count, no name):
each person is marked `retention_notice_at` when counted, and only people counted at least a week ago are
erased. The people due are found by set queries, programme by programme; they are erased in batches of
`BATCH`, each committed with its audit, so a restart half way goes on with the rest.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, union_all
from sqlmodel import Session, col, delete, select, update

from storage import alerts, outbox
from storage.audit import record
from storage.options import RETENTION_MONTHS, UNJOINED_RETENTION_MONTHS as UNJOINED_MONTHS
from storage.models import Binome, BinomeStatus, Invitation, Participant, ParticipantStatus, Programme, Role
from storage.privacy import erase
from storage.programmes import add_months
from storage.signals import signal_options

NOTICE = timedelta(days=7)
BATCH = 50  # people erased per tick


@dataclass(frozen=True)
class RetentionOptions:
    months: int = RETENTION_MONTHS
    unjoined_months: int = UNJOINED_MONTHS


def retention_options(programme: Programme) -> RetentionOptions:
    options = programme.options or {}
    return RetentionOptions(int(options.get("retention_months", RETENTION_MONTHS)),
                            int(options.get("unjoined_retention_months", UNJOINED_MONTHS)))


def programme_today(programme: Programme, now: datetime) -> date:
    return now.astimezone(ZoneInfo(programme.timezone)).date()


def _members(programme_id: int):
    """(participant, binôme status, closed_on) for every member of every binôme of the programme."""
    return union_all(
        select(Binome.mentor_id.label("pid"), Binome.status.label("status"), Binome.closed_on.label("closed_on"))
        .where(Binome.programme_id == programme_id),
        select(Binome.mentee_id.label("pid"), Binome.status.label("status"), Binome.closed_on.label("closed_on"))
        .where(Binome.programme_id == programme_id)).subquery()


def due_ids(*, session: Session, programme: Programme, now: datetime, ahead: timedelta = timedelta(0),
            noticed_before: datetime | None = None, unnoticed: bool = False, limit: int | None = None) -> list[int]:
    """The people of the programme whose time is over by `now + ahead` and not yet erased; with
    `noticed_before`, only those counted in a notice before it; with `unnoticed`, only those not counted yet."""
    options = retention_options(programme)
    day = programme_today(programme, now + ahead)
    members = _members(programme.id)
    live = func.sum(case((members.c.status != BinomeStatus.CLOSED.value, 1), else_=0))
    ended = (select(members.c.pid).group_by(members.c.pid)
             .having(live == 0, func.max(members.c.closed_on) <= add_months(day, -options.months)))
    unjoined_cutoff = now + ahead - timedelta(days=round(options.unjoined_months * 30.44))
    in_binome = select(members.c.pid)
    declined = select(Participant.id).where(Participant.status == ParticipantStatus.DECLINED,
                                            Participant.consent_refused_at <= unjoined_cutoff,
                                            col(Participant.id).not_in(
                                                select(members.c.pid).where(members.c.status != BinomeStatus.CLOSED.value)))
    never = select(Participant.id).where(Participant.status == ParticipantStatus.INVITED,
                                         col(Participant.telegram_user_id).is_(None),
                                         Participant.created_at <= unjoined_cutoff, col(Participant.id).not_in(in_binome))
    query = (select(Participant.id).where(Participant.programme_id == programme.id,
                                          Participant.role != Role.COORDINATOR, col(Participant.erased_at).is_(None))
             .where(col(Participant.id).in_(ended) | col(Participant.id).in_(declined) | col(Participant.id).in_(never))
             .order_by(Participant.id))
    if unnoticed:
        query = query.where(col(Participant.retention_notice_at).is_(None))
    if noticed_before is not None:
        query = query.where(Participant.retention_notice_at <= noticed_before)
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query).all())


def announce(*, session: Session, programme: Programme, now: datetime) -> int:
    """Count the people whose time is over within a week and not counted yet, mark them, and tell the
    programme's coordinators that many will be erased in a week. Returns the count."""
    ids = due_ids(session=session, programme=programme, now=now, ahead=NOTICE, unnoticed=True)
    if not ids:
        return 0
    session.exec(update(Participant).where(col(Participant.id).in_(ids)).values(retention_notice_at=now))
    on = programme_today(programme, now + NOTICE)
    record(session=session, at=now, programme_id=programme.id, actor="system", action="retention.announced",
           subject=f"programme:{programme.id}", details={"count": len(ids), "on": on.isoformat()})
    primary, _backups = alerts.routing(session=session, programme_id=programme.id, options=signal_options(programme))
    for coordinator in primary:
        if alerts.can_receive(coordinator):
            outbox.enqueue(session=session, participant_id=coordinator.id, kind="retention_notice", now=now,
                           due_at=alerts.after_quiet_hours(session=session, participant=coordinator, now=now),
                           key=f"retention_notice:{programme.id}:{now:%Y%m%dT%H%M}:{coordinator.id}",
                           params={"count": len(ids), "on": on.isoformat(), "programme_id": programme.id})
    return len(ids)


def erase_due(*, session: Session, programme: Programme, now: datetime, limit: int = BATCH) -> int:
    """Erase up to `limit` people whose time is over and who were announced a week ago or more; each is
    committed with its audit, so a restart goes on with the rest. Returns how many."""
    ids = due_ids(session=session, programme=programme, now=now, noticed_before=now - NOTICE, limit=limit)
    for pid in ids:
        person = session.get(Participant, pid)
        erase(session=session, participant=person, now=now, actor="system")
        session.commit()
    if ids:
        record(session=session, at=now, programme_id=programme.id, actor="system", action="retention.erased",
               subject=f"programme:{programme.id}", details={"count": len(ids)})
    return len(ids)


def expire_invitations(*, session: Session, programme: Programme, now: datetime) -> int:
    """Links never used, expired `unjoined_retention_months` ago: removed."""
    cutoff = now - timedelta(days=round(retention_options(programme).unjoined_months * 30.44))
    of_programme = select(Participant.id).where(Participant.programme_id == programme.id)
    stale = select(Invitation.id).where(col(Invitation.used_at).is_(None), Invitation.expires_at <= cutoff,
                                        col(Invitation.participant_id).in_(of_programme))
    ids = list(session.exec(stale).all())
    if ids:
        session.exec(delete(Invitation).where(col(Invitation.id).in_(ids)))
        record(session=session, at=now, programme_id=programme.id, actor="system", action="retention.invitations",
               subject=f"programme:{programme.id}", details={"count": len(ids)})
    return len(ids)


outbox.declare("retention_notice", priority=outbox.NORMAL, max_delay=timedelta(days=3))
