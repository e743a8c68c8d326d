"""The coordinator's page's gate, without a browser: initData checked as Telegram specifies, the session
cookie and its CSRF token (miniapp/auth.py), the one-time links of /web (storage/web_access.py)."""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

import pytest
from sqlmodel import select

from miniapp import auth
from storage import web_access
from storage.models import AuditLog, ParticipantStatus, Role, WebLogin
from tests.conftest import START
from tests.factories import make_participant, make_programme

TOKEN = "123456:LOCAL-TEST-TOKEN"


def fields(user_id: int = 42, at=START, **extra) -> dict[str, str]:
    return {"query_id": "AAH", "auth_date": str(int(at.timestamp())),
            "user": json.dumps({"id": user_id, "first_name": "Claire", "language_code": "fr"}), **extra}


def test_a_correctly_signed_init_data_names_its_user():
    # The signature by hand, as core.telegram.org/bots/webapps describes it, not through sign_init_data.
    data = fields()
    check = "\n".join(f"{k}={data[k]}" for k in sorted(data))
    secret = hmac.new(b"WebAppData", TOKEN.encode(), hashlib.sha256).digest()
    signed = urlencode({**data, "hash": hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()})
    assert signed == auth.sign_init_data(data, TOKEN)
    user = auth.check_init_data(signed, bot_token=TOKEN, now=START + timedelta(minutes=59))
    assert (user.id, user.language_code) == (42, "fr")


@pytest.mark.parametrize("change, reason", [
    (lambda s: s.replace("Claire", "Clara"), "bad_signature"),  # a field changed after signing
    (lambda s: auth.sign_init_data(fields(), "654321:ANOTHER-BOT"), "bad_signature"),  # another bot's
    (lambda s: s.replace("hash=", "hush="), "malformed"),
    (lambda s: s + "&user=x", "malformed"),  # a key given twice
    (lambda s: "", "malformed"),
    (lambda s: "a=" + "x" * 5000, "malformed"),
    (lambda s: auth.sign_init_data({"auth_date": "soon", "user": "{}"}, TOKEN), "malformed"),
    (lambda s: auth.sign_init_data(fields(user_id="x"), TOKEN), "malformed"),
])
def test_forged_or_malformed_init_data_is_refused(change, reason):
    signed = auth.sign_init_data(fields(), TOKEN)
    with pytest.raises(auth.Refused) as refused:
        auth.check_init_data(change(signed), bot_token=TOKEN, now=START)
    assert refused.value.reason == reason


def test_init_data_older_than_an_hour_or_from_the_future_is_refused():
    signed = auth.sign_init_data(fields(), TOKEN)
    with pytest.raises(auth.Refused, match="expired"):
        auth.check_init_data(signed, bot_token=TOKEN, now=START + timedelta(hours=1, seconds=1))
    with pytest.raises(auth.Refused, match="from_the_future"):
        auth.check_init_data(signed, bot_token=TOKEN, now=START - timedelta(minutes=10))
    every = dict(parse_qsl(signed))
    assert every["hash"] and "signature" not in every  # only `hash` is left out of the checked string


def test_a_session_lasts_half_an_hour_and_its_csrf_token_is_its_own():
    cookie = auth.new_session(7, bot_token=TOKEN, now=START)
    assert auth.session_participant(cookie, bot_token=TOKEN, now=START + timedelta(minutes=29)) == 7
    with pytest.raises(auth.Refused, match="session_expired"):
        auth.session_participant(cookie, bot_token=TOKEN, now=START + timedelta(minutes=31))
    forged = "8" + cookie[1:]
    for bad in (forged, cookie + "0", "", None, "x" * 300):
        with pytest.raises(auth.Refused):
            auth.session_participant(bad, bot_token=TOKEN, now=START)
    with pytest.raises(auth.Refused):  # signed for another bot
        auth.session_participant(cookie, bot_token="654321:ANOTHER-BOT", now=START)
    token = auth.csrf_token(cookie, bot_token=TOKEN)
    assert auth.csrf_ok(cookie, token, bot_token=TOKEN)
    other = auth.new_session(7, bot_token=TOKEN, now=START)
    assert not auth.csrf_ok(other, token, bot_token=TOKEN)
    assert not auth.csrf_ok(cookie, "", bot_token=TOKEN) and not auth.csrf_ok(cookie, None, bot_token=TOKEN)


def test_a_one_time_link_works_once_for_ten_minutes_and_for_coordinators_only(session):
    with session() as s:
        programme = make_programme(s, START)
        claire = make_participant(s, programme, START, Role.COORDINATOR, "Claire", "Martin")
        marc = make_participant(s, programme, START, Role.MENTOR, "Marc", "M")
        claire.telegram_user_id, marc.telegram_user_id = 1001, 1002
        claire.status = marc.status = ParticipantStatus.ACTIVE
        s.flush()
        with pytest.raises(PermissionError):
            web_access.create_link(session=s, participant=marc, now=START)
        first = web_access.create_link(session=s, participant=claire, now=START)
        second = web_access.create_link(session=s, participant=claire, now=START)
        stored = s.exec(select(WebLogin.token_hash)).all()
        assert first not in stored and second not in stored  # only hashes are kept
        assert web_access.use_link(session=s, token=first, now=START) is None  # superseded by the second
        assert web_access.use_link(session=s, token=second, now=START + timedelta(minutes=9)).id == claire.id
        assert web_access.use_link(session=s, token=second, now=START + timedelta(minutes=9)) is None  # once
        late = web_access.create_link(session=s, participant=claire, now=START)
        assert web_access.use_link(session=s, token=late, now=START + timedelta(minutes=10)) is None
        paused = web_access.create_link(session=s, participant=claire, now=START)
        claire.status = ParticipantStatus.PAUSED
        assert web_access.use_link(session=s, token=paused, now=START) is None
        assert web_access.use_link(session=s, token="x" * 500, now=START) is None
        assert web_access.coordinator_for_telegram_user(session=s, telegram_user_id=1002) is None
        actions = [a.action for a in s.exec(select(AuditLog).order_by(AuditLog.id))]
        assert actions.count("web.link_created") == 4 and actions.count("web.session_opened") == 1
