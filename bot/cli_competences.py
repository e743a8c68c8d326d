"""`binome competences import FILE.csv` and `binome competences list`: a programme's competence framework
for the self-evaluation (storage.competences, docs/tutoring.md). A file with any bad row imports nothing and
lists every problem with its row. Texts in DEFAULT_LANGUAGE."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli_common import database, programme_named
from bot.clock import SystemClock
from bot.i18n import N_, Translator
from bot.settings import Settings
from storage.competences import framework, import_competences

PROBLEMS = {
    "empty": N_("row {row}: the file is empty."),
    "missing_column": N_("row {row}: no «{value}» column (code, label, optional group)."),
    "cells": N_("row {row}: {value} cells, not as many as the header."),
    "no_code": N_("row {row}: the code is missing."),
    "code_too_long": N_("row {row}: the code «{value}» is too long (32 characters at most)."),
    "duplicate": N_("row {row}: the code «{value}» is already on an earlier row."),
    "no_label": N_("row {row}: the label of «{value}» is missing."),
    "label_too_long": N_("row {row}: the label of «{value}» is too long (200 characters at most)."),
    "group_too_long": N_("row {row}: the group of «{value}» is too long (80 characters at most)."),
    "too_many": N_("row {row}: more than {value} competences; keep the framework short enough to rate."),
}


def add_parser(commands) -> None:
    actions = commands.add_parser("competences", help="the competence framework of the self-evaluation") \
        .add_subparsers(metavar="ACTION")
    importing = actions.add_parser("import", help="import the competences from a CSV file (code;label;group)")
    importing.add_argument("file", type=Path)
    importing.add_argument("--program", "--programme", dest="programme")
    importing.add_argument("--dry-run", action="store_true", help="check the file, write nothing")
    importing.set_defaults(handler=_import)
    listing = actions.add_parser("list", help="list the competences asked today")
    listing.add_argument("--program", "--programme", dest="programme")
    listing.set_defaults(handler=_list)


def _import(args: argparse.Namespace, settings: Settings, tr: Translator) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(tr("Cannot read {file}: {reason}").format(file=args.file, reason=exc.strerror), file=sys.stderr)
        return 2
    with database(settings) as session:
        programme = programme_named(session, args.programme)
        if programme is None:
            return 2
        report = import_competences(session=session, programme=programme, data=data, now=SystemClock().now(),
                                    dry_run=args.dry_run)
        if report.problems:
            for row, code, value in report.problems:
                print(tr(PROBLEMS[code]).format(row=row, value=value), file=sys.stderr)
            print(tr("Nothing was imported: correct these rows and run it again."), file=sys.stderr)
            return 2
        if args.dry_run:
            print(tr("The file is correct; nothing was written (--dry-run)."))
            return 0
        print(tr("Competences of «{name}»: {added} added, {updated} changed, {retired} no longer asked.").format(
            name=programme.name, added=report.added, updated=report.updated, retired=report.retired))
    return 0


def _list(args: argparse.Namespace, settings: Settings, tr: Translator) -> int:
    with database(settings) as session:
        programme = programme_named(session, args.programme)
        if programme is None:
            return 2
        competences = framework(session=session, programme_id=programme.id)
        if not competences:
            print(tr("«{name}» has no competence framework yet: binome competences import FILE.csv").format(
                name=programme.name))
        for competence in competences:
            print(f"{competence.code}\t{competence.label}" + (f"\t{competence.group}" if competence.group else ""))
    return 0
