"""Warning signs and the coordinators' alerts: the ladder, the alert cards and their buttons, /alerts,
"I need help" / "I want to stop", and the Monday digest.

Ladder (see docs/warning-signs.md): a missed check-in → a kind nudge to the person (first miss of a
streak); the mentee's 2nd miss in a row → a soft warning to the mentor; a threshold crossed → an alert
to the programme's coordinators; unacknowledged 48 h → re-notified once; 48 h more → the backup
coordinator. Callback data: `a:<alert id>:<verb>[:<value>]` (coordinators) and `sup:<verb>` (pairs).
Every button checks the alert's programme against the presser's: a forged one changes nothing.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import sender
from bot.context import BotContext
from bot.i18n import N_, Translator, translator_for
from bot.vocabulary import term
from conversations.formats import DAY
from storage import outbox
from storage import alerts as rules
from storage import signals
from storage.audit import record
from storage.models import (ActionStatus, Alert, AlertStatus, Binome, BinomeStatus, CheckIn, CheckInStatus, Meeting,
                            MeetingStatus, Participant, PlanAction, Programme, Role, SupportKind, SupportRequest)
from storage.options import meeting_options
from storage.participants import current_binome
from storage.schedule import out_of_quiet_hours

PATTERN = r"^a:(\d+):([a-z]+)(?::([a-z_]+))?$"
SUPPORT_PATTERN = r"^sup:(help|stop|stopyes|keep)$"
NUDGE_LOOKBACK = timedelta(days=3)  # missed check-ins this recent get their nudge / soft warning
SUPPORT_REPEAT = timedelta(hours=24)  # a second press within this is the same request
LIST_LIMIT = 30

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
}
OUTCOME_NAMES = {
    "contacted": N_("📞 Contacted"),
    "meeting_planned": N_("📅 Meeting planned"),
    "pair_paused": N_("⏸ Pair paused"),
    "pair_closed": N_("🏁 Pair closed"),
    "other": N_("Other"),
}


def _button(text: str, alert_id: int, verb: str, value: str | None = None) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=f"a:{alert_id}:{verb}" + (f":{value}" if value else ""))


def _d(tr: Translator, iso: str | None) -> str:
    return tr.date(date.fromisoformat(iso), tr(DAY)) if iso else "-"


def keyboard(tr: Translator, alert: Alert) -> InlineKeyboardMarkup | None:
    if alert.status not in rules.LIVE:
        return InlineKeyboardMarkup([[_button(tr("📋 Show the binôme"), alert.id, "show")]])
    rows = []
    if alert.status != AlertStatus.ACKNOWLEDGED:
        rows.append([_button(tr("🙋 I'm on it"), alert.id, "ack")])
    rows.append([_button(tr("✅ Resolved"), alert.id, "res"), _button(tr("💤 Snooze a week"), alert.id, "snz")])
    rows.append([_button(tr("📋 Show the binôme"), alert.id, "show")])
    return InlineKeyboardMarkup(rows)


def _who(tr: Translator, session: Session, programme: Programme, participant_id: int | None) -> dict:
    person = session.get(Participant, participant_id) if participant_id else None
    if person is None:
        return {"name": "-", "role": "-"}
    return {"name": person.display_name, "role": term(tr, programme, person.role)}


def describe(tr: Translator, session: Session, alert: Alert) -> str:
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
        text = tr.ngettext("{name} ({role}) rated how things are going {points} point lower on {date} than on the "
                           "check-in before.",
                           "{name} ({role}) rated how things are going {points} points lower on {date} than on the "
                           "check-in before.", facts["points"]).format(
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
    else:
        text = tr(SIGNAL_NAMES.get(s, s))
    if facts.get("next_planned"):
        text += " " + tr("Next meeting planned: {date}.").format(date=_d(tr, facts["next_planned"]))
    shared = _shared_words(session, facts.get("checkin_ids", []))
    for word in shared:
        text += "\n" + tr("Shared with you: «{word}»").format(word=word)
    return text


def _shared_words(session: Session, checkin_ids: list[int]) -> list[str]:
    if not checkin_ids:
        return []
    rows = session.exec(select(CheckIn).where(col(CheckIn.id).in_(checkin_ids))).all()
    return [c.word for c in rows if c.share_with_coordinator and c.word]


def card(tr: Translator, session: Session, alert: Alert, which: str = "new") -> str:
    binome = session.get(Binome, alert.binome_id)
    mentor, mentee = session.get(Participant, binome.mentor_id), session.get(Participant, binome.mentee_id)
    lines = []
    if which == "renotify":
        lines.append(tr("⏰ Reminder: nobody has taken this alert in hand yet."))
    elif which == "escalate":
        lines.append(tr("↪️ Sent to you as the backup coordinator: nobody has taken this alert in hand."))
    elif which == "worse":
        lines.append(tr("⬆️ This alert has got worse."))
    lines.append(tr("{severity} · {signal} · binôme {label} ({mentor} / {mentee})").format(
        severity=tr(SEVERITY.get(alert.severity, alert.severity)), signal=tr(SIGNAL_NAMES.get(alert.signal, alert.signal)),
        label=binome.label, mentor=mentor.display_name, mentee=mentee.display_name))
    lines.append(describe(tr, session, alert))
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

def summary(tr: Translator, session: Session, binome: Binome) -> str:
    """Meetings held and missed, plan progress, check-in answer rate, open alerts: facts only."""
    programme = session.get(Programme, binome.programme_id)
    mentor, mentee = session.get(Participant, binome.mentor_id), session.get(Participant, binome.mentee_id)
    meetings = session.exec(select(Meeting.status).where(Meeting.binome_id == binome.id)).all()
    held = sum(1 for m in meetings if m == MeetingStatus.HELD)
    missed = sum(1 for m in meetings if m in (MeetingStatus.MENTEE_ABSENT, MeetingStatus.MENTOR_ABSENT))
    unconfirmed = sum(1 for m in meetings if m == MeetingStatus.UNCONFIRMED)
    actions = session.exec(select(PlanAction.status).where(PlanAction.binome_id == binome.id)).all()
    counted = [a for a in actions if a != ActionStatus.DROPPED]
    done = sum(1 for a in counted if a == ActionStatus.DONE)
    blocked = sum(1 for a in counted if a == ActionStatus.BLOCKED)
    lines = [tr("📋 Binôme {label}: {mentor} ({mentor_role}) and {mentee} ({mentee_role})").format(
        label=binome.label, mentor=mentor.display_name, mentor_role=term(tr, programme, Role.MENTOR),
        mentee=mentee.display_name, mentee_role=term(tr, programme, Role.MENTEE)),
        tr("Started on {start}, planned end on {end}.").format(start=tr.date(binome.started_on, tr(DAY)),
                                                                end=tr.date(binome.planned_end_on, tr(DAY))),
        tr("Meetings: {held} held, {missed} missed, {unconfirmed} not confirmed.").format(
            held=held, missed=missed, unconfirmed=unconfirmed),
        tr("Action plan: {done} of {total} actions done, {blocked} blocked.").format(
            done=done, total=len(counted), blocked=blocked)]
    for person in (mentee, mentor):
        rows = session.exec(select(CheckIn).where(CheckIn.participant_id == person.id,
                                                  CheckIn.binome_id == binome.id)).all()
        answered = sum(1 for c in rows if c.status == CheckInStatus.ANSWERED)
        settled = answered + sum(1 for c in rows if c.status == CheckInStatus.MISSED)
        if settled:
            lines.append(tr("Check-ins of {name}: {answered} answered of {total} ({rate}%).").format(
                name=person.first_name, answered=answered, total=settled, rate=round(100 * answered / settled)))
        else:
            lines.append(tr("Check-ins of {name}: none yet.").format(name=person.first_name))
        shared = [c for c in rows if c.share_with_coordinator and c.word]
        for checkin in shared[-3:]:
            lines.append(tr("{name} shared with you on {date}: «{word}»").format(
                name=person.first_name, date=tr.date(checkin.answered_at or checkin.due_at, tr(DAY)),
                word=checkin.word))
    live = rules.open_alerts(session=session, programme_id=binome.programme_id, binome_id=binome.id)
    if live:
        lines.append(tr("Open alerts: {alerts}.").format(
            alerts=", ".join(tr(SIGNAL_NAMES.get(a.signal, a.signal)) for a in live)))
    else:
        lines.append(tr("No open alert."))
    return "\n".join(lines)


# ---------------------------------------------------------------- sending: the ladder

def _soon(session: Session, participant: Participant, now: datetime) -> datetime:
    programme = session.get(Programme, participant.programme_id)
    tz = translator_for(participant, programme).timezone
    return out_of_quiet_hours(now, tz=tz, quiet=meeting_options(programme).quiet_hours, direction="later")


def notify(session: Session, alert: Alert, now: datetime, which: str = "new", *,
           to: list[Participant] | None = None) -> int:
    """Queue the alert card for the programme's coordinators (or `to`)."""
    if to is None:
        options = signals.signal_options(session.get(Programme, alert.programme_id))
        to, _ = rules.routing(session=session, programme_id=alert.programme_id, options=options)
    for coordinator in to:
        outbox.enqueue(session=session, participant_id=coordinator.id, kind="alert", now=now,
                       key=f"alert:{alert.id}:{now:%Y%m%dT%H%M%S}:{which}:{coordinator.id}",
                       due_at=_soon(session, coordinator, now), params={"alert_id": alert.id, "which": which})
    if which in ("new", "worse", "unsnoozed"):
        rules.mark_notified(session=session, alert=alert, now=now)
    return len(to)


def _scan(session: Session, now: datetime) -> None:
    options_by_programme: dict[int, signals.SignalOptions] = {}
    for binome in session.exec(select(Binome).where(Binome.status == BinomeStatus.ACTIVE)).all():
        if binome.programme_id not in options_by_programme:
            options_by_programme[binome.programme_id] = signals.signal_options(session.get(Programme,
                                                                                           binome.programme_id))
        options = options_by_programme[binome.programme_id]
        found = signals.evaluate(session, binome, now, options)
        for alert, why in rules.sync(session=session, binome=binome, findings=found, now=now):
            notify(session, alert, now, "worse" if why == "worse" else "new")
    stale = session.exec(select(Alert.binome_id).join(Binome, Binome.id == Alert.binome_id)
                         .where(col(Alert.status).in_(list(rules.LIVE)), Binome.status != BinomeStatus.ACTIVE)
                         .distinct()).all()
    for binome_id in stale:
        rules.clear_for_binome(session=session, binome_id=binome_id, now=now, reason="binome_not_active")


def _ladder(session: Session, now: datetime) -> None:
    """A kind nudge after a missed check-in (first of a streak); the mentor's soft warning after the
    mentee's `mentor_warning_after`-th miss in a row."""
    recent = session.exec(select(CheckIn).where(CheckIn.status == CheckInStatus.MISSED,
                                                col(CheckIn.missed_at).is_not(None),
                                                CheckIn.missed_at >= now - NUDGE_LOOKBACK)).all()
    for checkin in recent:
        binome = session.get(Binome, checkin.binome_id)
        if binome is None or binome.status != BinomeStatus.ACTIVE:
            continue
        options = signals.signal_options(session.get(Programme, binome.programme_id))
        mine = list(session.exec(select(CheckIn).where(CheckIn.participant_id == checkin.participant_id,
                                                       CheckIn.binome_id == binome.id)
                                 .order_by(CheckIn.due_at, CheckIn.id)).all())
        streak = signals.missed_streak(mine, checkin.participant_id)
        if not streak or streak[-1].id != checkin.id:
            continue
        person = session.get(Participant, checkin.participant_id)
        if len(streak) < options.checkins_missed_in_row:
            outbox.enqueue(session=session, participant_id=person.id, kind="checkin_missed_nudge", now=now,
                           key=f"ci_nudge:{checkin.id}", due_at=_soon(session, person, now),
                           params={"checkin_id": checkin.id})
        if checkin.participant_id == binome.mentee_id and len(streak) == options.mentor_warning_after:
            mentor = session.get(Participant, binome.mentor_id)
            outbox.enqueue(session=session, participant_id=mentor.id, kind="mentor_soft_warning", now=now,
                           key=f"ci_soft:{checkin.id}", due_at=_soon(session, mentor, now),
                           params={"checkin_id": checkin.id, "missed": len(streak)})


def _renotify(session: Session, now: datetime) -> None:
    cache: dict[int, signals.SignalOptions] = {}

    def options_of(alert: Alert) -> signals.SignalOptions:
        if alert.programme_id not in cache:
            cache[alert.programme_id] = signals.signal_options(session.get(Programme, alert.programme_id))
        return cache[alert.programme_id]

    shortest = timedelta(hours=1)
    for alert in rules.due_renotify(session=session, now=now, after=shortest):
        if now - alert.notified_at >= timedelta(hours=options_of(alert).renotify_hours):
            rules.mark_renotified(session=session, alert=alert, now=now)
            notify(session, alert, now, "renotify")
    for alert in rules.due_escalation(session=session, now=now, after=shortest):
        options = options_of(alert)
        if now - alert.renotified_at < timedelta(hours=options.renotify_hours):
            continue
        _, backups = rules.routing(session=session, programme_id=alert.programme_id, options=options)
        rules.mark_escalated(session=session, alert=alert, now=now, to=[b.id for b in backups])
        if backups:
            notify(session, alert, now, "escalate", to=backups)


# ---------------------------------------------------------------- the Monday digest

def digest_facts(session: Session, programme_id: int, now: datetime) -> dict:
    week_ago = now - timedelta(days=7)
    live = rules.open_alerts(session=session, programme_id=programme_id)
    binomes = session.exec(select(Binome.id).where(Binome.programme_id == programme_id)).all()
    meetings = session.exec(select(Meeting.status).where(col(Meeting.binome_id).in_(binomes),
                                                         Meeting.starts_at >= week_ago, Meeting.starts_at < now)).all()
    checkins = session.exec(select(CheckIn.status).where(col(CheckIn.binome_id).in_(binomes),
                                                         CheckIn.due_at >= week_ago, CheckIn.due_at < now)).all()
    ages = [(now - a.opened_at).days for a in live]
    return {
        "at_risk": sorted({a.binome_id for a in live}),
        "alerts": len(live),
        "young": sum(1 for d in ages if d < 2), "week": sum(1 for d in ages if 2 <= d < 7),
        "old": sum(1 for d in ages if d >= 7),
        "held": sum(1 for m in meetings if m == MeetingStatus.HELD),
        "missed": sum(1 for m in meetings if m in (MeetingStatus.MENTEE_ABSENT, MeetingStatus.MENTOR_ABSENT)),
        "answered": sum(1 for c in checkins if c == CheckInStatus.ANSWERED),
        "settled": sum(1 for c in checkins if c in (CheckInStatus.ANSWERED, CheckInStatus.MISSED)),
    }


def _something_to_say(facts: dict) -> bool:
    return bool(facts["alerts"] or facts["held"] or facts["missed"] or facts["settled"])


def _digests(session: Session, now: datetime) -> None:
    coordinators = session.exec(select(Participant).where(Participant.role == Role.COORDINATOR,
                                                          col(Participant.telegram_chat_id).is_not(None))).all()
    facts_by_programme: dict[int, dict] = {}
    for coordinator in coordinators:
        programme = session.get(Programme, coordinator.programme_id)
        local = translator_for(coordinator, programme).local(now)
        hour = signals.signal_options(programme).digest_hour
        if local.weekday() != 0 or not hour <= local.hour < hour + 1:
            continue
        if programme.id not in facts_by_programme:
            facts_by_programme[programme.id] = digest_facts(session, programme.id, now)
        if not _something_to_say(facts_by_programme[programme.id]):
            continue
        year, week, _ = local.isocalendar()
        outbox.enqueue(session=session, participant_id=coordinator.id, kind="coordinator_digest", now=now,
                       key=f"digest:{coordinator.id}:{year}-W{week:02d}", due_at=now,
                       params={"at": now.isoformat()})


def queue_due_work(session: Session, now: datetime, *, scan: bool) -> None:
    """Run by the tick: evaluate the signals (when `scan`), notify, re-notify, escalate, digest."""
    _renotify(session, now)
    if not scan:
        return
    _scan(session, now)
    _ladder(session, now)
    _digests(session, now)


# ---------------------------------------------------------------- what the outbox sends

def _alert_open(session: Session, message) -> bool:
    alert = session.get(Alert, message.params["alert_id"])
    return alert is not None and alert.status == AlertStatus.OPEN


@sender.renderer("alert", max_delay=timedelta(days=2), relevant=_alert_open)
def render_alert(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    alert = session.get(Alert, params["alert_id"])
    return sender.Rendered(card(tr, session, alert, params.get("which", "new")), keyboard(tr, alert))


def _still_missed(session: Session, message) -> bool:
    checkin = session.get(CheckIn, message.params["checkin_id"])
    return checkin is not None and checkin.status == CheckInStatus.MISSED


@sender.renderer("checkin_missed_nudge", max_delay=timedelta(days=2), relevant=_still_missed)
def render_nudge(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    return sender.Rendered(tr(
        "Hello {name}, we missed you at the last check-in. No worries: the next one will come on its own, and "
        "/help is there if you need anything.").format(name=recipient.first_name))


@sender.renderer("mentor_soft_warning", max_delay=timedelta(days=2), relevant=_still_missed)
def render_soft_warning(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    checkin = session.get(CheckIn, params["checkin_id"])
    mentee = session.get(Participant, checkin.participant_id)
    programme = session.get(Programme, recipient.programme_id)
    return sender.Rendered(tr.ngettext(
        "{name}, your {role}, has not answered the last check-in. You may want to reach out: a short message is "
        "often enough.",
        "{name}, your {role}, has not answered the last {n} check-ins. You may want to reach out: a short message "
        "is often enough.", params["missed"]).format(name=mentee.first_name, role=term(tr, programme, Role.MENTEE),
                                                     n=params["missed"]))


@sender.renderer("coordinator_digest", max_delay=timedelta(hours=12))
def render_digest(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    at = datetime.fromisoformat(params["at"])
    facts = digest_facts(session, recipient.programme_id, at)
    lines = [tr("📊 Your Monday summary")]
    if facts["at_risk"]:
        labels = session.exec(select(Binome.label).where(col(Binome.id).in_(facts["at_risk"]))
                              .order_by(Binome.label)).all()
        lines.append(tr.ngettext("{n} binôme at risk: {labels}.", "{n} binômes at risk: {labels}.",
                                 len(labels)).format(n=len(labels), labels=", ".join(labels)))
        lines.append(tr("Open alerts: {young} under 2 days, {week} from 2 to 7 days, {old} older. /alerts lists "
                        "them.").format(young=facts["young"], week=facts["week"], old=facts["old"]))
    else:
        lines.append(tr("No binôme at risk."))
    lines.append(tr("Last week: {held} meetings held, {missed} missed.").format(held=facts["held"],
                                                                               missed=facts["missed"]))
    if facts["settled"]:
        lines.append(tr("Check-ins answered last week: {answered} of {total} ({rate}%).").format(
            answered=facts["answered"], total=facts["settled"],
            rate=round(100 * facts["answered"] / facts["settled"])))
    return sender.Rendered("\n".join(lines))


# ---------------------------------------------------------------- coordinators' buttons and /alerts

def _outcomes(tr: Translator, alert_id: int) -> InlineKeyboardMarkup:
    rows = [[_button(tr(label), alert_id, "out", key)] for key, label in OUTCOME_NAMES.items()]
    return InlineKeyboardMarkup(rows + [[_button(tr("← Back"), alert_id, "back")]])


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    alert_id, verb, value = int(context.match.group(1)), context.match.group(2), context.match.group(3)
    participant = context.participant
    _ = context._
    tr = context.tr
    now = context.services.now()
    if participant is None or participant.role != Role.COORDINATOR:
        await query.answer(_("This button is no longer valid."))
        return
    try:
        with context.services.session() as session:
            me = session.get(Participant, participant.id)
            if verb == "show":
                alert = rules.coordinator_alert(session, alert_id, me)
                text = summary(tr, session, session.get(Binome, alert.binome_id))
                reply, markup, edit = text, None, False
            elif verb in ("open", "back"):
                alert = rules.coordinator_alert(session, alert_id, me)
                reply, markup, edit = card(tr, session, alert), keyboard(tr, alert), verb == "back"
            elif verb == "res":
                alert = rules.coordinator_alert(session, alert_id, me)
                if alert.status not in rules.LIVE:
                    raise rules.AlertRefused(rules.AlertRefusal.GONE)
                reply, markup, edit = card(tr, session, alert) + "\n\n" + _("How was it resolved?"), \
                    _outcomes(tr, alert_id), True
            elif verb == "ack":
                alert = rules.acknowledge(session=session, alert_id=alert_id, coordinator=me, now=now)
                reply, markup, edit = card(tr, session, alert), keyboard(tr, alert), True
            elif verb == "snz":
                alert = rules.snooze(session=session, alert_id=alert_id, coordinator=me, now=now)
                reply, markup, edit = card(tr, session, alert), keyboard(tr, alert), True
            elif verb == "out":
                alert = rules.resolve(session=session, alert_id=alert_id, coordinator=me, outcome=value or "",
                                      now=now)
                reply, markup, edit = card(tr, session, alert), keyboard(tr, alert), True
            else:
                raise rules.AlertRefused(rules.AlertRefusal.GONE)
    except (rules.AlertRefused, ValueError):
        await query.answer(_("This button is no longer valid."))
        return
    await query.answer()
    if edit:
        await query.edit_message_text(reply, reply_markup=markup)
    else:
        await update.effective_message.reply_text(reply, reply_markup=markup)


async def list_alerts(update: Update, context: BotContext) -> None:
    """/alerts (coordinators): their programme's open alerts, oldest first, one button each."""
    participant = context.participant
    _ = context._
    tr = context.tr
    if participant is None or participant.role != Role.COORDINATOR:
        await update.effective_message.reply_text(_("This command is for coordinators. /help shows yours."))
        return
    now = context.services.now()
    with context.services.session() as session:
        live = rules.open_alerts(session=session, programme_id=participant.programme_id)
        if not live:
            await update.effective_message.reply_text(_("No open alert in your programme."))
            return
        lines = [tr.ngettext("{n} open alert, oldest first:", "{n} open alerts, oldest first:", len(live)).format(
            n=len(live))]
        rows = []
        for number, alert in enumerate(live[:LIST_LIMIT], start=1):
            label = session.get(Binome, alert.binome_id).label
            days = (now - alert.opened_at).days
            state = {AlertStatus.ACKNOWLEDGED: " 🙋", AlertStatus.SNOOZED: " 💤"}.get(alert.status, "")
            lines.append(tr.ngettext("{number}. {severity} · {label} · {signal} · {days} day{state}",
                                     "{number}. {severity} · {label} · {signal} · {days} days{state}", days).format(
                number=number, severity=tr(SEVERITY.get(alert.severity, alert.severity)), label=label,
                signal=tr(SIGNAL_NAMES.get(alert.signal, alert.signal)), days=days, state=state))
            rows.append(_button(f"{number} · {label}", alert.id, "open"))
        if len(live) > LIST_LIMIT:
            lines.append(_("…and {count} more.").format(count=len(live) - LIST_LIMIT))
    keyboard_rows = [rows[i:i + 3] for i in range(0, len(rows), 3)]
    await update.effective_message.reply_text("\n".join(lines), reply_markup=InlineKeyboardMarkup(keyboard_rows))


# ---------------------------------------------------------------- "I need help" / "I want to stop"

def support_buttons(tr: Translator) -> list[list[InlineKeyboardButton]]:
    """The two buttons that /help (and the end of a check-in) offer to mentors and mentees."""
    return [[InlineKeyboardButton(tr("🆘 I need help"), callback_data="sup:help"),
             InlineKeyboardButton(tr("✋ I want to stop"), callback_data="sup:stop")]]


def request_support(*, session: Session, participant: Participant, kind: SupportKind, now: datetime) -> bool:
    """Record the request (no text) and alert the coordinators at once. False if the same request was
    made within the last day (a double tap, or asking again)."""
    binome = current_binome(session=session, participant=participant)
    recent = session.exec(select(SupportRequest.id).where(SupportRequest.participant_id == participant.id,
                                                          SupportRequest.kind == kind,
                                                          SupportRequest.at > now - SUPPORT_REPEAT)).first()
    if recent is not None:
        return False
    request = SupportRequest(binome_id=binome.id if binome else None, participant_id=participant.id, kind=kind, at=now)
    session.add(request)
    session.flush()
    record(session=session, at=now, programme_id=participant.programme_id, actor=f"participant:{participant.id}",
           action="support.requested", subject=f"support:{request.id}", details={"kind": kind.value})
    if binome is not None:
        history = signals.history_of(session, binome)
        options = signals.signal_options(session.get(Programme, binome.programme_id))
        wanted = signals.SUPPORT_HELP if kind == SupportKind.HELP else signals.SUPPORT_STOP
        for finding in signals.support(history, now, options):
            if finding.signal == wanted and finding.about == participant.id:
                raised = rules.raise_finding(session=session, binome=binome, finding=finding, now=now)
                if raised is not None:
                    notify(session, raised[0], now, raised[1])
    return True


async def on_support(update: Update, context: BotContext) -> None:
    query = update.callback_query
    verb = context.match.group(1)
    participant = context.participant
    _ = context._
    if participant is None or participant.onboarded_at is None or participant.role == Role.COORDINATOR:
        await query.answer(_("This button is no longer valid."))
        return
    now = context.services.now()
    if verb == "stop":
        await query.answer()
        await update.effective_message.reply_text(
            _("Do you want to stop the mentoring? I will tell your coordinator, who will get in touch with you to "
              "talk it over. Nothing is closed automatically."),
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton(_("✋ Yes, tell my coordinator"),
                                                                     callback_data="sup:stopyes")],
                                               [InlineKeyboardButton(_("↩️ No, carry on"), callback_data="sup:keep")]]))
        return
    if verb == "keep":
        await query.answer()
        await query.edit_message_text(_("Good, nothing changes. /help is there if you need anything."))
        return
    kind = SupportKind.HELP if verb == "help" else SupportKind.STOP
    with context.services.session() as session:
        new = request_support(session=session, participant=session.get(Participant, participant.id), kind=kind,
                              now=now)
    await query.answer()
    if not new:
        text = _("Your coordinator already knows and will get in touch with you soon.")
    elif kind == SupportKind.HELP:
        text = _("I have told your coordinator, who will get in touch with you soon. You are not alone.")
    else:
        text = _("Done: your coordinator has been told and will get in touch with you. Until then, nothing changes "
                 "for your binôme.")
    if verb == "stopyes":
        await query.edit_message_text(text)
    else:
        await update.effective_message.reply_text(text)


HANDLERS = [
    CommandHandler("alerts", list_alerts),
    CallbackQueryHandler(on_button, pattern=PATTERN),
    CallbackQueryHandler(on_support, pattern=SUPPORT_PATTERN),
]
