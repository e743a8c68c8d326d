"""Import of participants and binômes from the coordinator's spreadsheet (saved as CSV).

`import_participants` reads the bytes of a CSV file, checks every row, and writes only when the
whole file is correct: a file with one mistake imports nothing, and the report lists every mistake
with its spreadsheet row number (row 1 is the header line). Importing the same file again creates
nothing twice: a person is recognised by `import_key` ("pair|role|first|last", casefolded,
accent-stripped), a binôme by its label and its two people.

All texts of the report are for coordinators: they are `N_()`-marked English source texts with
`{name}` placeholders, translated when rendered. Nothing here logs names or contact details.
"""
from __future__ import annotations

import csv
import io
import logging
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.i18n import N_, Translator, available_languages
from storage.audit import record
from storage.models import Binome, BinomeStatus, Participant, ParticipantStatus, Programme, Role
from storage.programmes import add_months

log = logging.getLogger(__name__)

__all__ = ["ImportProblem", "ImportReport", "import_participants", "TEMPLATES", "COLUMN_NAMES", "ROLE_NAMES"]


# --------------------------------------------------------------------------------------------
# Messages. English source texts, translated at render time; never format before N_().
# --------------------------------------------------------------------------------------------

# File-level errors (row None).
MSG_EMPTY_FILE = N_("The file is empty. Save your spreadsheet as CSV (with a header line) and import it again.")
MSG_SPREADSHEET_FILE = N_(
    "This is a spreadsheet file ({kind}), not a CSV file. In your spreadsheet, choose "
    "«Save as» → «CSV UTF-8» (or «CSV, separator: semicolon») and import that file."
)
MSG_BINARY_FILE = N_(
    "This file is not a text file. Save it as CSV from your spreadsheet («Save as» → «CSV UTF-8») "
    "and import that file."
)
MSG_UNREADABLE_ENCODING = N_(
    "The file's characters cannot be read. Save it as CSV from your spreadsheet, choosing «CSV UTF-8»."
)
MSG_NO_HEADER = N_(
    "The first line does not name the columns. Add a header line such as «binome;rôle;prénom;nom» "
    "and save the file as CSV from your spreadsheet."
)
MSG_NO_ROWS = N_("The file has a header line but no participants.")
MSG_MISSING_COLUMNS = N_("Missing required columns: {columns}.")
MSG_DUPLICATE_COLUMN = N_("The columns «{first}» and «{second}» mean the same thing; keep only one.")
MSG_CSV_SYNTAX = N_("The file cannot be read as CSV near this row ({detail}). Check the quotes in this row.")
MSG_DATABASE_CHANGED = N_(
    "The database changed during the import (is another import running?). Nothing was imported: "
    "run the import again."
)

# Row errors.
MSG_COLUMN_COUNT = N_("this row has {found} cells but the header line has {expected}.")
MSG_UNKNOWN_ROLE = N_("unknown role «{value}» (accepted: {accepted}).")
MSG_MISSING_ROLE = N_("the role is empty (accepted: {accepted}).")
MSG_AMBIGUOUS_ROLE = N_(
    "the role «{value}» can mean the mentor or the mentee; write «mentoré» (or «mentee») "
    "for the mentee and «mentor» for the mentor."
)
MSG_MISSING_FIRST_NAME = N_("the first name is empty.")
MSG_TOO_LONG = N_("«{column}» is too long ({length} characters, at most {max}).")
MSG_MISSING_PAIR = N_("the pair code is empty; each mentor and mentee needs the code of their pair.")
MSG_COORDINATOR_WITH_PAIR = N_(
    "a coordinator does not belong to a pair: leave the pair column empty (found «{pair}»)."
)
MSG_BAD_EMAIL = N_("the e-mail address «{value}» does not look valid.")
MSG_BAD_PHONE = N_("the phone number «{value}» does not look valid.")
MSG_PHONE_AS_NUMBER = N_(
    "the phone number «{value}» was turned into a number by the spreadsheet; format the phone "
    "column as text and type the number again."
)
MSG_BAD_DATE = N_(
    "the start date «{value}» is not a date: write it as dd/mm/yyyy (e.g. 15/09/2025) or yyyy-mm-dd."
)
MSG_BAD_TIMEZONE = N_("unknown time zone «{value}»: write a name like Europe/Paris or Europe/Brussels.")
MSG_UNKNOWN_LANGUAGE = N_(
    "unknown language «{value}»: write a code like fr, en, nl, ar or a name like «français»."
)
MSG_DUPLICATE_ROW = N_("this row repeats row {first_row} (same pair, role and name).")
MSG_TWO_MENTORS = N_("pair «{pair}» has more than one mentor ({rows}).")
MSG_TWO_MENTEES = N_("pair «{pair}» has more than one mentee ({rows}).")
MSG_NO_MENTOR = N_("pair «{pair}» has no mentor.")
MSG_NO_MENTEE = N_("pair «{pair}» has no mentee.")
MSG_OTHER_MENTOR = N_(
    "pair «{pair}» already exists with another mentor. An import cannot change the people of a "
    "pair: give the new pair another code."
)
MSG_OTHER_MENTEE = N_(
    "pair «{pair}» already exists with another mentee. An import cannot change the people of a "
    "pair: give the new pair another code."
)
MSG_DIFFERENT_DATES = N_("pair «{pair}» has two different start dates ({rows}).")

# Warnings.
MSG_READ_AS_CP1252 = N_(
    "The file is not in UTF-8; it was read as Windows-1252 (older Excel «CSV»). Check the accents "
    "in the names, and next time choose «CSV UTF-8» when saving."
)
MSG_IGNORED_COLUMNS = N_("These columns are not used and were ignored: {columns}.")
MSG_UNNAMED_COLUMNS = N_("Some columns have no name in the header line; their values were ignored.")
MSG_LANGUAGE_WITHOUT_CATALOG = N_(
    "The bot does not speak «{language}» yet ({rows}): it will use «{fallback}», the programme's "
    "language, until it does."
)
MSG_AMBIGUOUS_ROLE_RESOLVED = N_(
    "«{value}» was read as {role_meaning} ({rows}) because the other person of the pair is "
    "{other_meaning}. Write «mentoré» or «mentor» to avoid this warning."
)
MSG_EXISTING_START_KEPT = N_(
    "pair «{pair}» already exists and started on {started_on}; the start date in the file was not applied."
)
MSG_DECLINED_NOT_UPDATED = N_("People who declined to take part were not updated ({rows}).")
MSG_START_DATE_IGNORED = N_("A coordinator has no start date; the date was ignored ({rows}).")

# Words used inside MSG_AMBIGUOUS_ROLE_RESOLVED (translated before formatting).
WORD_MENTOR = N_("the mentor")
WORD_MENTEE = N_("the mentee")
WORD_MENTOR_SHORT = N_("mentor")
WORD_MENTEE_SHORT = N_("mentee")

# Report layout.
MSG_ROW_PREFIX = N_("Row {row}: {message}")
MSG_WARNINGS_HEADER = N_("Warnings:")
MSG_NOTHING_IMPORTED = N_("Nothing was imported. Fix the file and run the import again.")
MSG_IMPORT_DONE = N_("Import done.")
MSG_SUMMARY = N_("{participants}; {pairs}.")

TEMPLATES: tuple[str, ...] = tuple(
    value for name, value in sorted(globals().items()) if name.startswith(("MSG_", "WORD_"))
)
# Plural texts are written out in ImportReport.render (ngettext needs literal strings to be extracted).


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportProblem:
    """One error or warning. `row` is the spreadsheet row (1 = header line), None for the file."""

    row: int | None
    template: str
    params: dict = field(default_factory=dict)
    # Params whose value is itself a message to translate before formatting (e.g. "the mentor").
    translated_params: tuple[str, ...] = ()

    def render(self, translator: Translator) -> str:
        params = dict(self.params)
        for key in self.translated_params:
            params[key] = translator.gettext(params[key])
        for key, value in params.items():
            if isinstance(value, (list, tuple)):  # row numbers: "row 4" / "rows 4, 7"
                numbers = ", ".join(str(n) for n in value)
                params[key] = translator.ngettext("row {numbers}", "rows {numbers}", len(value)).format(
                    numbers=numbers)
        return translator.gettext(self.template).format(**params)


@dataclass
class ImportReport:
    participants_created: int = 0
    participants_updated: int = 0
    participants_unchanged: int = 0
    binomes_created: int = 0
    binomes_unchanged: int = 0
    rows_read: int = 0
    encoding: str | None = None
    delimiter: str | None = None
    errors: list[ImportProblem] = field(default_factory=list)
    warnings: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        return {
            "participants_created": self.participants_created,
            "participants_updated": self.participants_updated,
            "participants_unchanged": self.participants_unchanged,
            "binomes_created": self.binomes_created,
            "binomes_unchanged": self.binomes_unchanged,
        }

    def render(self, translator: Translator) -> str:
        _ = translator.gettext
        lines: list[str] = []

        def problem_line(problem: ImportProblem) -> str:
            text = problem.render(translator)
            if problem.row is None:
                return text
            return _(MSG_ROW_PREFIX).format(row=problem.row, message=text)

        def ordered(problems: list[ImportProblem]) -> list[ImportProblem]:
            return sorted(problems, key=lambda p: (p.row is not None, p.row or 0))

        if self.errors:
            n = len(self.errors)
            lines.append(translator.ngettext("{n} error:", "{n} errors:", n).format(n=n))
            lines.extend("  " + problem_line(p) for p in ordered(self.errors))
            lines.append(_(MSG_NOTHING_IMPORTED))
        if self.warnings:
            if lines:
                lines.append("")
            lines.append(_(MSG_WARNINGS_HEADER))
            lines.extend("  " + problem_line(p) for p in ordered(self.warnings))
        if self.ok:
            if lines:
                lines.append("")
            lines.append(_(MSG_IMPORT_DONE))
            lines.append(self._summary(translator))
        return "\n".join(lines)

    def _summary(self, translator: Translator) -> str:
        # translator.ngettext is spelled out in each call so that the extractor finds the texts.
        people = ", ".join([
            translator.ngettext("{n} participant created", "{n} participants created",
                                self.participants_created).format(n=self.participants_created),
            translator.ngettext("{n} updated", "{n} updated",
                                self.participants_updated).format(n=self.participants_updated),
            translator.ngettext("{n} unchanged", "{n} unchanged",
                                self.participants_unchanged).format(n=self.participants_unchanged),
        ])
        pairs = ", ".join([
            translator.ngettext("{n} pair created", "{n} pairs created",
                                self.binomes_created).format(n=self.binomes_created),
            translator.ngettext("{n} pair unchanged", "{n} pairs unchanged",
                                self.binomes_unchanged).format(n=self.binomes_unchanged),
        ])
        return translator.gettext(MSG_SUMMARY).format(participants=people, pairs=pairs)


# --------------------------------------------------------------------------------------------
# Vocabulary: column names and role names, compared after `fold()`.
# --------------------------------------------------------------------------------------------


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def fold(text: str) -> str:
    """For comparing names of columns, roles, languages: no case, no accents, no punctuation."""
    text = strip_accents(text).casefold()
    text = re.sub(r"[^\w]+|_", " ", text)
    return " ".join(text.split())


def clean(text: str) -> str:
    """A cell as stored: NFC, invisible characters dropped, whitespace stripped and collapsed."""
    text = unicodedata.normalize("NFC", text).replace("\u200b", "").replace("\ufeff", "")
    return " ".join(text.split())


def key_part(text: str) -> str:
    """One part of an import key: casefolded, accent-stripped, whitespace-normalised."""
    return " ".join(strip_accents(text).casefold().split())


# Field -> accepted column names, French first. The first name is the one shown in messages.
COLUMN_NAMES: dict[str, tuple[str, ...]] = {
    "pair": ("binôme", "binome", "paire", "code binôme", "n° binôme", "pair", "pair code"),
    "role": ("rôle", "role"),
    "first_name": ("prénom", "prenom", "first name", "first_name", "firstname", "given name"),
    "last_name": ("nom", "nom de famille", "last name", "last_name", "lastname", "surname", "family name"),
    "language": ("langue", "language", "lang"),
    "phone": ("téléphone", "telephone", "tél", "tel", "portable", "mobile", "phone", "phone number"),
    "email": ("courriel", "e-mail", "email", "mail", "adresse e-mail", "adresse mail", "email address"),
    "employer": ("employeur", "entreprise", "société", "organisation", "employer", "company", "organization"),
    "timezone": ("fuseau horaire", "fuseau", "timezone", "time zone"),
    "start": ("début", "debut", "date de début", "date début", "start", "start date"),
}
REQUIRED_FIELDS = ("pair", "role", "first_name", "last_name")
_COLUMN_LOOKUP = {fold(alias): name for name, aliases in COLUMN_NAMES.items() for alias in aliases}

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
}
# "mentore" without an accent is "mentoré" typed without the accent (a mentee) or the Québec
# feminine of "mentor" (une mentore). It is resolved from the other person of the pair, or refused.
AMBIGUOUS_ROLES = ("mentore",)
ACCEPTED_ROLES = (
    "mentoré, tutoré, mentee, élève, jeune, filleul(e) · mentor, tuteur, tutrice, marraine, parrain · "
    "coordinateur, coordinatrice, référent(e)"
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

DELIMITERS = (";", ",", "\t")
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


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------


@cache
def _language_names() -> dict[str, str]:
    from babel import Locale

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
    from babel import Locale

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
    if folded in AMBIGUOUS_ROLES:
        return AMBIGUOUS
    return None


def make_import_key(pair: str, role: Role, first_name: str, last_name: str) -> str:
    pair_part = "" if role == Role.COORDINATOR else key_part(pair)
    return "|".join([pair_part, role.value, key_part(first_name), key_part(last_name)])


# --------------------------------------------------------------------------------------------
# Reading the file
# --------------------------------------------------------------------------------------------


def _spreadsheet_kind(data: bytes) -> str | None:
    if data.startswith(b"PK\x03\x04"):
        head = data[:2000]
        if b"opendocument" in head:
            return "ODS"
        return "XLSX"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "XLS"
    return None


def _decode(data: bytes, report: ImportReport) -> str | None:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text": UTF-16, tabs
        try:
            report.encoding = "utf-16"
            return data.decode("utf-16")
        except UnicodeDecodeError:
            report.errors.append(ImportProblem(None, MSG_UNREADABLE_ENCODING))
            return None
    if b"\x00" in data:
        report.errors.append(ImportProblem(None, MSG_BINARY_FILE))
        return None
    try:
        report.encoding = "utf-8"
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        report.encoding = None
        report.errors.append(ImportProblem(None, MSG_UNREADABLE_ENCODING))
        return None
    report.encoding = "cp1252"
    report.warnings.append(ImportProblem(None, MSG_READ_AS_CP1252))
    return text


def _sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header line the most (quotes respected)."""
    first_line = ""
    for line in io.StringIO(text, newline=""):
        if line.strip():
            first_line = line
            break
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in first_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties: ";" first, as French Excel writes
    return best if counts[best] else ";"


@dataclass
class _Row:
    row: int
    pair: str
    pair_key: str
    role: Role | str  # Role, or AMBIGUOUS until resolved
    role_value: str
    first_name: str
    last_name: str
    optional: dict[str, object]  # field -> parsed value, only for non-empty cells of present columns
    start: date | None
    key: str = ""


# --------------------------------------------------------------------------------------------
# The import
# --------------------------------------------------------------------------------------------


def import_participants(
    *, session: Session, programme: Programme, data: bytes, now: datetime, actor: str = "cli"
) -> ImportReport:
    """Check the whole CSV file, then create/update participants and binômes, or write nothing.

    Never raises for a bad file: the problems are in the returned report (`report.ok` is False and
    nothing was added to the session). The caller commits.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    report = ImportReport()
    broken_pairs: set[str] = set()
    rows = _read_rows(data, report, broken_pairs)
    if rows is None:  # the file itself cannot be read: nothing more to say about its rows
        return _failed(report)

    # Every check runs even after a first error, so that the report lists all of them at once.
    pairs = _group_pairs([r for r in rows if r.role != Role.COORDINATOR])
    existing_binomes = _existing_binomes(session, programme, set(pairs))
    existing_people = _participants_by_id(
        session, [pid for b in existing_binomes.values() for pid in (b.mentor_id, b.mentee_id)])
    _resolve_ambiguous_roles(pairs, existing_binomes, existing_people, report)
    rows = [r for r in rows if r.role != AMBIGUOUS]
    for r in rows:
        r.key = make_import_key(r.pair, r.role, r.first_name, r.last_name)
    _check_duplicates([r for r in rows if r.first_name], report)
    plans = _check_pairs(pairs, existing_binomes, existing_people, broken_pairs, report)
    if report.errors:
        return _failed(report)

    by_key = _existing_participants(session, programme, [r.key for r in rows])
    _collect_language_warnings(rows, programme, report)
    try:
        with _all_or_nothing(session):
            _write(session, programme, now, rows, plans, by_key, report)
            record(session=session, at=now, programme_id=programme.id, actor=actor, action="import.completed",
                   subject=f"programme:{programme.id}",
                   details={**report.counts(), "rows": report.rows_read, "warnings": len(report.warnings),
                            "encoding": report.encoding})
            session.flush()
    except IntegrityError:
        log.warning("import into programme %s failed on a database constraint; rolled back", programme.id)
        report.errors.append(ImportProblem(None, MSG_DATABASE_CHANGED))
        return _failed(report)
    log.info("import into programme %s: %s, %d warnings", programme.id, report.counts(), len(report.warnings))
    return report


@contextmanager
def _all_or_nothing(session: Session) -> Iterator[None]:
    """A SAVEPOINT around the writes, so that a failure leaves the caller's session usable.

    The standard-library SQLite driver opens its transaction lazily, at the first write: a
    SAVEPOINT sent before that would itself be the outer transaction, and its RELEASE would commit
    the import behind the caller's back. When no transaction is open yet there is nothing of the
    caller's to protect, so the writes just join the session's transaction (and a failure rolls it
    back).
    """
    connection = session.connection()
    dbapi_connection = connection.connection.dbapi_connection
    if connection.dialect.name != "sqlite" or getattr(dbapi_connection, "in_transaction", True):
        with session.begin_nested():
            yield
        return
    try:
        yield
        session.flush()
    except BaseException:
        session.rollback()
        raise


def _failed(report: ImportReport) -> ImportReport:
    for name in report.counts():
        setattr(report, name, 0)
    log.info("import refused: %d errors, %d warnings", len(report.errors), len(report.warnings))
    return report


def _read_rows(data: bytes, report: ImportReport, broken_pairs: set[str]) -> list[_Row] | None:
    """The rows that have a pair and a role (some with errors); `broken_pairs` gets the pairs of the others."""
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        report.errors.append(ImportProblem(None, MSG_EMPTY_FILE))
        return None
    kind = _spreadsheet_kind(data)
    if kind:
        report.errors.append(ImportProblem(None, MSG_SPREADSHEET_FILE, {"kind": kind}))
        return None
    text = _decode(data, report)
    if text is None:
        return None
    text = text.lstrip("\ufeff")
    if not text.strip():
        report.errors.append(ImportProblem(None, MSG_EMPTY_FILE))
        return None
    delimiter = _sniff_delimiter(text)
    report.delimiter = delimiter

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=False)
    records: list[tuple[int, list[str]]] = []
    try:
        for number, cells in enumerate(reader, start=1):
            records.append((number, cells))
    except csv.Error as exc:
        report.errors.append(ImportProblem(len(records) + 1, MSG_CSV_SYNTAX, {"detail": str(exc)}))
        return None
    records = [(n, cells) for n, cells in records if any(c.strip() for c in cells)]
    if not records:
        report.errors.append(ImportProblem(None, MSG_EMPTY_FILE))
        return None

    _, header = records[0]
    columns = _map_columns(header, report)
    if columns is None:
        return None
    width = len(header)
    while width and not header[width - 1].strip():
        width -= 1  # trailing nameless columns are common in Excel exports: tolerated when empty

    rows: list[_Row] = []
    unnamed_with_data = False

    def report_broken_pair(value: str) -> None:
        broken_pairs.add(key_part(clean(value)))

    for number, cells in records[1:]:
        report.rows_read += 1
        if len(cells) != len(header):
            extra = cells[width:]
            if len(cells) < width or any(c.strip() for c in extra):
                report.errors.append(ImportProblem(number, MSG_COLUMN_COUNT,
                                                   {"found": len(cells), "expected": len(header)}))
                pair_index = columns["pair"]
                if pair_index < len(cells):
                    report_broken_pair(cells[pair_index])
                continue
        if any(cells[i].strip() for i, h in enumerate(header[:len(cells)]) if not h.strip()):
            unnamed_with_data = True
        row = _parse_row(number, cells, header, columns, report)
        if row is not None:
            rows.append(row)
        elif clean(cells[columns["pair"]]):
            report_broken_pair(cells[columns["pair"]])
    if unnamed_with_data:
        report.warnings.append(ImportProblem(None, MSG_UNNAMED_COLUMNS))
    if report.rows_read == 0:
        report.errors.append(ImportProblem(None, MSG_NO_ROWS))
    coordinator_dates = [r.row for r in rows if r.role == Role.COORDINATOR and r.start is not None]
    if coordinator_dates:
        report.warnings.append(ImportProblem(None, MSG_START_DATE_IGNORED, {"rows": _rows(coordinator_dates)}))
    return rows


def _map_columns(header: list[str], report: ImportReport) -> dict[str, int] | None:
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for index, name in enumerate(header):
        label = clean(name).strip("*: ")
        if not label:
            continue
        field_name = _COLUMN_LOOKUP.get(fold(label))
        if field_name is None:
            ignored.append(label)
        elif field_name in columns:
            report.errors.append(ImportProblem(None, MSG_DUPLICATE_COLUMN,
                                               {"first": clean(header[columns[field_name]]), "second": label}))
        else:
            columns[field_name] = index
    if not columns:
        report.errors.append(ImportProblem(None, MSG_NO_HEADER))
        return None
    missing = [f for f in REQUIRED_FIELDS if f not in columns]
    if missing:
        described = ", ".join(
            "«{}» ({})".format(COLUMN_NAMES[f][0], ", ".join(COLUMN_NAMES[f][1:])) for f in missing
        )
        report.errors.append(ImportProblem(None, MSG_MISSING_COLUMNS, {"columns": described}))
    if ignored:
        report.warnings.append(ImportProblem(None, MSG_IGNORED_COLUMNS,
                                             {"columns": ", ".join(f"«{c}»" for c in ignored)}))
    if report.errors:
        return None
    return columns


def _parse_row(number: int, cells: list[str], header: list[str], columns: dict[str, int],
               report: ImportReport) -> _Row | None:
    """The row (its errors reported) when its pair and role are known, so it still counts in the
    pair checks; None otherwise."""
    def error(template: str, **params) -> None:
        report.errors.append(ImportProblem(number, template, params))

    def cell(field_name: str) -> str | None:
        index = columns.get(field_name)
        if index is None:
            return None
        value = clean(cells[index]) if index < len(cells) else ""
        limit = FIELD_MAX.get(field_name)
        if limit is not None and len(value) > limit:
            error(MSG_TOO_LONG, column=clean(header[index]), length=len(value), max=limit)
        return value

    pair = cell("pair") or ""
    role_value = cell("role") or ""
    first_name = cell("first_name") or ""
    last_name = cell("last_name") or ""

    role = parse_role(role_value) if role_value else None
    usable = False
    if not role_value:
        error(MSG_MISSING_ROLE, accepted=ACCEPTED_ROLES)
    elif role is None:
        error(MSG_UNKNOWN_ROLE, value=role_value, accepted=ACCEPTED_ROLES)
    elif role == Role.COORDINATOR and pair:
        error(MSG_COORDINATOR_WITH_PAIR, pair=pair)
    elif role == AMBIGUOUS and not pair:
        error(MSG_AMBIGUOUS_ROLE, value=role_value)
    elif role != Role.COORDINATOR and not pair:
        error(MSG_MISSING_PAIR)
    else:
        usable = True
    if not first_name:
        error(MSG_MISSING_FIRST_NAME)

    optional: dict[str, object] = {}
    value = cell("language")
    if value:
        code = parse_language(value)
        if code is None or len(code) > LANGUAGE_MAX:
            error(MSG_UNKNOWN_LANGUAGE, value=value)
        else:
            optional["language"] = code
    value = cell("timezone")
    if value:
        name = parse_timezone(value)
        if name is None:
            error(MSG_BAD_TIMEZONE, value=value)
        else:
            optional["timezone"] = name
    value = cell("phone")
    if value:
        if SCIENTIFIC_RE.match(value):
            error(MSG_PHONE_AS_NUMBER, value=value)
        elif not PHONE_RE.match(value) or sum(c.isdigit() for c in value) < 6:
            error(MSG_BAD_PHONE, value=value)
        else:
            optional["phone"] = value
    value = cell("email")
    if value:
        if not EMAIL_RE.match(value) or ".." in value:
            error(MSG_BAD_EMAIL, value=value)
        else:
            optional["email"] = value
    value = cell("employer")
    if value:
        optional["employer"] = value
    start: date | None = None
    value = cell("start")
    if value:
        start = parse_date(value)
        if start is None:
            error(MSG_BAD_DATE, value=value)

    if not usable:
        return None
    return _Row(row=number, pair=pair, pair_key=key_part(pair), role=role, role_value=role_value,
                first_name=first_name, last_name=last_name, optional=optional, start=start)


def _rows(numbers) -> list[int]:
    """Row numbers as a param: ImportProblem.render writes them as "row 4" / "rows 4, 7"."""
    return sorted(numbers)


def _existing_binomes(session: Session, programme: Programme, pair_keys: set[str]) -> dict[str, Binome]:
    """The programme's binômes named in the file, by normalised label."""
    found: dict[str, Binome] = {}
    if not pair_keys:
        return found
    for binome in session.exec(select(Binome).where(Binome.programme_id == programme.id).order_by(Binome.id)):
        label = key_part(binome.label)
        if label in pair_keys:
            found.setdefault(label, binome)
    return found


def _participants_by_id(session: Session, ids: list[int]) -> dict[int, Participant]:
    found: dict[int, Participant] = {}
    unique = sorted(set(ids))
    for start in range(0, len(unique), 500):
        for person in session.exec(select(Participant).where(Participant.id.in_(unique[start:start + 500]))):
            found[person.id] = person
    return found


def _existing_participants(session: Session, programme: Programme, keys: list[str]) -> dict[str, Participant]:
    found: dict[str, Participant] = {}
    unique = sorted(set(keys))
    for start in range(0, len(unique), 500):
        chunk = unique[start:start + 500]
        query = select(Participant).where(Participant.programme_id == programme.id,
                                          Participant.import_key.in_(chunk))
        for person in session.exec(query):
            found[person.import_key] = person
    return found


def _group_pairs(rows: list[_Row]) -> dict[str, list[_Row]]:
    pairs: dict[str, list[_Row]] = {}
    for r in rows:
        pairs.setdefault(r.pair_key, []).append(r)
    return pairs


def _resolve_ambiguous_roles(pairs: dict[str, list[_Row]], existing_binomes: dict[str, Binome],
                             existing_people: dict[int, Participant], report: ImportReport) -> None:
    """Read "mentore" as the role the pair is missing, when that is the only possible reading."""
    resolved: dict[tuple[str, Role], list[int]] = {}
    for pair_key, members in pairs.items():
        ambiguous = [r for r in members if r.role == AMBIGUOUS]
        if not ambiguous:
            continue
        clear = {r.role for r in members if r.role != AMBIGUOUS}
        binome = existing_binomes.get(pair_key)
        choice: Role | None = None
        if len(ambiguous) == 1:
            r = ambiguous[0]
            if binome is not None:
                # The existing pair says who is who: the row must be one of its two people.
                for role, pid in ((Role.MENTOR, binome.mentor_id), (Role.MENTEE, binome.mentee_id)):
                    person = existing_people.get(pid)
                    if role not in clear and person is not None and \
                            person.import_key == make_import_key(r.pair, role, r.first_name, r.last_name):
                        choice = role
            else:
                missing = {Role.MENTOR, Role.MENTEE} - clear
                if len(missing) == 1 and len(clear) == 1:
                    choice = missing.pop()
        if choice is None:
            for r in ambiguous:
                report.errors.append(ImportProblem(r.row, MSG_AMBIGUOUS_ROLE, {"value": r.role_value}))
            continue
        r = ambiguous[0]
        r.role = choice
        resolved.setdefault((r.role_value, choice), []).append(r.row)
    for (value, role), numbers in sorted(resolved.items(), key=lambda item: min(item[1])):
        if role == Role.MENTEE:
            meaning, other = WORD_MENTEE_SHORT, WORD_MENTOR
        else:
            meaning, other = WORD_MENTOR_SHORT, WORD_MENTEE
        report.warnings.append(ImportProblem(
            None, MSG_AMBIGUOUS_ROLE_RESOLVED,
            {"value": value, "role_meaning": meaning, "other_meaning": other, "rows": _rows(numbers)},
            translated_params=("role_meaning", "other_meaning"),
        ))


def _check_duplicates(rows: list[_Row], report: ImportReport) -> None:
    seen: dict[str, int] = {}
    for r in rows:
        if r.key in seen:
            report.errors.append(ImportProblem(r.row, MSG_DUPLICATE_ROW, {"first_row": seen[r.key]}))
        else:
            seen[r.key] = r.row


@dataclass
class _PairPlan:
    label: str
    pair_key: str
    mentor: _Row | None
    mentee: _Row | None
    start: date | None
    existing: Binome | None


def _check_pairs(pairs: dict[str, list[_Row]], existing_binomes: dict[str, Binome],
                 existing_people: dict[int, Participant], broken_pairs: set[str],
                 report: ImportReport) -> list[_PairPlan]:
    """One mentor and one mentee per pair, counting the pair's people already in the database."""
    plans: list[_PairPlan] = []
    for pair_key, members in pairs.items():
        members = [r for r in members if r.role != AMBIGUOUS]
        if not members:
            continue
        label = members[0].pair
        unique: dict[str, _Row] = {}
        for r in members:
            unique.setdefault(r.key, r)  # duplicates are reported by _check_duplicates
        mentors = [r for r in unique.values() if r.role == Role.MENTOR]
        mentees = [r for r in unique.values() if r.role == Role.MENTEE]
        first_row = members[0].row
        failed = False
        for group, template in ((mentors, MSG_TWO_MENTORS), (mentees, MSG_TWO_MENTEES)):
            if len(group) > 1:
                report.errors.append(ImportProblem(group[1].row, template,
                                                   {"pair": label, "rows": _rows(r.row for r in group)}))
                failed = True
        binome = existing_binomes.get(pair_key)
        if binome is None and pair_key not in broken_pairs:  # else a rejected row may hold the missing person
            if not mentors:
                report.errors.append(ImportProblem(first_row, MSG_NO_MENTOR, {"pair": label}))
                failed = True
            if not mentees:
                report.errors.append(ImportProblem(first_row, MSG_NO_MENTEE, {"pair": label}))
                failed = True
        elif binome is not None:
            label = binome.label
            for group, pid, template in ((mentors, binome.mentor_id, MSG_OTHER_MENTOR),
                                         (mentees, binome.mentee_id, MSG_OTHER_MENTEE)):
                person = existing_people.get(pid)
                for r in group[:1]:
                    if person is None or person.import_key != r.key:
                        report.errors.append(ImportProblem(r.row, template, {"pair": label}))
                        failed = True
        dated = [r for r in members if r.start is not None]
        if len({r.start for r in dated}) > 1:
            report.errors.append(ImportProblem(dated[-1].row, MSG_DIFFERENT_DATES,
                                               {"pair": label, "rows": _rows(r.row for r in dated)}))
            failed = True
        if failed:
            continue
        start = dated[0].start if dated else None
        if binome is not None and start is not None and start != binome.started_on:
            report.warnings.append(ImportProblem(dated[0].row, MSG_EXISTING_START_KEPT,
                                                 {"pair": label, "started_on": binome.started_on.isoformat()}))
        plans.append(_PairPlan(label=label, pair_key=pair_key, mentor=mentors[0] if mentors else None,
                               mentee=mentees[0] if mentees else None, start=start, existing=binome))
    return plans


def _collect_language_warnings(rows: list[_Row], programme: Programme, report: ImportReport) -> None:
    known = set(available_languages())
    without: dict[str, list[int]] = {}
    for r in rows:
        code = r.optional.get("language")
        if code and code not in known:
            without.setdefault(code, []).append(r.row)
    for code, numbers in without.items():
        report.warnings.append(ImportProblem(None, MSG_LANGUAGE_WITHOUT_CATALOG,
                                             {"language": code, "rows": _rows(numbers),
                                              "fallback": programme.language}))


def _write(session: Session, programme: Programme, now: datetime, rows: list[_Row], plans: list[_PairPlan],
           by_key: dict[str, Participant], report: ImportReport) -> None:
    people: dict[str, Participant] = {}
    declined: list[int] = []
    for r in rows:
        if r.key in people:
            continue
        person = by_key.get(r.key)
        if person is None:
            person = Participant(
                programme_id=programme.id, role=r.role, first_name=r.first_name, last_name=r.last_name,
                language=r.optional.get("language") or programme.language,
                timezone=r.optional.get("timezone"), phone=r.optional.get("phone"),
                email=r.optional.get("email"), employer=r.optional.get("employer"),
                import_key=r.key, status=ParticipantStatus.INVITED, created_at=now,
            )
            session.add(person)
            report.participants_created += 1
        elif person.status == ParticipantStatus.DECLINED:
            declined.append(r.row)
            report.participants_unchanged += 1
        else:
            # Empty cells never erase what is stored; given values that differ replace it.
            changes = {name: value for name, value in r.optional.items() if getattr(person, name) != value}
            for name in ("first_name", "last_name"):
                if getattr(r, name) != getattr(person, name):
                    changes[name] = getattr(r, name)
            if changes:
                for name, value in changes.items():
                    setattr(person, name, value)
                session.add(person)
                report.participants_updated += 1
            else:
                report.participants_unchanged += 1
        people[r.key] = person
    if declined:
        report.warnings.append(ImportProblem(None, MSG_DECLINED_NOT_UPDATED, {"rows": _rows(declined)}))
    session.flush()

    today = now.astimezone(ZoneInfo(programme.timezone)).date()
    for plan in plans:
        if plan.existing is not None:
            report.binomes_unchanged += 1
            continue
        started_on = plan.start or today
        session.add(Binome(
            programme_id=programme.id, label=plan.label, mentor_id=people[plan.mentor.key].id,
            mentee_id=people[plan.mentee.key].id, status=BinomeStatus.ACTIVE, started_on=started_on,
            planned_end_on=add_months(started_on, programme.duration_months), created_at=now,
        ))
        report.binomes_created += 1
