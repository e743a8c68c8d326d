"""Reading the file: from the bytes the coordinator saved to a header and rows of cells.

What a spreadsheet does to a CSV file is handled here: spreadsheet files saved under the wrong
type, UTF-8 with or without a BOM, older Excel's Windows-1252, Excel's UTF-16 "Unicode text", the
separator (";", "," or tab), quotes, blank lines, and the header line's column names.
"""
from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
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
    "gender": ("genre", "sexe", "gender", "sex"),
    "minor": ("mineur", "mineure", "mineur(e)", "minor", "under 18", "moins de 18 ans"),
    "check_on": ("honorabilité", "vérification honorabilité", "date vérification", "casier judiciaire",
                 "background check", "check date"),
    "check_expires_on": ("honorabilité expire", "fin vérification", "expiration vérification", "check expires",
                         "background check expires"),
    "birth_year": ("année de naissance", "annee de naissance", "année naissance", "birth year", "year of birth"),
    "timezone": ("fuseau horaire", "fuseau", "timezone", "time zone"),
    "start": ("début", "debut", "date de début", "date début", "start", "start date"),
}
REQUIRED_FIELDS = ("pair", "role", "first_name", "last_name")
_COLUMN_LOOKUP = {fold(alias): name for name, aliases in COLUMN_NAMES.items() for alias in aliases}

DELIMITERS = (";", ",", "\t")


@dataclass
class Table:
    """The file's header, and its rows of cells read lazily: each call of `records()` reads the file
    again and yields (spreadsheet row number, cells), blank lines left out, so that a large file is
    never held as rows in memory (the import reads it once to check, again to write)."""

    header: list[str]
    columns: dict[str, int]  # field -> index of its column
    width: int  # the header's length without trailing nameless columns
    data: bytes
    encoding: str
    delimiter: str

    def records(self) -> Iterator[tuple[int, list[str]]]:
        return _records(self.data, self.encoding, self.delimiter)


def read_table(data: bytes, report: ImportReport) -> Table | None:
    """The header and the rows after it; None (with the reason in the report) when unreadable.

    The bytes are decoded as they are read (never into one string), twice: once to check the CSV
    syntax of the whole file before any row is checked, then row by row for the checks."""
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        report.error(None, Problem.EMPTY_FILE)
        return None
    kind = _spreadsheet_kind(data)
    if kind:
        report.error(None, Problem.SPREADSHEET_FILE, kind=kind)
        return None
    encoding = _encoding(data, report)
    if encoding is None:
        return None
    delimiter = _sniff_delimiter(_lines(data, encoding))
    report.delimiter = delimiter

    header: list[str] | None = None
    read = 0
    try:
        for cells in _reader(data, encoding, delimiter):
            read += 1
            if header is None and any(c.strip() for c in cells):
                header = cells
    except csv.Error as exc:
        report.error(read + 1, Problem.CSV_SYNTAX, detail=str(exc))
        return None
    if header is None:
        report.error(None, Problem.EMPTY_FILE)
        return None

    columns = _map_columns(header, report)
    if columns is None:
        return None
    width = len(header)
    while width and not header[width - 1].strip():
        width -= 1  # trailing nameless columns are common in Excel exports: tolerated when empty
    return Table(header=header, columns=columns, width=width, data=data, encoding=encoding, delimiter=delimiter)


def _lines(data: bytes, encoding: str) -> Iterator[str]:
    """The decoded lines, line ends kept (as `newline=""` reads them), stray byte-order marks dropped."""
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    first = True
    for line in stream:
        if first:
            line = line.lstrip("\ufeff")
            first = not line
            if first:
                continue
        yield line


def _reader(data: bytes, encoding: str, delimiter: str):
    return csv.reader(_lines(data, encoding), delimiter=delimiter, quotechar='"', strict=False)


def _records(data: bytes, encoding: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """The rows after the header, one at a time (the syntax was checked by read_table)."""
    header_seen = False
    for number, cells in enumerate(_reader(data, encoding, delimiter), start=1):
        if not any(c.strip() for c in cells):
            continue
        if header_seen:
            yield number, cells
        header_seen = True


def _spreadsheet_kind(data: bytes) -> str | None:
    if data.startswith(b"PK\x03\x04"):
        head = data[:2000]
        if b"opendocument" in head:
            return "ODS"
        return "XLSX"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "XLS"
    return None


def _encoding(data: bytes, report: ImportReport) -> str | None:
    """The codec the file decodes with, checked over the whole file in slices (no full copy as text)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text": UTF-16, tabs
        if _decodes(data, "utf-16"):
            report.encoding = "utf-16"
            return "utf-16"
        report.encoding = "utf-16"
        report.error(None, Problem.UNREADABLE_ENCODING)
        return None
    if b"\x00" in data:
        report.error(None, Problem.BINARY_FILE)
        return None
    if _decodes(data, "utf-8-sig"):
        report.encoding = "utf-8"
        return "utf-8-sig"
    if not _decodes(data, "cp1252"):
        report.encoding = None
        report.error(None, Problem.UNREADABLE_ENCODING)
        return None
    report.encoding = "cp1252"
    report.warn(None, Problem.READ_AS_CP1252)
    return "cp1252"


def _decodes(data: bytes, encoding: str, slice_size: int = 1 << 20) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(data)
    try:
        for start in range(0, len(view), slice_size):
            decoder.decode(view[start:start + slice_size])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _sniff_delimiter(lines: Iterator[str]) -> str:
    """The delimiter that splits the header line the most (quotes respected)."""
    first_line = next((line for line in lines if line.strip()), "")
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
