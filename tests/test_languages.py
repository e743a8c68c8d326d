"""Every person in their own language: a mentee plays the life of a pair (onboarding, a meeting proposal, an
absence, a check-in, "I need help") entirely in each language, through the local Bot API, and nothing she
receives carries an untranslated English text. Menus, command names, the picker and dates per language."""
from __future__ import annotations

import os
import re
from datetime import date, datetime, timezone
from functools import cache

import pytest
from babel.dates import get_month_names
from icalendar import Calendar

from bot.catalogs import extract
from bot.commands import BY_ROLE, FOR_NEWCOMERS, local_name, names
from bot.i18n import (FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE, available_languages, language_name,
                      translator)
from bot.vocabulary import term
from storage.importer.values import gender_of_role_word, parse_language
from storage.models import Programme, Role
from tests.factories import invite, link, make_pair, make_participant, make_programme

NEW_LANGUAGES = ("nl", "ar", "es", "uk", "tr")
THU_10_AT_8 = datetime(2026, 9, 10, 6, 0, tzinfo=timezone.utc)  # the morning of the meeting, in Brussels
WED_16_AT_18 = datetime(2026, 9, 16, 16, 0, tzinfo=timezone.utc)  # the next week's check-in


@cache
def _english_fragments(language: str) -> tuple[tuple[str, ...], frozenset[str]]:
    """What would betray an untranslated text in this language: the literal parts (12 characters or more) of
    every English message the language translates differently, and the short ones whole (button labels)."""
    tr = translator(language)
    long, short = set(), set()
    for message in extract():
        if not message.id or not isinstance(message.id, str):
            continue
        translated = tr.pgettext(message.context, message.id) if message.context else tr.gettext(message.id)
        if translated == message.id:
            continue
        for part in re.split(r"\{[^{}]*\}", message.id):
            part = part.strip(" .,:;!?()«»\n")
            if len(part) >= 12 and re.search(r"[a-z]{3}", part):
                long.add(part)
        if re.search(r"[A-Za-z]{3}", message.id) and len(message.id) < 40:
            short.add(message.id)
    return tuple(sorted(long)), frozenset(short)


def english_leaks(language: str, user) -> list[str]:
    long, short = _english_fragments(language)
    leaks = []
    for message in user.messages:
        texts = [message.text or ""]
        leaks += [f"{part!r} in {texts[0]!r}" for part in long if part in texts[0]]
        leaks += [f"button {label!r}" for label in message.button_texts if label in short]
    return leaks


async def tap(user, message, text: str):
    await user.callback_answer(await user.press(message, text=text), timeout=10)
    await user.server.settle()


def seed(harness, session, clock, phone_language: str):
    with session() as s:
        programme = make_programme(s, clock.now())  # Monday 7 Sept 2026, in Brussels
        mentor, mentee, _ = make_pair(s, programme, clock.now())
        claire = make_participant(s, programme, clock.now(), Role.COORDINATOR, "Claire")
        marc = harness.server.user(first_name="Marc", language_code="fr")
        link(mentor, marc, clock.now(), "fr")
        coordinator = harness.server.user(first_name="Claire", language_code="fr")
        link(claire, coordinator, clock.now(), "fr")
        token = invite(s, mentee, clock.now())
    return marc, coordinator, harness.server.user(first_name="Amina", language_code=phone_language), token


@pytest.mark.parametrize("language", NEW_LANGUAGES)
async def test_a_mentee_lives_the_pair_entirely_in_her_language(harness, session, clock, language):
    tr = translator(language, "Europe/Brussels")
    marc, claire, amina, token = seed(harness, session, clock, language)

    # Onboarding: consent, the picker (her phone's language ticked, first), the introduction.
    await amina.send(f"/start {token}")
    consent = await amina.wait_for_message()
    assert tr("✅ I agree") in consent.button_texts
    await tap(amina, consent, tr("✅ I agree"))
    picker = await amina.wait_for_message()
    assert picker.button_texts[0] == "✓ " + language_name(language)
    assert set(picker.button_texts[1:]) == {language_name(code) for code in available_languages()} - {
        language_name(language)}
    await tap(amina, picker, language_name(language))
    intro = await amina.wait_for_message()
    assert "Marc" in intro.text
    menu = harness.server.commands(scope={"type": "chat", "chat_id": amina.id})
    assert [c["command"] for c in menu] == [local_name(tr, name) for name, _ in BY_ROLE[Role.MENTEE]]
    assert [c["description"] for c in menu] == [tr(description) for _, description in BY_ROLE[Role.MENTEE]]

    # Marc (in French) proposes a meeting; she accepts it in her language and gets the calendar file.
    await marc.send("/meeting")
    days = await marc.wait_for_message()
    for label in ("jeu. 10 sept.", "17:00", "Marc", "Envoyer"):
        await tap(marc, days, label)
    await harness.tick()
    proposal = await amina.wait_for_message()
    assert any(month[9] in proposal.text for month in (get_month_names("wide", locale=language),
                                                        get_month_names("abbreviated", locale=language)))
    assert "September" not in proposal.text and "Sep" not in proposal.text
    await tap(amina, proposal, tr("✅ Accept"))
    await harness.tick()
    confirmed = await amina.wait_for_message()
    calendar = await amina.wait_for_message()
    [event] = Calendar.from_ical(calendar.document["data"]).walk("VEVENT")
    assert str(event["SUMMARY"]) == tr("Binôme: meeting with {name}").format(name="Marc")
    assert calendar.document["file_name"] == tr("meeting.ics")

    # The morning of the meeting she cannot come, with her language's own command name.
    clock.set(THU_10_AT_8)
    await amina.send("/" + local_name(tr, "absent"))
    question = await amina.wait_for_message()
    await tap(amina, question, tr("💼 Job interview"))
    await harness.tick()
    warning = await marc.wait_for_message(predicate=lambda m: (m.text or "").startswith("⚠️"))
    assert warning.text.startswith("⚠️ Amina, votre mentorée") or warning.text.startswith("⚠️ Amina, votre mentoré")

    # The next week's check-in, then "I need help" at its end.
    clock.set(WED_16_AT_18)
    await harness.tick()
    checkin = await amina.wait_for_message(predicate=lambda m: "🙂" in m.button_texts)
    await tap(amina, checkin, "🙂")
    await tap(amina, checkin, tr("Skip"))
    await tap(amina, checkin, tr("🆘 I need help"))
    await harness.tick()
    card = await claire.wait_for_message(predicate=lambda m: "B01" in (m.text or ""))
    assert card.text
    await amina.wait_for_message(predicate=lambda m: m.message_id > checkin.message_id)

    if os.environ.get("SHOW_TRANSCRIPT"):  # docs/translations.md: read the flow with a native speaker
        print(amina.transcript)
    assert english_leaks(language, amina) == [], amina.transcript
    if tr.right_to_left:  # every value set into an Arabic sentence keeps its own direction
        for message in (proposal, confirmed):
            assert f"{FIRST_STRONG_ISOLATE}Marc{POP_DIRECTIONAL_ISOLATE}" in message.text
        assert f"{FIRST_STRONG_ISOLATE}Marc{POP_DIRECTIONAL_ISOLATE}" in str(event["SUMMARY"])
        assert all(text.count("Marc") == text.count(FIRST_STRONG_ISOLATE + "Marc") for text in
                   (m.text or "" for m in amina.messages))


@pytest.mark.parametrize("language", ("fr", "en") + NEW_LANGUAGES)
async def test_newcomers_menus_in_each_language(harness, language):
    tr = translator(language)
    menu = harness.server.commands(scope="all_private_chats", language_code=language)
    assert [(c["command"], c["description"]) for c in menu] == [
        (local_name(tr, name), tr(description)) for name, description in FOR_NEWCOMERS]


def test_every_command_name_works_for_everyone_and_names_one_command():
    seen: dict[str, str] = {}
    for command in ("meeting", "absent", "plan", "help", "alerts", "mydata", "away"):
        for name in names(command):
            assert re.fullmatch(r"[a-z0-9_]{1,32}", name)
            assert seen.setdefault(name, command) == command
        assert names(command)[0] == command  # the English name, for everyone
    assert "rencontre" in names("meeting") and "aide" in names("help")
    assert names("start") == ("start",)  # deep links open /start in every language


@pytest.mark.parametrize("language", ("fr", "en") + NEW_LANGUAGES)
def test_dates_and_the_picker_name_in_each_language(language):
    tr = translator(language, "Europe/Brussels")
    first = tr.date(date(2026, 12, 1))
    assert "2026" in first or "٢٠٢٦" in first
    assert "December" not in first or language == "en"
    name = language_name(language)
    assert name == name[:1].upper() + name[1:]  # "Español", not "español"
    assert parse_language(language) == language
    assert parse_language(language_name(language)) == language  # "Nederlands", "العربية" in an import file


def test_french_is_written_as_french_is_written():
    fr = translator("fr", "Europe/Brussels")
    assert fr.date(date(2026, 12, 1)) == "1er décembre 2026"
    assert fr.date(date(2026, 12, 2)) == "2 décembre 2026"
    assert fr("at {name}'s workplace").format(name="Hélène") == "sur le lieu de travail d'Hélène"
    assert fr("at {name}'s workplace").format(name="Marc") == "sur le lieu de travail de Marc"
    assert translator("en")("at {name}'s workplace").format(name="Hélène") == "at Hélène's workplace"


def test_the_feminine_role_word_comes_from_the_import_row():
    assert [gender_of_role_word(w) for w in ("mentorée", "Filleule", "coordinatrice", "mentoré", "tuteur")] == [
        "f", "f", "f", None, None]
    programme, fr = Programme(name="P", vocabulary="mentor"), translator("fr")
    assert [term(fr, programme, role, "f") for role in (Role.MENTEE, Role.MENTOR, Role.COORDINATOR)] == [
        "mentorée", "mentore", "coordinatrice"]
    assert term(fr, programme, Role.MENTEE) == "mentoré"


async def test_a_programme_offers_only_its_languages(harness, session, clock):
    with session() as s:
        programme = make_programme(s, clock.now())
        programme.options = {"languages": ["fr", "nl"]}
        _, mentee, _ = make_pair(s, programme, clock.now())
        token = invite(s, mentee, clock.now())
    amina = harness.server.user(first_name="Amina", language_code="ar")  # a phone in a language not offered
    await amina.send(f"/start {token}")
    consent = await amina.wait_for_message()
    await tap(amina, consent, "✅ J'accepte")  # the programme's language, since Arabic is not offered
    picker = await amina.wait_for_message()
    assert picker.button_texts == ["✓ Français", "Nederlands"]
    forged = await amina.callback_answer(await amina.press_data(picker, "lang:ar"))
    assert forged["text"] == "Ce bouton n'est plus valable."
    await tap(amina, picker, "Nederlands")
    await amina.wait_for_message()
    assert harness.server.commands(scope={"type": "chat", "chat_id": amina.id})[0]["command"] == "plan"
