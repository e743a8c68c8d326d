"""Onboarding as people live it: a link tapped on the phone, consent, language, the binôme introduced."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.i18n import translator
from storage.models import AuditLog, Invitation, OutboundMessage, Participant, ParticipantStatus, Role
from tests.factories import invite, make_pair, make_participant, make_programme


def seed(session, clock, **pair):
    with session() as s:
        programme = make_programme(s, clock.now())
        mentor, mentee, binome = make_pair(s, programme, clock.now(), **pair)
        tokens = {"mentor": invite(s, mentor, clock.now()), "mentee": invite(s, mentee, clock.now())}
        return programme, mentor, mentee, tokens


async def onboard(user, token, agree="J'accepte", language="Français"):
    await user.send(f"/start {token}")
    consent = await user.wait_for_message()
    await user.press(consent, text=agree)
    question = await user.wait_for_message()
    await user.press(question, text=language)
    return consent, question, await user.wait_for_message()


async def test_mentee_is_onboarded_in_french(harness, session, clock):
    programme, mentor, mentee, tokens = seed(session, clock)
    amina = harness.server.user(first_name="Amina", language_code="fr")

    await amina.send(f"/start {tokens['mentee']}")
    consent = await amina.wait_for_message()
    assert "Bonjour Amina" in consent.text
    assert "MentorYou Bruxelles" in consent.text
    assert "/stop" in consent.text
    assert consent.button_texts == ["✅ J'accepte", "❌ Je refuse"]

    await amina.press(consent, text="J'accepte")
    question = await amina.wait_for_message()
    assert question.text == "Dans quelle langue voulez-vous mes messages ?"
    assert question.button_texts[0] == "✓ Français"
    assert "English" in question.button_texts
    assert amina.messages[0].edited and amina.messages[0].reply_markup in (None, {"inline_keyboard": []})

    await amina.press(question, text="Français")
    intro = await amina.wait_for_message()
    assert "Marc" in intro.text and "mentor" in intro.text
    assert "Dubois" not in intro.text  # each side sees the other's first name only
    assert "pas encore rejoint" in intro.text  # Marc has not joined yet
    await harness.server.settle()

    with session() as s:
        linked = s.get(Participant, mentee.id)
        assert linked.telegram_user_id == amina.id
        assert linked.status == ParticipantStatus.ACTIVE
        assert linked.language == "fr"
        assert linked.consent_at == clock.now() and linked.onboarded_at == clock.now()
        assert s.exec(select(Invitation).where(Invitation.participant_id == mentee.id)).one().used_at is not None
        actions = [a.action for a in s.exec(select(AuditLog)).all()]
        assert "consent.given" in actions and "participant.language" in actions
    menu = harness.server.commands(scope={"type": "chat", "chat_id": amina.id})
    assert [c["command"] for c in menu] == ["plan", "rencontre", "progres", "absent", "conges", "aide", "langue",
                                             "stop", "start", "mesdonnees", "oubli"]  # her menu speaks French
    assert {c["command"]: c["description"] for c in menu}["aide"] == "Ce que je peux faire pour vous"


async def test_mentor_is_onboarded_in_english_from_telegram_language(harness, session, clock):
    programme, mentor, mentee, tokens = seed(session, clock)
    marc = harness.server.user(first_name="Marc", language_code="en")

    await marc.send(f"/start {tokens['mentor']}")
    consent = await marc.wait_for_message()
    assert consent.text.startswith("Hello Marc!")
    await marc.press(consent, text="I agree")
    question = await marc.wait_for_message()
    assert question.button_texts[0] == "✓ English"
    await marc.press(question, text="English")
    intro = await marc.wait_for_message()
    assert "You are in a binôme with Amina, your mentee." in intro.text
    menu = harness.server.commands(scope={"type": "chat", "chat_id": marc.id})
    assert {c["command"]: c["description"] for c in menu}["help"] == "What I can do for you"


async def test_partner_hears_when_the_other_side_joins(harness, session, clock):
    programme, mentor, mentee, tokens = seed(session, clock)
    amina = harness.server.user(first_name="Amina", language_code="fr")
    marc = harness.server.user(first_name="Marc", language_code="en")
    await onboard(amina, tokens["mentee"])
    await onboard(marc, tokens["mentor"], agree="I agree", language="English")

    assert await harness.tick() == 1
    news = await amina.wait_for_message()
    assert news.text == "Bonne nouvelle : Marc, votre mentor, a rejoint Binôme."
    assert await harness.tick() == 0  # sent once, never twice
    with session() as s:
        assert len(s.exec(select(OutboundMessage)).all()) == 1


async def test_coordinator_is_onboarded_with_the_programme_figures(harness, session, clock):
    with session() as s:
        programme = make_programme(s, clock.now(), vocabulary="tuteur")
        make_pair(s, programme, clock.now())
        claire = make_participant(s, programme, clock.now(), Role.COORDINATOR, "Claire", "Martin")
        token = invite(s, claire, clock.now())
    user = harness.server.user(first_name="Claire", language_code="fr-BE")
    consent, _, intro = await onboard(user, token)
    assert "En tant que coordinateur" in consent.text
    assert "Vous coordonnez «MentorYou Bruxelles»" in intro.text
    assert "0 participants sur 2 ont rejoint" in intro.text
    menu = harness.server.commands(scope={"type": "chat", "chat_id": user.id})
    assert [c["command"] for c in menu][:3] == ["alertes", "binomes", "binome"]

    await user.send("/programme")
    status = await user.wait_for_message()
    assert "Pas encore rejoint" in status.text and "Marc Dubois" in status.text


async def test_tutoring_programme_uses_its_own_words(harness, session, clock):
    with session() as s:
        programme = make_programme(s, clock.now(), name="Tutorat CP 332", vocabulary="tuteur")
        mentor, mentee, _ = make_pair(s, programme, clock.now())
        token = invite(s, mentee, clock.now())
    amina = harness.server.user(first_name="Amina", language_code="fr")
    consent, _, intro = await onboard(amina, token)
    assert "Votre tuteur voit" in consent.text
    assert "Marc, votre tuteur" in intro.text


async def test_unknown_and_malformed_tokens_get_a_polite_answer_and_no_data(harness, session, clock):
    seed(session, clock)
    stranger = harness.server.user(first_name="Eve", language_code="en")
    await stranger.send("/start abcdefghijklmnopqrstuvwxyz012345")
    assert "This link does not work" in (await stranger.wait_for_message()).text
    await stranger.send("/start <script>")
    assert "This link does not work" in (await stranger.wait_for_message()).text
    with session() as s:
        assert s.exec(select(Participant).where(Participant.telegram_user_id == stranger.id)).first() is None
        assert all(i.pending_user_id is None for i in s.exec(select(Invitation)).all())


async def test_expired_token(harness, session, clock):
    programme, mentor, mentee, tokens = seed(session, clock)
    clock.advance(days=30, seconds=1)
    amina = harness.server.user(first_name="Amina", language_code="fr")
    await amina.send(f"/start {tokens['mentee']}")
    assert "Ce lien a expiré" in (await amina.wait_for_message()).text


async def test_a_used_link_cannot_link_a_second_account(harness, session, clock):
    programme, mentor, mentee, tokens = seed(session, clock)
    amina = harness.server.user(first_name="Amina", language_code="fr")
    await onboard(amina, tokens["mentee"])
    other = harness.server.user(first_name="Sam", language_code="fr")
    await other.send(f"/start {tokens['mentee']}")
    assert "a déjà utilisé ce lien" in (await other.wait_for_message()).text
    # The rightful owner tapping again is simply welcomed back.
    await amina.send(f"/start {tokens['mentee']}")
    assert "Tout est prêt, Amina" in (await amina.wait_for_message()).text
    with session() as s:
        assert s.get(Participant, mentee.id).telegram_user_id == amina.id


async def test_a_shared_link_is_held_by_the_first_account_until_it_answers(harness, session, clock):
    programme, mentor, mentee, tokens = seed(session, clock)
    amina = harness.server.user(first_name="Amina", language_code="fr")
    await amina.send(f"/start {tokens['mentee']}")
    consent = await amina.wait_for_message()

    friend = harness.server.user(first_name="Sam", language_code="fr")
    await friend.send(f"/start {tokens['mentee']}")
    assert "Quelqu'un d'autre utilise déjà ce lien" in (await friend.wait_for_message()).text
    # Pressing a forged copy of Amina's consent button changes nothing.
    data = consent.buttons[0][0][1]
    friend_message = await friend.send("hello")
    await friend.wait_for_message()
    cq = await friend.press_data(friend.last_message, data)
    answer = await friend.callback_answer(cq)
    assert answer["text"] == "Ce bouton n'est plus valable."

    await amina.press(consent, text="J'accepte")
    await amina.wait_for_message()
    with session() as s:
        assert s.get(Participant, mentee.id).telegram_user_id == amina.id


async def test_consent_refused_keeps_nothing_and_the_link_still_works(harness, session, clock):
    programme, mentor, mentee, tokens = seed(session, clock)
    amina = harness.server.user(first_name="Amina", language_code="fr")
    await amina.send(f"/start {tokens['mentee']}")
    consent = await amina.wait_for_message()
    await amina.press(consent, text="Je refuse")
    await harness.server.settle()
    assert "Je ne garde rien de votre compte Telegram" in amina.messages[0].text
    with session() as s:
        refused = s.get(Participant, mentee.id)
        assert refused.status == ParticipantStatus.DECLINED
        assert refused.telegram_user_id is None and refused.telegram_chat_id is None
        assert refused.consent_at is None and refused.consent_refused_at == clock.now()
        assert all(i.pending_user_id is None for i in s.exec(select(Invitation)).all())

    # She changes her mind with the same link.
    await onboard(amina, tokens["mentee"])
    with session() as s:
        assert s.get(Participant, mentee.id).status == ParticipantStatus.ACTIVE


async def test_stop_pauses_messages_and_start_resumes(harness, session, clock):
    programme, mentor, mentee, tokens = seed(session, clock)
    amina = harness.server.user(first_name="Amina", language_code="fr")
    marc = harness.server.user(first_name="Marc", language_code="fr")
    await onboard(amina, tokens["mentee"])

    await amina.send("/stop")
    assert "Je ne vous envoie plus de messages" in (await amina.wait_for_message()).text
    await amina.send("/stop")
    assert "déjà en pause" in (await amina.wait_for_message()).text
    await onboard(marc, tokens["mentor"])
    assert await harness.tick() == 0  # the news of Marc joining is not sent while paused
    with session() as s:
        assert s.get(Participant, mentee.id).status == ParticipantStatus.PAUSED
        assert s.exec(select(OutboundMessage)).one().dropped_at is not None

    await amina.send("/start")
    assert "Bon retour, Amina" in (await amina.wait_for_message()).text
    with session() as s:
        assert s.get(Participant, mentee.id).status == ParticipantStatus.ACTIVE


async def test_language_can_be_changed_later(harness, session, clock):
    programme, mentor, mentee, tokens = seed(session, clock)
    amina = harness.server.user(first_name="Amina", language_code="fr")
    await onboard(amina, tokens["mentee"])
    await amina.send("/language")
    question = await amina.wait_for_message()
    assert question.button_texts[0] == "✓ Français"
    await amina.press(question, text="English")
    assert (await amina.wait_for_message()).text == "Done. From now on, I write to you in English."
    await amina.send("/help")
    assert (await amina.wait_for_message()).text.startswith("Here is what you can do:")
    menu = harness.server.commands(scope={"type": "chat", "chat_id": amina.id})
    assert {c["command"]: c["description"] for c in menu}["help"] == "What I can do for you"


async def test_strangers_and_odd_messages_get_a_clear_answer(harness, session, clock):
    seed(session, clock)
    stranger = harness.server.user(first_name="Eve", language_code="fr")
    await stranger.send("/start")
    assert "ouvrez votre lien personnel" in (await stranger.wait_for_message()).text
    await stranger.send_sticker()
    assert "ouvrez votre lien personnel" in (await stranger.wait_for_message()).text
    await stranger.send("/help")
    assert "/start" in (await stranger.wait_for_message()).text
    with session() as s:
        assert s.exec(select(Participant).where(Participant.telegram_user_id == stranger.id)).first() is None


async def test_participant_sending_photos_text_and_unknown_commands(harness, session, clock):
    programme, mentor, mentee, tokens = seed(session, clock)
    amina = harness.server.user(first_name="Amina", language_code="fr")
    await onboard(amina, tokens["mentee"])
    await amina.send_photo()
    assert "seulement le texte et les boutons" in (await amina.wait_for_message()).text
    await amina.send("x" * 4096)
    assert "boutons et les commandes" in (await amina.wait_for_message()).text
    await amina.send("/nimportequoi")
    assert "Je ne connais pas cette commande" in (await amina.wait_for_message()).text


async def test_stale_language_button_from_a_stranger(harness, session, clock):
    seed(session, clock)
    eve = harness.server.user(first_name="Eve", language_code="en")
    await eve.send("hi")
    await eve.wait_for_message()
    answer = await eve.callback_answer(await eve.press_data(eve.last_message, "lang:fr"))
    assert answer["text"] == "This button is no longer valid."
    answer = await eve.callback_answer(await eve.press_data(eve.last_message, "garbage:\u00e9\u00e9"))
    assert answer["text"] == "This button is no longer valid."


async def test_the_bot_leaves_group_chats_politely(harness, session, clock):
    seed(session, clock)
    amina = harness.server.user(first_name="Amina", language_code="fr")
    group = harness.server.group(title="Binôme B01", members=[amina])
    await group.add_bot(by=amina)
    await harness.server.settle()
    left = [params for method, params, status in harness.server.requests if method == "leaveChat"]
    assert left and int(left[0]["chat_id"]) == group.id


async def test_blocked_bot_makes_the_participant_unreachable_until_they_return(harness, session, clock):
    programme, mentor, mentee, tokens = seed(session, clock)
    amina = harness.server.user(first_name="Amina", language_code="fr")
    marc = harness.server.user(first_name="Marc", language_code="fr")
    await onboard(amina, tokens["mentee"])
    await amina.block_bot()
    await harness.server.settle()
    with session() as s:
        assert s.get(Participant, mentee.id).status == ParticipantStatus.UNREACHABLE
    await amina.unblock_bot()
    await harness.server.settle()
    with session() as s:
        assert s.get(Participant, mentee.id).status == ParticipantStatus.ACTIVE

    await amina.block_bot()
    await harness.server.settle()
    with session() as s:  # as if the block update had been lost
        lost = s.get(Participant, mentee.id)
        lost.status, lost.unreachable_since = ParticipantStatus.ACTIVE, None
    await onboard(marc, tokens["mentor"])
    assert await harness.tick() == 0  # 403: bot was blocked by the user
    with session() as s:
        assert s.get(Participant, mentee.id).status == ParticipantStatus.UNREACHABLE
        assert s.exec(select(OutboundMessage)).one().error == "forbidden"


def test_dates_are_formatted_in_the_recipients_language_and_timezone(clock):
    moment = clock.now() + timedelta(days=20)  # 2026-09-27 08:00 UTC
    assert translator("fr", "Europe/Paris").datetime(moment, "short") == "27/09/2026 10:00"
    assert translator("en", "America/New_York").time(moment) == "4:00\u202fAM"


INTRODUCTIONS = {
    ("mentee", "fr"): ("J'accepte", "Français", "Vous êtes en binôme avec Marc, votre mentor."),
    ("mentee", "en"): ("I agree", "English", "You are in a binôme with Marc, your mentor."),
    ("mentor", "fr"): ("J'accepte", "Français", "Vous êtes en binôme avec Amina, votre mentoré."),
    ("mentor", "en"): ("I agree", "English", "You are in a binôme with Amina, your mentee."),
    ("coordinator", "fr"): ("J'accepte", "Français", "Bienvenue, Claire. Vous coordonnez «MentorYou Bruxelles»."),
    ("coordinator", "en"): ("I agree", "English", "Welcome, Claire. You coordinate «MentorYou Bruxelles»."),
}


@pytest.mark.parametrize(("role", "language"), sorted(INTRODUCTIONS))
async def test_each_role_is_onboarded_in_each_language(harness, session, clock, role, language):
    agree, language_button, introduction = INTRODUCTIONS[(role, language)]
    with session() as s:
        programme = make_programme(s, clock.now())
        mentor, mentee, _ = make_pair(s, programme, clock.now())
        claire = make_participant(s, programme, clock.now(), Role.COORDINATOR, "Claire", "Martin")
        person = {"mentee": mentee, "mentor": mentor, "coordinator": claire}[role]
        token = invite(s, person, clock.now())
    user = harness.server.user(first_name=person.first_name, language_code=language)
    consent, question, intro = await onboard(user, token, agree=agree, language=language_button)
    assert introduction in intro.text
    with session() as s:
        assert s.get(Participant, person.id).language == language


async def test_newcomers_see_a_menu_in_their_language(harness):
    assert [c["command"] for c in harness.server.commands(scope="all_private_chats", language_code="fr")] == \
        ["start", "aide"]
    assert [c["command"] for c in harness.server.commands(scope="all_private_chats", language_code="en")] == \
        ["start", "help"]
    assert harness.server.commands(scope="all_private_chats", language_code="en")[1]["description"] == \
        "What I can do for you"
    assert harness.server.commands(scope="all_private_chats", language_code="fr")[1]["description"] == \
        "Ce que je peux faire pour vous"


IMPORTED_WITHOUT_LANGUAGE = "Binôme;Rôle;Prénom;Nom\nB1;Mentor;Marc;Dubois\nB1;Mentoré;Amina;Benali\n"


@pytest.mark.parametrize(("phone", "consent_starts", "ticked"), [
    ("en", "Hello Amina!", "✓ English"),
    ("fr", "Bonjour Amina !", "✓ Français"),
    ("de", "Bonjour Amina !", "✓ Français"),  # no German catalog: the programme's language
])
async def test_a_person_imported_without_a_language_reads_consent_in_the_phones_language(
        harness, session, clock, phone, consent_starts, ticked):
    from bot.i18n import available_languages
    from storage.importer import import_participants

    with session() as s:
        programme = make_programme(s, clock.now(), language="fr")
        report = import_participants(session=s, programme=programme, data=IMPORTED_WITHOUT_LANGUAGE.encode(),
                                     now=clock.now(), languages=available_languages())
        assert report.participants_created == 2
        amina = s.exec(select(Participant).where(Participant.first_name == "Amina")).one()
        token = invite(s, amina, clock.now())
    user = harness.server.user(first_name="Amina", language_code=phone)
    await user.send(f"/start {token}")
    consent = await user.wait_for_message()
    assert consent.text.startswith(consent_starts)
    await user.press(consent, text=consent.button_texts[0][2:])
    question = await user.wait_for_message()
    assert question.button_texts[0] == ticked
