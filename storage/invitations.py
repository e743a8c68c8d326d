"""Invitation links and the consent that turns one into a linked Telegram account.

These are the rules of onboarding as plain functions over the database: no Telegram inside.
A token has 192 random bits; only its SHA-256 is stored; it is single use and expires.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Session, select

from storage import outbox
from storage.audit import record
from storage.models import Invitation, Participant, ParticipantStatus, Programme
from storage.participants import partners_of

TOKEN_BYTES = 24  # 192 bits, 32 url-safe characters: fits Telegram's 64-character start parameter
PENDING_HOLD = timedelta(hours=24)  # how long a half-finished onboarding keeps others off a link

outbox.declare("partner_joined", max_delay=timedelta(days=2))


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(text: str) -> bool:
    return 16 <= len(text) <= 64 and all(c.isalnum() or c in "-_" for c in text)


def issue_invitation(*, session: Session, participant: Participant, now: datetime, valid_days: int) -> str:
    """Create an invitation and return the token (shown once, never stored)."""
    token = new_token()
    session.add(Invitation(participant_id=participant.id, token_hash=hash_token(token), created_at=now,
                           expires_at=now + timedelta(days=valid_days)))
    record(session=session, at=now, programme_id=participant.programme_id, actor="cli",
           action="invitation.issued", subject=f"participant:{participant.id}")
    return token


class Claim(StrEnum):
    OK = "ok"  # consent can be asked
    UNKNOWN = "unknown"  # no such token (mistyped, forged, or never issued)
    EXPIRED = "expired"
    USED = "used"  # the participant is linked to another Telegram account
    WELCOME_BACK = "welcome_back"  # the participant is already this account
    OTHER_PROFILE = "other_profile"  # this Telegram account is already someone else in Binôme
    IN_USE = "in_use"  # another account is in the middle of onboarding with this link


@dataclass
class ClaimResult:
    outcome: Claim
    invitation: Invitation | None = None
    participant: Participant | None = None
    programme: Programme | None = None


def participant_by_telegram(*, session: Session, telegram_user_id: int) -> Participant | None:
    return session.exec(select(Participant).where(Participant.telegram_user_id == telegram_user_id)).first()


def _check(session: Session, invitation: Invitation | None, telegram_user_id: int, now: datetime):
    """What stops this account from using this invitation now, if anything.

    Returns a result maker for the invitation and the refusal (None when the account may go on).
    """
    if invitation is None:
        return None, ClaimResult(Claim.UNKNOWN)
    participant = session.get(Participant, invitation.participant_id)
    programme = session.get(Programme, participant.programme_id)

    def result(outcome: Claim) -> ClaimResult:
        return ClaimResult(outcome, invitation, participant, programme)

    if participant.telegram_user_id == telegram_user_id:
        return result, result(Claim.WELCOME_BACK)
    if invitation.used_at is not None or participant.telegram_user_id is not None:
        return result, result(Claim.USED)
    if invitation.expires_at <= now:
        return result, result(Claim.EXPIRED)
    if participant_by_telegram(session=session, telegram_user_id=telegram_user_id) is not None:
        return result, result(Claim.OTHER_PROFILE)
    return result, None


def claim_invitation(*, session: Session, token: str, telegram_user_id: int, now: datetime) -> ClaimResult:
    """First tap on a link: hold it for this account until they answer the consent question."""
    invitation = session.exec(select(Invitation).where(Invitation.token_hash == hash_token(token))).first()
    result, refusal = _check(session, invitation, telegram_user_id, now)
    if refusal is not None:
        return refusal
    if (
        invitation.pending_user_id not in (None, telegram_user_id)
        and invitation.pending_since is not None
        and now - invitation.pending_since < PENDING_HOLD
    ):
        return result(Claim.IN_USE)
    invitation.pending_user_id = telegram_user_id
    invitation.pending_since = now
    session.add(invitation)
    return result(Claim.OK)


def answer_consent(
    *, session: Session, invitation_id: int, telegram_user_id: int, chat_id: int, accepted: bool, now: datetime
) -> ClaimResult:
    """The consent button. Only the account that claimed the link can answer, once."""
    invitation = session.get(Invitation, invitation_id)
    result, refusal = _check(session, invitation, telegram_user_id, now)
    if refusal is not None:
        return refusal
    if invitation.pending_user_id != telegram_user_id:
        return result(Claim.UNKNOWN)  # only the account that opened the link may answer
    participant = result(Claim.OK).participant
    invitation.pending_user_id = None
    invitation.pending_since = None
    subject = f"participant:{participant.id}"
    if accepted:
        invitation.used_at = now
        participant.telegram_user_id = telegram_user_id
        participant.telegram_chat_id = chat_id
        participant.consent_at = now
        participant.consent_refused_at = None
        participant.linked_at = now
        participant.status = ParticipantStatus.ACTIVE
        action = "consent.given"
    else:
        # Nothing of the account is kept: the link stays valid should they change their mind.
        participant.consent_refused_at = now
        participant.status = ParticipantStatus.DECLINED
        action = "consent.refused"
    session.add(invitation)
    session.add(participant)
    record(session=session, at=now, programme_id=participant.programme_id, actor=subject, action=action,
           subject=subject)
    return result(Claim.OK)


def queue_partner_joined(*, session: Session, participant: Participant, now: datetime) -> None:
    """Someone has just finished onboarding: their partner in each binôme, if already there, is told once."""
    for partner in partners_of(session=session, participant=participant):
        if partner.onboarded_at is None:
            continue
        outbox.enqueue(session=session, participant_id=partner.id, kind="partner_joined",
                       key=f"partner_joined:{partner.id}:{participant.id}", due_at=now, now=now,
                       params={"participant_id": participant.id})
