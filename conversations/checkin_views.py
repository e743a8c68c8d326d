"""How a check-in looks: the text and buttons of each step, what the mentor's check-in shows of the
mentee's progress and of what they chose to share, and the messages the outbox sends (`checkin`,
`checkin_reminder`, `checkin_shared`; queued by storage.checkin_rhythm and storage.checkins).

Callback data: `c:<check-in id>:<verb>[:<value>]` (`c:0:…` for /away); conversations.checkins answers it.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import sender
from bot.i18n import N_, Translator
from bot.vocabulary import term
from conversations.formats import SHORT_DAY
from conversations.support import support_buttons
from storage import checkins as rules
from storage.checkin_progress import progress_since
from storage.models import ActionStatus, Binome, CheckIn, Participant, PlanAction, Programme, Role
from storage.options import checkin_options
from storage.participants import partner_in

MOOD_EMOJI = {1: "😞", 2: "🙁", 3: "😐", 4: "🙂", 5: "😄"}
STATUS_ICON = {ActionStatus.TO_DO: "⬜", ActionStatus.IN_PROGRESS: "▶️", ActionStatus.BLOCKED: "⛔",
               ActionStatus.DONE: "✅", ActionStatus.DROPPED: "✖"}
AWAY_DAYS = (7, 14, 21, 30)
SHORT_DATE = SHORT_DAY  # the meetings' short weekday and date, e.g. "Wed, Sep 16"
AWAY_LABELS = {7: N_("1 week (until {date})"), 14: N_("2 weeks (until {date})"), 21: N_("3 weeks (until {date})"),
               30: N_("1 month (until {date})")}


def button(text: str, checkin_id: int, verb: str, value: str | int | None = None) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=f"c:{checkin_id}:{verb}" + (f":{value}" if value is not None
                                                                                 else ""))


def progress_lines(tr: Translator, session: Session, checkin: CheckIn) -> list[str]:
    """For the mentor: the mentee's action progress since the last check-in, and what the mentee chose
    to share since then."""
    progress = progress_since(session=session, checkin=checkin)
    done = progress.done_titles
    lines = []
    if done:
        lines.append(tr.ngettext("✅ {count} action done: {titles}", "✅ {count} actions done: {titles}",
                                 len(done)).format(count=len(done), titles=", ".join(done)))
    if progress.in_progress:
        n = progress.in_progress
        lines.append(tr.ngettext("▶️ {count} action in progress", "▶️ {count} actions in progress", n).format(count=n))
    if progress.blocked:
        n = progress.blocked
        lines.append(tr.ngettext("⛔ {count} action blocked", "⛔ {count} actions blocked", n).format(count=n))
    if progress.shared is not None:
        lines.extend(shared_lines(tr, progress.shared))
    return lines


def shared_lines(tr: Translator, checkin: CheckIn) -> list[str]:
    """Only what the mentee ticked "share with my mentor"."""
    lines = []
    if checkin.share_with_mentor and checkin.mood:
        lines.append(tr("Mood: {emoji}").format(emoji=MOOD_EMOJI[checkin.mood]))
    if checkin.share_word_with_mentor and checkin.word:
        lines.append(tr("Their word: “{word}”").format(word=checkin.word))
    return lines


# ---------------------------------------------------------------- what a check-in looks like at each step

def view(tr: Translator, session: Session, checkin: CheckIn, now: datetime) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons of the check-in at its current step (mentee or mentor)."""
    participant = session.get(Participant, checkin.participant_id)
    programme = session.get(Programme, participant.programme_id)
    binome = session.get(Binome, checkin.binome_id)  # the check-in's own binôme: a mentor may have several
    partner = partner_in(session=session, binome=binome, participant=participant) if binome else None
    partner_name = partner.first_name if partner else ""
    step, cid = checkin.step, checkin.id
    late = [tr("This check-in is from {date}.").format(date=tr.date(checkin.due_at, tr(SHORT_DATE)))] \
        if rules.newer_sent(session=session, checkin=checkin) else []
    if step == "mood":
        text = "\n".join([tr("👋 {name}, it is time for your check-in! How are you this week?").format(
            name=participant.first_name)] + late)
        rows = [[button(MOOD_EMOJI[m], cid, "mood", m) for m in rules.MOODS],
                [button(tr("⏰ Later"), cid, "later"), button(tr("🌴 I'm away…"), cid, "away")]]
        return text, InlineKeyboardMarkup(rows)
    if step == "fine":
        lines = [tr("👋 Check-in time: how is the binôme with {name} going?").format(name=partner_name)] + late
        progress = progress_lines(tr, session, checkin)
        if progress:
            lines += ["", tr("Since the last check-in:")] + progress
        rows = [[button(tr("👍 All fine"), cid, "fine", 1), button(tr("😟 I have a concern"), cid, "fine", 0)],
                [button(tr("⏰ Later"), cid, "later"), button(tr("🌴 I'm away…"), cid, "away")]]
        return "\n".join(lines), InlineKeyboardMarkup(rows)
    if step.startswith("action:"):
        action = session.get(PlanAction, int(step.split(":")[1]))
        ids = rules.action_ids(checkin)
        position = ids.index(action.id) + 1
        text = tr("Action {n} of {total}: “{title}”. It is planned for {date}. How is it going?").format(
            n=position, total=len(ids), title=action.title, date=tr.date(action.due_on, tr(SHORT_DATE)))
        rows = [[button(tr("✅ Done"), cid, "act", f"{action.id}_d"),
                 button(tr("▶️ In progress"), cid, "act", f"{action.id}_p"),
                 button(tr("⛔ Blocked"), cid, "act", f"{action.id}_b")],
                [button(tr("Skip"), cid, "act", f"{action.id}_s")]]
        return text, InlineKeyboardMarkup(rows)
    if step == "word":
        if checkin.role == Role.MENTOR:
            text = tr("Anything for the coordinator? Type a word: it goes to the coordinator only, not to {name}. "
                      "Or tap Skip.").format(name=partner_name)
            return text, InlineKeyboardMarkup([[button(tr("Skip"), cid, "skip")]] + support_buttons(tr))
        return tr("Anything to add? Type a word, or tap Skip."), InlineKeyboardMarkup([[button(tr("Skip"), cid,
                                                                                             "skip")]])
    if step == "share":
        mentor_word = term(tr, programme, Role.MENTOR)
        text = tr("Share with your {mentor}? Your {mentor} sees only what you tick.").format(mentor=mentor_word)
        tick = {True: "☑", False: "☐"}
        rows = [[button(tr("{box} My mood {emoji}").format(box=tick[checkin.share_with_mentor],
                                                           emoji=MOOD_EMOJI.get(checkin.mood, "")), cid, "sh", "mood")]]
        if checkin.word:
            rows.append([button(tr("{box} My word").format(box=tick[checkin.share_word_with_mentor]), cid, "sh",
                                "word")])
        rows.append([button(tr("Done"), cid, "done")])
        rows += support_buttons(tr)
        return text, InlineKeyboardMarkup(rows)
    # done
    options = checkin_options(programme)
    text = tr("Thank you, {name}! See you at the next check-in.").format(name=participant.first_name)
    if checkin.role == Role.MENTOR and checkin.share_with_coordinator:
        text += "\n" + tr("Your word was passed on to the coordinator.")
    markup = InlineKeyboardMarkup([[button(tr("✏️ Change my answer"), cid, "chg")]]) \
        if rules.can_change(checkin, options, now) else None
    return text, markup


def when(tr: Translator, moment: datetime, now: datetime) -> str:
    if tr.local(moment).date() == tr.local(now).date():
        return tr("today at {time}").format(time=tr.time(moment))
    return tr("on {date} at {time}").format(date=tr.date(moment, tr(SHORT_DATE)), time=tr.time(moment))


def away_rows(tr: Translator, checkin_id: int, today: date) -> list[list[InlineKeyboardButton]]:
    return [[button(tr(AWAY_LABELS[days]).format(date=tr.date(today + timedelta(days=days), tr(SHORT_DATE))),
                    checkin_id, "awd", days)] for days in AWAY_DAYS]


# ---------------------------------------------------------------- what the outbox sends

@sender.renderer("checkin")
def render_checkin(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    checkin = session.get(CheckIn, params["checkin_id"])
    text, markup = view(tr, session, checkin, checkin.sent_at)
    return sender.Rendered(text, markup)


@sender.renderer("checkin_reminder")
def render_reminder(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    checkin = session.get(CheckIn, params["checkin_id"])
    text, markup = view(tr, session, checkin, checkin.sent_at)
    return sender.Rendered(tr("⏰ A small reminder: it takes only a few taps.") + "\n" + text, markup)


@sender.renderer("checkin_shared")
def render_shared(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    checkin = session.get(CheckIn, params["checkin_id"])
    mentee = session.get(Participant, checkin.participant_id)
    lines = shared_lines(tr, checkin)
    return sender.Rendered("\n".join([tr("💬 {name} shared this with you from the check-in:").format(
        name=mentee.first_name)] + (lines or [tr("(nothing any more)")])))
