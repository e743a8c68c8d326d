"""Translations and formatting in the recipient's language and timezone.

Catalogs are compiled from the `.po` files when first loaded (Babel, in memory), so a running bot
never uses a stale `.mo`. A missing catalog is a start-up error, not a silent fallback.
"""
from __future__ import annotations

import gettext
import io
import re
import string
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.dates import format_time as babel_format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

import locales

LOCALES_DIR = Path(locales.__file__).parent
DOMAIN = "binome"
REFERENCE_LANGUAGE = "fr"
RIGHT_TO_LEFT = frozenset({"ar", "fa", "he", "ur"})
# Unicode isolation marks (FSI … PDI): a value set into a right-to-left sentence keeps its own direction,
# so "Marc", "14:30" or "B07" never reorder the Arabic around them.
FIRST_STRONG_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2068", "\u2069"


class CatalogError(Exception):
    """A catalog is missing or unreadable."""


def catalog_path(language: str, locales_dir: Path = LOCALES_DIR) -> Path:
    return locales_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def available_languages(locales_dir: Path = LOCALES_DIR) -> tuple[str, ...]:
    """Languages with a catalog, French (the reference) first."""
    found = sorted(p.parent.parent.name for p in locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return tuple(sorted(found, key=lambda code: (code != REFERENCE_LANGUAGE, code)))


def pick_language(*candidates: str | None, default: str = REFERENCE_LANGUAGE,
                  among: tuple[str, ...] | None = None) -> str:
    """The first candidate we have a catalog for ("fr-BE" counts as "fr"), else the default."""
    for candidate in candidates:
        if not candidate:
            continue
        code = candidate.replace("_", "-").split("-")[0].lower()
        if code in (among or available_languages()):
            return code
    return default


def offered_languages(programme) -> tuple[str, ...]:
    """The languages a programme offers its people: its `languages` setting, else every catalog we have."""
    wanted = (programme.options or {}).get("languages") if programme is not None else None
    if isinstance(wanted, (list, tuple)):
        offered = tuple(code for code in available_languages() if code in wanted)
        if offered:
            return tuple(sorted(offered, key=wanted.index))
    return available_languages()


@cache
def _compiled(language: str) -> gettext.GNUTranslations:
    path = catalog_path(language)
    if not path.exists():
        raise CatalogError(f"no catalog for language {language!r} at {path}")
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def load_all() -> None:
    """Compile every catalog once at start-up; fail loudly if one is missing or broken."""
    languages = available_languages()
    if REFERENCE_LANGUAGE not in languages:
        raise CatalogError(f"the reference catalog ({REFERENCE_LANGUAGE}) is missing in {LOCALES_DIR}")
    for language in languages:
        _compiled(language)


def N_(message: str) -> str:
    """Mark a text for extraction where it is defined; translate it where it is shown."""
    return message


def NC_(context: str, message: str) -> tuple[str, str]:
    """N_ with a gettext context ("command", "feminine"): translate it with Translator.pgettext(*pair)."""
    return context, message


# French elides "de", "que", "le", "la" before a value that starts with a vowel or a (mute) h: "d'Hélène",
# "qu'Amina", "l'élève". Applied only where a value meets the sentence, never inside the translated text.
_ELIDABLE = re.compile(r"(?:(?<=\W)|^)([DdQqLl]e|[Ll]a|[Qq]ue) $")
_ELISION = {"de": "d'", "que": "qu'", "le": "l'", "la": "l'"}
_VOWEL_START = re.compile(r"^[aeiouhâàäéèêëîïôöûùüœæAEIOUHÂÀÄÉÈÊËÎÏÔÖÛÙÜŒÆ]")


class Message(str):
    """A translated text whose .format() follows its language's rules where a value is set in: French
    elision, isolation marks around values in right-to-left languages. Everything else is str.format."""

    language = REFERENCE_LANGUAGE

    def format(self, *args, **kwargs) -> str:  # type: ignore[override]
        return _format(self, self.language, args, kwargs)

    def format_map(self, mapping) -> str:  # type: ignore[override]
        return _format(self, self.language, (), mapping)


_formatter = string.Formatter()


def _format(text: str, language: str, args, kwargs) -> str:
    if language != "fr" and language not in RIGHT_TO_LEFT:
        return str.format(text, *args, **kwargs)
    parts: list[str] = []
    auto = 0
    for literal, field, spec, conversion in _formatter.parse(text):
        parts.append(literal)
        if field is None:
            continue
        if field == "":
            field, auto = str(auto), auto + 1
        value, _ = _formatter.get_field(field, args, kwargs)
        value = _formatter.format_field(_formatter.convert_field(value, conversion), spec or "")
        if language == "fr":
            before = "".join(parts)
            match = _ELIDABLE.search(before)
            if match and _VOWEL_START.match(value):
                word = match.group(1)
                elided = _ELISION[word.lower()]
                parts = [before[:match.start(1)] + (elided.capitalize() if word[0].isupper() else elided)]
        else:
            value = FIRST_STRONG_ISOLATE + value + POP_DIRECTIONAL_ISOLATE if value else value
        parts.append(value)
    return "".join(parts)


def _message(text: str, language: str) -> Message:
    message = Message(text)
    message.language = language
    return message


@dataclass(frozen=True)
class Translator:
    """Everything needed to speak to one person: their language and their timezone."""

    language: str
    timezone: str = "Europe/Paris"

    @property
    def _translations(self) -> gettext.GNUTranslations:
        return _compiled(self.language)

    def gettext(self, message: str) -> Message:
        return _message(self._translations.gettext(message), self.language)

    def ngettext(self, singular: str, plural: str, n: int) -> Message:
        return _message(self._translations.ngettext(singular, plural, n), self.language)

    def pgettext(self, context: str, message: str) -> Message:
        return _message(self._translations.pgettext(context, message), self.language)

    @property
    def right_to_left(self) -> bool:
        return self.language in RIGHT_TO_LEFT

    __call__ = gettext

    @property
    def locale(self) -> Locale:
        return Locale.parse(self.language)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(ZoneInfo(self.timezone))

    def datetime(self, moment: datetime, format: str = "medium") -> str:
        return babel_format_datetime(moment, format=format, tzinfo=ZoneInfo(self.timezone), locale=self.locale)

    def date(self, day: date | datetime, format: str = "long") -> str:
        if isinstance(day, datetime):
            day = self.local(day).date()
        if self.language == "fr" and day.day == 1:  # "le 1er décembre", not "le 1 décembre"
            format = _first_of_month(self.locale, format)
        return babel_format_date(day, format=format, locale=self.locale)

    def time(self, moment: datetime, format: str = "short") -> str:
        return babel_format_time(moment, format=format, tzinfo=ZoneInfo(self.timezone), locale=self.locale)


def _first_of_month(locale: Locale, format: str) -> str:
    pattern = str(locale.date_formats[format].pattern) if format in ("full", "long", "medium", "short") else format
    return re.sub(r"(?<![d'])d(?!d)", "d'er'", pattern, count=1) if "MMM" in pattern else pattern


def translator(language: str | None, timezone: str | None = None) -> Translator:
    return Translator(pick_language(language), timezone or "Europe/Paris")


def language_name(code: str) -> str:
    """A language named in itself: "Français", "English"."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def translator_for(participant, programme) -> Translator:
    """A person's translator: their language and timezone, else their programme's."""
    return translator(pick_language(participant.language, programme.language), participant.timezone or programme.timezone)
