"""Small builders for test data, straight into the database."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from storage.invitations import issue_invitation
from storage.models import Binome, Participant, Programme, Role
from storage.programmes import add_months, create_programme


def make_programme(session: Session, now: datetime, name: str = "MentorYou Bruxelles", **kwargs) -> Programme:
    kwargs.setdefault("timezone", "Europe/Brussels")
    return create_programme(session=session, name=name, now=now, **kwargs)


def make_participant(session: Session, programme: Programme, now: datetime, role: Role, first_name: str,
                     last_name: str = "", language: str | None = None) -> Participant:
    participant = Participant(programme_id=programme.id, role=role, first_name=first_name, last_name=last_name,
                              language=language, import_key=f"test|{role}|{first_name}|{last_name}",
                              created_at=now)
    session.add(participant)
    session.flush()
    return participant


def make_pair(session: Session, programme: Programme, now: datetime, mentor: str = "Marc", mentee: str = "Amina",
              label: str = "B01", mentor_language: str | None = None, mentee_language: str | None = None):
    mentor_p = make_participant(session, programme, now, Role.MENTOR, mentor, "Dubois", mentor_language)
    mentee_p = make_participant(session, programme, now, Role.MENTEE, mentee, "Benali", mentee_language)
    binome = Binome(programme_id=programme.id, label=label, mentor_id=mentor_p.id, mentee_id=mentee_p.id,
                    started_on=now.date(), planned_end_on=add_months(now.date(), programme.duration_months),
                    created_at=now)
    session.add(binome)
    session.flush()
    return mentor_p, mentee_p, binome


def invite(session: Session, participant: Participant, now: datetime, valid_days: int = 30) -> str:
    return issue_invitation(session=session, participant=participant, now=now, valid_days=valid_days)


def link(participant: Participant, user, now: datetime, language: str | None = None) -> Participant:
    """As if the participant had been onboarded earlier with this simulated phone."""
    from storage.models import ParticipantStatus

    participant.telegram_user_id = participant.telegram_chat_id = user.id
    participant.status = ParticipantStatus.ACTIVE
    participant.consent_at = participant.linked_at = participant.onboarded_at = now
    participant.language = language or participant.language
    user.open_chat()
    return participant
