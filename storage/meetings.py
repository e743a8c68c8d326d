"""The rules of meetings, as plain functions over the database (no Telegram inside).

A meeting is planned as a DRAFT by one side (day, time, place), PROPOSED to the other side, then
CONFIRMED. Either side can say they cannot come; said before the start, the absence is excused.
Every change is in the audit log with who did it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from storage.audit import record
from storage.models import (Absence, AbsenceReason, Binome, BinomeStatus, Meeting, MeetingSeries, MeetingStatus,
                            Participant, PlaceKind, Programme, Role)
from storage.options import meeting_options
from storage.participants import current_binome
from storage.schedule import local_instant, next_occurrence
from storage.standin import stand_in

DRAFT_LIFETIME = timedelta(days=1)
OPEN = (MeetingStatus.PROPOSED, MeetingStatus.CONFIRMED)


class Refusal(StrEnum):
    """Why a button cannot do what it says any more: answered politely, nothing changes."""

    NOT_YOURS = "not_yours"
    GONE = "gone"  # the meeting is no longer in the state this button was for
    PAST = "past"
    NOT_PAIRED = "not_paired"


class MeetingRefused(Exception):
    def __init__(self, refusal: Refusal, meeting: Meeting | None = None) -> None:
        super().__init__(refusal.value)
        # The status as seen when refusing: the session is rolled back after this is raised.
        self.refusal, self.status = refusal, meeting.status if meeting is not None else None


@dataclass
class Pair:  # `stand_in`: the substitute tutor when the meeting falls in the mentor's time away
    binome: Binome
    programme: Programme
    mentor: Participant
    mentee: Participant
    stand_in: Participant | None = None

    @property
    def acting(self) -> Participant:  # the mentor's side of this meeting: the substitute standing in, or the mentor
        return self.stand_in or self.mentor

    def other(self, participant_id: int) -> Participant:
        return self.acting if participant_id == self.mentee.id else self.mentee

    def role_of(self, participant_id: int) -> Role:
        return Role.MENTEE if participant_id == self.mentee.id else Role.MENTOR


def pair_of(*, session: Session, meeting: Meeting) -> Pair:
    binome = session.get(Binome, meeting.binome_id)
    programme = session.get(Programme, binome.programme_id)
    people = session.get(Participant, binome.mentor_id), session.get(Participant, binome.mentee_id)
    return Pair(binome, programme, *people, stand_in(session=session, binome=binome, at=meeting.starts_at,
                                                     timezone=programme.timezone))


def _audit(session: Session, meeting: Meeting, actor_id: int | None, action: str, now: datetime, **details) -> None:
    binome = session.get(Binome, meeting.binome_id)
    record(session=session, at=now, programme_id=binome.programme_id,
           actor=f"participant:{actor_id}" if actor_id else "system", action=action,
           subject=f"meeting:{meeting.id}", details=details)


def member_meeting(session: Session, meeting_id: int, participant_id: int) -> tuple[Meeting, Pair]:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise MeetingRefused(Refusal.GONE)
    pair = pair_of(session=session, meeting=meeting)
    if participant_id not in (pair.mentor.id, pair.mentee.id, pair.acting.id):
        raise MeetingRefused(Refusal.NOT_YOURS, meeting)
    return meeting, pair


def start_draft(*, session: Session, binome: Binome, proposer: Participant, now: datetime,
                replaces: Meeting | None = None, purpose: str | None = None) -> Meeting:
    """A new meeting being planned by buttons, as long as the programme's `meeting_minutes`; a move keeps the
    purpose of the meeting it replaces."""
    minutes = meeting_options(session.get(Programme, binome.programme_id)).meeting_minutes
    meeting = Meeting(binome_id=binome.id, proposed_by=proposer.id, created_at=now, status=MeetingStatus.DRAFT,
                      duration_minutes=minutes,
                      replaces_id=replaces.id if replaces else None,
                      purpose=replaces.purpose if replaces is not None else purpose)
    session.add(meeting)
    session.flush()
    return meeting


def own_draft(session: Session, meeting_id: int, participant_id: int, now: datetime) -> tuple[Meeting, Pair]:
    meeting, pair = member_meeting(session, meeting_id, participant_id)
    if meeting.proposed_by != participant_id:
        raise MeetingRefused(Refusal.NOT_YOURS, meeting)
    if meeting.status != MeetingStatus.DRAFT or now - meeting.created_at > DRAFT_LIFETIME:
        raise MeetingRefused(Refusal.GONE, meeting)
    return meeting, pair


def choose_day(*, session: Session, meeting_id: int, participant_id: int, day: date, now: datetime) -> Meeting:
    meeting, pair = own_draft(session, meeting_id, participant_id, now)
    meeting.starts_at = local_instant(day, time(12, 0), pair.programme.timezone)  # the time comes next
    session.add(meeting)
    return meeting


def choose_time(*, session: Session, meeting_id: int, participant_id: int, at: time, now: datetime) -> Meeting:
    meeting, pair = own_draft(session, meeting_id, participant_id, now)
    if meeting.starts_at is None:
        raise MeetingRefused(Refusal.GONE, meeting)
    day = meeting.starts_at.astimezone(ZoneInfo(pair.programme.timezone)).date()
    starts_at = local_instant(day, at, pair.programme.timezone)
    if starts_at <= now:
        raise MeetingRefused(Refusal.PAST, meeting)
    meeting.starts_at = starts_at
    session.add(meeting)
    return meeting


def choose_place(*, session: Session, meeting_id: int, participant_id: int, place: PlaceKind,
                 now: datetime) -> Meeting:
    meeting, _ = own_draft(session, meeting_id, participant_id, now)
    meeting.place_kind = place
    session.add(meeting)
    return meeting


def propose(*, session: Session, meeting_id: int, participant_id: int, now: datetime) -> tuple[Meeting, Pair]:
    meeting, pair = own_draft(session, meeting_id, participant_id, now)
    if meeting.starts_at is None or meeting.starts_at <= now:
        raise MeetingRefused(Refusal.PAST, meeting)
    meeting.status = MeetingStatus.PROPOSED
    meeting.proposed_at = now
    session.add(meeting)
    _audit(session, meeting, participant_id, "meeting.proposed", now)
    return meeting, pair


def accept(*, session: Session, meeting_id: int, participant_id: int, now: datetime) -> tuple[Meeting, Pair]:
    """The other side accepts: confirmed. The proposer cannot accept their own proposal."""
    meeting, pair = member_meeting(session, meeting_id, participant_id)
    if meeting.proposed_by == participant_id:
        raise MeetingRefused(Refusal.NOT_YOURS, meeting)
    if meeting.status != MeetingStatus.PROPOSED:
        raise MeetingRefused(Refusal.GONE, meeting)
    if meeting.starts_at <= now:
        raise MeetingRefused(Refusal.PAST, meeting)
    meeting.status = MeetingStatus.CONFIRMED
    meeting.confirmed_at = now
    session.add(meeting)
    _audit(session, meeting, participant_id, "meeting.confirmed", now)
    activate_rhythm(session=session, meeting=meeting, now=now)
    return meeting, pair


def ask_another_slot(*, session: Session, meeting_id: int, participant_id: int,
                     now: datetime) -> tuple[Meeting, Meeting, Pair]:
    """The other side declines this slot and plans another: the proposal ends, a new draft starts."""
    meeting, pair = member_meeting(session, meeting_id, participant_id)
    if meeting.proposed_by == participant_id or meeting.status != MeetingStatus.PROPOSED:
        raise MeetingRefused(Refusal.GONE, meeting)
    meeting.status = MeetingStatus.CANCELLED
    meeting.outcome_at, meeting.outcome_by = now, participant_id
    session.add(meeting)
    _audit(session, meeting, participant_id, "meeting.declined", now)
    me = pair.mentor if participant_id == pair.mentor.id else pair.mentee
    return meeting, start_draft(session=session, binome=pair.binome, proposer=me, now=now, replaces=meeting), pair


def announce_absence(*, session: Session, meeting_id: int, participant_id: int, reason: AbsenceReason,
                     now: datetime, announced_by: int | None = None) -> tuple[Meeting, Absence, Pair]:
    """`participant_id` will not come. Before the start it is excused; the meeting will not take place."""
    meeting, pair = member_meeting(session, meeting_id, participant_id)
    if meeting.status not in OPEN:
        raise MeetingRefused(Refusal.GONE, meeting)
    if meeting.starts_at + timedelta(minutes=meeting.duration_minutes) <= now:
        raise MeetingRefused(Refusal.PAST, meeting)
    absence = Absence(meeting_id=meeting.id, participant_id=participant_id, reason=reason, announced_at=now,
                      announced_by=announced_by or participant_id, excused=now < meeting.starts_at)
    meeting.status = (MeetingStatus.MENTEE_ABSENT if pair.role_of(participant_id) == Role.MENTEE
                      else MeetingStatus.MENTOR_ABSENT)
    meeting.outcome_at, meeting.outcome_by = now, announced_by or participant_id
    session.add(meeting)
    session.add(absence)
    _audit(session, meeting, announced_by or participant_id, "meeting.absence", now, reason=reason.value,
           excused=absence.excused, role=pair.role_of(participant_id).value)
    return meeting, absence, pair


def next_meeting(*, session: Session, participant: Participant, now: datetime,
                 not_started: bool = False, binome: Binome | None = None) -> Meeting | None:
    """The participant's next proposed or confirmed meeting that has not ended (or not started), in
    `binome` (by default their newest open binôme)."""
    binome = binome or current_binome(session=session, participant=participant)
    if binome is None:
        return None
    for meeting in session.exec(
        select(Meeting).where(Meeting.binome_id == binome.id, col(Meeting.status).in_(list(OPEN)))
        .order_by(Meeting.starts_at)
    ).all():
        if (meeting.starts_at if not_started else ends_at(meeting)) > now:
            return meeting
    return None


OUTCOMES = (MeetingStatus.HELD, MeetingStatus.MENTEE_ABSENT, MeetingStatus.CANCELLED, MeetingStatus.POSTPONED)
OUTCOME_ASKED_AFTER = timedelta(minutes=30)  # after the planned end
OUTCOME_REMINDED_AFTER = timedelta(hours=24)
UNCONFIRMED_AFTER = timedelta(hours=48)


def ends_at(meeting: Meeting) -> datetime:
    return meeting.starts_at + timedelta(minutes=meeting.duration_minutes)


def record_outcome(*, session: Session, meeting_id: int, participant_id: int, outcome: MeetingStatus,
                   now: datetime) -> tuple[Meeting, Pair, Absence | None]:
    """The mentor says how it went. "The mentee did not come" without notice is an unexcused absence."""
    if outcome not in OUTCOMES:
        raise ValueError(outcome)
    meeting, pair = member_meeting(session, meeting_id, participant_id)
    if participant_id not in (pair.mentor.id, pair.acting.id):
        raise MeetingRefused(Refusal.NOT_YOURS, meeting)
    if meeting.status != MeetingStatus.CONFIRMED:
        raise MeetingRefused(Refusal.GONE, meeting)
    if now < meeting.starts_at:
        raise MeetingRefused(Refusal.GONE, meeting)
    absence = None
    if outcome == MeetingStatus.MENTEE_ABSENT:
        absence = Absence(meeting_id=meeting.id, participant_id=pair.mentee.id, announced_at=now,
                          announced_by=participant_id, excused=False)
        session.add(absence)
    meeting.status, meeting.outcome_at, meeting.outcome_by = outcome, now, participant_id
    session.add(meeting)
    _audit(session, meeting, participant_id, "meeting.outcome", now, outcome=outcome.value)
    return meeting, pair, absence


def expire_unconfirmed(*, session: Session, now: datetime) -> list[Meeting]:
    """Confirmed meetings whose mentor never said how they went, two days after their end."""
    expired = []
    candidates = session.exec(select(Meeting).where(Meeting.status == MeetingStatus.CONFIRMED,
                                                    Meeting.starts_at <= now - UNCONFIRMED_AFTER)).all()
    for meeting in candidates:
        if ends_at(meeting) + UNCONFIRMED_AFTER <= now:
            meeting.status, meeting.outcome_at = MeetingStatus.UNCONFIRMED, now
            session.add(meeting)
            _audit(session, meeting, None, "meeting.unconfirmed", now)
            expired.append(meeting)
    return expired


def has_planned_meeting(*, session: Session, binome_id: int, now: datetime) -> bool:
    return session.exec(select(Meeting.id).where(Meeting.binome_id == binome_id,
                                                 col(Meeting.status).in_(list(OPEN)),
                                                 Meeting.starts_at > now)).first() is not None


def last_meeting_time(*, session: Session, binome_id: int) -> datetime | None:
    """When the pair last met (a held meeting)."""
    return session.exec(select(Meeting.starts_at).where(Meeting.binome_id == binome_id,
                                                        Meeting.status == MeetingStatus.HELD)
                        .order_by(col(Meeting.starts_at).desc())).first()


def report_absence(*, session: Session, meeting_id: int, coordinator: Participant, reason: AbsenceReason,
                   now: datetime) -> tuple[Meeting, Absence, Pair]:
    """A coordinator learned elsewhere that the mentee will not come (e.g. the school reports them absent)."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise MeetingRefused(Refusal.GONE)
    pair = pair_of(session=session, meeting=meeting)
    if coordinator.role != Role.COORDINATOR or coordinator.programme_id != pair.programme.id:
        raise MeetingRefused(Refusal.NOT_YOURS, meeting)  # one programme never touches another's pairs
    return announce_absence(session=session, meeting_id=meeting_id, participant_id=pair.mentee.id, reason=reason,
                            now=now, announced_by=coordinator.id)


def upcoming_in_programme(*, session: Session, programme_id: int, now: datetime,
                          within: timedelta = timedelta(days=7)) -> list[tuple[Meeting, Binome, Participant]]:
    """Open meetings of a programme that have not ended and start within `within`: for a coordinator."""
    rows = session.exec(
        select(Meeting, Binome).join(Binome, Binome.id == Meeting.binome_id)
        .where(Binome.programme_id == programme_id, col(Meeting.status).in_(list(OPEN)),
               Meeting.starts_at <= now + within)
        .order_by(Meeting.starts_at)
    ).all()
    return [(meeting, binome, session.get(Participant, binome.mentee_id)) for meeting, binome in rows
            if ends_at(meeting) > now]


def cancel_meeting(*, session: Session, meeting_id: int, participant_id: int, now: datetime) -> tuple[Meeting, Pair]:
    """Either side cancels a proposed or confirmed meeting before it starts."""
    meeting, pair = member_meeting(session, meeting_id, participant_id)
    if meeting.status not in OPEN:
        raise MeetingRefused(Refusal.GONE, meeting)
    if meeting.starts_at <= now:
        raise MeetingRefused(Refusal.PAST, meeting)
    meeting.status, meeting.outcome_at, meeting.outcome_by = MeetingStatus.CANCELLED, now, participant_id
    meeting.sequence += 1
    session.add(meeting)
    _audit(session, meeting, participant_id, "meeting.cancelled", now)
    return meeting, pair


def rhythm_weeks(meetings_per_month: int) -> int:
    """The programme's cadence as a weekly rhythm: 2 a month → every 2 weeks, 4 → every week."""
    return max(1, min(4, round(30 / max(1, meetings_per_month) / 7)))


def offer_rhythm(*, session: Session, meeting_id: int, participant_id: int, now: datetime) -> MeetingSeries:
    """Attach a rhythm to a draft: same weekday, time and place every few weeks, once accepted."""
    meeting, pair = own_draft(session, meeting_id, participant_id, now)
    if meeting.starts_at is None:
        raise MeetingRefused(Refusal.GONE, meeting)
    local = meeting.starts_at.astimezone(ZoneInfo(pair.programme.timezone))
    series = MeetingSeries(binome_id=pair.binome.id, weekday=local.weekday(), local_time=local.strftime("%H:%M"),
                           every_weeks=rhythm_weeks(pair.programme.meetings_per_month), anchor=local.date(),
                           place_kind=meeting.place_kind, place_detail=meeting.place_detail, active=False,
                           created_by=participant_id, created_at=now)
    session.add(series)
    session.flush()
    meeting.series_id = series.id
    session.add(meeting)
    return series


def activate_rhythm(*, session: Session, meeting: Meeting, now: datetime) -> None:
    """The other side accepted a proposal that came with a rhythm: older rhythms of the pair end."""
    if meeting.series_id is None:
        return
    for series in session.exec(select(MeetingSeries).where(MeetingSeries.binome_id == meeting.binome_id,
                                                           MeetingSeries.active)).all():
        series.active = False
        session.add(series)
    series = session.get(MeetingSeries, meeting.series_id)
    series.active = True
    session.add(series)
    _audit(session, meeting, meeting.proposed_by, "rhythm.started", now, every_weeks=series.every_weeks)


def stop_rhythm(*, session: Session, binome_id: int, participant_id: int, now: datetime) -> bool:
    stopped = False
    for series in session.exec(select(MeetingSeries).where(MeetingSeries.binome_id == binome_id,
                                                           MeetingSeries.active)).all():
        series.active, stopped = False, True
        session.add(series)
        record(session=session, at=now, programme_id=session.get(Binome, binome_id).programme_id,
               actor=f"participant:{participant_id}", action="rhythm.stopped", subject=f"binome:{binome_id}")
    return stopped


def next_in_rhythm(*, session: Session, now: datetime) -> list[Meeting]:
    """For each active rhythm whose latest meeting has started, the next occurrence, confirmed."""
    created = []
    for series in session.exec(select(MeetingSeries).where(MeetingSeries.active)).all():
        latest = session.exec(select(Meeting).where(Meeting.series_id == series.id)
                              .order_by(col(Meeting.starts_at).desc())).first()
        if latest is None or latest.starts_at > now:
            continue
        binome = session.get(Binome, series.binome_id)
        if binome.status != BinomeStatus.ACTIVE:
            continue
        programme = session.get(Programme, binome.programme_id)
        hour, minute = map(int, series.local_time.split(":"))
        starts_at = next_occurrence(weekday=series.weekday, at=time(hour, minute), every_weeks=series.every_weeks,
                                    anchor=series.anchor, tz=programme.timezone, after=max(now, latest.starts_at))
        meeting = Meeting(binome_id=binome.id, starts_at=starts_at, duration_minutes=latest.duration_minutes,
                          place_kind=series.place_kind, place_detail=series.place_detail,
                          status=MeetingStatus.CONFIRMED, proposed_by=series.created_by, proposed_at=now,
                          confirmed_at=now, series_id=series.id, created_at=now)
        session.add(meeting)
        session.flush()
        _audit(session, meeting, None, "meeting.confirmed", now, rhythm=series.id)
        created.append(meeting)
    return created


def has_rhythm(*, session: Session, binome_id: int) -> bool:
    return session.exec(select(MeetingSeries.id).where(MeetingSeries.binome_id == binome_id,
                                                       MeetingSeries.active)).first() is not None


def awaited_place(*, session: Session, participant_id: int, now: datetime) -> Meeting | None:
    """The participant's draft waiting for a video link or an address, if any."""
    return session.exec(select(Meeting).where(Meeting.proposed_by == participant_id,
                                              Meeting.status == MeetingStatus.DRAFT, Meeting.awaiting_place_detail,
                                              Meeting.created_at > now - DRAFT_LIFETIME)
                        .order_by(col(Meeting.id).desc())).first()
