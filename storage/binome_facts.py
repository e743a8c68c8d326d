"""What coordinators read about their binômes, as plain data: a binôme at a glance, a programme's last
week (the Monday digest), the words a pair chose to share. Facts only: counts, dates, names; a word
the pair wrote appears only if its writer shared it with the coordinator."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from storage.alerts import open_alerts
from storage.models import (ActionStatus, Binome, CheckIn, CheckInStatus, Meeting, MeetingStatus, Participant,
                            PlanAction, Programme)

MISSED = (MeetingStatus.MENTEE_ABSENT, MeetingStatus.MENTOR_ABSENT)
SHARED_SHOWN = 3  # the latest words shared, per person


@dataclass(frozen=True)
class SharedWord:
    on: datetime  # answered (or, failing that, due) at
    word: str


@dataclass(frozen=True)
class PersonCheckIns:
    person: Participant
    answered: int
    settled: int  # answered or missed
    shared: tuple[SharedWord, ...]  # the latest SHARED_SHOWN, oldest first


@dataclass(frozen=True)
class BinomeFacts:
    binome: Binome
    programme: Programme
    mentor: Participant
    mentee: Participant
    held: int
    missed: int
    unconfirmed: int
    actions_done: int
    actions_total: int  # dropped actions are not counted
    actions_blocked: int
    checkins: tuple[PersonCheckIns, ...]  # the mentee's, then the mentor's
    open_signals: tuple[str, ...]  # of the live alerts, oldest first


def binome_facts(*, session: Session, binome: Binome) -> BinomeFacts:
    """Meetings held and missed, plan progress, check-ins answered, open alerts."""
    mentor, mentee = session.get(Participant, binome.mentor_id), session.get(Participant, binome.mentee_id)
    meetings = session.exec(select(Meeting.status).where(Meeting.binome_id == binome.id)).all()
    actions = session.exec(select(PlanAction.status).where(PlanAction.binome_id == binome.id)).all()
    counted = [a for a in actions if a != ActionStatus.DROPPED]
    checkins = []
    for person in (mentee, mentor):
        rows = session.exec(select(CheckIn).where(CheckIn.participant_id == person.id,
                                                  CheckIn.binome_id == binome.id)).all()
        answered = sum(1 for c in rows if c.status == CheckInStatus.ANSWERED)
        shared = [SharedWord(c.answered_at or c.due_at, c.word) for c in rows if c.share_with_coordinator and c.word]
        checkins.append(PersonCheckIns(person, answered, answered + sum(1 for c in rows
                                                                        if c.status == CheckInStatus.MISSED),
                                       tuple(shared[-SHARED_SHOWN:])))
    live = open_alerts(session=session, programme_id=binome.programme_id, binome_id=binome.id)
    return BinomeFacts(
        binome=binome, programme=session.get(Programme, binome.programme_id), mentor=mentor, mentee=mentee,
        held=sum(1 for m in meetings if m == MeetingStatus.HELD),
        missed=sum(1 for m in meetings if m in MISSED),
        unconfirmed=sum(1 for m in meetings if m == MeetingStatus.UNCONFIRMED),
        actions_done=sum(1 for a in counted if a == ActionStatus.DONE), actions_total=len(counted),
        actions_blocked=sum(1 for a in counted if a == ActionStatus.BLOCKED),
        checkins=tuple(checkins), open_signals=tuple(a.signal for a in live))


@dataclass(frozen=True)
class WeekFacts:
    at_risk: tuple[str, ...]  # labels of the binômes with a live alert, sorted
    alerts: int  # live alerts
    young: int  # of them, opened under 2 days ago
    week: int  # from 2 to 7 days ago
    old: int  # older
    held: int  # meetings of the last 7 days
    missed: int
    answered: int  # check-ins due in the last 7 days
    settled: int  # answered or missed

    @property
    def something_to_say(self) -> bool:
        return bool(self.alerts or self.held or self.missed or self.settled)


def week_facts(*, session: Session, programme_id: int, now: datetime) -> WeekFacts:
    """The programme's open alerts by age, and the last 7 days' meetings and check-ins, as of `now` (a
    digest caught up after an outage says what it would have said at its hour)."""
    week_ago = now - timedelta(days=7)
    live = [a for a in open_alerts(session=session, programme_id=programme_id) if a.opened_at <= now]  # as of `now`
    binomes = session.exec(select(Binome.id).where(Binome.programme_id == programme_id)).all()
    meetings = session.exec(select(Meeting.status).where(col(Meeting.binome_id).in_(binomes),
                                                         Meeting.starts_at >= week_ago, Meeting.starts_at < now)).all()
    checkins = session.exec(select(CheckIn.status).where(col(CheckIn.binome_id).in_(binomes),
                                                         CheckIn.due_at >= week_ago, CheckIn.due_at < now)).all()
    at_risk = sorted({a.binome_id for a in live})
    labels = session.exec(select(Binome.label).where(col(Binome.id).in_(at_risk)).order_by(Binome.label)).all() \
        if at_risk else []
    ages = [(now - a.opened_at).days for a in live]
    return WeekFacts(
        at_risk=tuple(labels), alerts=len(live),
        young=sum(1 for d in ages if d < 2), week=sum(1 for d in ages if 2 <= d < 7),
        old=sum(1 for d in ages if d >= 7),
        held=sum(1 for m in meetings if m == MeetingStatus.HELD),
        missed=sum(1 for m in meetings if m in MISSED),
        answered=sum(1 for c in checkins if c == CheckInStatus.ANSWERED),
        settled=sum(1 for c in checkins if c in (CheckInStatus.ANSWERED, CheckInStatus.MISSED)))


def shared_words(*, session: Session, checkin_ids: list[int]) -> list[str]:
    """The words of these check-ins that their writers shared with the coordinator."""
    if not checkin_ids:
        return []
    rows = session.exec(select(CheckIn).where(col(CheckIn.id).in_(checkin_ids))).all()
    return [c.word for c in rows if c.share_with_coordinator and c.word]
