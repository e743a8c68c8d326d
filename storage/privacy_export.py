"""A person's own data, as /mydata hands it over (GDPR art. 15 and 20): plain facts, values and codes.

Only what is theirs: their profile and consent, the binômes they are in (the programme's code, their role,
dates, outcome), the meetings of those binômes, their absences, the plan actions they wrote and the changes
they made, their check-ins and answers, their answers before the end, their evaluations while still linked
to them, their requests for help, the messages the bot sent them (kinds and dates) and what the audit log
says they did. Never the partner's words: a meeting's place only if they typed it, an action's title only if
they wrote it, what blocks an action only from the mentee, nothing of the partner's check-ins or answers.
"""
from __future__ import annotations

import json
from datetime import date, datetime

from sqlmodel import Session, col, or_, select

from storage.models import (Absence, AuditLog, Binome, BinomeReferent, CheckIn, CheckInAnswer, CheckInPause,
                            Competence, CompetenceRating, EndingAnswer, Evaluation, Meeting, MentorAway,
                            OutboundMessage, Participant, PlanAction, PlanActionChange, Programme, Role,
                            SelfEvaluation, SupportRequest)
from storage.spreadsheet import safe_cell

SECTIONS = ("profile", "consent", "binomes", "meetings", "absences", "plan_actions", "plan_history", "checkins",
            "checkin_pauses", "ending_answers", "evaluations", "support_requests", "messages", "audit",
            "self_evaluation", "away_periods", "followed_binomes")


def _value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "value"):  # an enum
        return value.value
    return value


def _row(obj, *fields: str, **extra) -> dict:
    return {field: _value(getattr(obj, field)) for field in fields} | {k: _value(v) for k, v in extra.items()}


def export(*, session: Session, participant: Participant, now: datetime) -> dict:
    """Everything of theirs, section by section (SECTIONS), JSON-ready."""
    pid = participant.id
    programme = session.get(Programme, participant.programme_id)
    binomes = list(session.exec(select(Binome).where(or_(Binome.mentor_id == pid, Binome.mentee_id == pid))
                                .order_by(Binome.id)).all())
    labels = {b.id: b.label for b in binomes}
    as_mentee = {b.id for b in binomes if b.mentee_id == pid}
    meetings = list(session.exec(select(Meeting).where(col(Meeting.binome_id).in_(labels))
                                 .order_by(Meeting.starts_at)).all()) if labels else []
    starts = {m.id: m.starts_at for m in meetings}
    actions = list(session.exec(select(PlanAction).where(PlanAction.created_by == pid).order_by(PlanAction.id)).all())
    checkins = list(session.exec(select(CheckIn).where(CheckIn.participant_id == pid).order_by(CheckIn.due_at)).all())
    answers: dict[int, list] = {}
    if checkins:
        for answer in session.exec(select(CheckInAnswer).where(
                col(CheckInAnswer.checkin_id).in_([c.id for c in checkins])).order_by(CheckInAnswer.id)):
            answers.setdefault(answer.checkin_id, []).append(_row(answer, "at", "question", "value"))
    return {
        "exported_at": now.isoformat(),
        "profile": [_row(participant, "first_name", "last_name", "role", "language", "timezone", "phone", "email",
                         "employer", "status", "created_at", "linked_at", "onboarded_at", "paused_at", "minor",
                         "guardian_informed_on", "check_on", "check_expires_on", "check_by",
                         programme=programme.name, telegram_account=participant.telegram_user_id)],
        "consent": [_row(participant, given_at=participant.consent_at, refused_at=participant.consent_refused_at)],
        "binomes": [_row(b, "label", "status", "started_on", "planned_end_on", "closed_on", "outcome",
                         your_role=Role.MENTEE if b.id in as_mentee else Role.MENTOR) for b in binomes],
        "meetings": [_row(m, "starts_at", "duration_minutes", "status", "place_kind", binome=labels[m.binome_id],
                          proposed_by_you=m.proposed_by == pid,
                          place_detail=m.place_detail if m.proposed_by == pid else None) for m in meetings],
        "absences": [_row(a, "reason", "announced_at", "excused", meeting_starts_at=starts.get(a.meeting_id))
                     for a in session.exec(select(Absence).where(Absence.participant_id == pid))],
        "plan_actions": [_row(a, "title", "category", "status", "due_on", "created_at", "changed_at",
                              binome=labels.get(a.binome_id),
                              blocked_note=a.blocked_note if a.binome_id in as_mentee else None) for a in actions],
        "plan_history": [_row(c, "action_id", "at", "field", "old", "new") for c in session.exec(
            select(PlanActionChange).where(PlanActionChange.by == pid).order_by(PlanActionChange.id))],
        "checkins": [_row(c, "period", "status", "due_at", "sent_at", "answered_at", "completed_at", "mood",
                          "concern", "word", "share_with_mentor", "share_word_with_mentor", "share_with_coordinator",
                          binome=labels.get(c.binome_id), answers=answers.get(c.id, [])) for c in checkins],
        "checkin_pauses": [_row(p, "until", "created_at", "ended_at") for p in session.exec(
            select(CheckInPause).where(CheckInPause.participant_id == pid))],
        "ending_answers": [_row(e, "planned_end_on", "asked_at", "answer", "answered_at", "word", "word_shared",
                                binome=labels.get(e.binome_id)) for e in session.exec(
            select(EndingAnswer).where(EndingAnswer.participant_id == pid))],
        "evaluations": [_row(e, "status", "closed_on", "sent_at", "scores", "word", "word_shared") for e in session.exec(
            select(Evaluation).where(Evaluation.participant_id == pid))],
        "support_requests": [_row(r, "kind", "at") for r in session.exec(
            select(SupportRequest).where(SupportRequest.participant_id == pid))],
        "messages": [_row(m, "kind", "due_at", "sent_at", "dropped_at") for m in session.exec(
            select(OutboundMessage).where(OutboundMessage.participant_id == pid).order_by(OutboundMessage.id))],
        "audit": [_row(a, "at", "action") for a in session.exec(
            select(AuditLog).where(AuditLog.actor == f"participant:{pid}").order_by(AuditLog.id))],
        # Issue 16: their own ratings of the self-evaluation, their time away as a tutor, the binômes they follow.
        "self_evaluation": [_row(r, "level", "at", round=e.round, competence=c.label, binome=labels.get(e.binome_id))
                            for r, e, c in session.exec(
            select(CompetenceRating, SelfEvaluation, Competence)
            .join(SelfEvaluation, SelfEvaluation.id == CompetenceRating.evaluation_id)
            .join(Competence, Competence.id == CompetenceRating.competence_id)
            .where(col(SelfEvaluation.binome_id).in_(labels or [0]),
                   CompetenceRating.role == (Role.MENTEE if participant.role == Role.MENTEE else Role.MENTOR))
            .order_by(CompetenceRating.id))],
        "away_periods": [_row(a, "starts_on", "ends_on", "created_at", "ended_at", binome=labels.get(a.binome_id))
                         for a in session.exec(select(MentorAway).where(MentorAway.mentor_id == pid))],
        "followed_binomes": [_row(b, "label", "status") for b in session.exec(
            select(Binome).join(BinomeReferent, BinomeReferent.binome_id == Binome.id)
            .where(BinomeReferent.participant_id == pid))],
    }


def counts(data: dict) -> dict[str, int]:
    return {section: len(data[section]) for section in SECTIONS}


def as_json(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def csv_rows(data: dict) -> list[list[str]]:
    """One line per value: section, number of the item in its section, field, value (spreadsheet-safe)."""
    rows = []
    for section in SECTIONS:
        for number, item in enumerate(data[section], start=1):
            for field, value in item.items():
                shown = json.dumps(value, ensure_ascii=False) if isinstance(value, list | dict) else (
                    "" if value is None else str(value))
                rows.append([section, str(number), field, safe_cell(shown)])
    return rows
