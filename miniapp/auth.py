"""Who is on the page: Telegram's signed initData, the session cookie and the CSRF token. No HTTP here.

initData is checked as Telegram specifies (core.telegram.org/bots/webapps, "Validating data received via the
Mini App"): every field but `hash`, as `key=value` sorted by key and joined by line feeds, signed with
HMAC-SHA256 under the key HMAC-SHA256("WebAppData", bot token); the hash compared in constant time; and its
`auth_date` no older than INIT_DATA_MAX_AGE. The session that follows is a cookie signed by a key derived
from the bot token: `<participant id>.<expiry>.<nonce>.<mac>`, valid SESSION_LIFETIME. Its CSRF token is a
MAC of the cookie, so a form carries what only a page of ours could have read.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qsl, urlencode

INIT_DATA_MAX_AGE = timedelta(hours=1)
SESSION_LIFETIME = timedelta(minutes=30)
MAX_INIT_DATA = 4096  # Telegram's are well under 1 KB; anything larger is not from Telegram


class Refused(Exception):
    """initData or a session that lets nobody in; `reason` is a code for the audit and the tests, never shown."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TelegramUser:
    id: int
    language_code: str | None


def _secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode("utf-8"), hashlib.sha256).digest()


def _check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def sign_init_data(fields: dict[str, str], bot_token: str) -> str:
    """initData as Telegram would send it for these fields (tests and the demo sign with the bot's own token)."""
    digest = hmac.new(_secret_key(bot_token), _check_string(fields).encode("utf-8"), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def check_init_data(init_data: str, *, bot_token: str, now: datetime,
                    max_age: timedelta = INIT_DATA_MAX_AGE) -> TelegramUser:
    """The Telegram user initData speaks for, or Refused (forged, another bot's, too old, malformed)."""
    if not init_data or len(init_data) > MAX_INIT_DATA:
        raise Refused("malformed")
    pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=False)
    fields = dict(pairs)
    if len(fields) != len(pairs) or "hash" not in fields:
        raise Refused("malformed")  # a key given twice, or no hash
    expected = hmac.new(_secret_key(bot_token), _check_string(fields).encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, fields["hash"]):
        raise Refused("bad_signature")
    try:
        signed_at = datetime.fromtimestamp(int(fields.get("auth_date", "")), tz=timezone.utc)
        user = json.loads(fields.get("user", ""))
        user_id = int(user["id"])
    except (ValueError, TypeError, KeyError, OverflowError, OSError):
        raise Refused("malformed") from None
    if now - signed_at > max_age:
        raise Refused("expired")
    if signed_at - now > timedelta(minutes=5):
        raise Refused("from_the_future")
    language = user.get("language_code")
    return TelegramUser(id=user_id, language_code=language if isinstance(language, str) else None)


def _session_key(bot_token: str) -> bytes:
    return hmac.new(b"binome-web-session", bot_token.encode("utf-8"), hashlib.sha256).digest()


def _mac(bot_token: str, text: str) -> str:
    return hmac.new(_session_key(bot_token), text.encode("utf-8"), hashlib.sha256).hexdigest()


def new_session(participant_id: int, *, bot_token: str, now: datetime,
                lifetime: timedelta = SESSION_LIFETIME) -> str:
    body = f"{participant_id}.{int((now + lifetime).timestamp())}.{secrets.token_urlsafe(12)}"
    return f"{body}.{_mac(bot_token, body)}"


def session_participant(cookie: str | None, *, bot_token: str, now: datetime) -> int:
    """The participant id a session cookie stands for, or Refused (none, forged, expired)."""
    if not cookie or len(cookie) > 200:
        raise Refused("no_session")
    body, _, mac = cookie.rpartition(".")
    if not body or not hmac.compare_digest(_mac(bot_token, body), mac):
        raise Refused("bad_session")
    try:
        participant_id, expires, _nonce = body.split(".")
        if datetime.fromtimestamp(int(expires), tz=timezone.utc) <= now:
            raise Refused("session_expired")
        return int(participant_id)
    except ValueError:
        raise Refused("bad_session") from None


def csrf_token(cookie: str, *, bot_token: str) -> str:
    return _mac(bot_token, "csrf:" + cookie)


def csrf_ok(cookie: str, token: str | None, *, bot_token: str) -> bool:
    return bool(token) and hmac.compare_digest(csrf_token(cookie, bot_token=bot_token), str(token))
