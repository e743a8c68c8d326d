"""Reading the file: from the bytes the coordinator saved to a header and rows of cells.

What a spreadsheet does to a CSV file is handled here: spreadsheet files saved under the wrong
type, UTF-8 with or without a BOM, older Excel's Windows-1252, Excel's UTF-16 "Unicode text", the
separator (";", "," or tab), quotes, blank lines, and the header line's column names.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from storage.importer.problems import ImportReport, Problem
from storage.importer.values import clean, fold

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

DELIMITERS = (";", ",", "\t")


@dataclass
class Table:
    """The file as rows of cells. `records` are (spreadsheet row number, cells), blank lines left out."""

    header: list[str]
    columns: dict[str, int]  # field -> index of its column
    width: int  # the header's length without trailing nameless columns
    records: list[tuple[int, list[str]]]


def read_table(data: bytes, report: ImportReport) -> Table | None:
    """The header and the rows after it; None (with the reason in the report) when unreadable."""
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        report.error(None, Problem.EMPTY_FILE)
        return None
    kind = _spreadsheet_kind(data)
    if kind:
        report.error(None, Problem.SPREADSHEET_FILE, kind=kind)
        return None
    text = _decode(data, report)
    if text is None:
        return None
    text = text.lstrip("\ufeff")
    if not text.strip():
        report.error(None, Problem.EMPTY_FILE)
        return None
    delimiter = _sniff_delimiter(text)
    report.delimiter = delimiter

    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=False)
    records: list[tuple[int, list[str]]] = []
    try:
        for number, cells in enumerate(reader, start=1):
            records.append((number, cells))
    except csv.Error as exc:
        report.error(len(records) + 1, Problem.CSV_SYNTAX, detail=str(exc))
        return None
    records = [(n, cells) for n, cells in records if any(c.strip() for c in cells)]
    if not records:
        report.error(None, Problem.EMPTY_FILE)
        return None

    _, header = records[0]
    columns = _map_columns(header, report)
    if columns is None:
        return None
    width = len(header)
    while width and not header[width - 1].strip():
        width -= 1  # trailing nameless columns are common in Excel exports: tolerated when empty
    return Table(header=header, columns=columns, width=width, records=records[1:])


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
            report.error(None, Problem.UNREADABLE_ENCODING)
            return None
    if b"\x00" in data:
        report.error(None, Problem.BINARY_FILE)
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
        report.error(None, Problem.UNREADABLE_ENCODING)
        return None
    report.encoding = "cp1252"
    report.warn(None, Problem.READ_AS_CP1252)
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
            report.error(None, Problem.DUPLICATE_COLUMN, first=clean(header[columns[field_name]]), second=label)
        else:
            columns[field_name] = index
    if not columns:
        report.error(None, Problem.NO_HEADER)
        return None
    missing = [f for f in REQUIRED_FIELDS if f not in columns]
    if missing:
        report.error(None, Problem.MISSING_COLUMNS, fields=missing)
    if ignored:
        report.warn(None, Problem.IGNORED_COLUMNS, columns=ignored)
    if report.errors:
        return None
    return columns
