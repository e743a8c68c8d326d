"""The outbox's rows: messages the bot will send on its own.

A feature writes an OutboundMessage in the same transaction as the change that causes it, with an
idempotency key, so the same logical message can never be queued twice. Each kind of message is
declared here, by the storage module that queues it, with how late it is still useful and whether it
still applies at send time; `bot.sender` renders and delivers the rows, and the conversations register
how each kind is written (`bot.sender.renderer`).

Each kind has a priority: what a person must hear now (URGENT) goes before the rest (NORMAL), and the
rest before the fan-outs (BULK); the due rows are taken in (priority, due_at, id) order, by the partial
index `ix_outbound_message_pending`, which holds only the rows still to send. A sender claims the rows it
takes (`claim_due`) for a lease, so several senders on PostgreSQL never take the same row.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, or_, select

from storage.models import Binome, BinomeStatus, CheckIn, Meeting, OutboundMessage, Participant, Programme

GIVE_UP_AFTER = timedelta(hours=6)  # transient failures: retried with backoff until then
MAX_ATTEMPTS = 12
URGENT, NORMAL, BULK = 0, 1, 2  # OutboundMessage.priority: lower goes first

Relevance = Callable[[Session, OutboundMessage], bool]


@dataclass(frozen=True)
class Kind:
    max_delay: timedelta  # sent later than this after its due time, it is no longer useful
    relevant: Relevance | None = None  # asked at send time: False drops it (e.g. a nudge already acted on)
    priority: int = NORMAL
    after_closure: bool = False  # still goes to someone whose binômes have all ended (the goodbye, the evaluation)
    page: bool = False  # carries "Open the table" (the coordinator's page) when WEB_URL is set


KINDS: dict[str, Kind] = {}
ROUND_READERS: list[Callable[[Session, list[CheckIn]], None]] = []


def before_render(reader: Callable[[Session, list[CheckIn]], None]) -> None:
    """Register what reads, for a whole round of rows (`load_round`), what their renderers will ask of the
    check-ins they name, set-wise instead of row by row (storage/checkin_round.py)."""
    if reader not in ROUND_READERS:
        ROUND_READERS.append(reader)


def declare(kind: str, *, max_delay: timedelta = timedelta(days=1), relevant: Relevance | None = None,
            priority: int = NORMAL, after_closure: bool = False, page: bool = False) -> None:
    """Declare a kind of message: how late it may still be sent, whether it still applies when its time
    comes, how soon it goes among what is due (URGENT, NORMAL, BULK), and whether it still reaches a
    mentor or mentee whose binômes have all ended (`after_closure`: only the goodbye and the evaluation).
    `page`: a coordinator's message that carries "Open the table" when the page is set up (WEB_URL).
    Declared once, beside the rule that queues it."""
    if priority not in (URGENT, NORMAL, BULK):
        raise ValueError(f"message kind {kind!r}: priority {priority!r} is not URGENT, NORMAL or BULK")
    declared = Kind(max_delay, relevant, priority, after_closure, page)
    if kind in KINDS and KINDS[kind] != declared:
        raise ValueError(f"message kind {kind!r} declared twice")
    KINDS[kind] = declared


def enqueue(
    *,
    session: Session,
    participant_id: int,
    kind: str,
    key: str,
    due_at: datetime,
    now: datetime,
    params: dict | None = None,
    stale_after: datetime | None = None,
    edits_id: int | None = None,
) -> OutboundMessage | None:
    """Queue a message once per key; returns None when that key is already queued. `edits_id`: the row
    whose message this one rewrites in place (editMessageText), a new message if that cannot be done."""
    if kind not in KINDS:
        raise KeyError(f"message kind {kind!r} is not declared")
    if session.exec(select(OutboundMessage.id).where(OutboundMessage.idempotency_key == key)).first():
        return None
    message = OutboundMessage(participant_id=participant_id, kind=kind, params=params or {}, idempotency_key=key,
                              due_at=due_at, stale_after=stale_after or due_at + KINDS[kind].max_delay,
                              created_at=now, priority=KINDS[kind].priority, edits_id=edits_id)
    session.add(message)
    return message


def cancel(*, session: Session, key_prefix: str, now: datetime, reason: str) -> int:
    """Drop the queued, unsent messages whose key starts with `key_prefix` (e.g. a moved meeting's
    reminders); returns how many."""
    pending = session.exec(
        select(OutboundMessage)
        .where(col(OutboundMessage.idempotency_key).startswith(key_prefix, autoescape=True))
        .where(col(OutboundMessage.sent_at).is_(None), col(OutboundMessage.dropped_at).is_(None))
    ).all()
    for message in pending:
        drop(message, now, reason)
        session.add(message)
    return len(pending)


def _due(now: datetime):
    """The rows due now and not claimed by a live sender, in the order they go. The first condition is
    the partial index's own, so both SQLite and PostgreSQL walk only the rows still to send."""
    return (
        select(OutboundMessage.id)
        .where(col(OutboundMessage.sent_at).is_(None), col(OutboundMessage.dropped_at).is_(None))
        .where(OutboundMessage.due_at <= now)
        .where(or_(col(OutboundMessage.next_attempt_at).is_(None), OutboundMessage.next_attempt_at <= now))
        .order_by(OutboundMessage.priority, OutboundMessage.due_at, OutboundMessage.id)
    )


def due_messages(*, session: Session, now: datetime, limit: int) -> list[tuple[int, int | None]]:
    """(message id, recipient's chat id) of what is due now, urgent first, then oldest first (claims
    not considered: see `claim_due` for sending)."""
    ids = list(session.exec(_due(now).limit(limit)).all())
    chats = dict(session.exec(
        select(OutboundMessage.id, Participant.telegram_chat_id)
        .join(Participant, Participant.id == OutboundMessage.participant_id)
        .where(col(OutboundMessage.id).in_(ids))).all()) if ids else {}
    return [(message_id, chats.get(message_id)) for message_id in ids]


def claim_due(*, session: Session, now: datetime, limit: int, worker: str, lease: timedelta) -> list[int]:
    """Take up to `limit` due rows for `worker` until `now + lease`, in the order they go: rows nobody
    holds, or whose holder's lease ran out (it died). On PostgreSQL the rows are locked with SKIP LOCKED
    while they are claimed, so two senders claiming at once get disjoint rows. SQLite has one process
    (a second `binome run` refuses to start), so a claim by another worker id is a dead process's.
    Committed with the session; the ids, in order."""
    query = _due(now).limit(limit)
    free = or_(col(OutboundMessage.claimed_until).is_(None), OutboundMessage.claimed_until <= now)
    if session.get_bind().dialect.name == "postgresql":
        query = query.where(free).with_for_update(skip_locked=True)
    else:
        query = query.where(or_(free, OutboundMessage.claimed_by != worker))
    ids = list(session.exec(query).all())
    if ids:
        session.execute(update(OutboundMessage).where(col(OutboundMessage.id).in_(ids))
                     .values(claimed_by=worker, claimed_until=now + lease))
    return ids


def load_round(*, session: Session, ids: list[int]) -> tuple[dict[int, OutboundMessage], dict[int, Participant],
                                                             dict[int, Programme]]:
    """A round's rows, recipients and programmes in a few queries, and what their renderers and relevance
    checks will ask for (the check-ins, meetings and binômes named in their params, the people of those
    binômes) loaded into the session at once, so that those `session.get`s cost no query."""
    messages = {m.id: m for m in session.exec(select(OutboundMessage).where(col(OutboundMessage.id).in_(ids)))}
    params = [m.params or {} for m in messages.values()]

    def named(key: str) -> set[int]:
        return {value for p in params if isinstance(value := p.get(key), int)}

    def load(model, wanted: set[int]) -> list:
        return list(session.exec(select(model).where(col(model.id).in_(wanted)))) if wanted else []

    checkins = load(CheckIn, named("checkin_id"))
    meetings = load(Meeting, named("meeting_id"))
    binomes = load(Binome, named("binome_id") | {c.binome_id for c in checkins} | {m.binome_id for m in meetings})
    people = {p.id: p for p in load(Participant, {m.participant_id for m in messages.values()} | named("participant_id")
                                    | {b.mentor_id for b in binomes} | {b.mentee_id for b in binomes})}
    programmes = {p.id: p for p in load(Programme, {p.programme_id for p in people.values()})}
    session.info["outbox_round"] = checkins + meetings + binomes  # the identity map holds rows weakly
    for reader in ROUND_READERS:
        reader(session, checkins)
    return messages, people, programmes


def ended(*, session: Session, participant_ids: set[int]) -> set[int]:
    """Of these people, the mentors and mentees whose binômes have all ended (at least one closed, none
    open or paused): the sender gives them only the kinds declared `after_closure`. One query per round."""
    if not participant_ids:
        return set()
    closed, live = set(), set()
    for mentor_id, mentee_id, status in session.exec(
            select(Binome.mentor_id, Binome.mentee_id, Binome.status)
            .where(or_(col(Binome.mentor_id).in_(participant_ids), col(Binome.mentee_id).in_(participant_ids)))):
        (closed if status == BinomeStatus.CLOSED else live).update({mentor_id, mentee_id} & participant_ids)
    return closed - live


def extend_claims(*, session: Session, ids: list[int], worker: str, until: datetime) -> None:
    """Keep holding rows still being sent (a long round: per-chat pacing, a slow answer, a 429)."""
    if ids:
        session.execute(update(OutboundMessage).where(col(OutboundMessage.id).in_(ids))
                     .where(OutboundMessage.claimed_by == worker, col(OutboundMessage.sent_at).is_(None))
                     .values(claimed_until=until))


def _unclaim(message: OutboundMessage) -> None:
    message.claimed_by = message.claimed_until = None


def drop(message: OutboundMessage, now: datetime, reason: str) -> None:
    message.dropped_at = now
    message.error = reason[:200]
    _unclaim(message)


def mark_sent(message: OutboundMessage, now: datetime, telegram_message_id: int) -> None:
    message.sent_at = now
    message.attempts += 1
    message.error = None
    message.telegram_message_id = telegram_message_id
    _unclaim(message)


_SENT = (update(OutboundMessage).where(col(OutboundMessage.id) == bindparam("b_id"))
         .values(sent_at=bindparam("b_at", type_=OutboundMessage.__table__.c.sent_at.type),
                 attempts=OutboundMessage.attempts + 1, error=None, telegram_message_id=bindparam("b_telegram_id"),
                 claimed_by=None, claimed_until=None))


def record_sent(*, connection: Connection, sent: list[tuple[int, datetime, int]]) -> None:
    """`mark_sent` for (message id, when, Telegram's id) rows, in one statement on a connection, without
    loading them (the sender's hot path)."""
    if sent:
        connection.execute(_SENT, [{"b_id": message_id, "b_at": at, "b_telegram_id": telegram_id}
                                   for message_id, at, telegram_id in sent])


def backoff(attempts: int) -> timedelta:
    """5 s, 10 s, 20 s … capped at 10 minutes."""
    return timedelta(seconds=min(5 * 2 ** max(0, attempts - 1), 600))


def retry_later(message: OutboundMessage, now: datetime, reason: str, *,
                delay: timedelta | int | float | None = None, count: bool = True) -> bool:
    """Plan another attempt; False when it is given up (too old, or too many attempts)."""
    if count:
        message.attempts += 1
    if now - message.due_at >= GIVE_UP_AFTER or message.attempts >= MAX_ATTEMPTS:
        drop(message, now, f"gave up after {message.attempts} attempts: {reason}")
        return False
    if isinstance(delay, int | float):
        delay = timedelta(seconds=delay)
    message.error = reason
    message.next_attempt_at = now + (delay or backoff(message.attempts))
    _unclaim(message)
    return True
