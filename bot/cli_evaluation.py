"""`binome evaluation report`: the anonymous evaluations after closure, for the operator's or the funder's
report (the rules and the floor are in storage.evaluations, the texts in bot.evaluation_report, the same as
the coordinator's /evaluations). Texts in DEFAULT_LANGUAGE."""
from __future__ import annotations

import argparse
import sys
from datetime import date

from bot.cli_common import database, programme_named
from bot.clock import SystemClock
from bot.evaluation_report import period, role_lines
from bot.i18n import Translator
from bot.settings import Settings
from storage import evaluations as rules
from storage.checkins import local_day
from storage.models import Role
from storage.programmes import add_months

DEFAULT_MONTHS = 12  # without --from: the twelve months up to --to (or today)


def add_parser(commands) -> None:
    """Wired from bot.cli: `binome evaluation report [--program NAME] [--from YYYY-MM-DD] [--to YYYY-MM-DD]`."""
    actions = commands.add_parser("evaluation", help="the evaluations after closure").add_subparsers(metavar="ACTION")
    report = actions.add_parser("report", help="aggregates of the evaluations of binômes closed in a period "
                                               "(docs/closure.md)")
    report.add_argument("--program", "--programme", dest="programme")
    report.add_argument("--from", dest="since", type=date.fromisoformat,
                        help="first closure date counted (YYYY-MM-DD; default: 12 months before --to)")
    report.add_argument("--to", dest="until", type=date.fromisoformat,
                        help="last closure date counted (YYYY-MM-DD; default: today)")
    report.set_defaults(handler=_report)


def _report(args: argparse.Namespace, settings: Settings, tr: Translator) -> int:
    with database(settings) as session:
        programme = programme_named(session, args.programme)
        if programme is None:
            return 2
        until = args.until or local_day(SystemClock().now(), programme.timezone)
        since = args.since or add_months(until, -DEFAULT_MONTHS)
        if since > until:
            print(tr("The period must start before it ends (--from {since} is after --to {until}).").format(
                since=since.isoformat(), until=until.isoformat()), file=sys.stderr)
            return 2
        lines = [tr("Evaluations after closure · «{name}»").format(name=programme.name), period(tr, since, until)]
        for role in (Role.MENTEE, Role.MENTOR):
            found = rules.aggregate(session=session, programme_id=programme.id, since=since, until=until, role=role)
            lines += [""] + role_lines(tr, programme, role, found, detailed=True, words_limit=None)
    print("\n".join(lines))
    return 0
