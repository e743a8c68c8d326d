"""One cell's value: how it is cleaned, compared, and read (roles, languages, time zones, dates).

Names of columns, roles and languages are compared after `fold()`; a cell is stored as `clean()`
leaves it; a person is recognised by `make_import_key()`.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale

from storage.models import Binome, Participant, Role
from storage.text import INVISIBLE, clean_text


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def fold(text: str) -> str:
    """For comparing names of columns, roles, languages: no case, no accents, no punctuation."""
    text = strip_accents(text).casefold()
    text = re.sub(r"[^\w]+|_", " ", text)
    return " ".join(text.split())


# What clean_text drops or keeps with care that a printable text may still hold (the rest it drops is
# not printable: controls, format characters, line breaks, tabs, other spaces).
_CAREFUL = re.compile("[" + "".join(sorted(INVISIBLE)) + "\ufe00-\ufe0f\U000e0100-\U000e01ef]")


def clean(text: str) -> str:
    """A cell as stored: NFC, control and invisible characters dropped, whitespace stripped and collapsed
    ('' when nothing visible is left, so an invisible name is a missing one): `clean_text`, with a
    shortcut for the printable cells that make nearly all of a file (they only need NFC and spacing)."""
    if text.isprintable() and not _CAREFUL.search(text):
        return " ".join((text if text.isascii() else unicodedata.normalize("NFC", text)).split())
    return clean_text(text)


def key_part(text: str) -> str:
    """One part of an import key: casefolded, accent-stripped, whitespace-normalised."""
    return " ".join(strip_accents(text).casefold().split())


# Role names as written in spreadsheets. Compared first with accents (casefolded), then without.
ROLE_NAMES: dict[Role, tuple[str, ...]] = {
    Role.MENTEE: (
        "mentoré", "mentorée", "mentoree", "mentee", "mentée", "tutoré", "tutorée", "tutore", "tutoree",
        "tutee", "élève", "eleve", "jeune", "filleul", "filleule", "parrainé", "parrainée",
        "apprenti", "apprentie", "apprenant", "apprenante", "stagiaire",
    ),
    Role.MENTOR: ("mentor", "tuteur", "tutrice", "tutor", "marraine", "parrain"),
    Role.COORDINATOR: (
        "coordinateur", "coordinatrice", "coordinator", "référent", "référente", "référent mentorat",
        "référente mentorat", "chargé de suivi", "chargée de suivi",
    ),
    Role.REFERENT: (
        "référent école", "référente école", "référent partenaire", "référente partenaire", "enseignant",
        "enseignante", "professeur", "professeure", "formateur", "formatrice", "maître de stage",
        "maîtresse de stage", "partner referent", "teacher", "trainer",
    ),
}
# A substitute tutor ("suppléance", storage.substitutes): a mentor's row of another kind, with the code of the pair
# they stand in for; the same e-mail as on their own pair's row makes them one person.
SUBSTITUTE_ROLES = ("suppléant", "suppléante", "suppléant(e)", "tuteur suppléant", "tutrice suppléante",
                    "mentor suppléant", "substitute", "substitute tutor", "substitute mentor")
_SUBSTITUTE_FOLDED = frozenset(fold(name) for name in SUBSTITUTE_ROLES)


def is_substitute(role_value: str) -> bool:
    return fold(role_value) in _SUBSTITUTE_FOLDED


# "mentore" without an accent is "mentoré" typed without the accent (a mentee) or the Québec
# feminine of "mentor" (une mentore). It is resolved from the other person of the pair, or refused.
AMBIGUOUS_ROLES = ("mentore",)
# The accepted role names as the report lists them (spreadsheet vocabulary, not translated).
ACCEPTED_ROLES = (
    "mentoré, tutoré, mentee, élève, jeune, filleul(e) · mentor, tuteur, tutrice, marraine, parrain · "
    "suppléant(e), substitute · coordinateur, coordinatrice, référent(e) · référent(e) école, enseignant(e), "
    "formateur, formatrice, "
    "maître de stage"
)
_ROLE_EXACT = {" ".join(alias.casefold().split()): role
               for role, aliases in ROLE_NAMES.items() for alias in aliases}
_ROLE_FOLDED = {fold(alias): role for role, aliases in ROLE_NAMES.items() for alias in aliases
                if fold(alias) not in AMBIGUOUS_ROLES}
AMBIGUOUS = "ambiguous"


def _max_length(model, name: str) -> int:
    for meta in model.model_fields[name].metadata:
        value = getattr(meta, "max_length", None)
        if value is not None:
            return value
    raise LookupError(f"{model.__name__}.{name} has no max_length")


FIELD_MAX = {
    "pair": _max_length(Binome, "label"),
    "first_name": _max_length(Participant, "first_name"),
    "last_name": _max_length(Participant, "last_name"),
    "phone": _max_length(Participant, "phone"),
    "email": _max_length(Participant, "email"),
    "employer": _max_length(Participant, "employer"),
    "timezone": _max_length(Participant, "timezone"),
}
LANGUAGE_MAX = _max_length(Participant, "language")
IMPORT_KEY_MAX = _max_length(Participant, "import_key")  # checked on the folded key: "ß" becomes "ss"

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
PHONE_RE = re.compile(r"^\+?[0-9 ().\-/]{6,}$")
SCIENTIFIC_RE = re.compile(r"^\d+([.,]\d+)?[eE][+-]?\d+$")
DMY_RE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
YMD_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
CODE_RE = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]{2,8})*$")
# Languages whose own name is looked up when a cell is neither a code nor a French/English name.
NATIVE_NAME_LANGUAGES = (
    "fr", "en", "nl", "de", "ar", "es", "it", "pt", "tr", "ro", "pl", "uk", "ru", "fa", "ps", "ti",
    "so", "am", "zh", "vi", "sq", "bg", "el", "hu", "cs", "sk", "hr", "sr", "bs", "ku", "ber", "wo",
)


@cache
def _language_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for display in ("en", "fr"):
        for code, name in Locale(display).languages.items():
            names.setdefault(fold(name), code.split("_")[0].lower())
    return names


@cache
def _language_codes() -> frozenset[str]:
    return frozenset(_language_names().values())


@cache
def _native_language_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for code in NATIVE_NAME_LANGUAGES:
        try:
            name = Locale.parse(code).get_display_name(code)
        except Exception:  # no locale data for this code: skip it
            continue
        if name:
            names.setdefault(fold(name), code)
    return names


def parse_language(value: str) -> str | None:
    """A language code ("fr") from a code ("FR", "fr-BE") or a name ("français", "English")."""
    lowered = value.strip().lower()
    match = CODE_RE.match(lowered)
    if match:
        code = match.group(1)
        if code in _language_codes():
            return code
    folded = fold(value)
    return _language_names().get(folded) or _native_language_names().get(folded)


@cache
def _timezones() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def parse_timezone(value: str) -> str | None:
    name = _timezones().get(value.replace(" ", "_").casefold())
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


# The optional gender column: f, m or x (the letters, or the usual words in French and English).
GENDER_NAMES = {
    "f": ("f", "femme", "fille", "feminin", "female", "woman", "girl"),
    "m": ("m", "h", "homme", "garcon", "masculin", "male", "man", "boy"),
    "x": ("x", "autre", "non binaire", "nonbinaire", "other", "non binary", "nonbinary"),
}
_GENDER_LOOKUP = {alias: code for code, aliases in GENDER_NAMES.items() for alias in aliases}


# A role written in the feminine tells the grammatical gender when there is no gender column: "mentorée",
# "filleule", "coordinatrice" → "f" (the masculine words are also the generic ones, so they tell nothing).
FEMININE_ROLE_WORDS = frozenset(fold(word) for word in (
    "mentorée", "mentée", "tutorée", "filleule", "parrainée", "apprentie", "apprenante", "tutrice", "marraine",
    "coordinatrice", "référente", "référente mentorat", "chargée de suivi", "référente école",
    "référente partenaire", "enseignante", "professeure", "formatrice", "maîtresse de stage", "suppléante",
    "tutrice suppléante"))


def gender_of_role_word(value: str) -> str | None:
    return "f" if fold(value) in FEMININE_ROLE_WORDS else None


def parse_gender(value: str) -> str | None:
    """"F", "Femme", "garçon", "x" → "f", "f", "m", "x"; None for anything else."""
    return _GENDER_LOOKUP.get(" ".join(fold(value).replace("-", " ").split()))


# The optional minor columns (issue 16): a yes/no `minor` column, or a birth year (only "minor or not" is kept).
_YES, _NO = ("oui", "o", "x", "yes", "y", "1", "vrai", "true", "mineur", "mineure"), ("non", "n", "no", "0", "faux",
                                                                                     "false", "majeur", "majeure")


def minor_of(flag: str | None, birth_year: str | None, this_year: int) -> tuple[bool | None, str | None]:
    """(minor or not, None) from the cells; (None, the bad value) when one cannot be read; (None, None) when
    neither is given. A birth year counts as minor while this year minus it is under 18."""
    if flag:
        folded = fold(flag)
        if folded in _YES or folded in _NO:
            return folded in _YES, None
        return None, flag
    if birth_year:
        if not re.fullmatch(r"(19|20)\d\d", birth_year.strip()) or int(birth_year) > this_year:
            return None, birth_year
        return this_year - int(birth_year) < 18, None
    return None, None


def parse_date(value: str) -> date | None:
    match = DMY_RE.match(value)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return date(year, month, day)
        match = YMD_RE.match(value)
        if match:
            year, month, day = (int(g) for g in match.groups())
            return date(year, month, day)
    except ValueError:
        return None
    return None


def parse_role(value: str) -> str | Role | None:
    """A Role, AMBIGUOUS, or None for an unknown role."""
    exact = " ".join(unicodedata.normalize("NFC", value).casefold().split())
    if exact in _ROLE_EXACT:
        return _ROLE_EXACT[exact]
    folded = fold(value)
    if folded in _ROLE_FOLDED:
        return _ROLE_FOLDED[folded]
    if folded in _SUBSTITUTE_FOLDED:
        return Role.MENTOR
    if folded in AMBIGUOUS_ROLES:
        return AMBIGUOUS
    return None


def make_import_key(pair: str, role: Role, first_name: str, last_name: str) -> str:
    pair_part = "" if role == Role.COORDINATOR else key_part(pair)
    return "|".join([pair_part, role.value, key_part(first_name), key_part(last_name)])
