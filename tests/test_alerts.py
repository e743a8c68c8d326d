"""Warning signs as coordinators, mentors and mentees live them: the ladder, alert buttons, /alerts,
the Monday digest, "I need help" / "I want to stop", privacy and the wall between programmes."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlmodel import select

from storage.models import (ActionStatus, Alert, AlertStatus, AuditLog, Binome, CheckIn, CheckInPause, CheckInStatus,
                            Meeting, MeetingStatus, PlanAction, Role, SupportRequest)
from tests.factories import link, make_pair, make_participant, make_programme
from tests.test_meetings import tap


def seed(harness, session, clock, *, name="MentorYou Bruxelles", label="B01", started_days_ago=0, options=None,
         backup=False, mentor="Marc", mentee="Amina", coordinator="Claire"):
    """An English-speaking pair and coordinator (and a backup coordinator) linked to simulated phones."""
    started = clock.now() - timedelta(days=started_days_ago)
    with session() as s:
        programme = make_programme(s, started, name=name)
        mentor_p, mentee_p, binome = make_pair(s, programme, started, mentor=mentor, mentee=mentee, label=label)
        claire = make_participant(s, programme, started, Role.COORDINATOR, coordinator, "Martin")
        people = {"mentor": mentor_p, "mentee": mentee_p, "claire": claire}
        if backup:
            people["bob"] = make_participant(s, programme, started, Role.COORDINATOR, "Bob", "Backup")
        users = {}
        for key, person in people.items():
            users[key] = harness.server.user(first_name=person.first_name, language_code="en")
            link(person, users[key], started, "en")
        programme.options = dict(options or {}, **({"backup_coordinator_id": people["bob"].id} if backup else {}))
        s.add(programme)
        s.flush()
        ids = {key: person.id for key, person in people.items()} | {"binome": binome.id, "programme": programme.id}
    return ids, users


def texts(user) -> list[str]:
    return [m.text for m in user.messages]


# ---------------------------------------------------------------- the ladder over six weeks

async def test_a_drifting_mentee_over_six_weeks_climbs_the_whole_ladder(harness, session, clock):
    """Real check-ins (conversations.checkins) go unanswered: nudge, the mentor's soft warning, the
    coordinator's alert, re-notified after 48 h, then the backup coordinator; graver, it alerts again."""
    ids, users = seed(harness, session, clock, backup=True)
    with session() as s:  # the mentor is away: this story is about the mentee
        s.add(CheckInPause(participant_id=ids["mentor"], until=date(2026, 12, 31), created_at=clock.now()))
    events = []  # (when, who, text)
    seen = {key: 0 for key in users}
    for _ in range(6 * 7 * 4):  # six weeks, a tick every 6 hours
        await harness.tick()
        for key, user in users.items():
            for message in user.messages[seen[key]:]:
                events.append((clock.now(), key, message.text))
            seen[key] = len(user.messages)
        clock.advance(hours=6)

    def first(who, needle):
        return next(((at, text) for at, key, text in events if key == who and needle in text), (None, None))

    nudges = [at for at, key, text in events if key == "mentee" and "we missed you at the last check-in" in text]
    soft_at, soft = first("mentor", "has not answered the last check-in")
    alert_at, alert = first("claire", "has missed 2 check-ins in a row")
    reminder_at, _ = first("claire", "⏰ Reminder: nobody has taken this alert in hand yet.")
    escalated_at, escalated = first("bob", "Sent to you as the backup coordinator")
    worse_at, worse = first("claire", "⬆️ This alert has got worse.")
    with session() as s:
        missed = s.exec(select(CheckIn).where(CheckIn.participant_id == ids["mentee"],
                                              CheckIn.status == CheckInStatus.MISSED).order_by(CheckIn.due_at)).all()
        assert len(missed) >= 4, [c.status for c in s.exec(select(CheckIn)).all()]
    assert len(nudges) == 1 and missed[0].missed_at <= nudges[0] < missed[1].missed_at  # kind, once
    # The mentor hears at the first miss (issue 18's defaults, mentor_warning_after 1), a week before the coordinator.
    assert soft.startswith("Amina, your mentee, has not answered the last check-in. You may want to reach out")
    assert missed[0].missed_at <= soft_at < missed[1].missed_at
    assert alert.startswith("🟠 Medium · Missed check-ins · binôme B01 (Marc Dubois / Amina Benali)")
    assert soft_at < alert_at and missed[1].missed_at <= alert_at <= missed[1].missed_at + timedelta(hours=18)
    assert reminder_at - alert_at >= timedelta(hours=48) and reminder_at - alert_at <= timedelta(hours=66)
    assert escalated_at - reminder_at >= timedelta(hours=48) and "has missed 2 check-ins in a row" in escalated
    # 3 in a row is recorded quietly (still medium: nothing more to do); 4 is high, and that is worth a notice
    # that replies to the card, itself edited in place: one card for the binôme (issue 18).
    assert first("claire", "has missed 3 check-ins in a row") == (None, None)
    assert worse == "⬆️ This alert has got worse.\n🔴 High · Missed check-ins · binôme B01 (Marc Dubois / Amina Benali)"
    assert worse_at >= missed[3].missed_at
    the_card = next(m for m in users["claire"].messages if m.text.startswith("🔴 High · Missed check-ins"))
    assert the_card.edited and "has missed 4 check-ins in a row" in "".join(the_card.history + [the_card.text])
    assert [m for m in users["claire"].messages if m.reply_to_message_id == the_card.message_id]
    # Bob, the backup, hears only what was escalated to him; nobody hears the same thing twice in a row.
    assert all("backup coordinator" in text for _, key, text in events if key == "bob" and "Missed check-ins" in text)
    claire_checkin_alerts = [t for _, k, t in events if k == "claire" and "Missed check-ins" in t]
    assert len(claire_checkin_alerts) == len(set(claire_checkin_alerts))
    # Other signs of the same drift reached Claire too, each once: no first meeting, an empty plan.
    # Each is told once by a notice replying to the card, which shows them all.
    assert len([t for _, k, t in events if k == "claire" and "🆕 A new sign on this binôme.\n🟠 Medium · No first "
                                                                  "meeting" in t]) == 1
    assert any(t.startswith("🆕 A new sign on this binôme.\n🟡 Low · Action plan stalled") for _, k, t in events
               if k == "claire")
    assert "The action plan is still empty after" in the_card.text and "No first meeting" in the_card.text
    with session() as s:
        actions = [a.action for a in s.exec(select(AuditLog).where(AuditLog.action.startswith("alert.")))]
        assert {"alert.opened", "alert.renotified", "alert.escalated", "alert.worse"} <= set(actions)


# ---------------------------------------------------------------- buttons, privacy, /alerts

def _arrange_a_pair_with_secrets(session, ids, now):
    with session() as s:
        s.add(PlanAction(binome_id=ids["binome"], title="SECRET-TITLE", category="cv", status=ActionStatus.BLOCKED,
                         blocked_note="SECRET-NOTE", created_by=ids["mentee"], created_at=now - timedelta(days=20),
                         changed_at=now - timedelta(days=15), status_changed_at=now - timedelta(days=15)))
        s.add(CheckIn(binome_id=ids["binome"], participant_id=ids["mentee"], role=Role.MENTEE, period="test-W36",
                      due_at=now - timedelta(days=5), status=CheckInStatus.ANSWERED, mood=1, word="SECRET-WORD",
                      share_with_mentor=True, answered_at=now - timedelta(days=5), created_at=now))
        s.add(CheckIn(binome_id=ids["binome"], participant_id=ids["mentor"], role=Role.MENTOR, period="test-W36",
                      due_at=now - timedelta(days=5), status=CheckInStatus.ANSWERED, concern=True, mood=1,
                      word="Shared-Mentor-Word", share_with_coordinator=True, answered_at=now - timedelta(days=5),
                      created_at=now))


async def test_a_coordinator_acts_on_alerts_by_buttons_and_never_sees_what_was_not_shared(harness, session, clock):
    ids, users = seed(harness, session, clock, started_days_ago=20)
    _arrange_a_pair_with_secrets(session, ids, clock.now())
    claire = users["claire"]
    await harness.tick()
    # Monday 10:00 with the week's check-ins settled: the digest of 08:00 is caught up (issue 18) beside the cards.
    assert [m.text.splitlines()[0] for m in claire.messages if " · " not in m.text] == ["📊 Your Monday summary"]
    # One card for the binôme (issue 18), its three signs gravest first, each with a button to its own card.
    [the_card] = [m for m in claire.messages if " · " in m.text]
    assert [line.split(" · ")[1] for line in the_card.text.splitlines() if " · binôme B01 " in line] == [
        "No first meeting", "Mentor's concern", "Action blocked"]
    assert the_card.button_texts == ["🙋 I'm on it", "🟠 No first meeting", "🟠 Mentor's concern", "🟡 Action blocked",
                                     "📋 Show the binôme"]
    cards = {}
    for name in ("Mentor's concern", "No first meeting", "Action blocked"):
        claire.skip_to_end()
        await tap(claire, the_card, name)
        cards[name] = await claire.wait_for_message()
        assert cards[name].text.startswith("🟠 Medium · " + name if name != "Action blocked" else "🟡 Low · " + name)
    assert cards["Action blocked"].text.splitlines()[1] == "1 action has been blocked since Aug 23 (category: cv)."
    concern = cards["Mentor's concern"].text
    assert "Marc Dubois (mentor) has a concern about the binôme" in concern
    assert "Shared with you: «Shared-Mentor-Word»" in concern  # its writer chose to share it
    assert cards["No first meeting"].button_texts == ["🙋 I'm on it", "✅ Resolved", "💤 Snooze a week",
                                                      "📋 Show the binôme"]
    await tap(claire, cards["No first meeting"], "I'm on it")
    assert cards["No first meeting"].text.endswith("🙋 Taken in hand by Claire.")
    await tap(claire, cards["No first meeting"], "Resolved")
    assert cards["No first meeting"].text.endswith("How was it resolved?")
    assert "📅 Meeting planned" in cards["No first meeting"].button_texts
    await tap(claire, cards["No first meeting"], "Meeting planned")
    assert cards["No first meeting"].text.endswith("✅ Resolved by Claire: 📅 Meeting planned.")
    with session() as s:
        first_id = s.exec(select(Alert.id).where(Alert.signal == "no_first_meeting")).one()
    answer = await claire.callback_answer(await claire.press_data(cards["No first meeting"], f"a:{first_id}:ack"))
    assert answer["text"] == "This button is no longer valid."  # already resolved: nothing changes
    await tap(claire, cards["Action blocked"], "Snooze a week")
    assert "💤 Snoozed until Sep 14." in cards["Action blocked"].text

    claire.skip_to_end()
    await tap(claire, cards["Mentor's concern"], "Show the binôme")
    shown = await claire.wait_for_message()
    assert shown.text.splitlines()[:4] == [
        "📋 Binôme B01: Marc Dubois (mentor) and Amina Benali (mentee)",
        "Started on Aug 18, planned end on Feb 18.",
        "Meetings: 0 held, 0 missed, 0 not confirmed.",
        "Action plan: 0 of 1 actions done, 1 blocked."]
    assert "Check-ins of Amina: 1 answered of 1 (100%)." in shown.text
    assert "Marc shared with you on Sep 2: «Shared-Mentor-Word»" in shown.text
    assert shown.text.endswith("Open alerts: Mentor's concern, Action blocked.")

    await claire.send("/alerts")
    listing = await claire.wait_for_message()
    assert listing.text.splitlines()[0] == "2 open alerts, oldest first:"
    assert "🟡 Low · B01 · Action blocked · 0 days 💤" in listing.text
    await tap(claire, listing, "1 · B01")
    opened = await claire.wait_for_message()
    assert "Mentor's concern" in opened.text and "🙋 I'm on it" in opened.button_texts

    # Nothing ever shown to the coordinator carries what the pair did not share.
    assert all("SECRET" not in text for text in texts(claire))
    with session() as s:
        resolved = s.exec(select(Alert).where(Alert.status == AlertStatus.RESOLVED)).one()
        assert resolved.signal == "no_first_meeting" and resolved.outcome == "meeting_planned"
        assert resolved.acknowledged_by == ids["claire"]
        assert "SECRET" not in repr([a.facts for a in s.exec(select(Alert)).all()])
        audit = s.exec(select(AuditLog).where(AuditLog.action == "alert.resolved")).one()
        assert audit.details["outcome"] == "meeting_planned"
        assert "SECRET" not in repr([a.details for a in s.exec(select(AuditLog)).all()])

    # The resolved sign is still there but no worse: no new alert.
    clock.advance(hours=1)
    before = len(claire.messages)
    await harness.tick()
    assert len(claire.messages) == before


async def test_deduplicated_then_cleared_when_the_sign_goes_away(harness, session, clock):
    ids, users = seed(harness, session, clock, started_days_ago=20)
    claire = users["claire"]
    await harness.tick()
    assert [m.text.split(" · ")[1] for m in claire.messages] == ["No first meeting"]
    for _ in range(3):  # scans again and again: nothing new
        clock.advance(minutes=20)
        await harness.tick()
    assert len(claire.messages) == 1
    with session() as s:
        s.add(Meeting(binome_id=ids["binome"], starts_at=clock.now() - timedelta(hours=3), status=MeetingStatus.HELD,
                      proposed_by=ids["mentor"], created_at=clock.now()))
    clock.advance(minutes=20)
    await harness.tick()
    with session() as s:
        alert = s.exec(select(Alert)).one()
        assert alert.status == AlertStatus.CLEARED
    clock.advance(days=3)  # cleared: no re-notification either
    await harness.tick()
    assert len(claire.messages) == 1


# ---------------------------------------------------------------- the Monday digest

async def test_the_monday_digest_and_nothing_when_there_is_nothing_to_say(harness, session, clock):
    ids, users = seed(harness, session, clock)
    claire = users["claire"]
    clock.set(datetime(2026, 9, 7, 6, 30, tzinfo=timezone.utc))  # Monday 08:30 in Brussels: a quiet new programme
    await harness.tick()
    assert texts(claire) == []
    with session() as s:  # a week of life
        s.add(Meeting(binome_id=ids["binome"], starts_at=datetime(2026, 9, 10, 15, tzinfo=timezone.utc),
                      status=MeetingStatus.HELD, proposed_by=ids["mentor"], created_at=clock.now()))
        for n, status in enumerate((CheckInStatus.ANSWERED, CheckInStatus.MISSED)):
            s.add(CheckIn(binome_id=ids["binome"], participant_id=[ids["mentee"], ids["mentor"]][n],
                          role=[Role.MENTEE, Role.MENTOR][n], period="test-W37",
                          due_at=datetime(2026, 9, 9, 16, tzinfo=timezone.utc), status=status,
                          answered_at=datetime(2026, 9, 9, 17, tzinfo=timezone.utc) if n == 0 else None,
                          missed_at=datetime(2026, 9, 11, 16, tzinfo=timezone.utc) if n else None,
                          created_at=clock.now()))
    clock.set(datetime(2026, 9, 13, 12, tzinfo=timezone.utc))  # Sunday: no digest
    await harness.tick()
    assert not any("Monday summary" in t for t in texts(claire))
    clock.set(datetime(2026, 9, 14, 6, 5, tzinfo=timezone.utc))  # Monday 08:05 in Brussels
    await harness.tick()
    digest = [t for t in texts(claire) if "Monday summary" in t]
    assert digest == ["📊 Your Monday summary\nNo binôme at risk.\nLast week: 1 meetings held, 0 missed.\n"
                      "Check-ins answered last week: 1 of 2 (50%)."]
    clock.advance(minutes=30)
    await harness.tick()
    assert len([t for t in texts(claire) if "Monday summary" in t]) == 1  # one a week


# ---------------------------------------------------------------- "I need help" / "I want to stop"

async def test_i_need_help_and_i_want_to_stop_from_help_alert_the_coordinator_at_once(harness, session, clock):
    ids, users = seed(harness, session, clock)
    amina, marc, claire = users["mentee"], users["mentor"], users["claire"]
    await amina.send("/help")
    help_message = await amina.wait_for_message()
    assert help_message.button_texts == ["🆘 I need help", "✋ I want to stop"]
    await tap(amina, help_message, "I need help")
    assert (await amina.wait_for_message()).text.startswith("I have told your coordinator")
    await tap(amina, help_message, "I need help")  # a double tap is the same request
    assert (await amina.wait_for_message()).text == "Your coordinator already knows. They will contact you soon."
    clock.advance(seconds=30)
    await harness.tick()  # the next tick, not the 15-minute scan
    alert = await claire.wait_for_message()
    assert alert.text.startswith("🔴 High · Asked for help · binôme B01")
    assert "Amina Benali (mentee) asked for your help on Sep 7" in alert.text

    await marc.send("/help")
    await tap(marc, await marc.wait_for_message(), "I want to stop")
    confirm = await marc.wait_for_message()
    assert confirm.text.startswith("Do you want to stop the mentoring?")
    await tap(marc, confirm, "No, carry on")
    assert confirm.text.startswith("Good, nothing changes.")
    await marc.send("/help")
    await tap(marc, await marc.wait_for_message(), "I want to stop")
    confirm = await marc.wait_for_message()
    await tap(marc, confirm, "Yes, tell my coordinator")
    assert confirm.text.startswith("Done: I have told your coordinator")
    clock.advance(seconds=30)
    await harness.tick()
    stop = await claire.wait_for_message()  # a new sign on the binôme: its card is edited, a notice replies to it
    assert stop.text == "🆕 A new sign on this binôme.\n🔴 High · Wants to stop · binôme B01 (Marc Dubois / Amina Benali)"
    assert stop.reply_to_message_id == alert.message_id and alert.edited
    assert "Nothing has been closed." in alert.text and "asked for your help on Sep 7" in alert.text
    assert alert.button_texts == ["🙋 I'm on it", "🔴 Asked for help", "🔴 Wants to stop", "📋 Show the binôme"]
    with session() as s:
        assert [r.kind for r in s.exec(select(SupportRequest).order_by(SupportRequest.id))] == ["help", "stop"]
        assert s.get(Binome, ids["binome"]).status == "active"
    await claire.send("/help")
    assert (await claire.wait_for_message()).button_texts == []  # coordinators have no such buttons


# ---------------------------------------------------------------- one programme never sees another's

async def test_one_programme_never_sees_or_touches_anothers_alerts(harness, session, clock):
    a_ids, a_users = seed(harness, session, clock, started_days_ago=20)
    b_ids, b_users = seed(harness, session, clock, name="Tutorat Lyon", label="L01", started_days_ago=20,
                          mentor="Paul", mentee="Lina", coordinator="Zoe")
    await harness.tick()
    claire, zoe = a_users["claire"], b_users["claire"]
    assert [m.text.split(" · ")[2].split(" (")[0] for m in claire.messages] == ["binôme B01"]
    assert [m.text.split(" · ")[2].split(" (")[0] for m in zoe.messages] == ["binôme L01"]
    with session() as s:
        a_alert = s.exec(select(Alert).where(Alert.programme_id == a_ids["programme"])).one()
    for verb in ("ack", "snz", "out:contacted", "show", "open"):
        answer = await zoe.callback_answer(await zoe.press_data(zoe.messages[0], f"a:{a_alert.id}:{verb}"))
        assert answer["text"] == "This button is no longer valid."
    for data in ("a:999999:ack", f"a:{a_alert.id}:out:bogus", f"a:{a_alert.id}:zap"):  # gone or forged
        answer = await claire.callback_answer(await claire.press_data(claire.messages[0], data))
        assert answer["text"] == "This button is no longer valid."
    a_users["mentor"].skip_to_end()
    await a_users["mentor"].send("/alerts")  # not a coordinator
    assert (await a_users["mentor"].wait_for_message()).text.startswith("This command is for coordinators.")
    await zoe.send("/alerts")
    listing = await zoe.wait_for_message()
    assert "L01" in listing.text and "B01" not in listing.text
    with session() as s:
        assert s.get(Alert, a_alert.id).status == AlertStatus.OPEN
    assert all("Lina" not in m.text and "L01" not in m.text for m in claire.messages)


# ---------------------------------------------------------------- unreachable: one message, one alert

async def test_a_blocked_bot_is_one_alert_told_once_with_its_buttons_and_cleared_when_back(harness, session, clock):
    ids, users = seed(harness, session, clock)
    claire, amina = users["claire"], users["mentee"]
    await amina.block_bot()
    await harness.server.settle()
    await harness.tick()
    notice = claire.messages[-1]
    assert "Amina Benali (mentee, binôme B01) can no longer be reached on Telegram" in notice.text
    assert notice.button_texts == ["🙋 I'm on it", "✅ Resolved", "💤 Snooze a week", "📋 Show the binôme"]
    count = len(claire.messages)
    clock.advance(minutes=20)
    await harness.tick()  # the scan finds the same sign: no second message
    assert len(claire.messages) == count
    await tap(claire, notice, "I'm on it")
    assert notice.text.endswith("🙋 Taken in hand by Claire.")
    await amina.unblock_bot()
    await harness.server.settle()
    await harness.tick()
    assert "can be reached on Telegram again" in claire.messages[-1].text
    with session() as s:
        alert = s.exec(select(Alert).where(Alert.signal == "unreachable")).one()
        assert alert.status == AlertStatus.CLEARED and alert.about_id == ids["mentee"]


async def test_in_french_i_need_help_reaches_the_coordinator_as_a_french_alert(harness, session, clock):
    ids, users = seed(harness, session, clock)
    with session() as s:
        from storage.models import Participant
        for key in ("mentee", "claire"):
            s.get(Participant, ids[key]).language = "fr"
    amina, claire = users["mentee"], users["claire"]
    await amina.send("/help")
    help_message = await amina.wait_for_message()
    assert help_message.button_texts == ["🆘 J'ai besoin d'aide", "✋ Je veux arrêter"]
    await tap(amina, help_message, "J'ai besoin d'aide")
    assert (await amina.wait_for_message()).text.startswith("J'ai prévenu votre coordinateur")
    clock.advance(seconds=30)
    await harness.tick()
    alert = await claire.wait_for_message()
    assert alert.text.startswith("🔴 Élevée · Demande d'aide · binôme B01")


# ---------------------------------------------------------------- asking again

async def test_asking_for_help_again_reaches_the_coordinator_while_open_and_after_a_resolution(harness, session, clock):
    """Amina asks for help; while the alert is live (open, then taken in hand) each new press reaches
    Claire as "asked again"; once Claire has resolved it, the next press is a new request and a new card."""
    ids, users = seed(harness, session, clock)
    amina, claire = users["mentee"], users["claire"]
    await amina.send("/help")
    help_message = await amina.wait_for_message()
    await tap(amina, help_message, "I need help")
    assert (await amina.wait_for_message()).text.startswith("I have told your coordinator")
    clock.advance(seconds=30)
    await harness.tick()
    first = await claire.wait_for_message()
    assert first.text.startswith("🔴 High · Asked for help · binôme B01")

    clock.advance(minutes=10)  # still open: she asks again
    await tap(amina, help_message, "I need help")
    assert (await amina.wait_for_message()).text == ("I have told your coordinator again. They will contact you "
                                                     "soon. You are not alone.")
    await harness.tick()
    again = await claire.wait_for_message()
    assert again.text.splitlines()[0] == "🔁 Amina Benali asked again on Sep 7."
    assert again.text.splitlines()[1].startswith("🔴 High · Asked for help · binôme B01")
    assert again.button_texts == [] and again.reply_to_message_id == first.message_id  # a notice; the card stays one
    assert first.button_texts == ["🙋 I'm on it", "✅ Resolved", "💤 Snooze a week", "📋 Show the binôme"]

    await tap(claire, first, "I'm on it")
    clock.advance(minutes=10)  # taken in hand: asking again still reaches Claire
    await tap(amina, help_message, "I need help")
    assert (await amina.wait_for_message()).text.startswith("I have told your coordinator again.")
    await harness.tick()
    again = await claire.wait_for_message()
    assert again.text.startswith("🔁 Amina Benali asked again on Sep 7.")
    assert first.text.endswith("🙋 Taken in hand by Claire.") and "🙋 I'm on it" not in first.button_texts

    await tap(claire, first, "Resolved")
    await tap(claire, first, "Contacted")
    assert first.text.endswith("✅ Resolved by Claire: 📞 Contacted.")
    clock.advance(hours=2)  # the same day, after the resolution: a new request
    await tap(amina, help_message, "I need help")
    assert (await amina.wait_for_message()).text == ("I have told your coordinator. They will contact you soon. You "
                                                     "are not alone.")
    await harness.tick()
    new = await claire.wait_for_message()
    assert new.text.startswith("🔴 High · Asked for help · binôme B01") and "🔁" not in new.text
    assert new.button_texts == ["🙋 I'm on it", "✅ Resolved", "💤 Snooze a week", "📋 Show the binôme"]
    await tap(amina, help_message, "I need help")  # a double tap within two minutes: one request
    assert (await amina.wait_for_message()).text == "Your coordinator already knows. They will contact you soon."
    clock.advance(minutes=5)
    await harness.tick()
    assert claire.messages[-1] is new  # nothing more
    with session() as s:
        assert len(s.exec(select(SupportRequest)).all()) == 4
        alerts = s.exec(select(Alert).where(Alert.signal == "support_help").order_by(Alert.id)).all()
        assert [a.status for a in alerts] == [AlertStatus.RESOLVED, AlertStatus.OPEN]
        assert {a.action for a in s.exec(select(AuditLog))} >= {"alert.asked_again"}


async def test_a_snoozed_help_alert_still_hears_that_the_mentee_asked_again(harness, session, clock):
    ids, users = seed(harness, session, clock)
    amina, claire = users["mentee"], users["claire"]
    await amina.send("/help")
    help_message = await amina.wait_for_message()
    await tap(amina, help_message, "I need help")
    await harness.tick()
    card = await claire.wait_for_message()
    await tap(claire, card, "Snooze a week")
    clock.advance(days=1)
    await tap(amina, help_message, "I need help")
    amina.skip_to_end()
    await harness.tick()
    again = await claire.wait_for_message()
    assert again.text.startswith("🔁 Amina Benali asked again on Sep 8.") and "💤 Snoozed until" in card.text
    assert again.reply_to_message_id == card.message_id
    with session() as s:
        assert s.exec(select(Alert)).one().status == AlertStatus.SNOOZED  # Claire's choice stands


async def test_nobody_is_said_to_know_when_no_coordinator_can_be_told(harness, session, clock):
    ids, users = seed(harness, session, clock)
    with session() as s:
        from storage.models import Participant, ParticipantStatus
        claire = s.get(Participant, ids["claire"])
        claire.status, claire.unreachable_since = ParticipantStatus.UNREACHABLE, clock.now()  # she blocked the bot
    amina, marc = users["mentee"], users["mentor"]
    honest = ("I could not pass on your request. Right now, I cannot reach any coordinator of your programme. I have "
              "recorded your request. Please contact the team of your programme in another way: by phone, by e-mail "
              "or in person. You are not alone.")
    await amina.send("/help")
    help_message = await amina.wait_for_message()
    await tap(amina, help_message, "I need help")
    assert (await amina.wait_for_message()).text == honest
    await tap(amina, help_message, "I need help")  # the double tap is not told otherwise
    assert (await amina.wait_for_message()).text == honest
    await marc.send("/help")
    await tap(marc, await marc.wait_for_message(), "I want to stop")
    confirm = await marc.wait_for_message()
    await tap(marc, confirm, "Yes, tell my coordinator")
    assert confirm.text == honest
    with session() as s:
        assert [r.kind for r in s.exec(select(SupportRequest).order_by(SupportRequest.id))] == ["help", "stop"]
