"""The coordinator's card of a binôme (storage.cards): its live alerts in one message, edited in place, and
the short notice that replies to it when what to do changes.

With one alert the card is that alert's card, with its buttons (conversations.alert_cards). With several,
gravest first: one "I'm on it" that takes in hand every alert the card shows (`a:<id>:ackall`), a button
per alert that opens its own card (resolve, snooze, extend: `a:<id>:open`), and "Show the binôme".
"""
from __future__ import annotations

from sqlmodel import Session
from telegram import InlineKeyboardMarkup

from bot import sender
from bot.i18n import Translator
from conversations.alert_cards import SIGNAL_NAMES, body, button, card, heading, keyboard, title
from conversations.buttons import grid
from storage import alerts as rules
from storage import signals
from storage.models import Alert, AlertStatus, Binome, Participant

DOT = {signals.HIGH: "🔴", signals.MEDIUM: "🟠", signals.LOW: "🟡"}


def shown(session: Session, binome_id: int, fallback: Alert | None = None) -> list[Alert]:
    """The binôme's live alerts, gravest first, then oldest; none live: `fallback` (the alert last acted on)."""
    binome = session.get(Binome, binome_id)
    live = rules.open_alerts(session=session, programme_id=binome.programme_id, binome_id=binome_id)
    live.sort(key=lambda a: (signals.SEVERITY_ORDER.get(a.severity, 9), a.opened_at, a.id))
    return live or ([fallback] if fallback is not None else [])


def binome_card(tr: Translator, session: Session, binome_id: int, *, which: str = "new", at: str | None = None,
                fallback: Alert | None = None) -> tuple[str, InlineKeyboardMarkup | None]:
    """The card's text and buttons; `which` and `at` give its heading (see alert_cards.heading), about
    `fallback` (the alert it is sent for) when it shows several."""
    alerts = shown(session, binome_id, fallback)
    if len(alerts) == 1:
        return card(tr, session, alerts[0], which, at), keyboard(tr, alerts[0], session)
    head = heading(tr, session, fallback or alerts[0], which, at)
    text = "\n\n".join(([head] if head else []) + [body(tr, session, alert) for alert in alerts])
    rows = []
    waiting = [a for a in alerts if a.status in (AlertStatus.OPEN, AlertStatus.SNOOZED)]
    if waiting:
        rows.append([button(tr("🙋 I'm on it"), waiting[0].id, "ackall")])
    opens = [button(f"{DOT.get(a.severity, '')} {tr(SIGNAL_NAMES.get(a.signal, a.signal))}", a.id, "open")
             for a in alerts]
    rows += grid(opens, 2)
    rows.append([button(tr("📋 Show the binôme"), alerts[0].id, "show")])
    return text, InlineKeyboardMarkup(rows)


def notice(tr: Translator, session: Session, alert: Alert, which: str, at: str | None = None) -> str:
    """What changed, in two lines, replying to the card: why, and the alert."""
    head = heading(tr, session, alert, which, at) or tr("🆕 A new sign on this binôme.")
    return head + "\n" + title(tr, session, alert)


@sender.renderer("alert")
def render_alert(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    """A new card (with the heading of why it comes), or an edit of the card (params `notices`: what its
    notice tells, if anything; the card itself then has no heading, the notice says why)."""
    alert = session.get(Alert, params["alert_id"])
    edit = "notices" in params
    text, markup = binome_card(tr, session, params.get("binome_id", alert.binome_id), fallback=alert,
                               which="update" if edit else params.get("which", "new"), at=params.get("at"))
    said = [notice(tr, session, session.get(Alert, alert_id), which, at)
            for which, alert_id, at in params.get("notices", []) if session.get(Alert, alert_id) is not None]
    return sender.Rendered(text, markup, notice="\n\n".join(said) or None)
