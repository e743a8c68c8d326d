"""The report as files (docs/indicators.md): JSON for people who automate, CSV that French Excel opens with a
double click (semicolons, UTF-8 with a BOM, decimal commas), and an XLSX of three sheets: the indicators
(label in the reader's language, value, definition), the follow-up table (frozen header, autofilter,
widths, dates as dates) and the figures by month.

The XLSX is written by openpyxl in write-only mode: the follow-up table's rows go to the file as they come
from storage.followup.all_rows, never all at once. Every text cell that could be read as a formula (it
starts with =, +, -, @, a tab or a carriage return: names come from imported files and from people) is
written as text with Excel's hidden quote prefix, so it shows as typed and never runs.
"""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from bot.i18n import N_, Translator
from bot.outcomes import outcome_name
from bot.report_texts import definition, flat, label, sub_label
from storage.evaluations import ANONYMITY_FLOOR
from storage.followup import Row
from storage.indicators import KEYS, MASKED, RATES, Month
from storage.models import Programme
from storage.spreadsheet import looks_like_formula, safe_cell

STATUS_LABELS = {"active": N_("active"), "paused": N_("paused"), "closed": N_("closed")}
SEVERITY_LABELS = {"high": N_("high"), "medium": N_("medium"), "low": N_("low")}
TABLE_COLUMNS = (  # (header, width)
    (N_("Code"), 10), (N_("Mentor"), 16), (N_("Mentee"), 16), (N_("Status"), 10), (N_("Start"), 12),
    (N_("Planned end"), 12), (N_("Last meeting"), 17), (N_("Next meeting"), 17), (N_("Meetings held"), 10),
    (N_("Missed, excused"), 10), (N_("Missed, unexcused"), 10), (N_("Actions done"), 10),
    (N_("Actions (total)"), 10), (N_("Actions blocked"), 10), (N_("Check-ins answered (mentee)"), 12),
    (N_("Check-ins answered (mentor)"), 12), (N_("Open alerts"), 8), (N_("Highest severity"), 10),
    (N_("Outcome"), 24),
)
MONTH_COLUMNS = (N_("Month"), N_("Binômes started"), N_("Binômes closed"), N_("Binômes under way at the end"),
                 N_("Meetings held"), N_("Meetings missed"))
DAY_FORMAT, TIME_FORMAT, PERCENT_FORMAT = "DD/MM/YYYY", "DD/MM/YYYY HH:MM", "0.0%"


# ---------------------------------------------------------------- JSON

def to_json(programme: Programme, values: dict[str, object], months: list[Month], since: date, until: date) -> str:
    """The indicators under their keys (docs/indicators.md), the period, the floor and the months."""
    document = {
        "programme": programme.name, "since": since.isoformat(), "until": until.isoformat(),
        "anonymity_floor": ANONYMITY_FLOOR, "masked": MASKED,
        "indicators": {key: values[key] for key in KEYS},
        "months": [{"month": m.first.strftime("%Y-%m"), "from": m.first.isoformat(), "to": m.last.isoformat(),
                    "binomes_started": m.started, "binomes_closed": m.closed, "binomes_active": m.active,
                    "meetings_held": m.held, "meetings_missed": m.missed} for m in months],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


# ---------------------------------------------------------------- CSV

def csv_number(key: str, raw: object) -> str:
    """A value as French Excel reads it: 12, 66,7% for a rate, 4,25 for a decimal, "< 5", empty for none."""
    if raw is None:
        return ""
    if raw == MASKED:
        return MASKED
    if key in RATES:
        return f"{raw * 100:.1f}".replace(".", ",") + "%"
    if isinstance(raw, float):
        return f"{raw:.2f}".rstrip("0").rstrip(".").replace(".", ",")
    return str(raw)


def to_csv(tr: Translator, programme: Programme, values: dict[str, object]) -> bytes:
    """key;indicator;value;definition, one figure a line (a grouped one a line per entry), UTF-8 with BOM."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([tr("Key"), tr("Indicator"), tr("Value"), tr("Definition")])
    for key, sub, raw in flat(values):
        name = label(tr, programme, key) + (f" · {sub_label(tr, key, sub)}" if sub else "")
        writer.writerow([safe_cell(f"{key}.{sub}" if sub else key), safe_cell(name), csv_number(key, raw),
                         safe_cell(definition(tr, key))])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# ---------------------------------------------------------------- XLSX

def _cell(sheet, value, *, number_format: str | None = None, bold: bool = False):
    """A write-only cell; a formula-looking text becomes quoted text."""
    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # openpyxl would take "=…" for a formula
        if looks_like_formula(value):
            cell.quotePrefix = True
    else:
        cell = WriteOnlyCell(sheet, value=value)
    if number_format:
        cell.number_format = number_format
    if bold:
        cell.font = Font(bold=True)
    return cell


def _header(sheet, titles: Iterable[str], widths: Iterable[int]) -> int:
    titles = list(titles)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    header = []
    for title in titles:
        cell = _cell(sheet, title, bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        header.append(cell)
    sheet.append(header)
    return len(titles)


def _local(moment: datetime | None, tz: str) -> datetime | None:
    """An aware UTC time as the programme's wall-clock time: spreadsheets have no time zones."""
    return None if moment is None else moment.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def _value_cell(sheet, key: str, raw: object):
    if raw is None or raw == MASKED:
        return _cell(sheet, "-" if raw is None else MASKED)
    return _cell(sheet, raw, number_format=PERCENT_FORMAT if key in RATES else None)


def to_xlsx(tr: Translator, programme: Programme, values: dict[str, object], rows: Iterable[Row],
            months: list[Month]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(tr("Indicators")[:31])
    _header(sheet, [tr("Indicator"), tr("Value"), tr("Definition"), tr("Key")], [48, 12, 90, 34])
    count = 1
    for key, sub, raw in flat(values):
        name = label(tr, programme, key) + (f" · {sub_label(tr, key, sub)}" if sub else "")
        sheet.append([_cell(sheet, name), _value_cell(sheet, key, raw), _cell(sheet, definition(tr, key)),
                      _cell(sheet, f"{key}.{sub}" if sub else key)])
        count += 1
    sheet.auto_filter.ref = f"A1:D{count}"

    table = workbook.create_sheet(tr("Follow-up table")[:31])
    width = _header(table, [tr(title) for title, _ in TABLE_COLUMNS], [w for _, w in TABLE_COLUMNS])
    count = 1
    for row in rows:
        table.append(_table_row(tr, table, programme, row))
        count += 1
    table.auto_filter.ref = f"A1:{get_column_letter(width)}{count}"

    by_month = workbook.create_sheet(tr("By month")[:31])
    _header(by_month, [tr(title) for title in MONTH_COLUMNS], [12, 14, 14, 18, 14, 14])
    for m in months:
        by_month.append([_cell(by_month, m.first, number_format="MM/YYYY"), m.started, m.closed, m.active,
                         m.held, m.missed])
    by_month.auto_filter.ref = f"A1:F{len(months) + 1}"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _table_row(tr: Translator, sheet, programme: Programme, row: Row) -> list:
    tz = programme.timezone
    percent = lambda v: _cell(sheet, v, number_format=PERCENT_FORMAT) if v is not None else None  # noqa: E731
    return [
        _cell(sheet, row.code), _cell(sheet, row.mentor), _cell(sheet, row.mentee),
        _cell(sheet, tr(STATUS_LABELS.get(row.status, row.status))),
        _cell(sheet, row.started_on, number_format=DAY_FORMAT),
        _cell(sheet, row.planned_end_on, number_format=DAY_FORMAT),
        _cell(sheet, _local(row.last_meeting, tz), number_format=TIME_FORMAT) if row.last_meeting else None,
        _cell(sheet, _local(row.next_meeting, tz), number_format=TIME_FORMAT) if row.next_meeting else None,
        row.held, row.missed_excused, row.missed_unexcused, row.actions_done, row.actions_total, row.actions_blocked,
        percent(row.mentee_response), percent(row.mentor_response), row.open_alerts,
        _cell(sheet, tr(SEVERITY_LABELS[row.highest_severity])) if row.highest_severity in SEVERITY_LABELS else None,
        _cell(sheet, outcome_name(tr, row.outcome)) if row.outcome else None,
    ]
