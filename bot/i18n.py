"""Translations and formatting in the recipient's language and timezone.

Catalogs are compiled from the `.po` files when first loaded (Babel, in memory), so a running bot
never uses a stale `.mo`. A missing catalog is a start-up error, not a silent fallback.
"""
from __future__ import annotations

import gettext
import io
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


class CatalogError(Exception):
    """A catalog is missing or unreadable."""


def catalog_path(language: str, locales_dir: Path = LOCALES_DIR) -> Path:
    return locales_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def available_languages(locales_dir: Path = LOCALES_DIR) -> tuple[str, ...]:
    """Languages with a catalog, French (the reference) first."""
    found = sorted(p.parent.parent.name for p in locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
    return tuple(sorted(found, key=lambda code: (code != REFERENCE_LANGUAGE, code)))


def pick_language(*candidates: str | None, default: str = REFERENCE_LANGUAGE) -> str:
    """The first candidate we have a catalog for ("fr-BE" counts as "fr"), else the default."""
    for candidate in candidates:
        if not candidate:
            continue
        code = candidate.replace("_", "-").split("-")[0].lower()
        if code in available_languages():
            return code
    return default


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


@dataclass(frozen=True)
class Translator:
    """Everything needed to speak to one person: their language and their timezone."""

    language: str
    timezone: str = "Europe/Paris"

    @property
    def _translations(self) -> gettext.GNUTranslations:
        return _compiled(self.language)

    def gettext(self, message: str) -> str:
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations.ngettext(singular, plural, n)

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
        return babel_format_date(day, format=format, locale=self.locale)

    def time(self, moment: datetime, format: str = "short") -> str:
        return babel_format_time(moment, format=format, tzinfo=ZoneInfo(self.timezone), locale=self.locale)


def translator(language: str | None, timezone: str | None = None) -> Translator:
    return Translator(pick_language(language), timezone or "Europe/Paris")


def language_name(code: str) -> str:
    """A language named in itself: "Français", "English"."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def translator_for(participant, programme) -> Translator:
    """A person's translator: their language and timezone, else their programme's."""
    return translator(pick_language(participant.language, programme.language), participant.timezone or programme.timezone)
