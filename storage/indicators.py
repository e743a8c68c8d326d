"""The programme's indicators for a period (docs/indicators.md): the same figures for the chat's /report, the
command line's `binome report` and its files. Rules only: codes and numbers, no Telegram, no translation.

Every figure is counted in SQL (counts, distinct counts, grouped counts); only the few values a median needs
(two dates per closed binôme, two times per acknowledged alert) and the period's done evaluations' scores
come back as rows, never a programme's binômes, meetings or check-ins as objects.

A figure computed from fewer than ANONYMITY_FLOOR people (a gender group, an outcome, an evaluation
question, the evaluations' count) is MASKED ("< 5") in every output, never the number. Nothing here reads
what a pair wrote: titles, words and typed reasons are not selected.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func, or_
from sqlmodel import Session, col, select

from storage.evaluations import ANONYMITY_FLOOR, QUESTIONS, aggregate
from storage.models import (Absence, Alert, Binome, BinomeStatus, CheckIn, CheckInStatus, Meeting, MeetingStatus,
                            Participant, Programme, Role)
from storage.options import NEGATIVE, POSITIVE, outcomes_for
from storage.programmes import add_months

MASKED = f"< {ANONYMITY_FLOOR}"
GENDERS = ("f", "m", "x", "unknown")  # the import's `gender` column; "unknown": left blank
MISSED = (MeetingStatus.MENTEE_ABSENT, MeetingStatus.MENTOR_ABSENT)
DAYS_PER_MONTH = 365.25 / 12
# Every key, in the order the outputs list them (docs/indicators.md defines each).
KEYS = ("binomes_started", "binomes_active", "binomes_closed", "mentors", "mentees", "companies",
        "mentees_by_gender", "meetings_held", "meetings_missed", "attendance_rate", "absenteeism_rate",
        "dropout_rate", "positive_exit_rate", "exits_by_outcome", "median_binome_months", "checkin_response_rate",
        "alerts_raised", "alerts_acknowledged", "alerts_resolved", "median_hours_to_acknowledge",
        "evaluation_answers", "evaluation_means", "would_recommend_rate")
RATES = {"attendance_rate", "absenteeism_rate", "dropout_rate", "positive_exit_rate", "checkin_response_rate",
         "would_recommend_rate"}
GROUPED = {"mentees_by_gender", "exits_by_outcome", "evaluation_means"}  # a dict of sub-key → value


def floored(count: int) -> int | str:
    """The count, or MASKED under the floor."""
    return count if count >= ANONYMITY_FLOOR else MASKED


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _median(values: list[float], digits: int = 1) -> float | None:
    return round(statistics.median(values), digits) if values else None


@dataclass(frozen=True)
class Period:
    """From `since` to `until`, both included, as dates in the programme's timezone."""

    since: date
    until: date

    def bounds(self, tz: str) -> tuple[datetime, datetime]:
        """The UTC instants of `since`'s local midnight and of the midnight after `until`."""
        zone = ZoneInfo(tz)
        return (datetime.combine(self.since, time(0), tzinfo=zone),
                datetime.combine(self.until + timedelta(days=1), time(0), tzinfo=zone))


def _running(programme_id: int, period: Period):
    """The binômes that ran for at least one day of the period."""
    return (Binome.programme_id == programme_id, Binome.status != BinomeStatus.DRAFT,
            Binome.started_on <= period.until, or_(col(Binome.closed_on).is_(None), Binome.closed_on >= period.since))


def _scalar(session: Session, query) -> int:
    return int(session.exec(query).one() or 0)


def _active_on(session: Session, programme_id: int, day: date) -> int:
    """Binômes under way at the end of `day`: started, not closed by then (a pause does not end one)."""
    return _scalar(session, select(func.count()).select_from(Binome).where(
        Binome.programme_id == programme_id, Binome.status != BinomeStatus.DRAFT, Binome.started_on <= day,
        or_(col(Binome.closed_on).is_(None), Binome.closed_on > day)))


def _meetings(session: Session, programme_id: int, start: datetime, end: datetime) -> dict[str, int]:
    """Meetings that started in [start, end): held, missed, and missed by the mentee without notice."""
    in_period = (Meeting.starts_at >= start, Meeting.starts_at < end,
                 col(Meeting.binome_id).in_(select(Binome.id).where(Binome.programme_id == programme_id)))
    by_status = dict(session.exec(select(Meeting.status, func.count()).where(*in_period)
                                  .group_by(Meeting.status)).all())
    unexcused = _scalar(session, select(func.count(distinct(Meeting.id))).join(Absence, Absence.meeting_id == Meeting.id)
                        .where(*in_period, Meeting.status == MeetingStatus.MENTEE_ABSENT, Absence.excused.is_(False)))
    return {"held": by_status.get(MeetingStatus.HELD, 0), "missed": sum(by_status.get(s, 0) for s in MISSED),
            "mentee_unexcused": unexcused}


def compute(*, session: Session, programme: Programme, since: date, until: date) -> dict[str, object]:
    """Every indicator of KEYS for the programme and the period: ints, rates (0..1, None without a
    denominator), medians (None without a value), dicts for the grouped ones, MASKED under the floor."""
    period = Period(since, until)
    start, end = period.bounds(programme.timezone)
    pid = programme.id
    values: dict[str, object] = {}
    base = select(func.count()).select_from(Binome).where(Binome.programme_id == pid, Binome.status != BinomeStatus.DRAFT)
    values["binomes_started"] = _scalar(session, base.where(Binome.started_on >= since, Binome.started_on <= until))
    values["binomes_active"] = _active_on(session, pid, until)
    closed_where = (Binome.programme_id == pid, Binome.status == BinomeStatus.CLOSED,
                    Binome.closed_on >= since, Binome.closed_on <= until)
    values["binomes_closed"] = closed = _scalar(session, select(func.count()).select_from(Binome).where(*closed_where))
    running = _running(pid, period)
    values["mentors"] = _scalar(session, select(func.count(distinct(Binome.mentor_id))).where(*running))
    values["mentees"] = _scalar(session, select(func.count(distinct(Binome.mentee_id))).where(*running))
    employers = session.exec(select(Participant.employer).distinct().join(Binome, Binome.mentor_id == Participant.id)
                             .where(*running, col(Participant.employer).is_not(None))).all()
    values["companies"] = len({" ".join(e.casefold().split()) for e in employers if e and e.strip()})
    genders = dict(session.exec(select(Participant.gender, func.count(distinct(Participant.id)))
                                .join(Binome, Binome.mentee_id == Participant.id).where(*running)
                                .group_by(Participant.gender)).all())
    values["mentees_by_gender"] = {g: floored(genders.get(None if g == "unknown" else g, 0)) for g in GENDERS}

    meetings = _meetings(session, pid, start, end)
    values["meetings_held"], values["meetings_missed"] = meetings["held"], meetings["missed"]
    settled = meetings["held"] + meetings["missed"]
    values["attendance_rate"] = _rate(meetings["held"], settled)
    values["absenteeism_rate"] = _rate(meetings["mentee_unexcused"], settled)

    kinds = outcomes_for(programme)
    exits = dict(session.exec(select(Binome.outcome, func.count()).where(*closed_where)
                              .group_by(Binome.outcome)).all())
    early_negative = _scalar(session, select(func.count()).select_from(Binome).where(
        *closed_where, col(Binome.outcome).in_([c for c, k in kinds.items() if k == NEGATIVE] or [""]),
        Binome.closed_on < Binome.planned_end_on))
    values["dropout_rate"] = _rate(early_negative, closed)
    values["positive_exit_rate"] = _rate(sum(n for code, n in exits.items() if kinds.get(code) == POSITIVE), closed)
    order = [*kinds, *sorted(str(code) for code in set(exits) - set(kinds))]  # the programme's order, then others
    values["exits_by_outcome"] = {code: floored(exits[code]) for code in order if code in exits}
    lengths = [(closed_on - started_on).days / DAYS_PER_MONTH for started_on, closed_on in
               session.exec(select(Binome.started_on, Binome.closed_on).where(*closed_where))]
    values["median_binome_months"] = _median(lengths)
    if 0 < closed < ANONYMITY_FLOOR:  # a rate or a median over 1 to 4 closures tells how each of them ended
        for key in ("dropout_rate", "positive_exit_rate", "median_binome_months"):
            values[key] = MASKED

    checkins = dict(session.exec(select(CheckIn.status, func.count()).join(Binome, Binome.id == CheckIn.binome_id)
                                 .where(Binome.programme_id == pid, CheckIn.due_at >= start, CheckIn.due_at < end,
                                        col(CheckIn.status).in_([CheckInStatus.ANSWERED, CheckInStatus.MISSED]))
                                 .group_by(CheckIn.status)).all())
    answered = checkins.get(CheckInStatus.ANSWERED, 0)
    values["checkin_response_rate"] = _rate(answered, answered + checkins.get(CheckInStatus.MISSED, 0))

    raised = (Alert.programme_id == pid, Alert.opened_at >= start, Alert.opened_at < end)
    values["alerts_raised"] = _scalar(session, select(func.count()).select_from(Alert).where(*raised))
    values["alerts_acknowledged"] = _scalar(session, select(func.count()).select_from(Alert).where(
        *raised, col(Alert.acknowledged_at).is_not(None)))
    values["alerts_resolved"] = _scalar(session, select(func.count()).select_from(Alert).where(
        *raised, col(Alert.resolved_at).is_not(None)))
    waits = [(acked - opened).total_seconds() / 3600 for opened, acked in session.exec(
        select(Alert.opened_at, Alert.acknowledged_at).where(*raised, col(Alert.acknowledged_at).is_not(None)))]
    values["median_hours_to_acknowledge"] = _median(waits)
    values.update(_evaluations(session, pid, period))
    return values


def _evaluations(session: Session, programme_id: int, period: Period) -> dict[str, object]:
    """The done evaluations of binômes closed in the period (storage.evaluations.aggregate, which gives
    nothing under the floor): their count, each role's mean per question, the mentees' recommendation."""
    found = {role: aggregate(session=session, programme_id=programme_id, since=period.since, until=period.until,
                             role=role) for role in (Role.MENTEE, Role.MENTOR)}
    everyone = aggregate(session=session, programme_id=programme_id, since=period.since, until=period.until)
    means: dict[str, object] = {}
    for role, codes in QUESTIONS.items():
        for code in codes:
            stats = found[role].questions.get(code) if found[role] else None
            means[f"{role.value}.{code}"] = round(stats.mean, 2) if stats else MASKED
    recommend = found[Role.MENTEE].questions.get("recommend") if found[Role.MENTEE] else None
    return {"evaluation_answers": everyone.answers if everyone else MASKED, "evaluation_means": means,
            "would_recommend_rate": _rate(sum(recommend.distribution[3:]), recommend.answers) if recommend else MASKED}


# ---------------------------------------------------------------- by month (the XLSX's third sheet, the chart)

@dataclass(frozen=True)
class Month:
    first: date  # the month's first day (the period's first day for a month it starts in)
    last: date
    started: int
    closed: int
    active: int  # under way at the end of `last`
    held: int
    missed: int


def months(*, session: Session, programme: Programme, since: date, until: date) -> list[Month]:
    """The period month by month, each clamped to the period: a few counts per month, by the indexes."""
    found, first = [], since
    while first <= until:
        last = min(add_months(first.replace(day=1), 1) - timedelta(days=1), until)
        start, end = Period(first, last).bounds(programme.timezone)
        meetings = _meetings(session, programme.id, start, end)
        where = (Binome.programme_id == programme.id, Binome.status != BinomeStatus.DRAFT)
        found.append(Month(
            first=first, last=last,
            started=_scalar(session, select(func.count()).select_from(Binome).where(
                *where, Binome.started_on >= first, Binome.started_on <= last)),
            closed=_scalar(session, select(func.count()).select_from(Binome).where(
                *where, Binome.closed_on >= first, Binome.closed_on <= last)),
            active=_active_on(session, programme.id, last), held=meetings["held"], missed=meetings["missed"]))
        first = last + timedelta(days=1)
    return found
