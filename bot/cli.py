"""`binome`: the command line for operators and coordinators.

Texts are shown in DEFAULT_LANGUAGE (French unless set otherwise).
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import select
from telegram import Bot

from bot import cli_binome, cli_competences, cli_evaluation, cli_privacy, cli_report
from bot.app import file_url_for
from bot.cli_common import programme_named
from bot.clock import SystemClock
from bot.i18n import Translator, available_languages, load_all, translator
from bot.import_report import render_report
from bot.leader import AlreadyRunning
from bot.logs import configure_logging
from bot.settings import Settings, settings_or_exit
from bot.vocabulary import term
from storage import db
from storage.audit import record
from storage.importer import import_participants
from storage.invite_links import invitation_lines
from storage.models import Participant, Programme, Role
from storage.options import OptionError, effective_options, parse_assignment, parse_hhmm, parse_window
from storage.participants import programme_counts
from storage.programmes import ProgrammeError, create_programme

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    settings = settings_or_exit()
    configure_logging(settings.log_level, quiet=getattr(args, "handler", None) in (_demo, _start))
    load_all()
    tr = translator(settings.default_language, settings.default_timezone)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        return args.handler(args, settings, tr) or 0
    except db.DatabaseBehind as exc:
        if exc.current is None:
            text = tr("binome: the database is empty; this version needs schema revision {head}. "
                      "Run `binome db upgrade` to create it.")
        else:
            text = tr("binome: the database is at schema revision {current}; this version needs {head}. "
                      "Back it up, then run `binome db upgrade`.")
        print(text.format(current=exc.current, head=exc.head), file=sys.stderr)
        return 2
    except AlreadyRunning as exc:
        if exc.reason == "sqlite":
            text = tr("binome: another `binome run` is already using {database}{pid}: SQLite allows one "
                      "process. Stop it first, or move to PostgreSQL for several workers (docs/scaling.md).")
        else:
            text = tr("binome: another `binome run` is already using {database}{pid}: in long-polling mode "
                      "Telegram serves one process. Set WEBHOOK_URL for several workers (docs/scaling.md).")
        pid = f" (pid {exc.pid})" if exc.pid else ""
        print(text.format(database=exc.where, pid=pid), file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="binome", description="Binôme: keeps mentoring pairs going.")
    commands = parser.add_subparsers(metavar="COMMAND")

    run = commands.add_parser("run", help="start the bot (long polling, or a webhook if WEBHOOK_URL is set)")
    run.set_defaults(handler=_run)

    demo = commands.add_parser("demo", help="the bot against the local Bot API, with a scripted onboarding")
    demo.add_argument("--database", help="where to keep the demo database (default: a fresh temporary file)")
    demo.set_defaults(handler=_demo)

    start = commands.add_parser("start", help="`run` when TELEGRAM_BOT_TOKEN is set, otherwise `demo`")
    start.set_defaults(handler=_start)

    database = commands.add_parser("db", help="database schema").add_subparsers(metavar="ACTION")
    upgrade = database.add_parser("upgrade", help="create or upgrade the database")
    upgrade.set_defaults(handler=_db_upgrade)
    current = database.add_parser("current", help="show the schema revision")
    current.set_defaults(handler=_db_current)

    programme = commands.add_parser("program", aliases=["programme"], help="programmes").add_subparsers(
        metavar="ACTION")
    create = programme.add_parser("create", help="create a programme")
    create.add_argument("name")
    create.add_argument("--timezone", default=None, help="IANA time zone (default: DEFAULT_TIMEZONE)")
    create.add_argument("--language", default=None, choices=available_languages(),
                        help="language of the programme (default: DEFAULT_LANGUAGE)")
    create.add_argument("--duration-months", type=int, default=6)
    create.add_argument("--meetings-per-month", type=int, default=2)
    create.add_argument("--vocabulary", choices=("mentor", "tuteur"), default="mentor",
                        help="say mentor/mentee, or tuteur/tutoré (workplace tutoring)")
    create.add_argument("--quiet-hours", default="21:00-08:00",
                        help="no messages in this window, in each person's time zone (default 21:00-08:00)")
    create.add_argument("--reminder-time", default="18:00", help="time of the reminder the day before a meeting")
    create.add_argument("--reminder-hours", type=int, default=3, help="hours before a meeting for the short reminder")
    create.set_defaults(handler=_programme_create)
    listing = programme.add_parser("list", help="list the programmes")
    listing.set_defaults(handler=_programme_list)
    setting = programme.add_parser("settings", help="show or change a programme's settings (docs/settings.md)")
    setting.add_argument("changes", nargs="*", metavar="KEY=VALUE",
                         help="e.g. checkin_weekday=thu checkin_time=18:30; KEY= goes back to the default")
    setting.add_argument("--program", "--programme", dest="programme")
    setting.add_argument("--backup-coordinator", metavar="EMAIL_OR_NAME",
                         help="the coordinator who receives alerts left unacknowledged (\"-\" for none)")
    setting.set_defaults(handler=_programme_settings)

    importing = commands.add_parser("import", help="import participants and binômes from a CSV file")
    importing.add_argument("file", type=Path)
    importing.add_argument("--program", "--programme", dest="programme")
    importing.set_defaults(handler=_import)

    invite = commands.add_parser("invite", help="print an invitation link for everyone not yet linked")
    invite.add_argument("--program", "--programme", dest="programme")
    invite.add_argument("--bot-username", help="the bot's @username (default: asked from the Bot API)")
    invite.set_defaults(handler=_invite)
    cli_binome.add_parser(commands)
    cli_evaluation.add_parser(commands)
    cli_report.add_parser(commands)
    cli_privacy.add_parser(commands)
    cli_competences.add_parser(commands)
    return parser


def _engine(settings: Settings, *, check: bool = True):
    engine = db.make_engine(settings.effective_database_url)
    if check:
        db.ensure_up_to_date(engine)
    return engine


def _db_upgrade(args, settings: Settings, tr: Translator) -> int:
    engine = _engine(settings, check=False)
    db.upgrade(engine)
    print(tr("The database is up to date (revision {revision}).").format(revision=db.current_revision(engine)))
    return 0


def _db_current(args, settings: Settings, tr: Translator) -> int:
    engine = _engine(settings, check=False)
    print(tr("Database revision: {current}; code revision: {head}.").format(
        current=db.current_revision(engine) or "-", head=db.head_revision()))
    return 0


def _programme_create(args, settings: Settings, tr: Translator) -> int:
    timezone = args.timezone or settings.default_timezone
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        print(tr("Unknown time zone: {timezone} (e.g. Europe/Paris, Europe/Brussels).").format(timezone=timezone),
              file=sys.stderr)
        return 2

    try:
        parse_window(args.quiet_hours), parse_hhmm(args.reminder_time)
        if not 1 <= args.reminder_hours <= 24:
            raise ValueError(args.reminder_hours)
    except ValueError:
        print(tr("Write hours as HH:MM, quiet hours as HH:MM-HH:MM, and 1 to 24 hours before a meeting."),
              file=sys.stderr)
        return 2
    with db.session_scope(_engine(settings)) as session:
        try:
            programme = create_programme(
                session=session, name=args.name, now=SystemClock().now(), timezone=timezone,
                language=args.language or settings.default_language, duration_months=args.duration_months,
                meetings_per_month=args.meetings_per_month, vocabulary=args.vocabulary)
        except ProgrammeError as exc:
            print(tr("Cannot create the programme: {reason}.").format(reason=str(exc)), file=sys.stderr)
            return 2
        programme.options = {"quiet_hours": args.quiet_hours, "reminder_day_before_at": args.reminder_time,
                             "reminder_hours_before": args.reminder_hours}
        print(tr("Programme «{name}» created ({timezone}, {language}, {months} months, {meetings} meetings a "
                 "month).").format(name=programme.name, timezone=programme.timezone, language=programme.language,
                                   months=programme.duration_months, meetings=programme.meetings_per_month))
        print(tr("Next: binome import FILE.csv --program \"{name}\"").format(name=programme.name))
    return 0


def _programme_list(args, settings: Settings, tr: Translator) -> int:
    with db.session_scope(_engine(settings)) as session:
        programmes = session.exec(select(Programme).order_by(Programme.name)).all()
        if not programmes:
            print(tr("No programme yet: create one with `binome program create NAME`."))
        for programme in programmes:
            counts = programme_counts(session=session, programme_id=programme.id)
            # Coordinators are counted apart from the mentors and mentees, and each count says who it counts.
            print(tr("«{name}»: {binomes}, {people} ({joined}), {coordinators} ({coordinators_joined})").format(
                name=programme.name,
                binomes=tr.ngettext("{n} binôme", "{n} binômes", counts.binomes).format(n=counts.binomes),
                people=tr.ngettext("{n} mentor or mentee", "{n} mentors and mentees",
                                   counts.participants).format(n=counts.participants),
                joined=tr.ngettext("{n} joined", "{n} joined", counts.joined).format(n=counts.joined),
                coordinators=tr.ngettext("{n} coordinator", "{n} coordinators",
                                         counts.coordinators).format(n=counts.coordinators),
                coordinators_joined=tr.ngettext("{n} joined", "{n} joined", counts.coordinators_joined).format(
                    n=counts.coordinators_joined)))
    return 0


def _programme_settings(args, settings: Settings, tr: Translator) -> int:
    """Show every setting as the features read it; change the ones given, all or nothing."""
    with db.session_scope(_engine(settings)) as session:
        programme = programme_named(session, args.programme)
        if programme is None:
            return 2
        options = dict(programme.options or {})
        try:
            for text in args.changes:
                key, value = parse_assignment(text)
                if value is None:
                    options.pop(key, None)
                else:
                    options[key] = value
        except OptionError as exc:
            print(tr("Unknown setting or value: {setting} (see docs/settings.md).").format(setting=str(exc)),
                  file=sys.stderr)
            return 2
        if args.backup_coordinator:
            backup = _coordinator_named(session, programme, args.backup_coordinator)
            if backup is False:
                print(tr("No coordinator of «{name}» matches {who}.").format(name=programme.name,
                                                                            who=args.backup_coordinator),
                      file=sys.stderr)
                return 2
            if backup is None:
                options.pop("backup_coordinator_id", None)
            else:
                options["backup_coordinator_id"] = backup
        changed = sorted(key for key in set(options) | set(programme.options or {})
                         if options.get(key) != (programme.options or {}).get(key))
        programme.options = options
        session.add(programme)
        if changed:
            record(session=session, at=SystemClock().now(), programme_id=programme.id, actor="cli",
                   action="programme.settings", subject=f"programme:{programme.id}", details={"keys": changed})
        print("«{}»".format(programme.name))
        for key, value in effective_options(programme).items():
            mark = "*" if key in options else " "
            print(f"{mark} {key} = {value}")
        print(tr("(* set for this programme; the others are the defaults)"))
    return 0


def _coordinator_named(session, programme, who: str):
    """A coordinator of the programme by e-mail or name: their id; None for "-"; False when none matches."""
    if who.strip() == "-":
        return None
    wanted = who.strip().casefold()
    for person in session.exec(select(Participant).where(Participant.programme_id == programme.id,
                                                         Participant.role == Role.COORDINATOR)):
        if wanted in ((person.email or "").casefold(), person.display_name.casefold(), person.first_name.casefold()):
            return person.id
    return False


def _import(args, settings: Settings, tr: Translator) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(tr("Cannot read {file}: {reason}").format(file=args.file, reason=exc.strerror), file=sys.stderr)
        return 2
    try:
        return _import_data(args, settings, tr, data)
    except db.DatabaseBehind:
        raise
    except Exception as exc:  # noqa: BLE001 - one readable line, never a traceback showing names
        log.error("import failed: %s", type(exc).__name__)  # the type only: its text may hold the file's values
        print(tr("The import failed ({error}) and nothing was imported. Check the file and the database, then "
                 "run it again.").format(error=type(exc).__name__), file=sys.stderr)
        return 2


def _import_data(args, settings: Settings, tr: Translator, data: bytes) -> int:
    with db.session_scope(_engine(settings)) as session:
        programme = programme_named(session, args.programme)
        if programme is None:
            return 2
        report = import_participants(session=session, programme=programme, data=data, now=SystemClock().now(),
                                     languages=available_languages())
        print(render_report(report, tr))
        if not report.ok:
            session.rollback()
            return 1
    return 0


def _invite(args, settings: Settings, tr: Translator) -> int:
    username = args.bot_username or _ask_bot_username(settings, tr)
    if not username:
        return 2
    with db.session_scope(_engine(settings)) as session:
        programme = programme_named(session, args.programme)
        if programme is None:
            return 2
        lines = invitation_lines(session=session, programme=programme, bot_username=username.lstrip("@"),
                                 now=SystemClock().now(), valid_days=settings.invitation_days)
        if not lines:
            print(tr("Everyone in «{name}» has joined: no invitation to send.").format(name=programme.name))
        for line in lines:
            print(f"{line.name}\t{term(tr, programme, line.role, line.gender)}\t{line.link}")
    return 0


def _ask_bot_username(settings: Settings, tr: Translator) -> str | None:
    if not settings.telegram_bot_token:
        print(tr("TELEGRAM_BOT_TOKEN is not set: give the bot's username with --bot-username."), file=sys.stderr)
        return None


    async def get_me() -> str:
        async with Bot(settings.telegram_bot_token, base_url=settings.telegram_api_url,
                       base_file_url=file_url_for(settings.telegram_api_url)) as bot:
            return bot.username

    try:
        return asyncio.run(get_me())
    except Exception as exc:  # noqa: BLE001 - one readable line instead of a traceback
        print(tr("Cannot ask Telegram for the bot's username ({error}): use --bot-username.").format(
            error=type(exc).__name__), file=sys.stderr)
        return None


def _run(args, settings: Settings, tr: Translator) -> int:
    from bot.runner import run_bot  # the bot's runtime loads only for `binome run`

    if not settings.telegram_bot_token:
        print(tr("binome: invalid setting TELEGRAM_BOT_TOKEN: missing (create a bot with @BotFather, or try "
                 "`binome demo`)"), file=sys.stderr)
        return 2
    return run_bot(settings, _engine(settings))


def _demo(args, settings: Settings, tr: Translator) -> int:
    from bot.demo import run_demo  # the demo, and the local Bot API it starts, load only for `binome demo`

    return asyncio.run(run_demo(settings, database=getattr(args, "database", None), keep_open=sys.stdin.isatty()))


def _start(args, settings: Settings, tr: Translator) -> int:
    if settings.telegram_bot_token:
        db.upgrade(_engine(settings, check=False))
        return _run(args, settings, tr)
    print(tr("No TELEGRAM_BOT_TOKEN: starting the demo against the local Bot API."))
    return _demo(args, settings, tr)


if __name__ == "__main__":
    sys.exit(main())
