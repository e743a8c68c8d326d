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
    assert pick_language("ar", None, "en") == "en"
    assert pick_language(None) == "fr"
    assert language_name("fr") == "Français" and language_name("en") == "English"
