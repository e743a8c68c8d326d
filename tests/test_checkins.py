"""Check-ins as a mentee and a mentor live them, through the local Bot API: a few taps, later, away,
reminders, missed, late, changed, shared or not, stale buttons, text and stickers, a restart."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlmodel import select

from bot.app import build_application, running, tick
from storage.models import (ActionStatus, AuditLog, CheckIn, CheckInAnswer, CheckInPause, CheckInStatus, Participant,
                            PlanAction)
from tests.factories import link, make_pair, make_programme

WED_18 = datetime(2026, 9, 9, 16, 0, tzinfo=timezone.utc)  # Wednesday 9 Sept, 18:00 in Brussels
WEEK = timedelta(days=7)


def seed(harness, session, clock, actions: int = 1, options: dict | None = None):
    with session() as s:
        programme = make_programme(s, clock.now())
        programme.options = options or {}
        mentor, mentee, binome = make_pair(s, programme, clock.now())
        marc = harness.server.user(first_name="Marc", language_code="en")
        amina = harness.server.user(first_name="Amina", language_code="en")
        link(mentor, marc, clock.now(), "en")
        link(mentee, amina, clock.now(), "en")
        for n in range(actions):
            s.add(PlanAction(binome_id=binome.id, title=f"Write my CV {n + 1}" if n else "Write my CV",
                             due_on=date(2026, 9, 11 + n), created_by=mentee.id, created_at=clock.now(),
                             changed_at=clock.now(), status_changed_at=clock.now()))
        return mentor.id, mentee.id, marc, amina


async def tap(user, message, text: str):
    await user.callback_answer(await user.press(message, text=text), timeout=10)
    await user.server.settle()


async def first_checkins(harness, clock, marc, amina):
    await harness.tick()  # Monday: the week's check-ins are written
    clock.set(WED_18)
    await harness.tick()
    return await amina.wait_for_message(), await marc.wait_for_message()


def checkin_of(s, participant_id, period="2026-W37") -> CheckIn:
    return s.exec(select(CheckIn).where(CheckIn.participant_id == participant_id, CheckIn.period == period)).one()


async def test_a_weekly_check_in_answered_in_full_in_four_taps(harness, session, clock):
    mentor_id, mentee_id, marc, amina = seed(harness, session, clock)
    msg, mentor_msg = await first_checkins(harness, clock, marc, amina)
    assert msg.text.startswith("👋 Amina, it is time for your check-in! How are you this week?")
    assert msg.button_texts == ["😞", "🙁", "😐", "🙂", "😄", "⏰ Later", "🌴 I'm away…"]
    taps = 0
    await tap(amina, msg, "🙂"); taps += 1
    assert msg.text.startswith("Action 1 of 1: “Write my CV”. It is planned for Fri, Sep 11.")
    await tap(amina, msg, "✅ Done"); taps += 1
    assert msg.text == "Anything to add? Type a word, or tap Skip."
    await tap(amina, msg, "Skip"); taps += 1
    assert msg.text.startswith("Share with your mentor?")
    assert "🆘 I need help" in msg.button_texts and "✋ I want to stop" in msg.button_texts
    await tap(amina, msg, "Done"); taps += 1
    assert taps == 4
    assert msg.text == "Thank you, Amina! See you at the next check-in."
    assert msg.button_texts == ["✏️ Change my answer"]
    with session() as s:
        checkin = checkin_of(s, mentee_id)
        assert (checkin.status, checkin.mood, checkin.step, checkin.late) == (CheckInStatus.ANSWERED, 4, "done", False)
        assert checkin.completed_at == WED_18 and not checkin.share_with_mentor
        assert s.exec(select(PlanAction)).one().status == ActionStatus.DONE
        details = [a.details for a in s.exec(select(AuditLog).where(AuditLog.action.like("checkin.%")))]
        assert all("mood" not in d and 4 not in d.values() for d in details)
    await harness.tick()
    assert "Mood" not in (marc.last_message.text or "")  # nothing shared: the mentor sees no mood

    # The mentor's light check-in, next week: the mentee's progress since the last one.
    marc.skip_to_end()
    clock.set(WED_18 + WEEK)
    await harness.tick()
    amina_next = await amina.wait_for_message()
    assert amina_next.text.startswith("👋 Amina, it is time for your check-in")
    mentor_next = await marc.wait_for_message()
    assert mentor_next.text.startswith("👋 Check-in time: how is the binôme with Amina going?")
    assert "✅ 1 action done: Write my CV" in mentor_next.text
    assert "Mood" not in mentor_next.text


async def test_the_mentor_light_check_in_with_a_word_for_the_coordinator(harness, session, clock):
    mentor_id, mentee_id, marc, amina = seed(harness, session, clock, actions=0)
    _, msg = await first_checkins(harness, clock, marc, amina)
    assert msg.button_texts == ["👍 All fine", "😟 I have a concern", "⏰ Later", "🌴 I'm away…"]
    await tap(marc, msg, "I have a concern")
    assert msg.text.startswith("Anything for the coordinator? Type a word: it goes to the coordinator only")
    assert msg.button_texts == ["Skip", "🆘 I need help", "✋ I want to stop"]
    await marc.send("She seems discouraged")
    reply = await marc.wait_for_message()
    assert reply.text.startswith("Thank you, Marc!") and "passed on to the coordinator" in reply.text
    with session() as s:
        checkin = checkin_of(s, mentor_id)
        assert checkin.concern and checkin.share_with_coordinator and checkin.word == "She seems discouraged"
        assert checkin.status == CheckInStatus.ANSWERED and checkin.step == "done"


async def test_sharing_with_the_mentor_only_what_is_ticked(harness, session, clock):
    mentor_id, mentee_id, marc, amina = seed(harness, session, clock, actions=0)
    msg, _ = await first_checkins(harness, clock, marc, amina)
    marc.skip_to_end()
    await tap(amina, msg, "😄")
    assert msg.text == "Anything to add? Type a word, or tap Skip."
    await amina.send("Got an interview!")
    share = await amina.wait_for_message()
    assert share.button_texts[:3] == ["☐ My mood 😄", "☐ My word", "Done"]
    await tap(amina, share, "My word")
    assert share.button_texts[:2] == ["☐ My mood 😄", "☑ My word"]
    await tap(amina, share, "Done")
    await harness.tick()
    shared = await marc.wait_for_message()
    assert shared.text == "💬 Amina shared this with you from the check-in:\nTheir word: “Got an interview!”"
    assert "😄" not in shared.text  # the mood was not ticked

    # Not sharing at all: the mentor gets nothing the next week.
    marc.skip_to_end()
    clock.set(WED_18 + WEEK)
    await harness.tick()
    msg2 = await amina.wait_for_message()
    await tap(amina, msg2, "😞")
    await amina.send("A hard week")
    share2 = await amina.wait_for_message()
    await tap(amina, share2, "Done")
    await harness.tick()
    assert all("hard week" not in (m.text or "") and "😞" not in (m.text or "") for m in marc.messages)


async def test_partly_answered_is_not_missed_and_no_answer_gets_one_reminder_then_missed(harness, session, clock):
    mentor_id, mentee_id, marc, amina = seed(harness, session, clock, actions=1)
    msg, mentor_msg = await first_checkins(harness, clock, marc, amina)
    await tap(amina, msg, "😐")  # the mood only, then nothing
    clock.set(WED_18 + timedelta(hours=24))
    await harness.tick()
    reminder = await marc.wait_for_message()  # the mentor did not answer at all
    assert reminder.text.startswith("⏰ A small reminder: it takes only a few taps.")
    assert reminder.button_texts[:2] == ["👍 All fine", "😟 I have a concern"]
    clock.set(WED_18 + timedelta(hours=47))
    await harness.tick()
    with session() as s:
        assert checkin_of(s, mentor_id).status == CheckInStatus.OPEN
    clock.set(WED_18 + timedelta(hours=48))
    await harness.tick()
    with session() as s:
        mentor_checkin, mentee_checkin = checkin_of(s, mentor_id), checkin_of(s, mentee_id)
        assert mentor_checkin.status == CheckInStatus.MISSED and mentor_checkin.missed_at == clock.now()
        assert mentee_checkin.status == CheckInStatus.ANSWERED and mentee_checkin.missed_at is None
        assert mentee_checkin.reminded_at is None and mentee_checkin.step.startswith("action:")
    assert len([m for m in amina.messages if m.text and m.text.startswith("⏰ A gentle")]) == 0
    # Missed, then answered late after the next one was sent: recorded late, not mixed with the new one.
    clock.set(WED_18 + WEEK)
    await harness.tick()
    new = await marc.wait_for_message(predicate=lambda m: m.text.startswith("👋"))
    await tap(marc, mentor_msg, "All fine")
    assert mentor_msg.text.startswith("Anything for the coordinator?")
    await tap(marc, mentor_msg, "Skip")
    with session() as s:
        old, fresh = checkin_of(s, mentor_id), checkin_of(s, mentor_id, "2026-W38")
        assert old.late and old.status == CheckInStatus.ANSWERED and old.missed_at is not None
        assert fresh.status == CheckInStatus.OPEN and fresh.answered_at is None and fresh.mood is None
    await tap(marc, new, "I have a concern")
    with session() as s:
        assert checkin_of(s, mentor_id, "2026-W38").concern and not checkin_of(s, mentor_id, "2026-W38").late


async def test_later_comes_back_this_evening_and_quiet_hours_are_kept(harness, session, clock):
    mentor_id, mentee_id, marc, amina = seed(harness, session, clock, actions=0,
                                             options={"checkin_time": "22:30", "checkin_weekday": 2})
    await harness.tick()
    with session() as s:
        due = checkin_of(s, mentee_id).due_at
    # Due 22:30 local is in quiet hours (21:00–08:00): it is moved to 08:00 the next morning.
    assert due == datetime(2026, 9, 10, 6, 0, tzinfo=timezone.utc)
    clock.set(datetime(2026, 9, 9, 20, 30, tzinfo=timezone.utc))
    await harness.tick()
    assert amina.messages == []
    clock.set(due)
    await harness.tick()
    msg = await amina.wait_for_message()
    await tap(amina, msg, "⏰ Later")
    assert msg.button_texts == ["In 3 hours", "This evening", "Tomorrow morning", "← Back"]
    await tap(amina, msg, "This evening")
    assert msg.text.startswith("⏰ OK. I will write to you again today at 7:00")
    clock.set(datetime(2026, 9, 10, 16, 59, tzinfo=timezone.utc))
    await harness.tick()
    assert len(amina.messages) == 1
    clock.set(datetime(2026, 9, 10, 17, 0, tzinfo=timezone.utc))
    await harness.tick()
    again = await amina.wait_for_message()
    assert again.text.startswith("👋 Amina, it is time for your check-in!")
    # The old message's buttons are gone with the edit; the new one works.
    await tap(amina, again, "🙂")
    assert again.text == "Anything to add? Type a word, or tap Skip."
    # No reminder: it was answered.
    clock.set(datetime(2026, 9, 12, 17, 0, tzinfo=timezone.utc))
    await harness.tick()
    assert not any((m.text or "").startswith("⏰ A gentle") for m in amina.messages)


async def test_away_until_skips_check_ins_then_they_resume(harness, session, clock):
    mentor_id, mentee_id, marc, amina = seed(harness, session, clock, actions=0)
    msg, _ = await first_checkins(harness, clock, marc, amina)
    await tap(amina, msg, "🌴 I'm away…")
    assert msg.button_texts[0] == "1 week (until Wed, Sep 16)"
    await tap(amina, msg, "2 weeks")
    assert msg.text == "🌴 OK: no check-in until Wed, Sep 23. Have a good time! To change the date, send /away."
    with session() as s:
        assert checkin_of(s, mentee_id).status == CheckInStatus.SKIPPED
        assert s.exec(select(CheckInPause)).one().until == date(2026, 9, 23)
    for week in (1, 2):
        clock.set(WED_18 + week * WEEK)
        await harness.tick()
    with session() as s:
        assert [checkin_of(s, mentee_id, p).skipped_reason for p in ("2026-W38", "2026-W39")] == ["away", "away"]
    assert len(amina.messages) == 1
    assert len([m for m in marc.messages if m.text.startswith("👋")]) == 3  # the mentor's go on
    # /away shows the pause; ending it resumes the check-ins.
    await amina.send("/away")
    menu = await amina.wait_for_message()
    assert menu.text.startswith("You are away until Wed, Sep 23")
    await tap(amina, menu, "I'm back")
    assert menu.text == "Welcome back! Your check-ins start again with the next one."
    clock.set(WED_18 + 3 * WEEK)
    await harness.tick()
    assert (await amina.wait_for_message()).text.startswith("👋 Amina, it is time for your check-in!")


async def test_a_changed_answer_keeps_the_history_and_the_last_counts(harness, session, clock):
    mentor_id, mentee_id, marc, amina = seed(harness, session, clock, actions=0)
    msg, _ = await first_checkins(harness, clock, marc, amina)
    await tap(amina, msg, "🙁")
    await tap(amina, msg, "Skip")
    await tap(amina, msg, "Done")
    clock.advance(timedelta(minutes=10))
    await tap(amina, msg, "Change my answer")
    assert msg.text.startswith("👋 Amina, it is time for your check-in")
    await tap(amina, msg, "😄")
    await tap(amina, msg, "Skip")
    await tap(amina, msg, "Done")
    with session() as s:
        checkin = checkin_of(s, mentee_id)
        assert checkin.mood == 5 and checkin.answered_at == WED_18
        moods = [a.value for a in s.exec(select(CheckInAnswer).where(CheckInAnswer.question == "mood")
                                         .order_by(CheckInAnswer.id))]
        assert moods == ["2", "5"]
    # After the change window, the button is refused politely.
    clock.advance(timedelta(hours=2))
    answer = await amina.callback_answer(await amina.press(msg, text="Change my answer"))
    assert answer["text"] == "This check-in is closed. You cannot change it now."


async def test_stale_buttons_text_and_stickers_get_polite_answers(harness, session, clock):
    mentor_id, mentee_id, marc, amina = seed(harness, session, clock, actions=0)
    msg, mentor_msg = await first_checkins(harness, clock, marc, amina)
    await tap(amina, msg, "🙂")
    # A double tap on the mood (the same old button data) changes nothing.
    answer = await amina.callback_answer(await amina.press_data(msg, f"c:{_id(session, mentee_id)}:mood:1"))
    assert answer["text"] == "Already answered, thank you."
    # Someone else's check-in: refused.
    answer = await marc.callback_answer(await marc.press_data(mentor_msg, f"c:{_id(session, mentee_id)}:skip"))
    assert answer["text"] == "This button is no longer valid."
    answer = await marc.callback_answer(await marc.press_data(mentor_msg, "c:999:mood:9"))
    assert answer["text"] == "This button is no longer valid."
    # The mentor is asked buttons: text gets a kind pointer to them, a sticker too.
    await marc.send("everything is fine")
    assert (await marc.wait_for_message()).text == "Please answer with the buttons of the check-in above. 🙂"
    await marc.send_sticker()
    assert (await marc.wait_for_message()).text == "Please answer with the buttons of the check-in above. 🙂"
    # A command in the middle makes the bot forget it awaited a word; the word typed after still counts.
    await amina.send("/progress")
    await amina.wait_for_message(predicate=lambda m: m.text.startswith("📋"))
    await amina.send("Busy week")
    share = await amina.wait_for_message()
    assert share.text.startswith("Share with your mentor?") and "☐ My word" in share.button_texts
    with session() as s:
        assert checkin_of(s, mentor_id).answered_at is None and checkin_of(s, mentee_id).mood == 4
        assert checkin_of(s, mentee_id).word == "Busy week"


def _id(session, participant_id) -> int:
    with session() as s:
        return checkin_of(s, participant_id).id


async def test_a_restart_in_the_middle_of_a_check_in_continues_where_it_was(harness, session, clock):
    mentor_id, mentee_id, marc, amina = seed(harness, session, clock, actions=2)
    msg, _ = await first_checkins(harness, clock, marc, amina)
    await tap(amina, msg, "🙂")
    await tap(amina, msg, "▶️ In progress")
    assert msg.text.startswith("Action 2 of 2: “Write my CV 2”")
    await harness.application.updater.stop()
    await harness.application.stop()
    await harness.application.shutdown()
    async with running(build_application(harness.services)) as application:
        await tap(amina, msg, "⛔ Blocked")
        assert msg.text == "Anything to add? Type a word, or tap Skip."
        await amina.send("Need help with the letter")
        share = await amina.wait_for_message()
        await tap(amina, share, "My mood")
        await tap(amina, share, "Done")
        await tick(application)
        await harness.server.settle()
    shared = marc.messages[-1]
    assert shared.text == "💬 Amina shared this with you from the check-in:\nMood: 🙂"
    with session() as s:
        statuses = [a.status for a in s.exec(select(PlanAction).order_by(PlanAction.id))]
        assert statuses == [ActionStatus.IN_PROGRESS, ActionStatus.BLOCKED]
        assert checkin_of(s, mentee_id).word == "Need help with the letter"
    await harness.application.initialize()
    await harness.application.start()
    await harness.application.updater.start_polling(poll_interval=0, timeout=1)


async def test_stop_means_no_check_ins_and_progress_shows_the_streak(harness, session, clock):
    mentor_id, mentee_id, marc, amina = seed(harness, session, clock, actions=1)
    msg, _ = await first_checkins(harness, clock, marc, amina)
    await tap(amina, msg, "😄")
    await amina.send("/progress")
    progress = await amina.wait_for_message()
    assert progress.text.startswith("📋 The action plan:\n⬜ Write my CV (Fri, Sep 11)")
    assert "Your check-ins: 1 answered of 1." in progress.text and "🔥 1 in a row!" in progress.text
    await marc.send("/progress")
    assert "Amina's check-ins: 1 answered of 1." in (await marc.wait_for_message()).text
    await amina.send("/stop")
    await amina.wait_for_message()
    amina.skip_to_end()
    clock.set(WED_18 + WEEK)
    await harness.tick()
    assert amina.messages[-1].text != "👋"
    assert not any((m.text or "").startswith("👋") for m in amina.messages[1:])
    with session() as s:
        rows = s.exec(select(CheckIn).where(CheckIn.participant_id == mentee_id)).all()
        assert all(r.status != CheckInStatus.MISSED for r in rows)
        assert all(r.status in (CheckInStatus.ANSWERED, CheckInStatus.SKIPPED) for r in rows)
        assert s.get(Participant, mentee_id).status == "paused"


async def test_in_french_the_check_in_and_the_plan_speak_the_programme_s_words(harness, session, clock):
    with session() as s:
        programme = make_programme(s, clock.now())
        mentor, mentee, binome = make_pair(s, programme, clock.now())
        marc = harness.server.user(first_name="Marc", language_code="fr")
        amina = harness.server.user(first_name="Amina", language_code="fr")
        link(mentor, marc, clock.now(), "fr")
        link(mentee, amina, clock.now(), "fr")
        s.add(PlanAction(binome_id=binome.id, title="Refaire mon CV", due_on=date(2026, 9, 11), created_by=mentee.id,
                         created_at=clock.now(), changed_at=clock.now(), status_changed_at=clock.now()))
    await amina.send("/plan")
    plan = await amina.wait_for_message()
    assert plan.text.startswith("📋 Votre plan d'actions. Les actions les plus urgentes sont en premier :") and "Refaire mon CV" in plan.text
    msg, _ = await first_checkins(harness, clock, marc, amina)
    assert msg.text.startswith("👋 Amina, c'est l'heure du point d'étape ! Comment allez-vous cette semaine ?")
    await tap(amina, msg, "🙂")
    await tap(amina, msg, "✅ Fait")
    assert msg.text == "Quelque chose à ajouter ? Écrivez un mot, ou touchez Passer."
    await tap(amina, msg, "Passer")
    await tap(amina, msg, "Terminé")
    assert msg.text == "Merci, Amina ! À la prochaine fois."
