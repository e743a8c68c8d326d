"""One card per binôme in the coordinator's chat, edited in place (issue 18), as Claire lives it through the
local Bot API: a second sign edits the card and a short notice replies to it; a level higher at the same
severity is a silent edit; what she took in hand is not reminded; one reminder a binôme a period; a card
she deleted is sent anew."""
from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from storage.models import Alert, AlertStatus, CheckIn, CheckInStatus, OutboundMessage, Role
from tests.test_alerts import seed
from tests.test_meetings import tap


def _concern(session, ids, now) -> None:
    """Marc says "I have a concern" in his check-in: a new kind of sign on the binôme."""
    with session() as s:
        s.add(CheckIn(binome_id=ids["binome"], participant_id=ids["mentor"], role=Role.MENTOR, period="x",
                      due_at=now - timedelta(hours=1), status=CheckInStatus.ANSWERED, concern=True,
                      answered_at=now - timedelta(hours=1), created_at=now))


def _about_alerts(user) -> list:
    """What Claire received about alerts: cards and notices (not the Monday digest)."""
    return [m for m in user.messages if not m.text.startswith("📊")]


async def test_a_second_sign_edits_the_card_in_place_and_only_what_changes_what_to_do_rings(harness, session, clock):
    ids, users = seed(harness, session, clock, started_days_ago=20)  # no first meeting after 20 days
    claire = users["claire"]
    await harness.tick()
    [card] = _about_alerts(claire)
    assert card.text.startswith("🟠 Medium · No first meeting · binôme B01")
    await tap(claire, card, "I'm on it")

    clock.advance(minutes=20)
    _concern(session, ids, clock.now())
    await harness.tick()
    card_now, notice = _about_alerts(claire)
    assert card_now is card and card.edited  # the same message, rewritten: both signs on it
    assert "No first meeting" in card.text and "Marc Dubois (mentor) has a concern about the binôme" in card.text
    assert "🙋 Taken in hand by Claire." in card.text  # what she took in hand stays so
    assert notice.text == "🆕 A new sign on this binôme.\n🟠 Medium · Mentor's concern · binôme B01 (Marc Dubois / " \
                          "Amina Benali)"
    assert notice.reply_to_message_id == card.message_id and notice.button_texts == []
    assert card.button_texts == ["🙋 I'm on it", "🟠 No first meeting", "🟠 Mentor's concern", "📋 Show the binôme"]
    await tap(claire, card, "🙋 I'm on it")  # takes in hand what the card shows
    assert "🙋 I'm on it" not in card.button_texts
    with session() as s:
        assert {a.status for a in s.exec(select(Alert)).all()} == {AlertStatus.ACKNOWLEDGED}

    edits = card.edited
    for _ in range(9):  # day 28: no first meeting grows a level, still medium: a silent edit, and no reminder
        clock.advance(days=1)
        await harness.tick()
    with session() as s:
        first = s.exec(select(Alert).where(Alert.signal == "no_first_meeting")).one()
        assert (first.level, first.severity, first.status) == (2, "medium", AlertStatus.ACKNOWLEDGED)
    assert _about_alerts(claire) == [card, notice]  # nothing new in her chat: no reminder, no "worse"
    assert card.edited == edits + 1 and "(28 days ago)" in card.text


async def test_a_coordinator_who_does_nothing_gets_one_reminder_a_binome_a_period(harness, session, clock):
    """Two signs told 10 hours apart: before, a reminder for each, 10 hours apart; now one, for the card."""
    ids, users = seed(harness, session, clock, started_days_ago=20)
    claire = users["claire"]
    await harness.tick()
    clock.advance(hours=10)
    _concern(session, ids, clock.now())
    await harness.tick()
    for _ in range(20):  # five days, nobody presses anything
        clock.advance(hours=6)
        await harness.tick()
    reminders = [m for m in claire.messages if m.text.startswith("⏰ Reminder")]
    assert len(reminders) == 1, [m.text for m in reminders]
    assert reminders[0].reply_to_message_id == _about_alerts(claire)[0].message_id
    with session() as s:
        assert all(a.renotified_at is not None for a in s.exec(select(Alert)).all())


async def test_a_card_that_cannot_be_edited_is_sent_as_a_new_message(harness, session, clock):
    ids, users = seed(harness, session, clock, started_days_ago=20)
    claire = users["claire"]
    await harness.tick()
    [card] = _about_alerts(claire)
    harness.server.world.chat(claire.id).bot_messages[card.message_id].deleted = True  # Claire deleted it
    clock.advance(minutes=20)
    _concern(session, ids, clock.now())
    await harness.tick()
    [_, again] = _about_alerts(claire)
    assert again.reply_to_message_id is None and not again.text.startswith("🆕")  # the card itself, anew
    assert "No first meeting" in again.text and "has a concern" in again.text
    with session() as s:
        edit = s.exec(select(OutboundMessage).where(OutboundMessage.edits_id.is_not(None))).one()
        assert edit.sent_at is not None and edit.telegram_message_id == again.message_id
    await tap(claire, again, "🙋 I'm on it")  # the new message is the card now: pressed, it shows the binôme
    assert "🙋 Taken in hand by Claire." in again.text and "has a concern" in again.text
