"""The follow-up table ("tableau de suivi des binômes"): one row of facts per binôme, for the coordinator's
/binomes (a page of 10, filtered) and the report's XLSX (every binôme, read in chunks). Rules only.

Facts only: first names, status, dates, counts, the highest open alert's severity and the outcome's code.
Never a title, a word or a typed reason: those columns are not selected. Each chunk of binômes costs a
fixed number of grouped queries, whatever its size, so the whole table is never held in memory.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, exists, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from storage.alerts import LIVE
from storage.models import (Absence, ActionStatus, Alert, Binome, BinomeStatus, CheckIn, CheckInStatus, Meeting,
                            MeetingStatus, Participant, PlanAction, Role)
from storage.signals import SEVERITY_ORDER

PAGE = 10
CHUNK = 500
MONTH = timedelta(days=30)
FILTERS = ("all", "risk", "quiet", "ending", "paused", "closed")
UPCOMING = (MeetingStatus.PROPOSED, MeetingStatus.CONFIRMED)
MISSED = (MeetingStatus.MENTEE_ABSENT, MeetingStatus.MENTOR_ABSENT)


@dataclass(frozen=True)
class Row:
    binome_id: int
    code: str
    mentor: str  # first names only
    mentee: str
    status: str  # active, paused, closed
    started_on: date
    planned_end_on: date
    last_meeting: datetime | None  # the last one held
    next_meeting: datetime | None  # the next proposed or confirmed one, from now
    held: int
    missed_excused: int  # announced before the start
    missed_unexcused: int
    actions_done: int
    actions_total: int  # dropped ones not counted
    actions_blocked: int
    mentee_response: float | None  # check-ins answered over answered or missed, None before any
    mentor_response: float | None
    open_alerts: int
    highest_severity: str | None  # "high", "medium", "low"
    outcome: str | None  # a code of storage.options.KNOWN_OUTCOMES


def _filter(name: str, programme_id: int, now: datetime, today: date):
    """The conditions of one of FILTERS."""
    mine = (Binome.programme_id == programme_id, Binome.status != BinomeStatus.DRAFT)
    open_ = col(Binome.status).in_([BinomeStatus.ACTIVE, BinomeStatus.PAUSED])
    if name == "risk":
        return (*mine, exists().where(Alert.binome_id == Binome.id, col(Alert.status).in_(list(LIVE))))
    if name == "quiet":  # active, under way for a month, and no meeting held in the last month
        return (*mine, Binome.status == BinomeStatus.ACTIVE, Binome.started_on <= today - MONTH,
                ~exists().where(Meeting.binome_id == Binome.id, Meeting.status == MeetingStatus.HELD,
                                Meeting.starts_at >= now - MONTH))
    if name == "ending":
        return (*mine, open_, Binome.planned_end_on <= today + MONTH)
    if name == "paused":
        return (*mine, Binome.status == BinomeStatus.PAUSED)
    if name == "closed":
        return (*mine, Binome.status == BinomeStatus.CLOSED)
    return mine


def page(*, session: Session, programme_id: int, which: str, number: int, now: datetime, today: date,
         size: int = PAGE) -> tuple[list[Row], int]:
    """Page `number` (from 0) of the binômes that `which` filter keeps, by code; and how many it keeps."""
    if which not in FILTERS:
        raise ValueError(which)
    where = _filter(which, programme_id, now, today)
    total = int(session.exec(select(func.count()).select_from(Binome).where(*where)).one())
    if number < 0 or number * size >= max(total, 1):
        return [], total  # past the end (a forged page): no query with an offset out of range
    ids = session.exec(select(Binome.id).where(*where).order_by(col(Binome.label), col(Binome.id))
                       .offset(max(number, 0) * size).limit(size)).all()
    return rows(session=session, binome_ids=list(ids), now=now), total


def filter_ids(*, session: Session, programme_id: int, which: str, now: datetime, today: date) -> set[int]:
    """The ids of the binômes `which` filter keeps: the same conditions as /binomes' pages (the Mini App's
    filters, docs/miniapp.md)."""
    if which not in FILTERS:
        raise ValueError(which)
    return set(session.exec(select(Binome.id).where(*_filter(which, programme_id, now, today))).all())


def all_rows(*, session: Session, programme_id: int, now: datetime, chunk: int = CHUNK) -> Iterator[Row]:
    """Every binôme of the programme but drafts, by code, a chunk at a time (keyset paging on the code)."""
    after: tuple[str, int] | None = None
    while True:
        query = select(Binome.id, Binome.label).where(Binome.programme_id == programme_id,
                                                      Binome.status != BinomeStatus.DRAFT)
        if after is not None:
            query = query.where(or_(Binome.label > after[0], and_(Binome.label == after[0], Binome.id > after[1])))
        found = session.exec(query.order_by(col(Binome.label), col(Binome.id)).limit(chunk)).all()
        if not found:
            return
        yield from rows(session=session, binome_ids=[i for i, _ in found], now=now)
        after = (found[-1][1], found[-1][0])


def rows(*, session: Session, binome_ids: list[int], now: datetime) -> list[Row]:
    """The rows of these binômes, in the order given: a fixed number of grouped queries."""
    if not binome_ids:
        return []
    mentor, mentee = aliased(Participant), aliased(Participant)
    # Columns, not Binome objects: a chunk read for the XLSX leaves nothing behind in the session.
    base = {row[0]: row for row in session.exec(
        select(Binome.id, Binome.label, Binome.status, Binome.started_on, Binome.planned_end_on, Binome.outcome,
               mentor.first_name, mentee.first_name).join(mentor, mentor.id == Binome.mentor_id)
        .join(mentee, mentee.id == Binome.mentee_id).where(col(Binome.id).in_(binome_ids)))}
    in_ids = col(Meeting.binome_id).in_(binome_ids)
    by_status = defaultdict(dict)
    for binome_id, status, count in session.exec(select(Meeting.binome_id, Meeting.status, func.count())
                                                 .where(in_ids).group_by(Meeting.binome_id, Meeting.status)):
        by_status[binome_id][status] = count
    excused = dict(session.exec(select(Meeting.binome_id, func.count(func.distinct(Meeting.id)))
                                .join(Absence, Absence.meeting_id == Meeting.id)
                                .where(in_ids, col(Meeting.status).in_(list(MISSED)), Absence.excused.is_(True))
                                .group_by(Meeting.binome_id)).all())
    last = dict(session.exec(select(Meeting.binome_id, func.max(Meeting.starts_at))
                             .where(in_ids, Meeting.status == MeetingStatus.HELD).group_by(Meeting.binome_id)).all())
    upcoming = dict(session.exec(select(Meeting.binome_id, func.min(Meeting.starts_at))
                                 .where(in_ids, col(Meeting.status).in_(list(UPCOMING)), Meeting.starts_at >= now)
                                 .group_by(Meeting.binome_id)).all())
    actions = defaultdict(dict)
    for binome_id, status, count in session.exec(select(PlanAction.binome_id, PlanAction.status, func.count())
                                                 .where(col(PlanAction.binome_id).in_(binome_ids))
                                                 .group_by(PlanAction.binome_id, PlanAction.status)):
        actions[binome_id][status] = count
    checkins = defaultdict(dict)
    for binome_id, role, status, count in session.exec(
            select(CheckIn.binome_id, CheckIn.role, CheckIn.status, func.count())
            .where(col(CheckIn.binome_id).in_(binome_ids),
                   col(CheckIn.status).in_([CheckInStatus.ANSWERED, CheckInStatus.MISSED]))
            .group_by(CheckIn.binome_id, CheckIn.role, CheckIn.status)):
        checkins[binome_id][(role, status)] = count
    alerts = defaultdict(dict)
    for binome_id, severity, count in session.exec(
            select(Alert.binome_id, Alert.severity, func.count())
            .where(col(Alert.binome_id).in_(binome_ids), col(Alert.status).in_(list(LIVE)))
            .group_by(Alert.binome_id, Alert.severity)):
        alerts[binome_id][severity] = count

    def response(binome_id: int, role: Role) -> float | None:
        done = checkins[binome_id].get((role, CheckInStatus.ANSWERED), 0)
        settled = done + checkins[binome_id].get((role, CheckInStatus.MISSED), 0)
        return round(done / settled, 4) if settled else None

    found = []
    for binome_id in binome_ids:
        if binome_id not in base:
            continue
        _, label, status, started_on, planned_end_on, outcome, mentor_name, mentee_name = base[binome_id]
        meetings, plan, live = by_status[binome_id], actions[binome_id], alerts[binome_id]
        missed = sum(meetings.get(s, 0) for s in MISSED)
        found.append(Row(
            binome_id=binome_id, code=label, mentor=mentor_name, mentee=mentee_name,
            status=BinomeStatus(status).value, started_on=started_on, planned_end_on=planned_end_on, last_meeting=last.get(binome_id),
            next_meeting=upcoming.get(binome_id), held=meetings.get(MeetingStatus.HELD, 0),
            missed_excused=excused.get(binome_id, 0), missed_unexcused=missed - excused.get(binome_id, 0),
            actions_done=plan.get(ActionStatus.DONE, 0),
            actions_total=sum(n for s, n in plan.items() if s != ActionStatus.DROPPED),
            actions_blocked=plan.get(ActionStatus.BLOCKED, 0),
            mentee_response=response(binome_id, Role.MENTEE), mentor_response=response(binome_id, Role.MENTOR),
            open_alerts=sum(live.values()),
            highest_severity=min(live, key=lambda s: SEVERITY_ORDER.get(s, 9)) if live else None,
            outcome=outcome))
    return found
