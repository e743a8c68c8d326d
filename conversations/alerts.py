"""Warning signs and the coordinators' alerts: the alert buttons and /alerts.

Callback data: `a:<alert id>:<verb>[:<value>]`. Every button checks the alert's programme against the
presser's: a forged one changes nothing. The texts are in conversations.alert_cards, the rules in
storage.alerts, what the tick does in storage.scheduled.alerts; "I need help" / "I want to stop" in
conversations.support.
"""
from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot import replies
from bot.commands import names
from bot.context import BotContext
from bot.i18n import Translator
from conversations import buttons, closure, pauses, support
from conversations.alert_cards import OUTCOME_NAMES, SEVERITY, SIGNAL_NAMES, button, card, keyboard, summary
from conversations.binome_alert_card import binome_card
from conversations.binome_card import summary_keyboard
from conversations.web import open_table_row, with_open_table
from storage import alerts as rules
from storage import cards, ending
from storage.models import AlertStatus, Binome, Participant, Role

PATTERN = buttons.pattern("a")
VALUES = {"show": None, "open": None, "back": None, "res": None, "ack": None, "ackall": None, "snz": None,  # verb: value
          "out": "[a-z_]+", "ext": "[123]"}
LIST_LIMIT = 30


def _outcomes(tr: Translator, alert_id: int) -> InlineKeyboardMarkup:
    rows = [[button(tr(label), alert_id, "out", key)] for key, label in OUTCOME_NAMES.items()]
    return InlineKeyboardMarkup(rows + [[button(tr("← Back"), alert_id, "back")]])


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    press = buttons.parse(context.match, VALUES)
    participant = context.participant
    _ = context._
    tr = context.tr
    now = context.services.now()
    if press is None or participant is None or participant.role != Role.COORDINATOR:
        await buttons.refuse(update, context)
        return
    alert_id, verb, value, toast = press.ref, press.verb, press.value, None
    try:
        with context.services.session() as session:
            me = session.get(Participant, participant.id)
            if verb == "show":
                alert = rules.coordinator_alert(session, alert_id, me)
                binome = session.get(Binome, alert.binome_id)
                reply, markup, edit = summary(tr, session, binome), summary_keyboard(tr, binome), False
            elif verb in ("open", "back"):
                alert = rules.coordinator_alert(session, alert_id, me)
                reply, markup, edit = card(tr, session, alert), keyboard(tr, alert, session), verb == "back"
            elif verb == "res":
                alert = rules.coordinator_alert(session, alert_id, me)
                if alert.status not in rules.LIVE:
                    raise rules.AlertRefused(rules.AlertRefusal.GONE)
                reply, markup, edit = card(tr, session, alert) + "\n\n" + _("How was it resolved?"), \
                    _outcomes(tr, alert_id), True
            elif verb in ("ack", "ackall"):  # ackall: every alert the binôme's card shows
                act = rules.acknowledge if verb == "ack" else rules.acknowledge_binome
                alert = act(session=session, alert_id=alert_id, coordinator=me, now=now)
                reply, markup, edit = card(tr, session, alert), keyboard(tr, alert, session), True
            elif verb == "snz":
                alert = rules.snooze(session=session, alert_id=alert_id, coordinator=me, now=now)
                reply, markup, edit = card(tr, session, alert), keyboard(tr, alert, session), True
            elif verb == "ext":  # "end near": extend by 1, 2 or 3 months (storage.ending)
                alert = rules.coordinator_alert(session, alert_id, me)
                if not ending.still_about_current_end(session=session, alert=alert):
                    raise rules.AlertRefused(rules.AlertRefusal.GONE)
                ending.extend(session=session, binome=session.get(Binome, alert.binome_id), months=int(value),
                              by=me, now=now)
                session.flush()
                toast = tr.ngettext("Extended by {n} month; both have been told.",
                                    "Extended by {n} months; both have been told.", int(value)).format(n=int(value))
                reply, markup, edit = card(tr, session, alert), keyboard(tr, alert, session), True
            elif verb == "out":
                alert = rules.resolve(session=session, alert_id=alert_id, coordinator=me, outcome=value or "",
                                      now=now)
                reply, markup, edit = card(tr, session, alert), keyboard(tr, alert, session), True
            else:
                raise rules.AlertRefused(rules.AlertRefusal.GONE)
            if verb in ("back", "ack", "ackall", "snz", "ext", "out"):  # the binôme's card shows the binôme
                reply, markup = _on_card(session, tr, query, alert, me, now, reply, markup, changed=verb != "back")
    except (rules.AlertRefused, ending.EndingRefused, ValueError):
        await query.answer(_("This button is no longer valid."))
        return
    await query.answer(toast)
    if verb not in ("show", "res"):  # an alert card: it keeps "Open the table" (conversations.web)
        markup = with_open_table(markup, tr, context.services.settings.web_url)
    if edit:
        await replies.edit(query, reply, markup)
    else:
        await replies.reply(update.effective_message, reply, markup)


def _on_card(session, tr: Translator, query, alert, me: Participant, now, reply: str, markup, *, changed: bool):
    """Pressed on the coordinator's card of the binôme (storage.cards): it is written again with all the
    binôme's alerts. The cards of the others (and this coordinator's, if pressed on another message) follow
    silently at the next tick."""
    card_id = cards.card_message_id(session=session, binome_id=alert.binome_id, coordinator_id=me.id)
    on_card = query.message is not None and card_id is not None and query.message.message_id == card_id
    if changed:
        rules.refresh_cards(session=session, alert=alert, now=now, but=me.id if on_card else None)
    return binome_card(tr, session, alert.binome_id, which="update", fallback=alert) if on_card else (reply, markup)


async def list_alerts(update: Update, context: BotContext) -> None:
    """/alerts (coordinators): their programme's open alerts, oldest first, one button each."""
    participant = context.participant
    _ = context._
    tr = context.tr
    if participant is None or participant.role != Role.COORDINATOR:
        await update.effective_message.reply_text(_("This command is for coordinators. To see your commands, send "
                                                    "/help."))
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
            rows.append(button(f"{number} · {label}", alert.id, "open"))
        if len(live) > LIST_LIMIT:
            lines.append(_("…and {count} more.").format(count=len(live) - LIST_LIMIT))
    keyboard_rows = [rows[i:i + 3] for i in range(0, len(rows), 3)] + open_table_row(tr, context.services.settings.web_url)
    await replies.reply(update.effective_message, "\n".join(lines), InlineKeyboardMarkup(keyboard_rows))


HANDLERS = [
    CommandHandler(names("alerts"), list_alerts),
    CallbackQueryHandler(on_button, pattern=PATTERN),
] + support.HANDLERS + pauses.HANDLERS + closure.HANDLERS
