"""Anything unexpected gets a clear answer in the user's language; nothing is lost or applied twice."""
from __future__ import annotations

import logging

from sqlmodel import select

from bot.app import build_application, running
from bot.logs import configure_logging
from storage.models import AuditLog, Participant, ParticipantStatus
from tests.factories import invite, link, make_pair, make_programme


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
    assert "envoyez plutôt un nouveau message" in (await amina.wait_for_message()).text
    await amina.send_voice()
    assert "que du texte et des boutons" in (await amina.wait_for_message()).text
    await amina.send_document("cv.pdf", b"%PDF-1.4")
    assert "que du texte et des boutons" in (await amina.wait_for_message()).text


async def test_a_telegram_error_while_answering_ends_in_an_apology_and_clean_logs(harness, session, clock, caplog):
    seed(session, clock)
    configure_logging("DEBUG")  # as an operator chasing a problem would run it
    caplog.set_level(logging.DEBUG)
    zoe = harness.server.user(first_name="Zoé", last_name="Lefèvre", language_code="fr")
    harness.server.inject_fault("500", method="sendMessage", times=1)
    await zoe.send("/help mon secret 0612345678")
    apology = await zoe.wait_for_message()
    assert apology.text == "Désolé, un problème est survenu de mon côté. Réessayez dans un instant."
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
    assert "ouvrez le lien personnel" in (await amina.wait_for_message()).text  # not joined yet: how to join
