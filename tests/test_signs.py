"""Issue 18's points, each as the people live it through the local Bot API (or, for a rule, on its own):
the digest caught up after an outage, quiet hours checked at send time, the mentor told first, no
false alert from a forgotten confirmation or a single 5 → 3, a falling mood caught by its trend, and
the coordinator not told again of what they already took in hand."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlmodel import select

from storage import alerts as alert_rules
from storage.models import Alert, CheckIn, CheckInStatus, Meeting, MeetingStatus, OutboundMessage, Role
from tests.test_alerts import seed, texts


async def test_the_monday_digest_is_caught_up_after_an_outage_over_its_hour(harness, session, clock):
    ids, users = seed(harness, session, clock, started_days_ago=20)  # no first meeting: something to say
    claire = users["claire"]
    clock.set(datetime(2026, 9, 13, 12, tzinfo=timezone.utc))  # Sunday: the alert, no digest
    await harness.tick()
    assert not any("Monday summary" in t for t in texts(claire))
    clock.set(datetime(2026, 9, 14, 9, 30, tzinfo=timezone.utc))  # Monday 11:30: down from 07:00 to 11:30
    await harness.tick()
    assert len([t for t in texts(claire) if "Monday summary" in t]) == 1
    clock.advance(hours=3)
    await harness.tick()
    clock.set(datetime(2026, 9, 16, 9, tzinfo=timezone.utc))  # Wednesday: past the catch-up, one a week
    await harness.tick()
    assert len([t for t in texts(claire) if "Monday summary" in t]) == 1


async def test_quiet_hours_are_checked_again_when_a_message_is_sent(harness, session, clock):
    ids, users = seed(harness, session, clock, started_days_ago=20)
    claire = users["claire"]
    clock.set(datetime(2026, 9, 7, 16, tzinfo=timezone.utc))  # Monday 18:00 in Brussels
    with session() as s:  # the scan queued a card for 18:00, then the bot went down
        alert = Alert(programme_id=ids["programme"], binome_id=ids["binome"], signal="no_first_meeting",
                      severity="medium", level=1, facts={"started_on": "2026-08-18", "days": 20, "next_planned": None},
                      status="open", opened_at=clock.now())
        s.add(alert)
        s.flush()
        alert_rules.notify(session=s, alert=alert, now=clock.now())
    clock.set(datetime(2026, 9, 7, 21, 30, tzinfo=timezone.utc))  # back at 23:30: night in Brussels
    await harness.tick()
    assert texts(claire) == []
    with session() as s:
        card = s.exec(select(OutboundMessage).where(OutboundMessage.kind == "alert")).one()
        assert card.sent_at is None and card.dropped_at is None and card.attempts == 0
        assert card.next_attempt_at == datetime(2026, 9, 8, 6, tzinfo=timezone.utc)  # 08:00 in Brussels
    clock.set(datetime(2026, 9, 8, 6, 5, tzinfo=timezone.utc))
    await harness.tick()
    assert texts(claire)[0].startswith("🟠 Medium · No first meeting"), texts(claire)


async def test_taken_in_hand_a_sign_that_drags_on_is_not_sent_again_until_it_gets_graver(harness, session, clock):
    """Issue 18: "no recent meeting" grew a level every 15 days and each level was a new card, even after
    "I'm on it". Now a higher level of the same severity is recorded quietly; high is worth a card."""
    ids, users = seed(harness, session, clock, started_days_ago=40)
    claire = users["claire"]
    with session() as s:
        s.add(Meeting(binome_id=ids["binome"], starts_at=clock.now() - timedelta(days=23), status=MeetingStatus.HELD,
                      proposed_by=ids["mentor"], created_at=clock.now()))
        s.add(CheckIn(binome_id=ids["binome"], participant_id=ids["mentee"], role=Role.MENTEE, period="x",
                      due_at=clock.now() - timedelta(days=1), status=CheckInStatus.ANSWERED, mood=4,
                      answered_at=clock.now() - timedelta(days=1), created_at=clock.now()))
    await harness.tick()
    cards = [m for m in claire.messages if "No recent meeting" in (m.text or "")]
    assert len(cards) == 1 and cards[0].text.startswith("🟠 Medium")
    await claire.callback_answer(await claire.press(cards[0], text="I'm on it"))
    await harness.server.settle()
    for _ in range(15):  # 15 days more: a whole interval, level 2, still medium
        clock.advance(days=1)
        await harness.tick()
    with session() as s:
        alert = s.exec(select(Alert).where(Alert.signal == "no_meeting")).one()
        assert (alert.level, alert.severity, alert.status) == (2, "medium", "acknowledged")
    assert len([m for m in claire.messages if "No recent meeting" in (m.text or "")]) == 1
    for _ in range(8):  # three intervals without a meeting: high, and the card comes again
        clock.advance(days=1)
        await harness.tick()
    again = [m.text for m in claire.messages if "No recent meeting" in (m.text or "")][1:]
    assert len(again) == 1 and again[0].startswith("⬆️ This alert has got worse.\n🔴 High")


async def test_a_coordinator_who_does_not_act_gets_one_reminder_a_binome_not_one_a_card(harness, session, clock):
    """Issue 18: 128 reminders in 12 weeks, one for every card. Now one a binôme, its gravest alert."""
    ids, users = seed(harness, session, clock, started_days_ago=20)
    claire = users["claire"]
    with session() as s:
        s.add(CheckIn(binome_id=ids["binome"], participant_id=ids["mentor"], role=Role.MENTOR, period="x",
                      due_at=clock.now() - timedelta(days=2), status=CheckInStatus.ANSWERED, concern=True,
                      answered_at=clock.now() - timedelta(days=2), created_at=clock.now()))
    await harness.tick()
    [card] = [m for m in claire.messages if " · " in m.text]  # one card for the binôme, both signs on it
    assert "Mentor's concern" in card.text and "No first meeting" in card.text
    for _ in range(7):  # 49 hours, nobody presses anything
        clock.advance(hours=7)
        await harness.tick()
    reminders = [m for m in claire.messages if "Reminder" in m.text]
    assert len(reminders) == 1 and "No first meeting" in reminders[0].text  # both medium: the older one
    assert reminders[0].reply_to_message_id == card.message_id  # a notice replying to the card
    with session() as s:
        assert all(a.renotified_at is not None for a in s.exec(select(Alert)).all())  # both reminded, once


async def test_a_warning_due_at_once_at_night_is_not_held_until_the_morning(harness, session, clock):
    """The send-time check holds what is late, not what was meant for now: Amina says at 23:00 that she cannot
    come to tomorrow's meeting, and Marc is warned at once, as she was told."""
    from tests.test_meetings import plan_meeting, seed as seed_pair, tap

    _, _, marc, amina = seed_pair(harness, session, clock)
    await plan_meeting(marc, "jeu. 10 sept.", "17:00")
    await harness.tick()
    await tap(amina, await amina.wait_for_message(), "Accepter")
    await harness.tick()
    marc.skip_to_end()
    amina.skip_to_end()
    clock.set(datetime(2026, 9, 9, 21, 0, tzinfo=timezone.utc))  # 23:00 in Brussels, the night before
    await amina.send("/absent")
    question = await amina.wait_for_message()
    await tap(amina, question, "Entretien d'embauche")
    assert "Je préviens Marc tout de suite" in question.text
    clock.advance(seconds=30)
    await harness.tick()
    assert (await marc.wait_for_message()).text.startswith("⚠️ Amina, votre mentoré, ne peut pas venir")
