"""Every user-facing text is in the French and English catalogs; a missing one fails this test."""
from __future__ import annotations

import shutil

from babel.messages.pofile import read_po, write_po

from bot.catalogs import problems
from bot.i18n import LOCALES_DIR, N_, available_languages, language_name, pick_language, translator


def test_french_and_english_catalogs_are_complete():
    assert problems() == []


def test_a_catalog_missing_a_message_is_caught(tmp_path):
    copy = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, copy)
    path = copy / "fr" / "LC_MESSAGES" / "binome.po"
    catalog = read_po(path.open("rb"), locale="fr")
    catalog.delete("This button is no longer valid.")
    with path.open("wb") as handle:
        write_po(handle, catalog)
    assert problems(locales_dir=copy) == ["fr: missing 'This button is no longer valid.'"]


def test_a_missing_catalog_is_caught(tmp_path):
    copy = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, copy)
    shutil.rmtree(copy / "en")
    assert "en: catalog missing" in problems(locales_dir=copy)


def test_texts_are_translated_then_formatted():
    assert translator("fr")("Welcome, {first_name}!").format(first_name="Zoé") == "Bienvenue, Zoé !"
    assert translator("en")(N_("mentee")) == "mentee"


def test_languages_are_picked_from_what_we_speak():
    assert available_languages()[0] == "fr"
    assert pick_language("en-GB") == "en"
    assert pick_language("de", None, "en") == "en"  # a phone in German: no catalog
    assert pick_language("ar-MA") == "ar" and pick_language("ar", among=("fr", "nl")) == "fr"
    assert pick_language(None) == "fr"
    assert language_name("fr") == "Français" and language_name("en") == "English"
    assert [language_name(code) for code in ("nl", "ar", "es", "uk", "tr")] == [
        "Nederlands", "العربية", "Español", "Українська", "Türkçe"]


def _edit_copy(tmp_path, language: str, change) -> object:
    copy = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, copy)
    path = copy / language / "LC_MESSAGES" / "binome.po"
    catalog = read_po(path.open("rb"), locale=language)
    change(catalog)
    with path.open("wb") as handle:
        write_po(handle, catalog)
    return copy


def test_a_placeholder_that_differs_from_the_msgid_is_caught(tmp_path):
    def rename(catalog):
        catalog["Welcome, {first_name}!"].string = "Welkom, {voornaam}!"
    found = problems(locales_dir=_edit_copy(tmp_path, "nl", rename))
    assert found == ["nl: placeholders ['{voornaam}'] instead of ['{first_name}'] in 'Welcome, {first_name}!'"]


def test_a_command_name_telegram_refuses_or_that_names_two_commands_is_caught(tmp_path):
    def break_names(catalog):
        catalog.get("meeting", context="command").string = "réunion"
        catalog.get("help", context="command").string = "plan"
    found = problems(locales_dir=_edit_copy(tmp_path, "es", break_names))
    assert "es: command name 'réunion' for /meeting is not a valid Telegram command" in found
    assert "es: the command name 'plan' is both /plan and /help" in found or \
        "es: the command name 'plan' is both /help and /plan" in found


def test_every_language_has_its_plural_forms():
    from babel.messages.plurals import get_plural
    for language in available_languages():
        catalog = read_po((LOCALES_DIR / language / "LC_MESSAGES" / "binome.po").open("rb"), locale=language)
        forms = {len(m.string) for m in catalog if m.id and not isinstance(m.id, str)}
        assert forms == {catalog.num_plurals}, language
        if language in ("ar", "uk", "nl", "es", "tr"):  # the new catalogs: Babel's own rules for the language
            assert catalog.num_plurals == get_plural(language).num_plurals, language
    assert get_plural("ar").num_plurals == 6 and get_plural("uk").num_plurals == 3
