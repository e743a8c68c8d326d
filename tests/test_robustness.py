"""Anything unexpected gets a clear answer in the user's language; nothing is lost or applied twice."""
from __future__ import annotations

import logging
import re

from sqlmodel import select

from bot.app import build_application, running
from bot.logs import configure_logging
from conversations import buttons, checkins, meetings, plan
from storage.models import (AuditLog, Binome, CheckIn, CheckInAnswer, CheckInPause, Meeting, Participant,
                            ParticipantStatus, PlanAction, Role)
from tests.factories import invite, link, make_pair, make_participant, make_programme
from tests.test_alerts import seed as alert_people
from tests.test_checkins import WED_18


def seed(session, clock):
    with session() as s:
        programme = make_programme(s, clock.now())
        mentor, mentee, _ = make_pair(s, programme, clock.now())
        return mentor, mentee, invite(s, mentee, clock.now())


async def test_edited_messages_voice_and_documents_get_an_answer(harness, session, clock):
    mentor, mentee, _ = seed(session, clock)
    amina = harness.server.user(first_name="Amina", language_code="fr")
    with session() as s:
        link(s.get(Participant, mentee.id), amina, clock.now(), "fr")
    sent = await amina.send("je serai là jeudi")
    await amina.wait_for_message()
    await amina.edit(sent["message_id"], "je ne serai pas là jeudi")
    assert "Envoyez plutôt un nouveau message" in (await amina.wait_for_message()).text
    await amina.send_voice()
    assert "seulement le texte et les boutons" in (await amina.wait_for_message()).text
    await amina.send_document("cv.pdf", b"%PDF-1.4")
    assert "seulement le texte et les boutons" in (await amina.wait_for_message()).text


async def test_a_telegram_error_while_answering_ends_in_an_apology_and_clean_logs(harness, session, clock, caplog):
    seed(session, clock)
    configure_logging("DEBUG")  # as an operator chasing a problem would run it
    caplog.set_level(logging.DEBUG)
    zoe = harness.server.user(first_name="Zoé", last_name="Lefèvre", language_code="fr")
    harness.server.inject_fault("500", method="sendMessage", times=1)
    await zoe.send("/help mon secret 0612345678")
    apology = await zoe.wait_for_message()
    assert apology.text == "Désolé, j'ai eu un problème. Réessayez dans un instant."
    assert "error while handling update" in caplog.text
    for personal in ("Zoé", "Lefèvre", "secret", "0612345678", harness.server.token):
        assert personal not in caplog.text
    assert all("Traceback" not in m.text for m in zoe.messages)


async def test_an_onboarding_halfway_continues_after_a_restart(harness, session, clock, server):
    mentor, mentee, token = seed(session, clock)
    amina = server.user(first_name="Amina", language_code="fr")
    await amina.send(f"/start {token}")
    await amina.press(await amina.wait_for_message(), text="J'accepte")
    question = await amina.wait_for_message()

    # The bot restarts: a new process has nothing in memory, only the database.
    await harness.application.updater.stop()
    await harness.application.stop()
    await harness.application.shutdown()
    async with running(build_application(harness.services)):
        await amina.press(question, text="Français")
        await amina.wait_for_message()  # the language confirmation replaces the question
        intro = amina.last_message
        assert intro.text.startswith("Bienvenue, Amina !")
        with session() as s:
            assert s.get(Participant, mentee.id).onboarded_at is not None
    await harness.application.initialize()  # let the fixture shut it down as usual
    await harness.application.start()
    await harness.application.updater.start_polling(poll_interval=0, timeout=1)


async def test_a_button_pressed_twice_is_applied_once(harness, session, clock):
    mentor, mentee, token = seed(session, clock)
    amina = harness.server.user(first_name="Amina", language_code="fr")
    await amina.send(f"/start {token}")
    consent = await amina.wait_for_message()
    data = consent.buttons[0][0][1]
    await amina.press(consent, text="J'accepte")
    await amina.wait_for_message()
    answer = await amina.callback_answer(await amina.press_data(consent, data))  # an impatient double tap
    assert answer["text"] == "Vous avez déjà répondu."
    with session() as s:
        given = s.exec(select(AuditLog).where(AuditLog.action == "consent.given")).all()
        assert len(given) == 1
        assert s.get(Participant, mentee.id).status == ParticipantStatus.ACTIVE


async def test_commands_with_unexpected_arguments(harness, session, clock):
    mentor, mentee, token = seed(session, clock)
    amina = harness.server.user(first_name="Amina", language_code="fr")
    await amina.send("/start " + "x" * 300)
    assert "Ce lien ne fonctionne pas" in (await amina.wait_for_message()).text
    await amina.send(f"/start {token} extra words")
    assert (await amina.wait_for_message()).text.startswith("Bonjour Amina !")
    await amina.send("/stop now please")
    assert "ouvrez votre lien personnel" in (await amina.wait_for_message()).text  # not joined yet: how to join


# ---------------------------------------------------------------- forged buttons, failing handlers (issue 10)

HUGE = "9" * 25  # no column holds it: OverflowError on SQLite, a numeric-range error on PostgreSQL
INVALID = "This button is no longer valid."
APOLOGY = "Sorry, I had a problem. Please try again in a moment."


def english_people(harness, session, clock):
    """An English-speaking pair and coordinator, linked; a check-in of Amina's open at its first question."""
    with session() as s:
        programme = make_programme(s, clock.now())
        mentor, mentee, _ = make_pair(s, programme, clock.now())
        claire = make_participant(s, programme, clock.now(), Role.COORDINATOR, "Claire", "Martin")
        users = {}
        for key, person in {"marc": mentor, "amina": mentee, "claire": claire}.items():
            users[key] = harness.server.user(first_name=person.first_name, language_code="en")
            link(person, users[key], clock.now(), "en")
        return {"mentor": mentor.id, "mentee": mentee.id, "claire": claire.id}, users


async def open_checkin(harness, session, clock, users, ids):
    await harness.tick()  # Monday: the week's check-ins are written
    clock.set(WED_18)
    await harness.tick()
    question = await users["amina"].wait_for_message()
    with session() as s:
        checkin = s.exec(select(CheckIn).where(CheckIn.participant_id == ids["mentee"], CheckIn.period == "2026-W37")).one()
    return question, checkin.id


def errors_logged(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


async def test_buttons_with_ids_too_long_for_any_column_are_stale_buttons(harness, session, clock, caplog):
    ids, users = english_people(harness, session, clock)
    amina, claire = users["amina"], users["claire"]
    question, checkin_id = await open_checkin(harness, session, clock, users, ids)
    with session() as s:
        action = PlanAction(binome_id=s.exec(select(Binome)).one().id, title="Write my CV", created_by=ids["mentee"],
                            created_at=clock.now(), changed_at=clock.now(), status_changed_at=clock.now())
        s.add(action)
        s.flush()
        action_id = action.id
    for data in (f"m:{HUGE}:ok", f"m:{HUGE}:d:20260908", f"p:{HUGE}:open", f"c:{HUGE}:mood:3",
                 f"c:{checkin_id}:act:{HUGE}_d", f"p:{action_id}:c:skip.{HUGE}", f"p:{action_id}:rdone:{HUGE}"):
        answer = await amina.callback_answer(await amina.press_data(question, data))
        assert answer["text"] == INVALID, data
    await claire.send("/help")
    help_text = await claire.wait_for_message()
    answer = await claire.callback_answer(await claire.press_data(help_text, f"a:{HUGE}:ack"))
    assert answer["text"] == INVALID
    eve = harness.server.user(first_name="Eve", language_code="en")  # not linked: her phone's language
    await eve.send("/start")
    hint = await eve.wait_for_message()
    answer = await eve.callback_answer(await eve.press_data(hint, f"consent:{HUGE}:y"))
    assert answer["text"] == INVALID
    assert errors_logged(caplog) == []
    assert not any(m.text == APOLOGY for user in (amina, claire, eve) for m in user.messages)


def test_an_id_out_of_range_finds_nothing_in_storage(session):
    with session() as s:
        assert s.get(Meeting, int(HUGE)) is None and s.get(Participant, -int(HUGE)) is None


async def test_a_button_with_a_missing_extra_or_malformed_value_changes_nothing(harness, session, clock, caplog):
    ids, users = english_people(harness, session, clock)
    amina = users["amina"]
    question, cid = await open_checkin(harness, session, clock, users, ids)
    shown = question.text

    def state():
        with session() as s:
            return (s.get(CheckIn, cid).model_dump(), [a.model_dump() for a in s.exec(select(CheckInAnswer))],
                    s.exec(select(CheckInPause)).all())

    before = state()
    forged = [f"c:{cid}:act", f"c:{cid}:act:5", f"c:{cid}:act:1_2_3", f"c:{cid}:act:x_d", f"c:{cid}:mood",
              f"c:{cid}:mood:x", f"c:{cid}:fine", f"c:{cid}:sh", f"c:{cid}:snz", f"c:{cid}:awd", f"c:{cid}:awd:x",
              f"c:{cid}:later:x", f"c:{cid}:away:7", f"c:{cid}:back:1", f"c:{cid}:mood:3:4",
              "m:1:r", "m:1:o", "m:1:d", "m:1:t", "m:1:p", "m:1:ok:x", "p:1:s", "p:1:ed", "p:1:rdone", "p:1:open:x",
              "p:0:list:x", "a:1:out", "a:1:ack:x"]
    for data in forged:
        answer = await amina.callback_answer(await amina.press_data(question, data))
        assert answer["text"] == INVALID, data
    assert state() == before and question.text == shown
    assert errors_logged(caplog) == []


async def test_the_apology_speaks_the_language_of_the_person_whose_update_failed(harness, session, clock):
    ids, users = english_people(harness, session, clock)
    marc = users["marc"]
    harness.server.inject_fault("500", method="sendMessage", times=1)
    await marc.send("/help")
    assert (await marc.wait_for_message()).text == APOLOGY
    eve = harness.server.user(first_name="Eve", language_code="en-GB")  # not linked: her phone's language
    harness.server.inject_fault("500", method="sendMessage", times=1)
    await eve.send("/help")
    assert (await eve.wait_for_message()).text == APOLOGY


async def test_a_button_that_fails_after_answering_the_press_still_apologises(harness, session, clock):
    ids, users = alert_people(harness, session, clock, started_days_ago=20)
    await harness.tick()
    claire = users["claire"]
    card = await claire.wait_for_message()
    harness.server.inject_fault("500", method="editMessageText", times=1)
    answer = await claire.callback_answer(await claire.press(card, text="🙋 I'm on it"))
    assert answer["text"] is None  # the press was answered before the edit failed
    await harness.server.settle()
    assert claire.last_message.text == APOLOGY


def test_every_verb_of_every_button_says_what_value_it_takes():
    """conversations.buttons refuses a verb its feature's VALUES does not list: a new verb needs its line."""
    for handlers, values in ((checkins.VERBS, checkins.VALUES), (meetings.ACTIONS, meetings.VALUES),
                             (plan.ACTIONS, plan.VALUES)):
        assert set(values) == set(handlers)
    match = re.match(buttons.pattern("c"), "c:12:act:34_d")
    assert buttons.parse(match, checkins.VALUES) == buttons.Press(12, "act", "34_d")
    for data in ("c:12:act", "c:12:act:34", "c:12:done:1", "c:12:zap", "c:12:act:1234567890123456789_d"):
        assert buttons.parse(re.match(buttons.pattern("c"), data), checkins.VALUES) is None, data
    assert re.match(buttons.pattern("c"), f"c:{HUGE}:done") is None


# ---------------------------------------------------------------- invisible text (issue 10, item 8)

from storage.text import clean_text  # noqa: E402 (this section's own import)


def test_clean_text_drops_control_and_invisible_characters_and_keeps_real_writing():
    for invisible in ("\u200b", "\u200c\u2060", "\ufeff\u00ad", "\u202e\u2066\u200f", "\x00\x07", "\u3164\u115f",
                      "\u2800", "\ufe0f", " \u00a0\u3000\n\t", ""):
        assert clean_text(invisible) == clean_text(invisible, multiline=True) == "", repr(invisible)
    assert clean_text("\x00Update\x00  my\u200b CV\x07 ") == "Update my CV"
    assert clean_text("Ine\u0300s") == "Inès" == clean_text("Ine\u200b\u0300s")  # NFC, also once a gap is gone
    assert clean_text("line one\r\n\n\tline two \n", multiline=True) == "line one\n\n\tline two"
    assert clean_text("line one\nline two") == "line one line two"
    # Joiners words and emoji need, and the emoji variation selector, stay.
    for kept in ("می\u200cخواهم", "👩\u200d💻", "❤\ufe0f", "❤\ufe0f\u200d🔥"):
        assert clean_text(kept) == kept
    assert clean_text("\u200d👩\u200c") == "👩"
