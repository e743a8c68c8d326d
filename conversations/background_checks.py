"""What the coordinators are told about mentors' background checks and minors' guardians
(storage.background_checks, docs/tutoring.md): a mentor held at their invitation for want of a valid check, a
check expiring within a month, a minor held until their legal guardian is recorded as informed. Facts only: the
person's name, their binômes' codes, the dates and the command that records what is missing."""
from __future__ import annotations

from sqlmodel import Session, select

from bot import sender
from bot.i18n import Translator
from bot.vocabulary import term
from conversations.formats import DAY
from storage.models import Binome, BinomeStatus, Participant, Programme, Role


def _labels(session: Session, mentor: Participant) -> str:
    return ", ".join(session.exec(select(Binome.label).where(Binome.mentor_id == mentor.id,
                                                             Binome.status != BinomeStatus.CLOSED)
                                  .order_by(Binome.label)).all()) or "—"


@sender.renderer("check_missing")
def render_missing(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    mentor = session.get(Participant, params["participant_id"])
    programme = session.get(Programme, mentor.programme_id)
    labels = _labels(session, mentor)
    return sender.Rendered(tr(
        "🔒 {name} ({role}, binôme {labels}) tried to join, but no valid background check is recorded: the "
        "programme requires one, so they are not linked yet. Once verified: `binome binome check {first} --on "
        "DATE --expires DATE --by \"YOUR NAME\"`; their link will then work.").format(
        name=mentor.display_name, role=term(tr, programme, Role.MENTOR), labels=labels,
        first=labels.split(", ")[0]))


@sender.renderer("check_expiring")
def render_expiring(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    mentor = session.get(Participant, params["participant_id"])
    programme = session.get(Programme, mentor.programme_id)
    return sender.Rendered(tr(
        "⏳ The background check of {name} ({role}, binôme {labels}) expires on {date}. Ask for a new one and "
        "record it with `binome binome check`.").format(
        name=mentor.display_name, role=term(tr, programme, Role.MENTOR), labels=_labels(session, mentor),
        date=tr.date(mentor.check_expires_on, tr(DAY)) if mentor.check_expires_on else "—"))


@sender.renderer("guardian_missing")
def render_guardian(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    mentee = session.get(Participant, params["participant_id"])
    programme = session.get(Programme, mentee.programme_id)
    label = session.exec(select(Binome.label).where(Binome.mentee_id == mentee.id)).first() or "—"
    return sender.Rendered(tr(
        "🔒 {name} ({role}, binôme {label}, a minor) tried to join, but it is not recorded that their legal "
        "guardian was informed, which the programme requires first. Once done: `binome binome guardian {label} "
        "--on DATE`; their link will then work.").format(
        name=mentee.display_name, role=term(tr, programme, Role.MENTEE), label=label))
