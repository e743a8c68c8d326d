"""The warning signs' texts: the alert card and its buttons, a sign in words, the binôme at a glance,
and how the outbox's warning-sign messages are written (the ladder's nudges, the Monday digest).

Callback data: `a:<alert id>:<verb>[:<value>]` (handled in conversations.alerts). Facts only: a word the
pair wrote appears only if its writer shared it with the coordinator.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import sender
from bot.i18n import N_, Translator
from bot.outcomes import kind_name, outcome_name
from bot.vocabulary import term
from conversations.ending_texts import answers_line
from conversations.formats import DAY
from storage import alerts as rules
from storage import ending, self_evaluations, signals
from storage.binome_facts import binome_facts, shared_words, week_facts
from storage.models import Alert, AlertStatus, Binome, CheckIn, Participant, Programme, Role
from storage.options import outcomes_for
from storage.referents import referents_of
from storage.standin import latest_away

SEVERITY = {signals.HIGH: N_("🔴 High"), signals.MEDIUM: N_("🟠 Medium"), signals.LOW: N_("🟡 Low")}
SIGNAL_NAMES = {
    signals.CHECKINS_MISSED: N_("Missed check-ins"),
    signals.ABSENCES: N_("Absences without notice"),
    signals.NO_FIRST_MEETING: N_("No first meeting"),
    signals.NO_MEETING: N_("No recent meeting"),
    signals.MOOD_LOW: N_("Low morale"),
    signals.MOOD_DROP: N_("Morale dropping"),
    signals.MENTOR_CONCERN: N_("Mentor's concern"),
    signals.PLAN_STALLED: N_("Action plan stalled"),
    signals.ACTION_BLOCKED: N_("Action blocked"),
    signals.UNCONFIRMED: N_("Meetings left unconfirmed"),
    signals.UNREACHABLE: N_("Unreachable on Telegram"),
    signals.SUPPORT_HELP: N_("Asked for help"),
    signals.SUPPORT_STOP: N_("Wants to stop"),
    signals.CLOSURE_DUE: N_("End near, no closure"),
    signals.ABSENCE_TALK: N_("No talk after an absence"),
}
OUTCOME_NAMES = {
    "contacted": N_("📞 Contacted"),
    "meeting_planned": N_("📅 Meeting planned"),
    "pair_paused": N_("⏸ Pair paused"),
    "pair_closed": N_("🏁 Pair closed"),
    "other": N_("Other"),
}
EXTEND_LABELS = {1: N_("Extend 1 month"), 2: N_("2 months"), 3: N_("3 months")}
PAUSE_REASONS = {  # storage.pauses.REASONS
    "holidays": N_("holidays"),
    "illness": N_("illness"),
    "abroad": N_("internship abroad"),
    "other": N_("other reason"),
}


def button(text: str, alert_id: int, verb: str, value: str | None = None) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=f"a:{alert_id}:{verb}" + (f":{value}" if value else ""))


def _d(tr: Translator, iso: str | None) -> str:
    return tr.date(date.fromisoformat(iso), tr(DAY)) if iso else "-"


def keyboard(tr: Translator, alert: Alert, session: Session | None = None) -> InlineKeyboardMarkup | None:
    """The alert's buttons. "End near" (with `session`): Extend 1, 2, 3 months (while the card is about
    the binôme's current planned end), 🏁 Close (conversations.closure's `bc:` entry) and the snooze."""
    if alert.status not in rules.LIVE:
        return InlineKeyboardMarkup([[button(tr("📋 Show the binôme"), alert.id, "show")]])
    rows = []
    if alert.status != AlertStatus.ACKNOWLEDGED:
        rows.append([button(tr("🙋 I'm on it"), alert.id, "ack")])
    if alert.signal == signals.CLOSURE_DUE and session is not None:
        if ending.still_about_current_end(session=session, alert=alert):
            rows.append([button(tr(EXTEND_LABELS[n]), alert.id, "ext", str(n)) for n in ending.MONTHS])
        rows.append([InlineKeyboardButton(tr("🏁 Close"), callback_data=f"bc:{alert.binome_id}:close"),
                     button(tr("💤 Remind me in a week"), alert.id, "snz")])
    else:
        rows.append([button(tr("✅ Resolved"), alert.id, "res"), button(tr("💤 Snooze a week"), alert.id, "snz")])
    if alert.signal == signals.SUPPORT_STOP:  # "I want to stop" leads to the closure, never on its own
        rows.append([InlineKeyboardButton(tr("🏁 Close the binôme"), callback_data=f"bc:{alert.binome_id}:close")])
    rows.append([button(tr("📋 Show the binôme"), alert.id, "show")])
    return InlineKeyboardMarkup(rows)


def _who(tr: Translator, session: Session, programme: Programme, participant_id: int | None) -> dict:
    person = session.get(Participant, participant_id) if participant_id else None
    if person is None:
        return {"name": "-", "role": "-"}
    return {"name": person.display_name, "role": term(tr, programme, person.role, person.gender)}


def describe(tr: Translator, session: Session, alert: Alert, *, shared: bool = True) -> str:
    """The sign and its facts, in words. Only facts; a word the pair wrote appears only if its writer
    shared it with the coordinator."""
    programme = session.get(Programme, alert.programme_id)
    facts, who = alert.facts, _who(tr, session, programme, alert.about_id)
    s = alert.signal
    if s == signals.CHECKINS_MISSED:
        n = facts["missed_in_row"]
        text = tr.ngettext("{name} ({role}) has missed {n} check-in in a row (since {date}).",
                           "{name} ({role}) has missed {n} check-ins in a row (since {date}).", n).format(
            n=n, date=_d(tr, facts["first_missed"]), **who)
    elif s == signals.ABSENCES:
        total = facts["total"]
        text = tr.ngettext("{name} ({role}) did not come to a meeting without notice: {total} time in all, "
                           "{in_row} in a row (last on {date}).",
                           "{name} ({role}) did not come to meetings without notice: {total} times in all, "
                           "{in_row} in a row (last on {date}).", total).format(
            total=total, in_row=facts["in_row"], date=_d(tr, facts["dates"][-1]), **who)
    elif s == signals.NO_FIRST_MEETING:
        text = tr("No meeting has been held since the binôme started on {date} ({days} days ago).").format(
            date=_d(tr, facts["started_on"]), days=facts["days"])
    elif s == signals.NO_MEETING:
        text = tr("No meeting held for {days} days (the last on {date}); the programme expects one every {every} "
                  "days.").format(days=facts["days"], date=_d(tr, facts["last_meeting"]),
                                  every=facts["expected_every_days"])
    elif s == signals.MOOD_LOW:
        text = tr("{name} ({role}) has rated how things are going low ({at_most} or less out of 5) on the last {n} "
                  "check-ins, since {date}.").format(at_most=facts["at_most"], n=facts["in_row"],
                                                     date=_d(tr, facts["since"]), **who)
    elif s == signals.MOOD_DROP:
        text = tr.ngettext("{name} ({role}) has rated how things are going lower on the last 2 check-ins (the last on "
                           "{date}): about {points} point below the earlier ones.",
                           "{name} ({role}) has rated how things are going lower on the last 2 check-ins (the last on "
                           "{date}): about {points} points below the earlier ones.", facts["points"]).format(
            points=facts["points"], date=_d(tr, facts["on"]), **who)
    elif s == signals.MENTOR_CONCERN:
        text = tr("{name} ({role}) has a concern about the binôme (check-in of {date}).").format(
            date=_d(tr, facts["on"]), **who)
    elif s == signals.PLAN_STALLED:
        if facts["actions"]:
            text = tr("The action plan has not changed for {days} days ({open} of {total} actions still open).").format(
                days=facts["days"], open=facts["open"], total=facts["actions"])
        else:
            text = tr("The action plan is still empty after {days} days.").format(days=facts["days"])
    elif s == signals.ACTION_BLOCKED:
        n = facts["count"]
        text = tr.ngettext("{n} action has been blocked since {date} (category: {categories}).",
                           "{n} actions have been blocked since {date} (categories: {categories}).", n).format(
            n=n, date=_d(tr, facts["since"]), categories=", ".join(facts["categories"]))
    elif s == signals.UNCONFIRMED:
        text = tr("{name} ({role}) did not say how {n} meetings went ({dates}).").format(
            n=facts["count"], dates=", ".join(_d(tr, x) for x in facts["dates"]), **who)
    elif s == signals.UNREACHABLE:
        text = tr("{name} ({role}) can no longer be reached on Telegram since {date}: they blocked the bot or left "
                  "Telegram.").format(date=_d(tr, facts["since"]), **who)
    elif s == signals.SUPPORT_HELP:
        text = tr("{name} ({role}) asked for your help on {date} (button “I need help”).").format(
            date=_d(tr, facts["last"]), **who)
    elif s == signals.SUPPORT_STOP:
        text = tr("{name} ({role}) said on {date} that they want to stop the mentoring (button “I want to stop”). "
                  "Nothing has been closed.").format(date=_d(tr, facts["last"]), **who)
    elif s == signals.CLOSURE_DUE:
        if facts["days_left"] >= 0:
            text = tr("The binôme is planned to end on {date} ({days} days left) and no closure is prepared.").format(
                date=_d(tr, facts["planned_end"]), days=facts["days_left"])
        else:
            text = tr("The planned end, {date}, has passed and no closure is prepared.").format(
                date=_d(tr, facts["planned_end"]))
        binome = session.get(Binome, alert.binome_id)
        if binome.planned_end_on.isoformat() != facts["planned_end"]:
            text += "\n" + tr("⏳ Extended: the planned end is now {date}.").format(
                date=tr.date(binome.planned_end_on, tr(DAY)))
        text += "\n" + answers_line(tr, session, binome)
    elif s == signals.ABSENCE_TALK:
        text = tr.ngettext("{name} ({role}) missed the meeting of {dates} without notice, and no talk with them has "
                           "been recorded since.",
                           "{name} ({role}) missed the meetings of {dates} without notice, and no talk with them "
                           "has been recorded since.", facts["count"]).format(
            dates=", ".join(_d(tr, x) for x in facts["dates"]), **who)
        if facts.get("not_possible"):
            text += " " + tr("The {role} said the talk was not possible.").format(role=term(tr, programme, Role.MENTOR))
    else:
        text = tr(SIGNAL_NAMES.get(s, s))
    if facts.get("next_planned"):
        text += " " + tr("Next meeting planned: {date}.").format(date=_d(tr, facts["next_planned"]))
    for word in shared_words(session=session, checkin_ids=facts.get("checkin_ids", [])) if shared else []:
        text += "\n" + tr("Shared with you: «{word}»").format(word=word)
    return text



def heading(tr: Translator, session: Session, alert: Alert, which: str = "new", at: str | None = None) -> str | None:
    """Why the card comes again, if it does: "again" (the person asked once more, `at`: when), a reminder
    (or the snooze over), sent on to the backup, worse."""
    if which == "again":
        return tr("🔁 {name} asked again on {date}.").format(
            name=_who(tr, session, session.get(Programme, alert.programme_id), alert.about_id)["name"],
            date=tr.date(datetime.fromisoformat(at) if at else alert.opened_at, tr(DAY)))
    if which in ("renotify", "unsnoozed"):
        return tr("⏰ Reminder: nobody has taken this alert in hand yet.")
    if which == "escalate":
        return tr("↪️ Sent to you as the backup coordinator: nobody has taken this alert in hand.")
    if which == "worse":
        return tr("⬆️ This alert has got worse.")
    return None


def title(tr: Translator, session: Session, alert: Alert) -> str:
    binome = session.get(Binome, alert.binome_id)
    mentor, mentee = session.get(Participant, binome.mentor_id), session.get(Participant, binome.mentee_id)
    return tr("{severity} · {signal} · binôme {label} ({mentor} / {mentee})").format(
        severity=tr(SEVERITY.get(alert.severity, alert.severity)), signal=tr(SIGNAL_NAMES.get(alert.signal, alert.signal)),
        label=binome.label, mentor=mentor.display_name, mentee=mentee.display_name)


def card(tr: Translator, session: Session, alert: Alert, which: str = "new", at: str | None = None) -> str:
    head = heading(tr, session, alert, which, at)
    return "\n".join(([head] if head else []) + [body(tr, session, alert)])


def body(tr: Translator, session: Session, alert: Alert) -> str:
    """The alert's title, its facts in words, when it was opened and what the coordinators did of it."""
    lines = [title(tr, session, alert), describe(tr, session, alert)]
    lines.append(tr("Opened on {date}.").format(date=tr.date(alert.opened_at, tr(DAY))))
    if alert.status == AlertStatus.ACKNOWLEDGED and alert.acknowledged_by:
        lines.append(tr("🙋 Taken in hand by {name}.").format(
            name=session.get(Participant, alert.acknowledged_by).first_name))
    elif alert.status == AlertStatus.SNOOZED and alert.snoozed_until:
        lines.append(tr("💤 Snoozed until {date}.").format(date=tr.date(alert.snoozed_until, tr(DAY))))
    elif alert.status == AlertStatus.RESOLVED:
        lines.append(tr("✅ Resolved by {name}: {outcome}.").format(
            name=session.get(Participant, alert.resolved_by).first_name,
            outcome=tr(OUTCOME_NAMES.get(alert.outcome, alert.outcome))))
    elif alert.status == AlertStatus.CLEARED:
        lines.append(tr("This sign has gone away by itself."))
    return "\n".join(lines)


# ---------------------------------------------------------------- the binôme at a glance

def summary(tr: Translator, session: Session, binome: Binome, *, shared: bool = True) -> str:
    """Meetings held and missed, plan progress, check-in answer rate, open alerts: facts only. `shared`: the
    words a writer chose to share with the coordinator (never for a partner referent)."""
    facts = binome_facts(session=session, binome=binome)
    programme, mentor, mentee = facts.programme, facts.mentor, facts.mentee
    lines = [tr("📋 Binôme {label}: {mentor} ({mentor_role}) and {mentee} ({mentee_role})").format(
        label=binome.label, mentor=mentor.display_name, mentor_role=term(tr, programme, Role.MENTOR, mentor.gender),
        mentee=mentee.display_name, mentee_role=term(tr, programme, Role.MENTEE, mentee.gender)),
        tr("Started on {start}, planned end on {end}.").format(start=tr.date(binome.started_on, tr(DAY)),
                                                                end=tr.date(binome.planned_end_on, tr(DAY))),
        tr("Meetings: {held} held, {missed} missed, {unconfirmed} not confirmed.").format(
            held=facts.held, missed=facts.missed, unconfirmed=facts.unconfirmed),
        tr("Action plan: {done} of {total} actions done, {blocked} blocked.").format(
            done=facts.actions_done, total=facts.actions_total, blocked=facts.actions_blocked)]
    if binome.status == "paused" and binome.paused_on:
        reason = tr(PAUSE_REASONS.get(binome.pause_reason or "other", PAUSE_REASONS["other"]))
        lines.insert(2, tr("⏸ Paused since {date} ({reason}), until {until}.").format(
            date=tr.date(binome.paused_on, tr(DAY)), reason=reason, until=tr.date(binome.resume_on, tr(DAY)))
            if binome.resume_on else tr("⏸ Paused since {date} ({reason}), with no date to resume.").format(
            date=tr.date(binome.paused_on, tr(DAY)), reason=reason))
    if binome.status == "closed" and binome.closed_on:
        kind = outcomes_for(programme).get(binome.outcome or "")
        lines.insert(2, tr("🏁 Closed on {date}: {outcome} ({kind}).").format(
            date=tr.date(binome.closed_on, tr(DAY)), outcome=outcome_name(tr, binome.outcome), kind=kind_name(tr, kind)))
    elif binome.proposed_outcome:
        lines.insert(2, tr("🏁 {name} proposed on {date} to close it: {outcome}.").format(
            name=mentor.first_name, date=tr.date(binome.proposed_at, tr(DAY)),
            outcome=outcome_name(tr, binome.proposed_outcome)))
    for checkins in facts.checkins:
        person, answered, settled = checkins.person, checkins.answered, checkins.settled
        if settled:
            lines.append(tr("Check-ins of {name}: {answered} answered of {total} ({rate}%).").format(
                name=person.first_name, answered=answered, total=settled, rate=round(100 * answered / settled)))
        else:
            lines.append(tr("Check-ins of {name}: none yet.").format(name=person.first_name))
        for word in checkins.shared if shared else []:
            lines.append(tr("{name} shared with you on {date}: «{word}»").format(
                name=person.first_name, date=tr.date(word.on, tr(DAY)), word=word.word))
    lines += substitute_lines(tr, session, binome)
    partners = referents_of(session=session, binome_id=binome.id)
    if partners:
        lines.append(tr("Partner referent: {names}.").format(names=", ".join(p.display_name for p in partners)))
    rounds, reached, total = self_evaluations.counts(session=session, binome=binome)
    if total:  # counts only, never a rating (docs/tutoring.md)
        lines.append(tr("Self-evaluations: {rounds} done; competences reached in the {role}'s latest view: "
                        "{reached} of {total}.").format(rounds=rounds, reached="—" if reached is None else reached,
                                                        total=total, role=term(tr, programme, Role.MENTOR)))
    if facts.open_signals:
        lines.append(tr("Open alerts: {alerts}.").format(
            alerts=", ".join(tr(SIGNAL_NAMES.get(s, s)) for s in facts.open_signals)))
    else:
        lines.append(tr("No open alert."))
    return "\n".join(lines)


def substitute_lines(tr: Translator, session: Session, binome: Binome) -> list[str]:
    """The substitute tutor, and the mentor's latest time away (storage.substitutes): its dates say whether it
    is over."""
    lines = [tr("Substitute: {name}.").format(name=session.get(Participant, binome.substitute_id).display_name)] \
        if binome.substitute_id else []
    away = latest_away(session=session, binome_id=binome.id)
    if away is not None:
        lines.append(tr("🌴 {mentor} ({role}) away from {start} to {end}: {cover}.").format(
            mentor=session.get(Participant, away.mentor_id).first_name,
            role=term(tr, session.get(Programme, binome.programme_id), Role.MENTOR), start=tr.date(away.starts_on, tr(DAY)), end=tr.date(away.ends_on, tr(DAY)),
            cover=tr("covered by {name}").format(name=session.get(Participant, away.substitute_id).first_name)
            if away.substitute_id else tr("not covered")))
    return lines


# ---------------------------------------------------------------- what the outbox sends

@sender.renderer("checkin_missed_nudge")
def render_nudge(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    return sender.Rendered(tr(
        "Hello {name}, we missed you at the last check-in. No worries: the next one will come on its own, and "
        "/help is there if you need anything.").format(name=recipient.first_name))


@sender.renderer("mentor_soft_warning")
def render_soft_warning(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    checkin = session.get(CheckIn, params["checkin_id"])
    mentee = session.get(Participant, checkin.participant_id)
    programme = session.get(Programme, recipient.programme_id)
    return sender.Rendered(tr.ngettext(
        "{name}, your {role}, has not answered the last check-in. You may want to reach out: a short message is "
        "often enough.",
        "{name}, your {role}, has not answered the last {n} check-ins. You may want to reach out: a short message "
        "is often enough.", params["missed"]).format(name=mentee.first_name, role=term(tr, programme, Role.MENTEE, mentee.gender),
                                                     n=params["missed"]))


@sender.renderer("coordinator_digest")
def render_digest(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    facts = week_facts(session=session, programme_id=recipient.programme_id, now=datetime.fromisoformat(params["at"]))
    lines = [tr("📊 Your Monday summary")]
    if facts.at_risk:
        labels = facts.at_risk
        lines.append(tr.ngettext("{n} binôme at risk: {labels}.", "{n} binômes at risk: {labels}.",
                                 len(labels)).format(n=len(labels), labels=", ".join(labels)))
        lines.append(tr("Open alerts: {young} under 2 days, {week} from 2 to 7 days, {old} older. /alerts lists "
                        "them.").format(young=facts.young, week=facts.week, old=facts.old))
    else:
        lines.append(tr("No binôme at risk."))
    lines.append(tr("Last week: {held} meetings held, {missed} missed.").format(held=facts.held,
                                                                               missed=facts.missed))
    if facts.settled:
        lines.append(tr("Check-ins answered last week: {answered} of {total} ({rate}%).").format(
            answered=facts.answered, total=facts.settled,
            rate=round(100 * facts.answered / facts.settled)))
    return sender.Rendered("\n".join(lines))
