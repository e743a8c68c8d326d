"""What an import found, as facts: a problem code, the spreadsheet row, and the values it names.

No text here: bot/import_report.py turns each code into the coordinator's sentence, in their
language. Row-number parameters are named `rows` (sorted lists of ints); everything else is a value
read from the file or the database, shown as it is.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Problem(StrEnum):
    """Every error and warning an import can report. Parameters are listed beside each code."""

    # File-level errors (row None).
    EMPTY_FILE = "empty_file"
    SPREADSHEET_FILE = "spreadsheet_file"  # kind: "XLSX", "ODS", "XLS"
    BINARY_FILE = "binary_file"
    UNREADABLE_ENCODING = "unreadable_encoding"
    NO_HEADER = "no_header"
    NO_ROWS = "no_rows"
    MISSING_COLUMNS = "missing_columns"  # fields: the missing fields, as keys of COLUMN_NAMES
    DUPLICATE_COLUMN = "duplicate_column"  # first, second: the two column labels
    CSV_SYNTAX = "csv_syntax"  # detail: the csv module's message
    DATABASE_CHANGED = "database_changed"

    # Row errors.
    COLUMN_COUNT = "column_count"  # found, expected
    UNKNOWN_ROLE = "unknown_role"  # value
    MISSING_ROLE = "missing_role"
    AMBIGUOUS_ROLE = "ambiguous_role"  # value
    MISSING_FIRST_NAME = "missing_first_name"
    TOO_LONG = "too_long"  # column (its label), length, max
    MISSING_PAIR = "missing_pair"
    COORDINATOR_WITH_PAIR = "coordinator_with_pair"  # pair
    BAD_EMAIL = "bad_email"  # value
    BAD_PHONE = "bad_phone"  # value
    PHONE_AS_NUMBER = "phone_as_number"  # value
    BAD_DATE = "bad_date"  # value
    BAD_TIMEZONE = "bad_timezone"  # value
    UNKNOWN_LANGUAGE = "unknown_language"  # value
    BAD_GENDER = "bad_gender"  # value
    REFERENT_UNKNOWN_PAIR = "referent_unknown_pair"  # pair: a partner referent's pair is neither in the file nor imported
    BAD_CHECK = "bad_check"  # value: a background check's date not a date, on a row not a mentor's, or an expiry alone
    BAD_MINOR = "bad_minor"  # value: a minor cell not yes/no, or a birth year that is not one
    DUPLICATE_ROW = "duplicate_row"  # first_row
    TWO_MENTORS = "two_mentors"  # pair, rows
    TWO_MENTEES = "two_mentees"  # pair, rows
    NO_MENTOR = "no_mentor"  # pair
    NO_MENTEE = "no_mentee"  # pair
    OTHER_MENTOR = "other_mentor"  # pair
    OTHER_MENTEE = "other_mentee"  # pair
    DIFFERENT_DATES = "different_dates"  # pair, rows
    KEY_TOO_LONG = "key_too_long"  # length, max: pair code and names once folded (ß → ss) overflow the key
    MENTOR_AND_MENTEE = "mentor_and_mentee"  # rows: the same e-mail or phone on a mentor's and a mentee's row

    # Warnings.
    READ_AS_CP1252 = "read_as_cp1252"
    IGNORED_COLUMNS = "ignored_columns"  # columns: the labels, in file order
    UNNAMED_COLUMNS = "unnamed_columns"
    LANGUAGE_WITHOUT_CATALOG = "language_without_catalog"  # language, rows, fallback
    AMBIGUOUS_ROLE_RESOLVED = "ambiguous_role_resolved"  # value, role (the Role it was read as), rows
    EXISTING_START_KEPT = "existing_start_kept"  # pair, started_on (a date)
    DECLINED_NOT_UPDATED = "declined_not_updated"  # rows
    START_DATE_IGNORED = "start_date_ignored"  # rows
    FORMULA_LIKE = "formula_like"  # rows: cells starting with = + - @, which a spreadsheet runs
    # One person in several pairs (storage/importer/people.py): one participant, one invitation.
    SAME_PERSON_SEVERAL_PAIRS = "same_person_several_pairs"  # rows: one person's rows (same e-mail or phone)
    SAME_NAME_GUESSED = "same_name_guessed"  # rows: taken for one person by first and last name alone
    SAME_AS_EXISTING = "same_as_existing"  # rows: someone already imported (same e-mail or phone)
    SAME_NAME_AS_EXISTING = "same_name_as_existing"  # rows: taken for someone already imported, by name alone


@dataclass(frozen=True)
class ImportProblem:
    """One error or warning. `row` is the spreadsheet row (1 = header line), None for the file."""

    row: int | None
    code: Problem
    params: dict = field(default_factory=dict)


def rows_param(numbers: Iterable[int]) -> list[int]:
    """Row numbers as a `rows` parameter: the report writes them as "row 4" / "rows 4, 7"."""
    return sorted(numbers)


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

    def error(self, row: int | None, code: Problem, **params) -> None:
        self.errors.append(ImportProblem(row, code, params))

    def warn(self, row: int | None, code: Problem, **params) -> None:
        self.warnings.append(ImportProblem(row, code, params))

    def counts(self) -> dict[str, int]:
        return {
            "participants_created": self.participants_created,
            "participants_updated": self.participants_updated,
            "participants_unchanged": self.participants_unchanged,
            "binomes_created": self.binomes_created,
            "binomes_unchanged": self.binomes_unchanged,
        }
