"""The action plan as a mentor and a mentee live it: built and edited by both from the chat, ordered by
due date, statuses with their history, the review after a meeting held, the mentor's daily grouped
"done" notice, and every kind of bad input answered politely with nothing changed."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import select

from bot.app import build_application, running
from bot.i18n import load_all
from bot.pacing import ChatPacer
from bot.services import Services
from bot.settings import load_settings
from storage.db import make_engine, session_scope, upgrade

from storage.meeting_messages import queue_outcome_question
from storage import plans
from storage.models import (ActionStatus, AuditLog, Meeting, MeetingStatus, OutboundMessage, PlanAction,
                            PlanActionChange, Role)
from tests.conftest import START, require_postgres_url
from tests.factories import link, make_pair, make_participant, make_programme


async def tap(user, message, text: str):
    """Press a button and wait until the bot has done what it does about it."""
    await user.callback_answer(await user.press(message, text=text), timeout=10)
    await user.server.settle()


async def forged(user, message, data: str) -> str:
    answer = await user.callback_answer(await user.press_data(message, data))
    await user.server.settle()
    return answer["text"]


def seed(harness, session, clock):
    with session() as s:
        programme = make_programme(s, clock.now())  # Europe/Brussels
        mentor, mentee, binome = make_pair(s, programme, clock.now())
        marc = harness.server.user(first_name="Marc", language_code="en")
        amina = harness.server.user(first_name="Amina", language_code="en")
        link(mentor, marc, clock.now(), "en")
        link(mentee, amina, clock.now(), "en")
        return {"mentor": mentor.id, "mentee": mentee.id, "binome": binome.id, "programme": programme.id}, marc, amina


def add(session, ids, title, by="mentee", due=None, minutes=0, clock=None):
    with session() as s:
        return plans.add_action(session=s, binome_id=ids["binome"], participant_id=ids[by], title=title,
                                due_on=due, now=START + timedelta(minutes=minutes)).id


async def add_by_buttons(user, plan_message, title: str, category: str, due: str):
    """From a message with "Add …" button: the title typed, then the category and the due date tapped."""
    await tap(user, plan_message, "Add")
    assert plan_message.text.startswith("What is the action? Send me a short title")
    await user.send(title)
    question = await user.wait_for_message()
    assert question.text == f"“{title}”: which kind of action is it?"
    await tap(user, question, category)
    assert question.text == f"“{title}”: by when?"
    assert question.button_texts == ["In 1 week", "In 2 weeks", "In 1 month", "End of the month", "No date"]
    await tap(user, question, due)
    assert question.text.startswith("Added to the plan:\n⬜ " + title)
    return question


async def open_plan(user):
    await user.send("/plan")
    return await user.wait_for_message()


async def set_status(user, title: str, label: str):
    view = await open_plan(user)
    if not any(title in text for text in view.button_texts):  # done or dropped: shown on request
        await tap(user, view, "Show done and dropped")
    await tap(user, view, title)
    await tap(user, view, label)
    return view


async def test_both_build_and_edit_the_plan_which_is_ordered_by_due_date(harness, session, clock):
    ids, marc, amina = seed(harness, session, clock)  # Monday 7 September 2026, 10:00 in Brussels
    view = await open_plan(amina)
    assert view.text == ("📋 Your action plan is empty.\n\nYou and Marc can both add actions and change them. "
                         "Tap an action to open it.")
    assert view.button_texts == ["➕ Add an action"]
    assert view.buttons[0][0][1] == "p:0:add"
    added = await add_by_buttons(amina, view, "Update my CV", "CV and letters", "In 1 week")
    assert added.text == "Added to the plan:\n⬜ Update my CV — by Mon, Sep 14"
    assert added.button_texts == ["➕ Add another", "📋 The plan"]
    await add_by_buttons(amina, added, "Call the job centre", "Skip", "No date")

    view = await open_plan(marc)
    assert view.text.startswith("📋 Your action plan. The most urgent actions come first:\n\n1. ⬜ Update my CV — by "
                                "Mon, Sep 14\n2. ⬜ Call the job centre")
    assert "You and Amina can both add" in view.text
    added = await add_by_buttons(marc, view, "Visit the job fair", "Network", "End of the month")
    added = await add_by_buttons(marc, added, "Practise an interview", "Skip", "In 2 weeks")
    await tap(marc, added, "The plan")
    assert added.text.split("\n\n")[1] == ("1. ⬜ Update my CV — by Mon, Sep 14\n"
                                           "2. ⬜ Practise an interview — by Mon, Sep 21\n"
                                           "3. ⬜ Visit the job fair — by Wed, Sep 30\n"
                                           "4. ⬜ Call the job centre")
    assert added.button_texts[:4] == ["1. Update my CV", "2. Practise an interview", "3. Visit the job fair",
                                      "4. Call the job centre"]

    # The mentee opens the mentor's action and changes its status, title, date and kind.
    clock.advance(hours=1)
    view = await open_plan(amina)
    await tap(amina, view, "Practise an interview")
    assert view.text == ("⬜ Practise an interview — by Mon, Sep 21\nStatus: to do\nPlanned for: Monday, September 21\n"
                         "Added by Marc, Monday, September 7")
    assert view.button_texts == ["✅ Done", "▶️ In progress", "⛔ Blocked", "✖ Drop", "✏️ Rename", "📅 Date", "🏷 Kind",
                                 "🕘 History", "← The plan"]
    await tap(amina, view, "In progress")
    assert view.text.startswith("▶️ Practise an interview — by Mon, Sep 21\nStatus: in progress")
    assert "⬜ To do" in view.button_texts and "▶️ In progress" not in view.button_texts
    await tap(amina, view, "Rename")
    assert view.text == "Send me the new title."
    await amina.send("Practise a job interview with Marc")
    detail = await amina.wait_for_message()
    assert detail.text.startswith("▶️ Practise a job interview with Marc — by Mon, Sep 21")
    await tap(amina, detail, "Date")
    await tap(amina, detail, "In 1 month")
    assert detail.text.startswith("▶️ Practise a job interview with Marc — by Wed, Oct 7")
    await tap(amina, detail, "Kind")
    await tap(amina, detail, "Language")
    assert "Kind: 🗣 Language" in detail.text
    await tap(amina, detail, "History")
    assert detail.text.replace("\u202f", " ") == ("🕘 History of “Practise a job interview with Marc”:\nMon, Sep 7, "
                           "10:00 AM — Marc: added the action\nMon, Sep 7, 10:00 AM — Marc: date: Mon, Sep 21\nMon, "
                           "Sep 7, 11:00 AM — Amina: to do → in progress\nMon, Sep 7, 11:00 AM — Amina: renamed it\n"
                           "Mon, Sep 7, 11:00 AM — Amina: date: Wed, Oct 7\nMon, Sep 7, 11:00 AM — Amina: kind: 🗣 "
                           "Language")
    await tap(amina, detail, "Back")
    await tap(amina, detail, "The plan")
    assert "3. ▶️ Practise a job interview with Marc — by Wed, Oct 7" in detail.text

    # The mentor sees the change; dropping an action moves it out of the open plan, with a way back.
    view = await set_status(marc, "Call the job centre", "Drop")
    assert view.text.startswith("✖ Call the job centre\nStatus: dropped")
    view = await open_plan(marc)
    assert "(1 action done or dropped.)" in view.text and "Call the job centre" not in view.text
    await tap(marc, view, "Show done and dropped")
    assert "✖ Call the job centre" in view.text
    await tap(marc, view, "Call the job centre")
    await tap(marc, view, "To do")
    assert view.text.startswith("⬜ Call the job centre\nStatus: to do")
    with session() as s:
        action = s.exec(select(PlanAction).where(PlanAction.title == "Practise a job interview with Marc")).one()
        assert (action.status, action.category, action.due_on) == (ActionStatus.IN_PROGRESS, "language",
                                                                  date(2026, 10, 7))
        fields = [c.field for c in s.exec(select(PlanActionChange).where(PlanActionChange.action_id == action.id))]
        assert fields == ["created", "due_on", "status", "title", "due_on", "category"]
        audit = s.exec(select(AuditLog).where(AuditLog.action.startswith("plan."))).all()
        assert {a.action for a in audit} == {"plan.added", "plan.edited", "plan.status"}
        assert not any("interview" in str(a.details) or "CV" in str(a.details) for a in audit)


def notices(user):
    return [m for m in user.messages if m.text.startswith("🎉")]


async def test_the_mentor_hears_of_done_actions_once_a_day_grouped(harness, session, clock):
    ids, marc, amina = seed(harness, session, clock)
    for n, title in enumerate(("Update my CV", "Send three applications", "Call the job centre", "Visit the fair",
                               "Read the offer")):
        add(session, ids, title, minutes=n)
    await set_status(amina, "Update my CV", "Done")  # 10:00 in Brussels
    clock.set(datetime(2026, 9, 7, 11, 0, tzinfo=timezone.utc))
    await harness.tick()
    await set_status(amina, "Send three applications", "Done")
    await set_status(amina, "Visit the fair", "Done")
    await set_status(amina, "Visit the fair", "To do")  # done, then undone: not reported
    await set_status(marc, "Read the offer", "Done")  # the mentor's own tap: not reported to himself
    clock.set(datetime(2026, 9, 7, 15, 30, tzinfo=timezone.utc))
    await set_status(amina, "Call the job centre", "Done")
    await harness.tick()
    marc.skip_to_end()
    clock.set(datetime(2026, 9, 7, 15, 59, tzinfo=timezone.utc))
    await harness.tick()
    assert notices(marc) == []  # nothing before 18:00
    clock.set(datetime(2026, 9, 7, 16, 0, tzinfo=timezone.utc))  # 18:00 in Brussels
    await harness.tick()
    notice = await marc.wait_for_message(predicate=lambda m: m.text.startswith("🎉"))
    assert notice.text == ("🎉 Amina has done 3 actions of the plan:\n✅ Update my CV\n✅ Send three applications\n✅ "
                           "Call the job centre\n\nA word of encouragement from you will count. /plan shows the whole "
                           "plan.")
    await harness.tick()
    with session() as s:
        queued = s.exec(select(OutboundMessage).where(OutboundMessage.kind == "plan_done")).all()
        assert [m.idempotency_key for m in queued] == [f"plan_done:{ids['binome']}:2026-09-07"]

    # After 18:00 a tap goes into tomorrow's notice, which tells only what is new.
    clock.set(datetime(2026, 9, 7, 17, 0, tzinfo=timezone.utc))
    await set_status(amina, "Visit the fair", "Done")
    clock.set(datetime(2026, 9, 8, 9, 0, tzinfo=timezone.utc))
    await harness.tick()
    assert notices(marc) == [notice]
    clock.set(datetime(2026, 9, 8, 16, 0, tzinfo=timezone.utc))
    await harness.tick()
    second = await marc.wait_for_message(predicate=lambda m: m.text.startswith("🎉"))
    assert second.text.startswith("🎉 Amina has done 1 action of the plan:\n✅ Visit the fair\n\n")

    # A day whose only "done" was undone again sends nothing.
    clock.set(datetime(2026, 9, 9, 8, 0, tzinfo=timezone.utc))
    await set_status(amina, "Visit the fair", "In progress")
    await set_status(amina, "Visit the fair", "Done")
    await set_status(amina, "Visit the fair", "In progress")
    marc.skip_to_end()
    clock.set(datetime(2026, 9, 9, 16, 0, tzinfo=timezone.utc))
    await harness.tick()
    assert notices(marc) == [notice, second]
    with session() as s:
        third = s.exec(select(OutboundMessage).where(
            OutboundMessage.idempotency_key == f"plan_done:{ids['binome']}:2026-09-09")).one()
        assert third.sent_at is None and third.error == "no longer relevant"


async def test_a_blocked_action_asks_the_mentee_what_blocks_it(harness, session, clock):
    ids, marc, amina = seed(harness, session, clock)
    add(session, ids, "Call the job centre")
    add(session, ids, "Buy a suit", minutes=1)
    view = await set_status(amina, "Call the job centre", "Blocked")
    assert view.text == ("⛔ “Call the job centre” is blocked. What is the problem? Tell me in a few words. Only you "
                         "and your mentor will see it. Or tap Skip.")
    await tap(amina, view, "Skip")
    assert view.text.startswith("⛔ Call the job centre\nStatus: blocked") and "What blocks it" not in view.text

    view = await set_status(amina, "Buy a suit", "Blocked")
    await amina.send("No money until the end of the month")
    noted = await amina.wait_for_message()
    assert noted.text.startswith("Noted.\n\n⛔ Buy a suit\nStatus: blocked")
    assert "What blocks it: No money until the end of the month" in noted.text

    view = await open_plan(marc)
    await tap(marc, view, "Buy a suit")
    assert "What blocks it: No money until the end of the month" in view.text
    await tap(marc, view, "In progress")  # unblocked: the note goes with the block
    await tap(marc, view, "Blocked")  # the mentor marking it blocked is not asked
    assert view.text.startswith("⛔ Buy a suit\nStatus: blocked") and "What blocks it" not in view.text
    with session() as s:
        assert "No money" not in str([a.details for a in s.exec(select(AuditLog))])
        assert "No money" not in str([(c.old, c.new) for c in s.exec(select(PlanActionChange))])


async def held_meeting(harness, session, ids, marc):
    """A confirmed meeting that ended half an hour ago; the mentor's question comes at the tick."""
    with session() as s:
        meeting = Meeting(binome_id=ids["binome"], starts_at=START - timedelta(hours=2), status=MeetingStatus.CONFIRMED,
                          proposed_by=ids["mentor"], proposed_at=START - timedelta(days=3),
                          confirmed_at=START - timedelta(days=3), created_at=START - timedelta(days=3))
        s.add(meeting)
        s.flush()
        from storage.models import Participant
        queue_outcome_question(session=s, meeting=meeting, mentor=s.get(Participant, ids["mentor"]),
                               now=START - timedelta(days=3))
        meeting_id = meeting.id
    await harness.tick()
    question = await marc.wait_for_message(predicate=lambda m: m.text.startswith("How did the meeting"))
    await tap(marc, question, "It took place")
    assert question.text == "Thank you! The meeting is recorded as held."
    assert question.button_texts == ["📋 Review the action plan now"]
    return meeting_id, question


async def test_the_mentor_reviews_the_plan_after_a_meeting_held(harness, session, clock):
    ids, marc, amina = seed(harness, session, clock)
    add(session, ids, "Update my CV", due=date(2026, 9, 5))
    add(session, ids, "Send three applications", due=date(2026, 9, 10), minutes=1)
    add(session, ids, "Visit the fair", minutes=2)
    meeting_id, offer = await held_meeting(harness, session, ids, marc)
    await tap(marc, offer, "Review the action plan now")
    assert offer.text == "📋 Plan review — how is this one going?\n\n⬜ Update my CV — ⚠️ by Sat, Sep 5"
    assert offer.button_texts == ["✅ Done", "▶️ Still on", "✖ Drop"]
    await tap(marc, offer, "Done")
    assert offer.text.endswith("⬜ Send three applications — by Thu, Sep 10")
    # The mentee cannot drive the mentor's review, even with the mentor's buttons.
    assert await forged(amina, view := await open_plan(amina), offer.buttons[0][2][1]) == \
        "This button is no longer valid."
    assert view is not None
    await tap(marc, offer, "Still on")
    assert offer.text.endswith("⬜ Visit the fair")
    await tap(marc, offer, "Drop")
    assert offer.text == "Anything new to add to the plan?"
    await tap(marc, offer, "Yes, add an action")
    await marc.send("Apply to the bank's traineeship")
    question = await marc.wait_for_message()
    await tap(marc, question, "Job search")
    await tap(marc, question, "In 2 weeks")
    assert question.text == "Added to the plan:\n⬜ Apply to the bank's traineeship — by Mon, Sep 21"
    assert question.button_texts == ["➕ Something else new", "✔ No, finished"]
    await tap(marc, question, "No, finished")
    assert question.text == ("Plan reviewed, thank you!\n✅ 1 done\n➕ 1 new\n✖ 1 dropped\n"
                             "I am telling Amina about the new actions.")
    await harness.tick()
    news = await amina.wait_for_message(predicate=lambda m: m.text.startswith("📋 Marc added"))
    assert news.text == ("📋 Marc added 1 action to your plan:\n⬜ Apply to the bank's traineeship — by Mon, Sep 21\n"
                         "\nTo see the whole plan, send /plan.")
    with session() as s:
        statuses = {a.title: a.status for a in s.exec(select(PlanAction))}
        assert statuses == {"Update my CV": "done", "Send three applications": "todo", "Visit the fair": "dropped",
                            "Apply to the bank's traineeship": "todo"}
    # The review's buttons still refer to rows: pressing "finished" again tells the same, adds nothing.
    await tap(marc, question, "The plan")
    assert "1. ⬜ Send three applications" in question.text
    with session() as s:
        assert len(s.exec(select(OutboundMessage).where(OutboundMessage.kind == "plan_news")).all()) == 1


async def test_an_empty_plan_goes_straight_to_adding_and_later_is_fine(harness, session, clock):
    ids, marc, amina = seed(harness, session, clock)
    meeting_id, offer = await held_meeting(harness, session, ids, marc)
    await tap(marc, offer, "Review the action plan now")
    assert offer.text == ("The action plan is still empty. What is a first action for Amina? Send me a short title, "
                          "or tap Finished.")
    await marc.send("Write a cover letter")
    question = await marc.wait_for_message()
    await tap(marc, question, "CV and letters")
    await tap(marc, question, "No date")
    await tap(marc, question, "No, finished")
    assert question.text.startswith("Plan reviewed, thank you!\n✅ 0 done\n➕ 1 new\n✖ 0 dropped")
    await tap(marc, offer, "Finished")  # the old message's button: still the same summary, nothing doubled
    await harness.tick()
    with session() as s:
        assert len(s.exec(select(PlanAction)).all()) == 1
        assert len(s.exec(select(OutboundMessage).where(OutboundMessage.kind == "plan_news")).all()) == 1


async def test_bad_input_is_answered_politely_and_changes_nothing(harness, session, clock):
    ids, marc, amina = seed(harness, session, clock)
    action_id = add(session, ids, "Update my CV")
    with session() as s:
        programme = s.get(__import__("storage.models", fromlist=["Programme"]).Programme, ids["programme"])
        _, other_mentee, _ = make_pair(s, programme, clock.now(), mentor="Paul", mentee="Lina", label="B02")
        lina = harness.server.user(first_name="Lina", language_code="en")
        link(other_mentee, lina, clock.now(), "en")
        coordinator = make_participant(s, programme, clock.now(), Role.COORDINATOR, "Claire", language="en")
        claire = harness.server.user(first_name="Claire", language_code="en")
        link(coordinator, claire, clock.now(), "en")

    # Coordinators get a polite word; the plan is the pair's.
    await claire.send("/plan")
    assert (await claire.wait_for_message()).text.startswith("The action plan belongs to the pair")

    # Stale and forged buttons.
    view = await open_plan(amina)
    for data in ("p:999:open", f"p:{action_id}:s:bogus", f"p:{action_id}:zz", "p:0:open", f"p:{action_id}:list",
                 f"p:{action_id}:ed:nextyear", f"p:{action_id}:ec:astrology", f"p:{action_id}:c:training.999",
                 "p:999:review", f"p:{action_id}:rdone:999"):
        assert await forged(amina, view, data) == "This button is no longer valid.", data
    # A partner of another binôme pressing a forwarded or forged button changes nothing.
    lina_view = await open_plan(lina)
    for data in (f"p:{action_id}:s:done", f"p:{action_id}:open", f"p:{action_id}:hist", f"p:{action_id}:ed:1w"):
        assert await forged(lina, lina_view, data) == "This button is no longer valid."
    assert await forged(claire, view, f"p:{action_id}:s:done") == "This button is no longer valid."

    # A sticker while the title is awaited, then the title: nothing lost.
    await tap(amina, view, "Add")
    await amina.send_sticker()
    assert (await amina.wait_for_message()).text == "I can only read text and buttons. To see what you can do, send /help."
    await amina.send("x" * 250)
    assert (await amina.wait_for_message()).text == ("This is too long. Please write 200 characters at most and send "
                                                     "it again.")
    await amina.send("Ask the library for a computer")
    question = await amina.wait_for_message()
    # Text typed where buttons are expected: the usual polite answer, the action stays, the buttons still work.
    await amina.send("training")
    assert (await amina.wait_for_message()).text.startswith("I cannot read typed messages yet. Please use the buttons")
    await tap(amina, question, "Training")
    await tap(amina, question, "No date")
    # A command in the middle forgets an awaited title.
    await tap(amina, question, "Add another")
    await amina.send("/plan")
    await amina.wait_for_message()
    await amina.send("This is not a title")
    assert (await amina.wait_for_message()).text.startswith("I cannot read typed messages yet")

    with session() as s:
        actions = s.exec(select(PlanAction).order_by(PlanAction.id)).all()
        assert [(a.title, a.status, a.category) for a in actions] == [
            ("Update my CV", "todo", None), ("Ask the library for a computer", "todo", "training")]
        assert len(s.exec(select(PlanActionChange).where(PlanActionChange.action_id == action_id)).all()) == 1
    assert harness.server.unanswered_callback_queries == []


async def test_a_restart_in_the_middle_of_the_review_and_of_adding_loses_nothing(harness, session, clock):
    from bot.app import build_application, running, tick

    ids, marc, amina = seed(harness, session, clock)
    add(session, ids, "Update my CV", due=date(2026, 9, 10))
    add(session, ids, "Visit the fair", minutes=1)
    meeting_id, offer = await held_meeting(harness, session, ids, marc)
    await tap(marc, offer, "Review the action plan now")
    await tap(marc, offer, "Done")
    await harness.application.updater.stop()
    await harness.application.stop()
    await harness.application.shutdown()
    async with running(build_application(harness.services)) as application:
        assert offer.text.endswith("⬜ Visit the fair")
        await tap(marc, offer, "Still on")
        await tap(marc, offer, "Yes, add an action")
    async with running(build_application(harness.services)) as application:
        await marc.send("Ask for a reference letter")  # the awaited title is a row, not memory
        question = await marc.wait_for_message()
        assert question.text == "“Ask for a reference letter”: which kind of action is it?"
        await tap(marc, question, "Network")
        await tap(marc, question, "In 1 week")
        await tap(marc, question, "No, finished")
        assert question.text.startswith("Plan reviewed, thank you!\n✅ 1 done\n➕ 1 new\n✖ 0 dropped")
        await tick(application)
        await harness.server.settle()
        assert (await amina.wait_for_message(predicate=lambda m: m.text.startswith("📋 Marc added"))).text \
            .startswith("📋 Marc added 1 action to your plan:\n⬜ Ask for a reference letter — by Mon, Sep 14")
    await harness.application.initialize()  # let the fixture shut it down as usual
    await harness.application.start()
    await harness.application.updater.start_polling(poll_interval=0, timeout=1)


async def test_a_long_plan_fits_in_one_message(harness, session, clock):
    ids, marc, amina = seed(harness, session, clock)
    for n in range(18):
        add(session, ids, f"{n:02d} " + "a long title " * 15, due=date(2026, 9, 8) + timedelta(days=n), minutes=n)
    view = await open_plan(amina)
    assert len(view.text) < 4096 and "…and 3 more, due later." in view.text
    assert len(view.button_texts) == 15 + 1


async def test_a_text_asked_for_is_forgotten_when_another_step_is_taken(harness, session, clock):
    ids, marc, amina = seed(harness, session, clock)
    action_id = add(session, ids, "Update my CV")
    view = await open_plan(amina)
    await tap(amina, view, "Update my CV")
    await tap(amina, view, "Rename")
    assert await forged(amina, view, "p:999:open") == "This button is no longer valid."
    await amina.send("Update my CV and LinkedIn")  # a refused press kept the question
    detail = await amina.wait_for_message()
    assert detail.text.startswith("⬜ Update my CV and LinkedIn")
    await tap(amina, detail, "Rename")
    await tap(amina, detail, "Back")  # changed her mind: the next text is not a title
    await tap(amina, detail, "Date")
    await tap(amina, detail, "In 1 week")
    await amina.send("hello")
    assert (await amina.wait_for_message()).text.startswith("I cannot read typed messages yet")
    with session() as s:
        assert s.get(PlanAction, action_id).title == "Update my CV and LinkedIn"


INVISIBLE = "\u200b\u200c\u2060\ufeff\u00ad\u200d\u202e\u2066 \u00a0\u3164"  # zero-width, soft hyphen, bidi…


async def test_an_invisible_title_is_refused_politely_and_nul_is_dropped(harness, session, clock):
    ids, marc, amina = seed(harness, session, clock)
    view = await open_plan(amina)
    await tap(amina, view, "Add")
    await amina.send(INVISIBLE)
    assert (await amina.wait_for_message()).text == ("I cannot find any text in your message. Please type it again.")
    with session() as s:
        assert s.exec(select(PlanAction)).all() == []
    await amina.send("\x00Update\x00 my\u200b CV\x07")  # the question is still waiting for its title
    question = await amina.wait_for_message()
    assert question.text == "“Update my CV”: which kind of action is it?"
    with session() as s:
        assert [a.title for a in s.exec(select(PlanAction)).all()] == ["Update my CV"]
    # A word where a title is not awaited is no place for invisible text either: nothing stored, a kind answer.
    await amina.send("\u2060\x00")
    assert (await amina.wait_for_message()).text.startswith("I cannot find any text in your message")


@pytest.fixture
def postgres_url():
    """A schema of its own in the test PostgreSQL (BINOME_TEST_POSTGRES_URL), dropped afterwards."""
    url = require_postgres_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
    yield url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"
    with admin.begin() as connection:
        connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
    admin.dispose()


async def test_a_title_with_nul_is_stored_without_it_on_postgresql(server, clock, postgres_url):
    engine = make_engine(postgres_url)
    upgrade(engine)
    load_all()
    settings = load_settings(_env_file=None, TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_API_URL=server.base_url,
                             DATABASE_URL=postgres_url, TICK_SECONDS=3600)
    services = Services(settings=settings, engine=engine, clock=clock, pacer=ChatPacer())
    with session_scope(engine) as s:
        programme = make_programme(s, clock.now())
        mentor, mentee, binome = make_pair(s, programme, clock.now())
        amina = server.user(first_name="Amina", language_code="en")
        link(mentee, amina, clock.now(), "en")
    try:
        async with running(build_application(services)) as application:
            server.attach_application(application)
            await amina.send("/plan")
            view = await amina.wait_for_message()
            await tap(amina, view, "Add")
            await amina.send("Update\x00 my CV\u200b")
            assert (await amina.wait_for_message()).text == "“Update my CV”: which kind of action is it?"
            await amina.send("\x00\u2060")
            assert (await amina.wait_for_message()).text.startswith("I cannot find any text in your message")
            server.attach_application(None)
        with session_scope(engine) as s:
            assert [a.title for a in s.exec(select(PlanAction)).all()] == ["Update my CV"]
    finally:
        engine.dispose()
