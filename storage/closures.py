"""The end of a binôme (docs/closure.md): a coordinator closes it with an outcome and its date, or confirms
the closure its mentor proposes; "I want to stop" leads to the same closure, its withdrawal pre-selected,
never automatic.

A closure, in one transaction: the binôme is CLOSED with its outcome (a code of the programme's list,
storage.options.outcomes_for) and date; its check-ins to come are skipped, its meetings to come cancelled and
its rhythm stopped; every message still queued about it is dropped; its live alerts are resolved with the
outcome "pair_closed"; the plan becomes read-only (storage.plans refuses changes to a closed binôme); both are
told, warmly, what they achieved together; the evaluation is opened. From then on a person whose binômes have
all ended gets only the messages declared `after_closure` (storage.outbox.ended): the goodbye and the
evaluation. Every step is audited with codes, dates and counts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlmodel import Session, col, select

from storage import alerts, evaluations, outbox, referents
from storage.audit import record
from storage.models import (ActionStatus, Alert, AlertStatus, Binome, BinomeStatus, CheckIn, Meeting, MeetingSeries,
                            MeetingStatus, OutboundMessage, Participant, PlanAction, Programme, Role)
from storage.options import outcomes_for
from storage.pauses import programme_day, stop_checkins
from storage.signals import SUPPORT_STOP, signal_options

DATE_CHOICES = ("today", "yesterday", "week", "end")  # today, yesterday, a week ago, the planned end (if past)
WITHDRAWAL = {Role.MENTEE: "mentee_dropped_out", Role.MENTOR: "mentor_withdrew"}


class ClosureRefusal(StrEnum):
    NOT_YOURS = "not_yours"  # not a coordinator of its programme (or, to propose, not its mentor)
    CLOSED = "closed"  # already closed (a doubled press)
    BAD_OUTCOME = "bad_outcome"  # not in the programme's list
    BAD_DATE = "bad_date"  # after today, or before the binôme started
    NO_PROPOSAL = "no_proposal"  # nothing proposed to confirm or decline


class ClosureRefused(Exception):
    def __init__(self, refusal: ClosureRefusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


@dataclass(frozen=True)
class Achieved:
    """What the pair did together: the goodbye tells it."""
    held: int  # meetings held
    done: int  # actions of the plan done


@dataclass(frozen=True)
class Closed:
    binome: Binome
    kind: str  # positive, neutral, negative
    achieved: Achieved
    checkins_skipped: int
    meetings_cancelled: int
    messages_dropped: int
    alerts_resolved: int


def achieved(*, session: Session, binome: Binome) -> Achieved:
    held = session.exec(select(Meeting.id).where(Meeting.binome_id == binome.id,
                                                 Meeting.status == MeetingStatus.HELD)).all()
    done = session.exec(select(PlanAction.id).where(PlanAction.binome_id == binome.id,
                                                    PlanAction.status == ActionStatus.DONE)).all()
    return Achieved(len(held), len(done))


def closure_date(choice: str, *, today: date, binome: Binome) -> date:
    """The date a date button stands for; "end" is the planned end, offered only once it has passed."""
    if choice == "today":
        return today
    if choice == "yesterday":
        return today - timedelta(days=1)
    if choice == "week":
        return today - timedelta(days=7)
    if choice == "end":
        return binome.planned_end_on
    raise ValueError(choice)


def date_choices(*, today: date, binome: Binome) -> list[tuple[str, date]]:
    """The dates offered for a closure: never after today, never before the start; the planned end when it
    has passed and is not already one of the others."""
    offered: dict[date, str] = {}
    for choice in DATE_CHOICES:
        day = closure_date(choice, today=today, binome=binome)
        if binome.started_on <= day <= today and day not in offered:
            offered[day] = choice
    return [(choice, day) for day, choice in offered.items()]


def preselected(*, session: Session, binome: Binome) -> str | None:
    """The outcome offered first: the mentor's proposal, else the withdrawal of whoever said "I want to
    stop" (a live alert), else none."""
    if binome.proposed_outcome:
        return binome.proposed_outcome
    stop = session.exec(select(Alert).where(Alert.binome_id == binome.id, Alert.signal == SUPPORT_STOP,
                                            col(Alert.status).in_(list(alerts.LIVE)))
                        .order_by(col(Alert.opened_at).desc())).first()
    if stop is None or stop.about_id is None:
        return None
    return WITHDRAWAL[Role.MENTOR if stop.about_id == binome.mentor_id else Role.MENTEE]


def _check_coordinator(binome: Binome, by: Participant | None) -> None:
    """`by` None is the operator's CLI; otherwise a coordinator of the binôme's programme."""
    if by is not None and (by.role != Role.COORDINATOR or by.programme_id != binome.programme_id):
        raise ClosureRefused(ClosureRefusal.NOT_YOURS)


def _actor(by: Participant | None) -> str:
    return f"participant:{by.id}" if by is not None else "cli"


def close(*, session: Session, binome: Binome, outcome: str, closed_on: date, by: Participant | None,
          now: datetime, actor: str | None = None) -> Closed:
    """Close an active or paused binôme; raises ClosureRefused (see ClosureRefusal). `actor` names who the audit
    says closed it when it is not `by` (storage.privacy: "system", or the participant who asked to be forgotten)."""
    _check_coordinator(binome, by)
    who = actor or _actor(by)
    if binome.status == BinomeStatus.CLOSED:
        raise ClosureRefused(ClosureRefusal.CLOSED)
    programme = session.get(Programme, binome.programme_id)
    kinds = outcomes_for(programme)
    if outcome not in kinds:
        raise ClosureRefused(ClosureRefusal.BAD_OUTCOME)
    if not binome.started_on <= closed_on <= programme_day(session=session, binome=binome, now=now):
        raise ClosureRefused(ClosureRefusal.BAD_DATE)
    proposal = (binome.proposed_outcome, binome.proposed_by)
    done = achieved(session=session, binome=binome)
    skipped, dropped = stop_checkins(session, binome, now, reason="closed")
    cancelled = _cancel_meetings(session, binome, now)
    dropped += _drop_pending(session, binome, now)
    resolved = 0
    for alert in session.exec(select(Alert).where(Alert.binome_id == binome.id,
                                                  col(Alert.status).in_(list(alerts.LIVE)))).all():
        alert.status, alert.resolved_at, alert.outcome = AlertStatus.RESOLVED, now, "pair_closed"
        alert.resolved_by, alert.snoozed_until = by.id if by is not None else None, None
        session.add(alert)
        record(session=session, at=now, programme_id=binome.programme_id, actor=who, action="alert.resolved",
               subject=f"alert:{alert.id}", details={"outcome": "pair_closed", "closure": outcome})
        resolved += 1
    binome.status, binome.outcome, binome.closed_on, binome.closed_at = BinomeStatus.CLOSED, outcome, closed_on, now
    binome.paused_on = binome.resume_on = binome.pause_reason = None
    binome.proposed_outcome = binome.proposed_by = binome.proposed_at = None
    session.add(binome)
    record(session=session, at=now, programme_id=binome.programme_id, actor=who, action="binome.closed",
           subject=f"binome:{binome.id}",
           details={"outcome": outcome, "kind": kinds[outcome], "closed_on": closed_on.isoformat(),
                    "proposed_by_mentor": proposal[1] is not None, "as_proposed": proposal[0] == outcome,
                    "meetings_held": done.held, "actions_done": done.done, "checkins_skipped": skipped,
                    "meetings_cancelled": cancelled, "messages_dropped": dropped, "alerts_resolved": resolved})
    for person_id in (binome.mentor_id, binome.mentee_id):
        person = session.get(Participant, person_id)
        if person is not None and person.telegram_chat_id is not None:
            outbox.enqueue(session=session, participant_id=person.id, kind="binome_closed", now=now,
                           due_at=alerts.after_quiet_hours(session=session, participant=person, now=now),
                           key=f"binome_closed:{binome.id}:{person.id}",
                           params={"binome_id": binome.id, "outcome": outcome, "kind": kinds[outcome],
                                   "held": done.held, "done": done.done})
    referents.tell(session=session, binome_id=binome.id, kind="referent_closed", key=f"binome_closed:{binome.id}:ref",
                   now=now, params={"outcome": outcome, "held": done.held})
    evaluations.open_for(session=session, binome=binome, now=now)
    return Closed(binome, kinds[outcome], done, skipped, cancelled, dropped, resolved)


def closing_interview_ahead(*, session: Session, binome: Binome, now: datetime) -> Meeting | None:
    """The closing interview planned and still to come, if any: a closure now would cancel it."""
    return session.exec(select(Meeting).where(
        Meeting.binome_id == binome.id, Meeting.purpose == "closing", Meeting.starts_at > now,
        col(Meeting.status).in_([MeetingStatus.PROPOSED, MeetingStatus.CONFIRMED]))
        .order_by(col(Meeting.starts_at))).first()


def _cancel_meetings(session: Session, binome: Binome, now: datetime) -> int:
    """Meetings still to come are cancelled (the goodbye says the binôme has ended), drafts dropped, the
    rhythm stopped."""
    cancelled = 0
    for meeting in session.exec(select(Meeting).where(
            Meeting.binome_id == binome.id,
            col(Meeting.status).in_([MeetingStatus.DRAFT, MeetingStatus.PROPOSED, MeetingStatus.CONFIRMED]),
            Meeting.starts_at > now)).all():
        was = meeting.status
        meeting.status, meeting.outcome_at, meeting.sequence = MeetingStatus.CANCELLED, now, meeting.sequence + 1
        session.add(meeting)
        if was != MeetingStatus.DRAFT:
            cancelled += 1
            record(session=session, at=now, programme_id=binome.programme_id, actor="system",
                   action="meeting.cancelled", subject=f"meeting:{meeting.id}", details={"reason": "binome_closed"})
    for series in session.exec(select(MeetingSeries).where(MeetingSeries.binome_id == binome.id,
                                                           MeetingSeries.active)).all():
        series.active = False
        session.add(series)
    return cancelled


def _drop_pending(session: Session, binome: Binome, now: datetime) -> int:
    """Every message still queued for the pair about this binôme: its own, its meetings', its check-ins'.
    (A mentor's messages about another binôme of hers keep going.)"""
    meeting_ids = set(session.exec(select(Meeting.id).where(Meeting.binome_id == binome.id)).all())
    checkin_ids = set(session.exec(select(CheckIn.id).where(CheckIn.binome_id == binome.id)).all())
    dropped = 0
    for message in session.exec(select(OutboundMessage).where(
            col(OutboundMessage.participant_id).in_([binome.mentor_id, binome.mentee_id]),
            col(OutboundMessage.sent_at).is_(None), col(OutboundMessage.dropped_at).is_(None))).all():
        params = message.params or {}
        if outbox.KINDS.get(message.kind, outbox.Kind(timedelta(0))).after_closure:
            continue  # an earlier closure's goodbye or evaluation
        if (params.get("binome_id") == binome.id or params.get("meeting_id") in meeting_ids
                or params.get("checkin_id") in checkin_ids):
            outbox.drop(message, now, "binome_closed")
            session.add(message)
            dropped += 1
    return dropped


# ---------------------------------------------------------------- the mentor proposes, a coordinator confirms

def propose(*, session: Session, binome: Binome, outcome: str, by: Participant, now: datetime) -> Binome:
    """The mentor proposes to close with an outcome; the coordinators are asked to confirm. A second proposal
    replaces the first."""
    if by.id != binome.mentor_id:
        raise ClosureRefused(ClosureRefusal.NOT_YOURS)
    if binome.status == BinomeStatus.CLOSED:
        raise ClosureRefused(ClosureRefusal.CLOSED)
    if outcome not in outcomes_for(session.get(Programme, binome.programme_id)):
        raise ClosureRefused(ClosureRefusal.BAD_OUTCOME)
    binome.proposed_outcome, binome.proposed_by, binome.proposed_at = outcome, by.id, now
    session.add(binome)
    record(session=session, at=now, programme_id=binome.programme_id, actor=f"participant:{by.id}",
           action="binome.closure_proposed", subject=f"binome:{binome.id}", details={"outcome": outcome})
    primary, _backups = alerts.routing(session=session, programme_id=binome.programme_id,
                                       options=signal_options(session.get(Programme, binome.programme_id)))
    stamp = f"{now:%Y%m%dT%H%M%S}"
    for coordinator in primary:
        if alerts.can_receive(coordinator):
            outbox.enqueue(session=session, participant_id=coordinator.id, kind="closure_proposed", now=now,
                           due_at=alerts.after_quiet_hours(session=session, participant=coordinator, now=now),
                           key=f"closure_proposed:{binome.id}:{stamp}:{coordinator.id}",
                           params={"binome_id": binome.id, "stamp": stamp})
    return binome


def decline(*, session: Session, binome: Binome, by: Participant | None, now: datetime) -> Binome:
    """A coordinator says "not now" to the mentor's proposal: it is withdrawn and the mentor told."""
    _check_coordinator(binome, by)
    if binome.status == BinomeStatus.CLOSED:
        raise ClosureRefused(ClosureRefusal.CLOSED)
    if binome.proposed_by is None:
        raise ClosureRefused(ClosureRefusal.NO_PROPOSAL)
    mentor_id = binome.proposed_by
    binome.proposed_outcome = binome.proposed_by = binome.proposed_at = None
    session.add(binome)
    record(session=session, at=now, programme_id=binome.programme_id, actor=_actor(by),
           action="binome.closure_declined", subject=f"binome:{binome.id}", details={})
    mentor = session.get(Participant, mentor_id)
    if mentor is not None and mentor.telegram_chat_id is not None:
        outbox.enqueue(session=session, participant_id=mentor.id, kind="closure_declined", now=now,
                       due_at=alerts.after_quiet_hours(session=session, participant=mentor, now=now),
                       key=f"closure_declined:{binome.id}:{now:%Y%m%dT%H%M%S}", params={"binome_id": binome.id})
    return binome


def _proposal_pending(session: Session, message: OutboundMessage) -> bool:
    binome = session.get(Binome, message.params["binome_id"])
    return (binome is not None and binome.status != BinomeStatus.CLOSED and binome.proposed_at is not None
            and f"{binome.proposed_at:%Y%m%dT%H%M%S}" == message.params["stamp"])


def _still_open(session: Session, message: OutboundMessage) -> bool:
    binome = session.get(Binome, message.params["binome_id"])
    return binome is not None and binome.status != BinomeStatus.CLOSED


outbox.declare("binome_closed", priority=outbox.NORMAL, max_delay=timedelta(days=7), after_closure=True)
outbox.declare("closure_proposed", priority=outbox.URGENT, max_delay=timedelta(days=14), relevant=_proposal_pending)
outbox.declare("closure_declined", priority=outbox.NORMAL, max_delay=timedelta(days=3), relevant=_still_open)
