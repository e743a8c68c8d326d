"""People's rights over their data (docs/privacy.md): erasing a person, and withdrawing from the programme.

`erase` removes or empties every personal field of the person in every table and keeps what the programme's
figures need (the rows' counts, dates, statuses, codes and scores), so the indicators of a period do not
move. The row of the participant stays, emptied (no name, no contact, no Telegram account, no import key):
the binômes, meetings and check-ins still point at it, and it stands for nobody. What the partner wrote
is the partner's and stays. The outbox keeps nothing addressed to them. Erasing twice changes nothing.

`forget` is what /forget, a withdrawn consent and `binome privacy erase` do: each binôme still open is
closed through storage.closures with the withdrawal of their role, the coordinators are told (a count and
codes, no name), then the person is erased. All in one transaction: a restart half way leaves either the
whole of it or nothing.

ERASED and KEPT classify every text, JSON and Telegram-id column of every table: tests/test_privacy.py
walks SQLModel.metadata and fails on a column that is in neither, so a new feature cannot forget one.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, or_, select

from storage import alerts, closures, outbox
from storage.audit import record
from storage.models import (AuditLog, AwaitedText, Binome, BinomeStatus, CheckIn, CheckInPause, EndingAnswer,
                            Evaluation, Invitation, Meeting, MeetingSeries, OutboundMessage, Participant,
                            ParticipantStatus, PlanAction, PlanActionChange, Programme, Role, WebLogin)
from storage.signals import signal_options

# table → columns emptied (or whose rows are removed) when a person is erased
ERASED = {
    "participant": {"first_name", "last_name", "phone", "email", "employer", "import_key", "language", "timezone",
                    "telegram_user_id", "telegram_chat_id", "check_by"},  # check_by: who verified their background
    "invitation": {"token_hash", "pending_user_id"},  # rows removed
    "web_login": {"token_hash"},  # the coordinator's one-time links into the page: rows removed
    "outbound_message": {"kind", "params", "idempotency_key", "error", "claimed_by", "telegram_message_id"},  # their rows removed
    "audit_log": {"details"},  # the person's id taken out of the details that name it
    "meeting_series": {"place_detail"},  # a place they typed
    "meeting": {"place_detail"},
    "plan_action": {"title", "blocked_note"},  # an action's title they wrote; what blocks, as the mentee wrote it
    "plan_action_change": {"old", "new"},  # the titles in the history of their actions
    "checkin": {"word"},
    "awaited_text": {"purpose"},  # row removed
    "ending_answer": {"word"},
    "evaluation": {"word"},  # of an evaluation still linked to them; a finished one is anonymous already
}
# table → columns kept: codes, statuses, scores and the programme's own words, which name nobody
KEPT = {
    "programme": {"name", "timezone", "language", "vocabulary", "options"},
    "participant": {"role", "status", "gender"},  # gender: f/m/x, an input of mentees_by_gender on a row naming nobody
    "binome": {"label", "status", "outcome", "pause_reason", "proposed_outcome"},  # label: the programme's code
    "audit_log": {"actor", "action", "subject"},  # "participant:<id>" names an emptied row, not a person
    "meeting_series": {"local_time", "place_kind"},
    "meeting": {"place_kind", "status", "purpose"},  # purpose: "closing", a code
    "absence": {"reason", "talk_result"},
    "plan_action": {"category", "status"},
    "plan_action_change": {"field"},
    "checkin": {"role", "period", "status", "skipped_reason", "step", "action_ids"},
    "checkin_answer": {"question", "value"},
    "support_request": {"kind"},
    "alert": {"signal", "severity", "status", "outcome", "facts"},  # facts: counts, dates, categories
    "ending_answer": {"answer"},
    "evaluation": {"role", "status", "scores"},
    "competence": {"code", "label", "group"},  # the programme's framework, about no one
    "self_evaluation": {"status"},
    "competence_rating": {"role"},
}
ERASED_MARK = "erased"  # the import key of an erased participant: "erased:<id>"
AUDIT_ACTIONS_NAMING = ("checkin.", "ending.")  # their details carry "participant_id"


@dataclass(frozen=True)
class Erased:
    participant_id: int
    already: bool  # erased before: nothing changed
    messages_removed: int = 0
    texts_emptied: int = 0


@dataclass(frozen=True)
class Forgotten:
    erased: Erased
    binomes_closed: list[int]  # ids of the binômes this closed


class PrivacyRefused(Exception):
    """A coordinator cannot /forget from the chat (the programme would lose its contact): the CLI can."""


def actor_of(participant: Participant) -> str:
    return f"participant:{participant.id}"


def erase(*, session: Session, participant: Participant, now: datetime, actor: str) -> Erased:
    """Erase one person's personal data everywhere (see the module's text); idempotent."""
    if participant.erased_at is not None:
        return Erased(participant.id, True)
    pid = participant.id
    binome_ids = list(session.exec(select(Binome.id).where(
        or_(Binome.mentor_id == pid, Binome.mentee_id == pid))).all())
    emptied = 0

    def empty(rows, *fields) -> None:
        nonlocal emptied
        for row in rows:
            for field in fields:
                if getattr(row, field) is not None:
                    setattr(row, field, None)
                    emptied += 1
            session.add(row)

    empty(session.exec(select(Meeting).where(Meeting.proposed_by == pid, col(Meeting.place_detail).is_not(None))),
          "place_detail")
    empty(session.exec(select(MeetingSeries).where(MeetingSeries.created_by == pid,
                                                   col(MeetingSeries.place_detail).is_not(None))), "place_detail")
    empty(session.exec(select(CheckIn).where(CheckIn.participant_id == pid, col(CheckIn.word).is_not(None))), "word")
    empty(session.exec(select(EndingAnswer).where(EndingAnswer.participant_id == pid,
                                                  col(EndingAnswer.word).is_not(None))), "word")
    mentee_of = set(session.exec(select(Binome.id).where(Binome.mentee_id == pid)).all())
    if mentee_of:  # what blocks an action is the mentee's word
        empty(session.exec(select(PlanAction).where(col(PlanAction.binome_id).in_(mentee_of),
                                                    col(PlanAction.blocked_note).is_not(None))), "blocked_note")
    own_actions = list(session.exec(select(PlanAction).where(PlanAction.created_by == pid)).all())
    for action in own_actions:
        action.title, emptied = "", emptied + 1
        session.add(action)
    own_ids = {a.id for a in own_actions}
    for change in session.exec(select(PlanActionChange).where(
            or_(col(PlanActionChange.action_id).in_(own_ids or {-1}), PlanActionChange.by == pid),
            col(PlanActionChange.field).in_(["created", "title"]))):
        change.old = change.new = None
        session.add(change)
        emptied += 1
    for evaluation in session.exec(select(Evaluation).where(Evaluation.participant_id == pid)):
        if evaluation.status == "open":
            evaluation.status = "expired"
        evaluation.participant_id = evaluation.binome_id = None
        evaluation.word, evaluation.word_shared = None, False
        session.add(evaluation)
        emptied += 1
    partners = set(session.exec(select(Binome.mentor_id).where(Binome.mentee_id == pid)).all()) | set(
        session.exec(select(Binome.mentee_id).where(Binome.mentor_id == pid)).all())
    for message in session.exec(select(OutboundMessage).where(col(OutboundMessage.participant_id).in_(partners),
                                                              col(OutboundMessage.sent_at).is_(None),
                                                              col(OutboundMessage.dropped_at).is_(None))):
        if (message.params or {}).get("participant_id") == pid:  # "has joined" and the like, about them
            outbox.drop(message, now, "participant_erased")
            session.add(message)
    removed = len(session.exec(select(OutboundMessage.id).where(OutboundMessage.participant_id == pid)).all())
    session.exec(delete(OutboundMessage).where(OutboundMessage.participant_id == pid))
    session.exec(delete(Invitation).where(Invitation.participant_id == pid))
    session.exec(delete(WebLogin).where(WebLogin.participant_id == pid))
    session.exec(delete(AwaitedText).where(AwaitedText.participant_id == pid))
    session.exec(delete(CheckInPause).where(CheckInPause.participant_id == pid))
    for entry in session.exec(select(AuditLog).where(AuditLog.programme_id == participant.programme_id, or_(
            *[col(AuditLog.action).startswith(prefix) for prefix in AUDIT_ACTIONS_NAMING]))):
        if (entry.details or {}).get("participant_id") == pid:
            entry.details = {k: v for k, v in entry.details.items() if k != "participant_id"}
            session.add(entry)
    for binome in session.exec(select(Binome).where(Binome.proposed_by == pid)):
        binome.proposed_by = None
        session.add(binome)
    participant.first_name = participant.last_name = ""
    participant.phone = participant.email = participant.employer = None
    participant.language = participant.timezone = participant.check_by = None
    participant.telegram_user_id = participant.telegram_chat_id = None
    participant.import_key = f"{ERASED_MARK}:{pid}"
    participant.status, participant.erased_at = ParticipantStatus.LEFT, now
    session.add(participant)
    record(session=session, at=now, programme_id=participant.programme_id, actor=actor, action="participant.erased",
           subject=f"participant:{pid}", details={"role": Role(participant.role).value, "binomes": len(binome_ids),
                                                  "messages_removed": removed, "texts_emptied": emptied})
    return Erased(pid, False, removed, emptied)


def live_binomes(*, session: Session, participant: Participant) -> list[Binome]:
    return list(session.exec(select(Binome).where(
        or_(Binome.mentor_id == participant.id, Binome.mentee_id == participant.id),
        Binome.status != BinomeStatus.CLOSED).order_by(Binome.id)).all())


def forget(*, session: Session, participant: Participant, now: datetime, actor: str,
           reason: str = "request") -> Forgotten:
    """Close their open binômes with their role's withdrawal, tell the coordinators, erase them. `reason`:
    "request" (/forget or the CLI) or "consent_withdrawn". Idempotent: an erased person is left as is."""
    if participant.erased_at is not None:
        return Forgotten(Erased(participant.id, True), [])
    closed = []
    role = Role(participant.role)
    for binome in live_binomes(session=session, participant=participant):
        today = closures.programme_day(session=session, binome=binome, now=now)
        if binome.started_on > today:  # imported to start later: it ends before it began, on its first day
            binome.status, binome.outcome = BinomeStatus.CLOSED, closures.WITHDRAWAL[role]
            binome.closed_on, binome.closed_at = binome.started_on, now
            session.add(binome)
            record(session=session, at=now, programme_id=binome.programme_id, actor=actor, action="binome.closed",
                   subject=f"binome:{binome.id}", details={"outcome": binome.outcome, "before_start": True})
        else:
            closures.close(session=session, binome=binome, outcome=closures.WITHDRAWAL[role], closed_on=today,
                           by=None, now=now, actor=actor)
        closed.append(binome)
    if reason == "consent_withdrawn":
        record(session=session, at=now, programme_id=participant.programme_id, actor=actor,
               action="consent.withdrawn", subject=f"participant:{participant.id}")
    session.flush()
    _tell_coordinators(session, participant, closed, now, reason)
    erased = erase(session=session, participant=participant, now=now, actor=actor)
    return Forgotten(erased, [b.id for b in closed])


def _tell_coordinators(session: Session, participant: Participant, closed: list[Binome], now: datetime,
                       reason: str) -> None:
    if Role(participant.role) == Role.COORDINATOR:
        return
    programme = session.get(Programme, participant.programme_id)
    primary, _backups = alerts.routing(session=session, programme_id=programme.id,
                                       options=signal_options(programme))
    for coordinator in primary:
        if coordinator.id != participant.id and alerts.can_receive(coordinator):
            outbox.enqueue(session=session, participant_id=coordinator.id, kind="participant_forgotten", now=now,
                           due_at=alerts.after_quiet_hours(session=session, participant=coordinator, now=now),
                           key=f"participant_forgotten:{participant.id}:{coordinator.id}",
                           params={"role": Role(participant.role).value, "reason": reason,
                                   "binome_ids": [b.id for b in closed]})


outbox.declare("participant_forgotten", priority=outbox.NORMAL, max_delay=timedelta(days=7))
