"""`binome privacy erase`: a coordinator erases a person on request, from the command line (GDPR art. 17;
docs/privacy.md). The rules are in storage.privacy: the person's open binômes are closed with their role's
withdrawal, the coordinators told, every personal field erased; the request is audited with who made it and
when. Without `--yes` it only says what would happen. Texts in DEFAULT_LANGUAGE."""
from __future__ import annotations

import argparse
import sys

from bot.cli_common import binome_in, database, programme_named
from bot.clock import SystemClock
from bot.i18n import Translator
from bot.settings import Settings
from storage import privacy
from storage.audit import record
from storage.models import Participant, Role
from storage.text import clean_text

BY_MAX = 60


def add_parser(commands) -> None:
    """Wired from bot.cli: `binome privacy erase (PAIR --role mentor|mentee | --participant ID) --by WHO [--yes]`."""
    actions = commands.add_parser("privacy", help="people's rights over their data").add_subparsers(metavar="ACTION")
    erase = actions.add_parser("erase", help="erase a person's personal data on request (docs/privacy.md)")
    erase.add_argument("pair", nargs="?", help="the pair's code, as in the imported file (with --role)")
    erase.add_argument("--role", choices=[Role.MENTOR.value, Role.MENTEE.value])
    erase.add_argument("--participant", type=int, help="the participant's number, instead of PAIR and --role")
    erase.add_argument("--by", required=True, help="who asks for it (recorded in the audit log)")
    erase.add_argument("--yes", action="store_true", help="erase for good (without it: say what would happen)")
    erase.add_argument("--program", "--programme", dest="programme")
    erase.set_defaults(handler=_erase)


def _person(session, args: argparse.Namespace, tr: Translator) -> Participant | None:
    programme = programme_named(session, args.programme)
    if programme is None:
        return None
    if args.participant is not None:
        person = session.get(Participant, args.participant)
        if person is None or person.programme_id != programme.id:
            print(tr("No participant {number} in «{name}».").format(number=args.participant, name=programme.name),
                  file=sys.stderr)
            return None
        return person
    if not args.pair or not args.role:
        print(tr("Name the person: PAIR with --role mentor|mentee, or --participant NUMBER."), file=sys.stderr)
        return None
    binome = binome_in(session, programme, args.pair, tr)
    if binome is None:
        return None
    return session.get(Participant, binome.mentor_id if args.role == Role.MENTOR.value else binome.mentee_id)


def _erase(args: argparse.Namespace, settings: Settings, tr: Translator) -> int:
    by = clean_text(args.by)[:BY_MAX]
    if not by:
        print(tr("Say who asks for it with --by."), file=sys.stderr)
        return 2
    now = SystemClock().now()
    with database(settings) as session:
        person = _person(session, args, tr)
        if person is None:
            return 2
        number = person.id
        if person.erased_at is not None:
            print(tr("Participant {number} was already erased on {date}: nothing to do.").format(
                number=number, date=tr.date(person.erased_at)))
            return 0
        live = privacy.live_binomes(session=session, participant=person)
        if not args.yes:
            print(tr("Participant {number} ({name}): {count} open binômes will be closed, the coordinators told, and "
                     "every personal field erased. Add --yes to do it.").format(
                number=number, name=person.display_name, count=len(live)))
            return 1
        record(session=session, at=now, programme_id=person.programme_id, actor="cli", action="privacy.erase_requested",
               subject=f"participant:{number}", details={"by": by})
        forgotten = privacy.forget(session=session, participant=person, now=now, actor="cli")
        print(tr("Participant {number} is erased ({closed} binômes closed, {messages} messages removed).").format(
            number=number, closed=len(forgotten.binomes_closed), messages=forgotten.erased.messages_removed))
    return 0
