"""What a mentor or mentee hears from a command that needs a binôme when they have none open: not yet, or
no longer (their binôme has ended: the plan stays visible with /plan)."""
from __future__ import annotations

from sqlmodel import Session

from bot.i18n import Translator
from conversations.formats import DAY
from storage.models import Participant
from storage.participants import ended_binome_of, partner_in


def not_in_binome(tr: Translator, session: Session, participant: Participant) -> str:
    ended = ended_binome_of(session=session, participant=participant)
    if ended is None or ended.closed_on is None:
        return tr("You are not in a binôme yet.")
    partner = partner_in(session=session, binome=ended, participant=participant)
    return tr("Your binôme with {name} ended on {date}. You can still see your action plan with /plan. Would you "
              "like support again? Tell your coordinator.").format(name=partner.first_name,
                                                                         date=tr.date(ended.closed_on, tr(DAY)))
