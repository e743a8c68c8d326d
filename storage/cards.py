"""The coordinator's card of a binôme: one message per binôme in each coordinator's chat, edited in place
(issue 18). Plain functions, no Telegram.

The card shows the binôme's live alerts. Its outbox rows are of kind "alert", keyed
`card:<binôme id>:<coordinator id>:…`, with params `binome_id`, `alert_id` (the alert the row was queued
for), `alert_ids` (every alert the card has shown, cumulative), `which` (why: new, worse, unsnoozed,
renotify, escalate, again, update), `at`, and for an edit `notices` (the loud changes it tells, each
[which, alert id, at], in order; empty: a silent edit). A coordinator's latest row not dropped
is their card of the binôme; it is live while one of the alerts it shows is live. When an alert is to be told:

- no live card: a new card, a new message;
- a live card still to send: it is brought up to date (it is rendered at send time, so it will show the
  facts of then), nothing more is queued;
- a live card already sent: an edit row (`OutboundMessage.edits_id`) rewrites it in place. A change that
  changes what to do (a new sign, graver, a reminder, a snooze over, asked again, sent on to the backup)
  carries a short notice that replies to the card (`notices`), so the coordinator notices; the rest
  (`which="update"`: a level higher at the same severity, a coordinator's press on another message) is a
  silent edit, sent at once since an edit makes no sound.
"""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage import outbox
from storage.models import Alert, AlertStatus, OutboundMessage, Participant, ParticipantStatus

LIVE = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.SNOOZED)
SILENT = "update"  # the card follows the facts, nobody is called


def prefix(binome_id: int, coordinator_id: int | None = None) -> str:
    return f"card:{binome_id}:" + (f"{coordinator_id}:" if coordinator_id is not None else "")


def rows(session: Session, binome_id: int, coordinator_id: int | None = None) -> list[OutboundMessage]:
    """The binôme's card rows not dropped (of one coordinator, or all), oldest first."""
    return list(session.exec(select(OutboundMessage)
                             .where(col(OutboundMessage.idempotency_key).startswith(prefix(binome_id, coordinator_id),
                                                                                    autoescape=True),
                                    col(OutboundMessage.dropped_at).is_(None))
                             .order_by(OutboundMessage.id)).all())


def alert_ids(message: OutboundMessage) -> set[int]:
    params = message.params or {}
    return set(params.get("alert_ids") or [params["alert_id"]])


def live_ids(session: Session, ids: set[int]) -> set[int]:
    if not ids:
        return set()
    return set(session.exec(select(Alert.id).where(col(Alert.id).in_(sorted(ids)), col(Alert.status).in_(list(LIVE)))))


def tell(*, session: Session, alert: Alert, coordinator_id: int, which: str, now: datetime, due_at: datetime,
         at: datetime | None = None) -> OutboundMessage | None:
    """Tell one coordinator of this alert on their card of the binôme (see the module's rules); the row
    written or brought up to date, or None (a silent update with no card showing the alert)."""
    chain = rows(session, alert.binome_id, coordinator_id)
    card = chain[-1] if chain else None
    shown = alert_ids(card) if card is not None else set()
    loud = which != SILENT
    params = {"binome_id": alert.binome_id, "alert_id": alert.id, "which": which, "at": (at or now).isoformat()}
    key = f"{prefix(alert.binome_id, coordinator_id)}{now:%Y%m%dT%H%M%S}:{which}:{alert.id}"
    if card is None or not (live_ids(session, shown) if loud else alert.id in shown):
        if not loud:
            return None
        binome_live = session.exec(select(Alert.id).where(Alert.binome_id == alert.binome_id,
                                                          col(Alert.status).in_(list(LIVE)))).all()
        params["alert_ids"] = sorted(set(binome_live) | {alert.id})
        return outbox.enqueue(session=session, participant_id=coordinator_id, kind="alert", now=now, key=key,
                              due_at=due_at, params=params)
    ids = sorted(shown | {alert.id})
    held = card.claimed_until is not None and card.claimed_until > now  # being sent right now
    if card.sent_at is None and card.telegram_message_id is None and not held:
        updated = dict(card.params, alert_ids=ids)
        said = [which, alert.id, params["at"]]
        if loud and card.edits_id is not None and said[:2] not in [n[:2] for n in updated["notices"]]:
            updated["notices"] = [*updated["notices"], said]  # a pending edit: it tells this change too
            if due_at > card.due_at:
                card.due_at, card.stale_after = due_at, due_at + outbox.KINDS["alert"].max_delay
        card.params = updated
        session.add(card)
        return card
    return outbox.enqueue(session=session, participant_id=coordinator_id, kind="alert", now=now, key=key + ":edit",
                          due_at=due_at if loud else now,
                          params=dict(params, alert_ids=ids, notices=[[which, alert.id, params["at"]]] if loud else []),
                          edits_id=card.id)


def can_receive(participant: Participant) -> bool:
    return participant.telegram_chat_id is not None and participant.status == ParticipantStatus.ACTIVE


def coordinators_told(*, session: Session, alert: Alert) -> bool:
    """A card showing this alert reached a coordinator, or is queued for one who can receive it."""
    for message in rows(session, alert.binome_id):
        if alert.id in alert_ids(message):
            if message.sent_at is not None or can_receive(session.get(Participant, message.participant_id)):
                return True
    return False


def card_message_id(*, session: Session, binome_id: int, coordinator_id: int) -> int | None:
    """The Telegram id of the coordinator's card of the binôme, if one was sent."""
    sent = [m for m in rows(session, binome_id, coordinator_id) if m.telegram_message_id is not None]
    return sent[-1].telegram_message_id if sent else None


def cards_sent(*, session: Session, alert: Alert) -> list[tuple[Participant, int, dict]]:
    """The cards in coordinators' chats that show this alert: (coordinator, Telegram message id, the latest
    row's params), for updating them when the alert changes from the coordinator's page."""
    latest: dict[int, OutboundMessage] = {}
    for message in rows(session, alert.binome_id):
        if message.telegram_message_id is not None:
            latest[message.participant_id] = message
    out = []
    for participant_id, message in latest.items():
        participant = session.get(Participant, participant_id)
        if alert.id in alert_ids(message) and participant is not None and participant.telegram_chat_id is not None:
            out.append((participant, message.telegram_message_id, message.params or {}))
    return out
