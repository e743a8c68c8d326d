"""Checking rows: each row's cells, then the rows together (duplicates, one mentor and one mentee
per pair, counting the people already in the database).

Every check runs even after a first error, so that the report lists all of them at once.

A row is kept as little as the checks across rows need (`Row`: its pair, role, names, date, language
and key; its e-mail and phone as two hashes in `Rows.contacts`). Its other values are read again from
the file when they are needed (`RowValues`): when it is written, or compared with a same-named row.
"""
from __future__ import annotations

import sys
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from storage.importer.ambiguity import resolve_ambiguous_roles
from storage.importer.people import Contacts, resolve_people
from storage.importer.problems import ImportReport, Problem, rows_param
from storage.importer.reading import Table
from storage.importer.values import (
    AMBIGUOUS, EMAIL_RE, FIELD_MAX, IMPORT_KEY_MAX, LANGUAGE_MAX, PHONE_RE, SCIENTIFIC_RE, clean, key_part, make_import_key,
    gender_of_role_word, is_substitute, minor_of, parse_date, parse_gender, parse_language, parse_role, parse_timezone,
)
from storage.models import Binome, Participant, Programme, Role
from storage.spreadsheet import looks_like_formula

# Cells stored as text that `binome invite` (or a coordinator's export) puts back into a spreadsheet.
SPREADSHEET_FIELDS = ("pair", "first_name", "last_name", "employer")


@dataclass(slots=True)  # one per row of the file, kept until written: no cell values beyond these
class Row:
    row: int
    pair: str
    role: Role | str  # Role, or AMBIGUOUS until resolved
    role_value: str
    first_name: str
    last_name: str
    start: date | None
    language: str | None = None  # the code given (or, for a person's lead row, given on another of its rows)
    key: str = ""
    person: str = ""  # the import key of the participant this row stands for (storage/importer/people.py)
    lead: bool = True  # the one row of that person whose values are written
    extra: dict | None = None  # a lead's values from the person's other rows, for the cells it leaves empty


class Rows(list):
    """The usable rows in file order, with the table they come from and their contacts' hashes."""

    def __init__(self, table: Table) -> None:
        super().__init__()
        self.table = table
        self.contacts = Contacts()


class RowValues:
    """Rows' values (field -> parsed value, only for non-empty cells of present columns) read again from
    the file, in one forward pass: `get` is asked for increasing row numbers of rows that passed."""

    def __init__(self, table: Table) -> None:
        self._table = table
        self._records = table.records()

    def get(self, number: int) -> dict[str, object]:
        for found, cells in self._records:
            if found == number:
                return row_values(self._table, found, cells)
            if found > number:
                break
        raise LookupError(f"row {number} is not in the file read again")


def row_values(table: Table, number: int, cells: list[str]) -> dict[str, object]:
    return _check_row(number, cells, table.header, table.columns, ImportReport())[1]


def values_of(table: Table, numbers: Iterable[int]) -> dict[int, dict[str, object]]:
    """The values of these rows, read again from the file."""
    reader = RowValues(table)
    return {number: reader.get(number) for number in sorted(set(numbers))}


@dataclass(slots=True)
class PairPlan:
    label: str
    pair_key: str
    mentor: Row | None
    mentee: Row | None
    start: date | None
    existing: Binome | None


def check_rows(table: Table, report: ImportReport) -> tuple[Rows, set[str]]:
    """The rows that have a pair and a role (some with errors), and the pairs of the other rows."""
    header, columns = table.header, table.columns
    rows = Rows(table)
    broken_pairs: set[str] = set()
    unnamed_with_data = False
    formula_rows: list[int] = []
    previous_pair = ""
    for number, cells in table.records():
        report.rows_read += 1
        if len(cells) != len(header):
            extra = cells[table.width:]
            if len(cells) < table.width or any(c.strip() for c in extra):
                report.error(number, Problem.COLUMN_COUNT, found=len(cells), expected=len(header))
                pair_index = columns["pair"]
                if pair_index < len(cells):
                    broken_pairs.add(key_part(clean(cells[pair_index])))
                continue
        if any(cells[i].strip() for i, h in enumerate(header[:len(cells)]) if not h.strip()):
            unnamed_with_data = True
        if any(looks_like_formula(clean(cells[i])) for f, i in columns.items()
               if f in SPREADSHEET_FIELDS and i < len(cells)):
            formula_rows.append(number)
        row, values = _check_row(number, cells, header, columns, report)
        if row is not None:
            if row.pair == previous_pair:  # a pair's rows usually follow each other: one string for them
                row.pair = previous_pair
            previous_pair = row.pair
            if row.role != Role.COORDINATOR and row.first_name:
                rows.contacts.add(number, values.get("email"), values.get("phone"))
            rows.append(row)
        elif clean(cells[columns["pair"]]):
            broken_pairs.add(key_part(clean(cells[columns["pair"]])))
    if unnamed_with_data:
        report.warn(None, Problem.UNNAMED_COLUMNS)
    if formula_rows:
        report.warn(None, Problem.FORMULA_LIKE, rows=rows_param(formula_rows))
    if report.rows_read == 0:
        report.error(None, Problem.NO_ROWS)
    coordinator_dates = [r.row for r in rows if r.role == Role.COORDINATOR and r.start is not None]
    if coordinator_dates:
        report.warn(None, Problem.START_DATE_IGNORED, rows=rows_param(coordinator_dates))
    return rows, broken_pairs


def _check_row(number: int, cells: list[str], header: list[str], columns: dict[str, int],
               report: ImportReport) -> tuple[Row | None, dict[str, object]]:
    """The row (its errors reported) when its pair and role are known, so it still counts in the
    pair checks, else None; and its values."""
    def error(code: Problem, **params) -> None:
        report.error(number, code, **params)

    def cell(field_name: str) -> str | None:
        index = columns.get(field_name)
        if index is None:
            return None
        value = clean(cells[index]) if index < len(cells) else ""
        limit = FIELD_MAX.get(field_name)
        if limit is not None and len(value) > limit:
            error(Problem.TOO_LONG, column=clean(header[index]), length=len(value), max=limit)
        return value

    pair = cell("pair") or ""
    # Interned: names, roles and employers repeat over a large file, and every row is kept until written.
    role_value = sys.intern(cell("role") or "")
    first_name = sys.intern(cell("first_name") or "")
    last_name = sys.intern(cell("last_name") or "")

    role = parse_role(role_value) if role_value else None
    usable = False
    if not role_value:
        error(Problem.MISSING_ROLE)
    elif role is None:
        error(Problem.UNKNOWN_ROLE, value=role_value)
    elif role == Role.COORDINATOR and pair:
        error(Problem.COORDINATOR_WITH_PAIR, pair=pair)
    elif role == AMBIGUOUS and not pair:
        error(Problem.AMBIGUOUS_ROLE, value=role_value)
    elif role != Role.COORDINATOR and not pair:
        error(Problem.MISSING_PAIR)
    else:
        usable = True
    if not first_name:
        error(Problem.MISSING_FIRST_NAME)

    optional: dict[str, object] = {}
    value = cell("language")
    if value:
        code = parse_language(value)
        if code is None or len(code) > LANGUAGE_MAX:
            error(Problem.UNKNOWN_LANGUAGE, value=value)
        else:
            optional["language"] = code
    value = cell("timezone")
    if value:
        name = parse_timezone(value)
        if name is None:
            error(Problem.BAD_TIMEZONE, value=value)
        else:
            optional["timezone"] = name
    value = cell("phone")
    if value:
        if SCIENTIFIC_RE.match(value):
            error(Problem.PHONE_AS_NUMBER, value=value)
        elif not PHONE_RE.match(value) or sum(c.isdigit() for c in value) < 6:
            error(Problem.BAD_PHONE, value=value)
        else:
            optional["phone"] = value
    value = cell("email")
    if value:
        if not EMAIL_RE.match(value) or ".." in value:
            error(Problem.BAD_EMAIL, value=value)
        else:
            optional["email"] = value
    value = cell("employer")
    if value:
        optional["employer"] = sys.intern(value)
    value = cell("gender")
    if value:
        gender = parse_gender(value)
        if gender is None:
            error(Problem.BAD_GENDER, value=value)
        else:
            optional["gender"] = gender
    if "gender" not in optional and gender_of_role_word(role_value):
        optional["gender"] = gender_of_role_word(role_value)
    minor, bad = minor_of(cell("minor"), cell("birth_year"), date.today().year)
    if bad is not None:
        error(Problem.BAD_MINOR, value=bad)
    elif minor is not None:
        optional["minor"] = minor
    for name in ("check_on", "check_expires_on"):  # a mentor's background check (storage.background_checks)
        value = cell(name)
        if value and (parse_date(value) is None or role not in (Role.MENTOR, AMBIGUOUS)):
            error(Problem.BAD_CHECK, value=value)
        elif value:
            optional[name] = parse_date(value)
    if "check_on" in optional:
        optional["check_by"] = "import"
    elif "check_expires_on" in optional:
        error(Problem.BAD_CHECK, value=cell("check_expires_on"))
    start: date | None = None
    value = cell("start")
    if value:
        start = parse_date(value)
        if start is None:
            error(Problem.BAD_DATE, value=value)

    if usable and first_name:  # the stored key is folded ("ß" → "ss"): its length is checked as stored
        length = len(make_import_key(pair, role if isinstance(role, Role) else Role.MENTOR, first_name, last_name))
        if length > IMPORT_KEY_MAX:
            error(Problem.KEY_TOO_LONG, length=length, max=IMPORT_KEY_MAX)
    if not usable:
        return None, optional
    return Row(row=number, pair=pair, role=role, role_value=role_value, first_name=first_name,
               last_name=last_name, start=start, language=optional.get("language")), optional


def check_pairs(*, session: Session, programme: Programme, rows: Rows, broken_pairs: set[str],
                report: ImportReport) -> tuple[Rows, list[PairPlan]]:
    """The rows with their roles settled and import keys set, and the binômes to create or keep."""
    # Referents and substitutes are attached to a pair of the file or one already imported; they are not its pair.
    attached = [r for r in rows if r.role == Role.REFERENT or is_substitute(r.role_value)]
    pairs = _group_pairs([r for r in rows if r.role != Role.COORDINATOR and r not in attached])
    existing_binomes = _existing_binomes(session, programme, set(pairs) | {key_part(r.pair) for r in attached})
    for r in attached:
        if key_part(r.pair) not in pairs and key_part(r.pair) not in existing_binomes:
            report.error(r.row, Problem.REFERENT_UNKNOWN_PAIR, pair=r.pair)
    existing_people = _participants_by_id(
        session, [pid for b in existing_binomes.values() for pid in (b.mentor_id, b.mentee_id)])
    resolve_ambiguous_roles(pairs, existing_binomes, existing_people, report)
    if any(r.role == AMBIGUOUS for r in rows):
        rows[:] = [r for r in rows if r.role != AMBIGUOUS]
    for r in rows:
        r.key = make_import_key(r.pair, r.role, r.first_name, r.last_name)
    _check_duplicates([r for r in rows if r.first_name], report)
    # One person in several pairs; the values of the rows it compares are read again from the file.
    resolve_people(session=session, programme=programme, rows=rows, contacts=rows.contacts, report=report,
                   values=lambda numbers: values_of(rows.table, numbers))
    plans = _plan_pairs(pairs, existing_binomes, existing_people, broken_pairs, report)
    return rows, plans


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


def _group_pairs(rows: list[Row]) -> dict[str, list[Row]]:
    pairs: dict[str, list[Row]] = {}
    for r in rows:
        pairs.setdefault(key_part(r.pair), []).append(r)
    return pairs


def _check_duplicates(rows: list[Row], report: ImportReport) -> None:
    seen: dict[str, int] = {}
    for r in rows:
        if r.key in seen:
            report.error(r.row, Problem.DUPLICATE_ROW, first_row=seen[r.key])
        else:
            seen[r.key] = r.row


def _plan_pairs(pairs: dict[str, list[Row]], existing_binomes: dict[str, Binome],
                existing_people: dict[int, Participant], broken_pairs: set[str],
                report: ImportReport) -> list[PairPlan]:
    """One mentor and one mentee per pair, counting the pair's people already in the database."""
    plans: list[PairPlan] = []
    for pair_key, members in pairs.items():
        members = [r for r in members if r.role != AMBIGUOUS]
        if not members:
            continue
        label = members[0].pair
        unique: dict[str, Row] = {}
        for r in members:
            unique.setdefault(r.key, r)  # duplicates are reported by _check_duplicates
        mentors = [r for r in unique.values() if r.role == Role.MENTOR]
        mentees = [r for r in unique.values() if r.role == Role.MENTEE]
        first_row = members[0].row
        failed = False
        for group, code in ((mentors, Problem.TWO_MENTORS), (mentees, Problem.TWO_MENTEES)):
            if len(group) > 1:
                report.error(group[1].row, code, pair=label, rows=rows_param(r.row for r in group))
                failed = True
        binome = existing_binomes.get(pair_key)
        if binome is None and pair_key not in broken_pairs:  # else a rejected row may hold the missing person
            if not mentors:
                report.error(first_row, Problem.NO_MENTOR, pair=label)
                failed = True
            if not mentees:
                report.error(first_row, Problem.NO_MENTEE, pair=label)
                failed = True
        elif binome is not None:
            label = binome.label
            for group, pid, code in ((mentors, binome.mentor_id, Problem.OTHER_MENTOR),
                                     (mentees, binome.mentee_id, Problem.OTHER_MENTEE)):
                person = existing_people.get(pid)
                for r in group[:1]:
                    if person is None or person.import_key != r.person:
                        report.error(r.row, code, pair=label)
                        failed = True
        dated = [r for r in members if r.start is not None]
        if len({r.start for r in dated}) > 1:
            report.error(dated[-1].row, Problem.DIFFERENT_DATES, pair=label, rows=rows_param(r.row for r in dated))
            failed = True
        if failed:
            continue
        start = dated[0].start if dated else None
        if binome is not None and start is not None and start != binome.started_on:
            report.warn(dated[0].row, Problem.EXISTING_START_KEPT, pair=label, started_on=binome.started_on)
        plans.append(PairPlan(label=label, pair_key=pair_key, mentor=mentors[0] if mentors else None,
                              mentee=mentees[0] if mentees else None, start=start, existing=binome))
    return plans


def check_languages(rows: list[Row], programme: Programme, languages: Collection[str],
                    report: ImportReport) -> None:
    """Warn about languages the bot has no catalog for (`languages`: those it has)."""
    without: dict[str, list[int]] = {}
    for r in rows:
        code = r.language
        if code and code not in languages:
            without.setdefault(code, []).append(r.row)
    for code, numbers in without.items():
        report.warn(None, Problem.LANGUAGE_WITHOUT_CATALOG, language=code, rows=rows_param(numbers),
                    fallback=programme.language)
