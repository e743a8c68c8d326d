"""The programme's words for its people: "mentor / mentee" or "tutor / tutee" (tuteur / tutoré)."""
from __future__ import annotations

from bot.i18n import N_, Translator
from storage.models import Programme, Role

_TERMS = {
    "mentor": {Role.MENTOR: N_("mentor"), Role.MENTEE: N_("mentee"), Role.COORDINATOR: N_("coordinator")},
    "tuteur": {Role.MENTOR: N_("tutor"), Role.MENTEE: N_("tutee"), Role.COORDINATOR: N_("coordinator")},
}


def term(tr: Translator, programme: Programme, role: Role | str) -> str:
    terms = _TERMS.get(programme.vocabulary, _TERMS["mentor"])
    return tr.gettext(terms[Role(role)])
