"""The rules of invitation links, without Telegram."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from storage.invitations import (Claim, answer_consent, claim_invitation, hash_token, issue_invitation,
                                 looks_like_token, new_token)
from storage.models import Invitation, Participant, ParticipantStatus
from tests.factories import make_pair, make_programme


def test_tokens_have_enough_randomness_and_are_stored_hashed(session, clock):
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    assert all(len(t) == 32 and looks_like_token(t) for t in tokens)  # 24 bytes = 192 bits
    with session() as s:
        _, mentee, _ = make_pair(s, make_programme(s, clock.now()), clock.now())
        token = issue_invitation(session=s, participant=mentee, now=clock.now(), valid_days=30)
        stored = s.exec(select(Invitation)).one()
        assert stored.token_hash == hash_token(token) and token not in stored.token_hash
        assert stored.expires_at == clock.now() + timedelta(days=30)


def test_expiry_is_exact(session, clock):
    with session() as s:
        _, mentee, _ = make_pair(s, make_programme(s, clock.now()), clock.now())
        token = issue_invitation(session=s, participant=mentee, now=clock.now(), valid_days=30)
        just_before = clock.now() + timedelta(days=30) - timedelta(seconds=1)
        assert claim_invitation(session=s, token=token, telegram_user_id=1, now=just_before).outcome == Claim.OK
        at_expiry = clock.now() + timedelta(days=30)
        assert claim_invitation(session=s, token=token, telegram_user_id=1, now=at_expiry).outcome == Claim.EXPIRED


def test_a_half_finished_onboarding_holds_the_link_for_a_day_only(session, clock):
    with session() as s:
        _, mentee, _ = make_pair(s, make_programme(s, clock.now()), clock.now())
        token = issue_invitation(session=s, participant=mentee, now=clock.now(), valid_days=30)
        assert claim_invitation(session=s, token=token, telegram_user_id=1, now=clock.now()).outcome == Claim.OK
        later = clock.now() + timedelta(hours=23)
        assert claim_invitation(session=s, token=token, telegram_user_id=2, now=later).outcome == Claim.IN_USE
        next_day = clock.now() + timedelta(hours=24)
        assert claim_invitation(session=s, token=token, telegram_user_id=2, now=next_day).outcome == Claim.OK
        # The first account can no longer answer: the link is now held by the second one.
        invitation = s.exec(select(Invitation)).one()
        result = answer_consent(session=s, invitation_id=invitation.id, telegram_user_id=1, chat_id=1,
                                accepted=True, now=next_day)
        assert result.outcome == Claim.UNKNOWN
        assert s.get(Participant, mentee.id).telegram_user_id is None


def test_one_telegram_account_is_one_participant(session, clock):
    with session() as s:
        programme = make_programme(s, clock.now())
        mentor, mentee, _ = make_pair(s, programme, clock.now())
        first = issue_invitation(session=s, participant=mentor, now=clock.now(), valid_days=30)
        second = issue_invitation(session=s, participant=mentee, now=clock.now(), valid_days=30)
        claim_invitation(session=s, token=first, telegram_user_id=7, now=clock.now())
        invitation = s.exec(select(Invitation).where(Invitation.participant_id == mentor.id)).one()
        answer_consent(session=s, invitation_id=invitation.id, telegram_user_id=7, chat_id=7, accepted=True,
                       now=clock.now())
        assert claim_invitation(session=s, token=second, telegram_user_id=7, now=clock.now()).outcome == \
            Claim.OTHER_PROFILE


def test_consent_is_applied_once(session, clock):
    with session() as s:
        _, mentee, _ = make_pair(s, make_programme(s, clock.now()), clock.now())
        token = issue_invitation(session=s, participant=mentee, now=clock.now(), valid_days=30)
        claim_invitation(session=s, token=token, telegram_user_id=5, now=clock.now())
        invitation = s.exec(select(Invitation)).one()
        kwargs = dict(session=s, invitation_id=invitation.id, telegram_user_id=5, chat_id=5, now=clock.now())
        assert answer_consent(accepted=True, **kwargs).outcome == Claim.OK
        assert answer_consent(accepted=True, **kwargs).outcome == Claim.WELCOME_BACK
        assert answer_consent(accepted=False, **kwargs).outcome == Claim.WELCOME_BACK  # a late "no" changes nothing
        assert s.get(Participant, mentee.id).status == ParticipantStatus.ACTIVE
