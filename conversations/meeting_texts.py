"""How meetings read: the buttons' callback data, the shared phrases (when, where, why not), and the
messages the outbox sends about meetings (which are queued by storage.meeting_messages and
storage.scheduled.meetings, where each kind is declared).

Callback data: `m:<meeting id>:<action>[:<value>]`.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import sender
from bot.i18n import N_, Translator
from bot.vocabulary import term
from conversations import buttons
from conversations.formats import long_day
from storage import meetings as rules
from storage.models import AbsenceReason, Binome, Meeting, MeetingSeries, Participant, PlaceKind, Programme
from storage.schedule import meeting_ics

PATTERN = buttons.pattern("m")
REASONS = {
    AbsenceReason.ILL: N_("🤒 Ill"),
    AbsenceReason.JOB_INTERVIEW: N_("💼 Job interview"),
    AbsenceReason.TRANSPORT: N_("🚌 Transport"),
    AbsenceReason.SCHOOL: N_("🎓 School or training"),
    AbsenceReason.FAMILY: N_("👪 Family"),
    AbsenceReason.OTHER: N_("Other reason"),
}
PLACES = {
    PlaceKind.WORKPLACE: N_("🏢 At {name}'s workplace"),
    PlaceKind.VIDEO: N_("💻 Video call"),
    PlaceKind.OTHER: N_("📍 Another place"),
}


def button(text: str, meeting_id: int, action: str, value: str | None = None) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=f"m:{meeting_id}:{action}" + (f":{value}" if value else ""))


CLOSING = "closing"  # Meeting.purpose of the closing interview (conversations.closure)


def when(tr: Translator, meeting: Meeting) -> str:
    return tr("{day} at {time}").format(day=long_day(tr, meeting.starts_at), time=tr.time(meeting.starts_at))


def place_text(tr: Translator, session: Session, meeting: Meeting) -> str:
    pair = rules.pair_of(session=session, meeting=meeting)
    if meeting.place_kind == PlaceKind.WORKPLACE:
        where = tr("at {name}'s workplace").format(name=pair.mentor.first_name)
        return f"{where} ({pair.mentor.employer})" if pair.mentor.employer else where
    if meeting.place_kind == PlaceKind.VIDEO:
        return tr("by video call ({link})").format(link=meeting.place_detail) if meeting.place_detail \
            else tr("by video call")
    return tr("at {place}").format(place=meeting.place_detail) if meeting.place_detail \
        else tr("at a place you choose together")



# ---------------------------------------------------------------- what the outbox sends

def _meeting(session: Session, params: dict) -> Meeting:
    return session.get(Meeting, params["meeting_id"])



def calendar_file(tr: Translator, meeting: Meeting, other: Participant, place: str | None, stamp: str, *,
                  cancelled: bool = False) -> tuple[str, bytes]:
    """The meeting as an .ics file; the same UID with a higher SEQUENCE updates or removes it."""
    ics = meeting_ics(uid=f"binome-meeting-{meeting.id}@binome", starts_at=meeting.starts_at,
                      duration=timedelta(minutes=meeting.duration_minutes),
                      summary=(tr("Binôme: closing interview with {name}") if meeting.purpose == CLOSING
                               else tr("Binôme: meeting with {name}")).format(name=other.first_name), location=place,
                      description=None, sequence=meeting.sequence, cancelled=cancelled,
                      now=datetime.fromisoformat(stamp))
    return tr("meeting.ics"), ics


@sender.renderer("meeting_proposed")
def render_proposed(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    meeting = _meeting(session, params)
    pair = rules.pair_of(session=session, meeting=meeting)
    proposer = pair.other(recipient.id)
    text = (tr("{name} proposes the closing interview {when}, {place}. It is a last meeting. Together, you look back "
               "on the mentoring.") if meeting.purpose == CLOSING else tr("{name} proposes a meeting {when}, {place}.")
            ).format(name=proposer.first_name, when=when(tr, meeting), place=place_text(tr, session, meeting))
    if meeting.series_id is not None:
        weeks = session.get(MeetingSeries, meeting.series_id).every_weeks
        text += " " + tr.ngettext("Then the same every week, until one of you stops it.",
                                  "Then the same every {n} weeks, until one of you stops it.", weeks).format(n=weeks)
    keyboard = InlineKeyboardMarkup([[button(tr("✅ Accept"), meeting.id, "ok")],
                                     [button(tr("🔁 Propose another time"), meeting.id, "other")]])
    return sender.Rendered(text, keyboard)


@sender.renderer("meeting_declined")
def render_declined(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    meeting = _meeting(session, params)
    other = session.get(Participant, params["by"])
    return sender.Rendered(tr("{name} cannot come {when}. {name} is choosing another time. I will send you the new "
                              "proposal.").format(name=other.first_name, when=when(tr, meeting)))


@sender.renderer("meeting_confirmed")
def render_confirmed(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    meeting = _meeting(session, params)
    pair = rules.pair_of(session=session, meeting=meeting)
    other = pair.other(recipient.id)
    place = place_text(tr, session, meeting)
    text = (tr("📅 Confirmed: closing interview with {name} {when}, {place}. Add it to your calendar with the file "
               "below.") if meeting.purpose == CLOSING else
            tr("📅 Confirmed: meeting with {name} {when}, {place}. Add it to your calendar with the file below.")
            ).format(name=other.first_name, when=when(tr, meeting), place=place)
    return sender.Rendered(text, document=calendar_file(tr, meeting, other, place, params["stamp"]))


@sender.renderer("meeting_reminder")
def render_reminder(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    meeting = _meeting(session, params)
    pair = rules.pair_of(session=session, meeting=meeting)
    values = {"name": pair.other(recipient.id).first_name, "when": when(tr, meeting),
              "time": tr.time(meeting.starts_at), "end": tr.time(rules.ends_at(meeting)),
              "place": place_text(tr, session, meeting)}
    if params["which"] == "day_before":
        text = tr("⏰ Reminder: meeting with {name} tomorrow at {time} (until {end}), {place}.").format(**values)
    else:
        text = tr("⏰ Soon: meeting with {name} at {time} (until {end}), {place}.").format(**values)
    keyboard = InlineKeyboardMarkup([[button(tr("👍 I'll be there"), meeting.id, "here"),
                                      button(tr("🙁 I can't come"), meeting.id, "cant")]])
    return sender.Rendered(text, keyboard)


@sender.renderer("absence_warning")
def render_absence(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    meeting = _meeting(session, params)
    absent = session.get(Participant, params["absent"])
    pair = rules.pair_of(session=session, meeting=meeting)
    role = term(tr, pair.programme, pair.role_of(absent.id), absent.gender)
    text = tr("⚠️ {name}, your {role}, cannot come to the meeting {when}. Reason: {reason}. Tap /meeting to "
              "plan another one.").format(name=absent.first_name, role=role, when=when(tr, meeting),
                                          reason=tr(REASONS[AbsenceReason(params["reason"])]))
    if params.get("reported_by"):
        coordinator = session.get(Participant, params["reported_by"])
        text += "\n" + tr("(Reported by {name}, coordinator.)").format(name=coordinator.first_name)
    keyboard = InlineKeyboardMarkup([[button(tr("📅 Plan another meeting"), meeting.id, "new")]])
    return sender.Rendered(text, keyboard)


@sender.renderer("meeting_cancelled")
def render_cancelled(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    meeting = _meeting(session, params)
    by = session.get(Participant, params["by"])
    if params.get("moved"):
        text = tr("🔁 {name} has to move the meeting {when}. {name} will propose another time.")
    else:
        text = tr("✖ {name} has cancelled the meeting {when}. To plan another one, send /meeting.")
    text = text.format(name=by.first_name, when=when(tr, meeting))
    if meeting.confirmed_at is None:  # never in their calendar: no file to remove it
        return sender.Rendered(text)
    return sender.Rendered(text, document=calendar_file(tr, meeting, by, None, params["stamp"], cancelled=True))


@sender.renderer("meeting_outcome")
def render_outcome(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    meeting = _meeting(session, params)
    mentee = rules.pair_of(session=session, meeting=meeting).mentee
    question = tr("How did the meeting with {name} {when} go?").format(name=mentee.first_name, when=when(tr, meeting))
    if params["which"] == "again":
        question = tr("I still do not know how the meeting with {name} {when} went. One tap is enough:").format(
            name=mentee.first_name, when=when(tr, meeting))
    keyboard = InlineKeyboardMarkup([
        [button(tr("✅ It took place"), meeting.id, "o", "held")],
        [button(tr("🚫 {name} did not come").format(name=mentee.first_name), meeting.id, "o", "noshow")],
        [button(tr("✖ Cancelled"), meeting.id, "o", "cancelled"), button(tr("🔁 Postponed"), meeting.id, "o",
                                                                          "postponed")],
    ])
    return sender.Rendered(question, keyboard)


@sender.renderer("meeting_missed")
def render_missed(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    meeting = _meeting(session, params)
    mentor = rules.pair_of(session=session, meeting=meeting).mentor
    return sender.Rendered(tr(
        "We missed you at the meeting with {name} {when}. I hope you are well. Next time, tap /absent as soon as you "
        "know you cannot come. Then I warn {name} at once. To plan the next meeting, send /meeting.").format(
            name=mentor.first_name, when=when(tr, meeting)))


@sender.renderer("cadence_nudge")
def render_nudge(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    binome = session.get(Binome, params["binome_id"])
    mentee = session.get(Participant, binome.mentee_id)
    programme = session.get(Programme, binome.programme_id)
    return sender.Rendered(tr(
        "It is time to plan your next meeting with {name}. The programme plans {count} a month. Tap /meeting to "
        "choose a day.").format(name=mentee.first_name, count=programme.meetings_per_month))




@sender.renderer("rhythm_stopped")
def render_rhythm_stopped(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    by = session.get(Participant, params["by"])
    return sender.Rendered(tr("{name} has stopped your regular meetings. The meetings already planned stay. To plan "
                              "the next ones, send /meeting.").format(name=by.first_name))


