"""`binome report`: the programme's indicators for a period (storage.indicators, docs/indicators.md) as text on
the terminal, JSON, CSV (French Excel) or XLSX (three sheets), and the PNG chart with --chart. Texts and
labels in DEFAULT_LANGUAGE, like the rest of the command line."""
from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path

from bot.cli_common import database, programme_named
from bot.clock import SystemClock
from bot.i18n import Translator
from bot.report_chart import chart_png
from bot.report_files import to_csv, to_json, to_xlsx
from bot.report_texts import full_text, period_line
from bot.settings import Settings
from storage.checkins import local_day
from storage.followup import all_rows
from storage.indicators import compute, months
from storage.programmes import add_months

FORMATS = ("text", "json", "csv", "xlsx")
DEFAULT_MONTHS = 12  # without --from: the twelve months up to --to (or today)


def add_parser(commands) -> None:
    """Wired from bot.cli."""
    report = commands.add_parser("report", help="the programme's indicators for a period (docs/indicators.md)")
    report.add_argument("--program", "--programme", dest="programme")
    report.add_argument("--from", dest="since", type=date.fromisoformat,
                        help="first day counted (YYYY-MM-DD; default: 12 months before --to)")
    report.add_argument("--to", dest="until", type=date.fromisoformat, help="last day counted (default: today)")
    report.add_argument("--format", choices=FORMATS, default="text")
    report.add_argument("-o", "--output", type=Path, help="write to this file (required for xlsx)")
    report.add_argument("--chart", type=Path, help="also draw the PNG chart into this file")
    report.set_defaults(handler=_report)


def _report(args: argparse.Namespace, settings: Settings, tr: Translator) -> int:
    if args.format == "xlsx" and args.output is None:
        print(tr("An XLSX file cannot go to the terminal: give its name with -o FILE.xlsx."), file=sys.stderr)
        return 2
    now = SystemClock().now()
    with database(settings) as session:
        programme = programme_named(session, args.programme)
        if programme is None:
            return 2
        until = args.until or local_day(now, programme.timezone)
        since = args.since or add_months(until, -DEFAULT_MONTHS) + timedelta(days=1)
        if since > until:
            print(tr("The period must start before it ends (--from {since} is after --to {until}).").format(
                since=since.isoformat(), until=until.isoformat()), file=sys.stderr)
            return 2
        values = compute(session=session, programme=programme, since=since, until=until)
        by_month = months(session=session, programme=programme, since=since, until=until)
        if args.format == "text":
            data = (full_text(tr, programme, values, since, until) + "\n").encode("utf-8")
        elif args.format == "json":
            data = to_json(programme, values, by_month, since, until).encode("utf-8")
        elif args.format == "csv":
            data = to_csv(tr, programme, values)
        else:
            data = to_xlsx(tr, programme, values, all_rows(session=session, programme_id=programme.id, now=now),
                           by_month)
        if args.chart is not None:
            title = f"{programme.name} · {period_line(tr, since, until)}"
            args.chart.write_bytes(chart_png(tr, programme, by_month, values["exits_by_outcome"], title))
    if args.output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        args.output.write_bytes(data)
        print(tr("Written: {file}").format(file=args.output))
    return 0
