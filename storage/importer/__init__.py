"""Import of participants and binômes from the coordinator's spreadsheet (saved as CSV).

`import_participants` reads the bytes of a CSV file, checks every row, and writes only when the
whole file is correct: a file with one mistake imports nothing, and the report lists every mistake
with its spreadsheet row number (row 1 is the header line). Importing the same file again creates
nothing twice: a person is recognised by `import_key` ("pair|role|first|last", casefolded,
accent-stripped), a binôme by its label and its two people.

Three steps, one module each: `reading` (bytes → header and cells), `checking` (rows and pairs,
against the database) and `writing` (one transaction). The file is read once to check and again to
write: of each row only what the checks across rows need is kept in between. The report holds
facts (`problems`: codes, rows, values); bot/import_report.py words them for coordinators. Nothing here logs names or
contact details.
"""
from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime

from sqlmodel import Session

from storage.importer.checking import check_languages, check_pairs, check_rows
from storage.importer.problems import ImportProblem, ImportReport, Problem
from storage.importer.reading import COLUMN_NAMES, read_table
from storage.importer.values import (
    ACCEPTED_ROLES, AMBIGUOUS, ROLE_NAMES, make_import_key, parse_date, parse_language, parse_role,
    parse_timezone, strip_accents,
)
from storage.importer.writing import write_import
from storage.models import Programme

log = logging.getLogger(__name__)

__all__ = [
    "ACCEPTED_ROLES", "AMBIGUOUS", "COLUMN_NAMES", "ImportProblem", "ImportReport", "Problem", "ROLE_NAMES",
    "import_participants", "make_import_key", "parse_date", "parse_language", "parse_role", "parse_timezone",
    "strip_accents",
]


def import_participants(
    *, session: Session, programme: Programme, data: bytes, now: datetime, languages: Collection[str],
    actor: str = "cli",
) -> ImportReport:
    """Check the whole CSV file, then create/update participants and binômes, or write nothing.

    `languages` are those the bot speaks: a person given another one is warned about. Never raises
    for a bad file: the problems are in the returned report (`report.ok` is False and nothing was
    added to the session). The caller commits.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    report = ImportReport()
    table = read_table(data, report)
    if table is None:  # the file itself cannot be read: nothing more to say about its rows
        return _failed(report)
    rows, broken_pairs = check_rows(table, report)
    rows, plans = check_pairs(session=session, programme=programme, rows=rows, broken_pairs=broken_pairs,
                              report=report)
    if report.errors:
        return _failed(report)
    check_languages(rows, programme, languages, report)
    if not write_import(session=session, programme=programme, now=now, rows=rows, plans=plans, report=report,
                        actor=actor):
        return _failed(report)
    # DEBUG: the coordinator reads the report; an English line after it on the terminal is noise.
    log.debug("import into programme %s: %s, %d warnings", programme.id, report.counts(), len(report.warnings))
    return report


def _failed(report: ImportReport) -> ImportReport:
    for name in report.counts():
        setattr(report, name, 0)
    log.debug("import refused: %d errors, %d warnings", len(report.errors), len(report.warnings))
    return report
