"""How the coordinators' reachability notices are written (the rules are in storage.reachability):
someone can no longer be reached on Telegram, with the alert's buttons; someone is back."""
from __future__ import annotations

from sqlmodel import Session

from bot import sender
from bot.i18n import Translator
from bot.vocabulary import term
from conversations.alert_cards import keyboard
from storage.models import Alert, Participant, Programme
from storage.participants import active_binomes_of


def _who(tr: Translator, session: Session, participant: Participant) -> dict:
    programme = session.get(Programme, participant.programme_id)
    labels = sorted(b.label for b in active_binomes_of(session=session, participant=participant))
    return {"name": participant.display_name, "role": term(tr, programme, participant.role, participant.gender),
            "binome": ", ".join(labels) or "-"}  # a mentor with two mentees: both pairs


@sender.renderer("participant_unreachable")
def render_unreachable(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    who = _who(tr, session, session.get(Participant, params["participant_id"]))
    text = tr(
        "⚠️ {name} ({role}, binôme {binome}) can no longer be reached on Telegram: they blocked the bot or "
        "left Telegram. I have stopped writing to them and will tell you when they are back.").format(**who)
    alert = session.get(Alert, params["alert_id"]) if params.get("alert_id") else None
    if alert is None:
        return sender.Rendered(text)
    return sender.Rendered(text, keyboard(tr, alert))  # the alert's buttons: I'm on it, Resolved, …


@sender.renderer("participant_back")
def render_back(tr: Translator, params: dict, recipient: Participant, session: Session) -> sender.Rendered:
    who = _who(tr, session, session.get(Participant, params["participant_id"]))
    return sender.Rendered(tr("✅ {name} ({role}, binôme {binome}) can be reached on Telegram again.").format(**who))
