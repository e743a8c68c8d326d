"""`binome binome pause|resume|extend|close|substitute`: a coordinator's pause, extension or closure of one
binôme, or its substitute tutor, from the command line (the rules are in storage.pauses, storage.ending,
storage.closures and storage.substitutes; the people are told by the running bot, through the outbox). Texts
in DEFAULT_LANGUAGE."""
from __future__ import annotations

import argparse
import sys
from datetime import date

from sqlmodel import select

from bot.cli_common import binome_named, database
from bot.clock import SystemClock
from bot.i18n import N_, Translator
from bot.settings import Settings
from bot.outcomes import OUTCOME_LABELS
from storage import background_checks, closures, ending, substitutes
from storage import pauses as rules
from storage.models import Binome, Participant, Role
from storage.options import KNOWN_OUTCOMES
from storage.pauses import programme_day

REASON_NAMES = {"holidays": N_("holidays"), "illness": N_("illness"), "abroad": N_("internship abroad"),
                "other": N_("other reason")}
REFUSALS = {
    rules.PauseRefusal.NOT_ACTIVE: N_("Binôme {label} is not active: it cannot be paused."),
    rules.PauseRefusal.ALREADY_PAUSED: N_("Binôme {label} is already paused."),
    rules.PauseRefusal.NOT_PAUSED: N_("Binôme {label} is not paused."),
    rules.PauseRefusal.RESUME_IN_PAST: N_("The date to resume must be after today."),
    rules.PauseRefusal.NOT_YOURS: N_("Binôme {label} is not in this programme."),
    rules.PauseRefusal.BAD_REASON: N_("Unknown reason."),
}
EXTEND_REFUSALS = {
    ending.EndingRefusal.NOT_ACTIVE: N_("Binôme {label} is neither active nor paused: it cannot be extended."),
    ending.EndingRefusal.BAD_CHOICE: N_("An extension is 1, 2 or 3 months."),
}


def add_parser(commands) -> None:
    """Wired from bot.cli: `binome binome pause PAIR --reason R [--until YYYY-MM-DD]`, `binome binome resume PAIR`,
    `binome binome extend PAIR --months 1|2|3`, `binome binome close PAIR --outcome O [--on YYYY-MM-DD]`."""
    actions = commands.add_parser("binome", help="pause, resume, extend or close a binôme").add_subparsers(
        metavar="ACTION")
    pause = actions.add_parser("pause", help="pause a binôme (docs/closure.md)")
    pause.add_argument("pair", help="the pair's code, as in the imported file")
    pause.add_argument("--reason", required=True, choices=rules.REASONS)
    pause.add_argument("--until", type=date.fromisoformat, help="the date it resumes by itself (YYYY-MM-DD)")
    pause.add_argument("--program", "--programme", dest="programme")
    pause.set_defaults(handler=_pause)
    resume = actions.add_parser("resume", help="resume a paused binôme")
    resume.add_argument("pair", help="the pair's code, as in the imported file")
    resume.add_argument("--program", "--programme", dest="programme")
    resume.set_defaults(handler=_resume)
    extend = actions.add_parser("extend", help="move a binôme's planned end (docs/closure.md)")
    extend.add_argument("pair", help="the pair's code, as in the imported file")
    extend.add_argument("--months", required=True, type=int, choices=ending.MONTHS)
    extend.add_argument("--program", "--programme", dest="programme")
    extend.set_defaults(handler=_extend)
    close = actions.add_parser("close", help="close a binôme with its outcome (docs/closure.md)")
    close.add_argument("pair", help="the pair's code, as in the imported file")
    close.add_argument("--outcome", required=True, choices=sorted(KNOWN_OUTCOMES),
                       help="one of the programme's outcomes (setting `outcomes`)")
    close.add_argument("--on", type=date.fromisoformat, help="the outcome's date (YYYY-MM-DD), today by default")
    close.add_argument("--program", "--programme", dest="programme")
    close.set_defaults(handler=_close)
    substitute = actions.add_parser("substitute", help="name a binôme's substitute tutor (docs/tutoring.md)")
    substitute.add_argument("pair", help="the pair's code, as in the imported file")
    who = substitute.add_mutually_exclusive_group(required=True)
    who.add_argument("--mentor-of", help="the substitute is the mentor of this other pair")
    who.add_argument("--email", help="the substitute's e-mail, as imported (a mentor of the programme)")
    who.add_argument("--none", action="store_true", help="the binôme has no substitute any more")
    substitute.add_argument("--program", "--programme", dest="programme")
    substitute.set_defaults(handler=_substitute)
    check = actions.add_parser("check", help="record the background check of a binôme's mentor (docs/tutoring.md)")
    check.add_argument("pair", help="the pair's code: its mentor's check")
    check.add_argument("--on", required=True, type=date.fromisoformat, help="when it was verified (YYYY-MM-DD)")
    check.add_argument("--expires", type=date.fromisoformat, help="until when it holds (YYYY-MM-DD)")
    check.add_argument("--by", required=True, help="who verified it")
    check.add_argument("--program", "--programme", dest="programme")
    check.set_defaults(handler=_check)
    guardian = actions.add_parser("guardian", help="record that a minor mentee's legal guardian was informed")
    guardian.add_argument("pair", help="the pair's code: its mentee")
    guardian.add_argument("--on", required=True, type=date.fromisoformat, help="when (YYYY-MM-DD)")
    guardian.add_argument("--program", "--programme", dest="programme")
    guardian.set_defaults(handler=_guardian)


def _pause(args, settings: Settings, tr: Translator) -> int:
    return _act(args, settings, tr, pause=True)


def _resume(args, settings: Settings, tr: Translator) -> int:
    return _act(args, settings, tr, pause=False)


def _extend(args: argparse.Namespace, settings: Settings, tr: Translator) -> int:
    with database(settings) as session:
        binome = _find(session, args, tr)
        if binome is None:
            return 2
        try:
            until = ending.extend(session=session, binome=binome, months=args.months, by=None, now=SystemClock().now())
        except ending.EndingRefused as refused:
            print(tr(EXTEND_REFUSALS.get(refused.refusal, REFUSALS[rules.PauseRefusal.NOT_YOURS])).format(
                label=binome.label), file=sys.stderr)
            return 2
        print(tr("Binôme {label} now ends on {date}; mentor and mentee will be told.").format(
            label=binome.label, date=tr.date(until)))
    return 0


def _find(session, args: argparse.Namespace, tr: Translator) -> Binome | None:
    """The binôme PAIR of --program (or of the only programme); says why on stderr when there is none."""
    return binome_named(session, args.programme, args.pair, tr)


def _act(args: argparse.Namespace, settings: Settings, tr: Translator, *, pause: bool) -> int:
    now = SystemClock().now()
    with database(settings) as session:
        binome = _find(session, args, tr)
        if binome is None:
            return 2
        label = binome.label
        try:
            if pause:
                rules.pause(session=session, binome=binome, reason=args.reason, resume_on=args.until, by=None, now=now)
            else:
                rules.resume(session=session, binome=binome, by=None, now=now)
        except rules.PauseRefused as refused:
            print(tr(REFUSALS[refused.refusal]).format(label=label), file=sys.stderr)
            return 2
        if not pause:
            print(tr("Binôme {label} has resumed; mentor and mentee will be told.").format(label=label))
        elif args.until:
            print(tr("Binôme {label} is paused ({reason}) until {date}; mentor and mentee will be told.").format(
                label=label, reason=tr(REASON_NAMES[args.reason]), date=tr.date(args.until)))
        else:
            print(tr("Binôme {label} is paused ({reason}) with no date to resume; mentor and mentee will be "
                     "told.").format(label=label, reason=tr(REASON_NAMES[args.reason])))
    return 0


CLOSURE_REFUSALS = {
    closures.ClosureRefusal.CLOSED: N_("Binôme {label} is already closed."),
    closures.ClosureRefusal.BAD_OUTCOME: N_("This outcome is not in the programme's list (setting `outcomes`)."),
    closures.ClosureRefusal.BAD_DATE: N_("The date must be between the start of the binôme and today."),
    closures.ClosureRefusal.NOT_YOURS: N_("Binôme {label} is not in this programme."),
    closures.ClosureRefusal.NO_PROPOSAL: N_("Nothing was proposed."),
}


def _close(args: argparse.Namespace, settings: Settings, tr: Translator) -> int:
    now = SystemClock().now()
    with database(settings) as session:
        binome = _find(session, args, tr)
        if binome is None:
            return 2
        try:
            closed = closures.close(session=session, binome=binome, outcome=args.outcome, by=None, now=now,
                                    closed_on=args.on or programme_day(session=session, binome=binome, now=now))
        except closures.ClosureRefused as refused:
            print(tr(CLOSURE_REFUSALS[refused.refusal]).format(label=binome.label), file=sys.stderr)
            return 2
        print(tr("Binôme {label} is closed on {date} ({outcome}); mentor and mentee will be told, and each gets the "
                 "evaluation.").format(label=binome.label, date=tr.date(binome.closed_on),
                                       outcome=tr(OUTCOME_LABELS[args.outcome])))
        print(tr("Cancelled: {meetings} meetings to come, {messages} queued messages; {alerts} alerts resolved.").format(
            meetings=closed.meetings_cancelled, messages=closed.messages_dropped, alerts=closed.alerts_resolved))
    return 0


SUBSTITUTE_REFUSALS = {
    substitutes.SubstituteRefusal.NOT_A_MENTOR: N_("The substitute must be a mentor of the same programme."),
    substitutes.SubstituteRefusal.OWN_MENTOR: N_("The binôme's own mentor cannot be its substitute."),
    substitutes.SubstituteRefusal.GONE: N_("This person has left the programme or refused to take part."),
    substitutes.SubstituteRefusal.CLOSED: N_("Binôme {label} is already closed."),
}


def _substitute(args: argparse.Namespace, settings: Settings, tr: Translator) -> int:
    now = SystemClock().now()
    with database(settings) as session:
        binome = _find(session, args, tr)
        if binome is None:
            return 2
        person = None
        if args.mentor_of:
            other = _find(session, argparse.Namespace(programme=args.programme, pair=args.mentor_of), tr)
            if other is None:
                return 2
            person = session.get(Participant, other.mentor_id)
        elif args.email:
            person = session.exec(select(Participant).where(Participant.programme_id == binome.programme_id,
                                                            Participant.role == Role.MENTOR,
                                                            Participant.email == args.email.strip())).first()
            if person is None:
                print(tr("No mentor with this e-mail in the programme."), file=sys.stderr)
                return 2
        try:
            substitutes.set_substitute(session=session, binome=binome, substitute=person, by=None, now=now)
        except substitutes.SubstituteRefused as refused:
            print(tr(SUBSTITUTE_REFUSALS[refused.refusal]).format(label=binome.label), file=sys.stderr)
            return 2
        if person is None:
            print(tr("Binôme {label} has no substitute any more.").format(label=binome.label))
        else:
            print(tr("{name} is now the substitute of binôme {label}: they stand in whenever the mentor says they "
                     "are away (/away).").format(name=person.display_name, label=binome.label))
    return 0


CHECK_ERRORS = {"bad_dates": N_("The check must be dated today or before, and expire after it."),
                "no_by": N_("Say who verified it (--by)."), "not_a_mentor": N_("Only a mentor's check is recorded."),
                "not_a_mentee": N_("Only a mentee's guardian is recorded.")}


def _check(args: argparse.Namespace, settings: Settings, tr: Translator) -> int:
    with database(settings) as session:
        binome = _find(session, args, tr)
        if binome is None:
            return 2
        mentor = session.get(Participant, binome.mentor_id)
        try:
            background_checks.record_check(session=session, mentor=mentor, on=args.on, expires_on=args.expires,
                                           by=args.by, now=SystemClock().now())
        except background_checks.CheckError as error:
            print(tr(CHECK_ERRORS[str(error)]), file=sys.stderr)
            return 2
        print(tr("The background check of {name} is recorded (verified on {on}{until}); their invitation link now "
                 "works.").format(name=mentor.display_name, on=tr.date(args.on),
                                  until=tr(", valid until {date}").format(date=tr.date(args.expires))
                                  if args.expires else ""))
    return 0


def _guardian(args: argparse.Namespace, settings: Settings, tr: Translator) -> int:
    with database(settings) as session:
        binome = _find(session, args, tr)
        if binome is None:
            return 2
        mentee = session.get(Participant, binome.mentee_id)
        try:
            background_checks.record_guardian(session=session, mentee=mentee, on=args.on, now=SystemClock().now())
        except background_checks.CheckError as error:
            print(tr(CHECK_ERRORS[str(error)]), file=sys.stderr)
            return 2
        print(tr("Recorded: the legal guardian of {name} was informed on {on}; their invitation link now works.")
              .format(name=mentee.display_name, on=tr.date(args.on)))
    return 0
