"""The programme's words for its people: "mentor / mentee" or "tutor / tutee" (tuteur / tutoré).

A word naming one person follows their grammatical gender where the language has one (Participant.gender,
from the import's gender column or its role word: "mentorée", "coordinatrice"): the feminine words are the
same texts under the gettext context "feminine", so each language says what its feminine is.
"""
from __future__ import annotations

from bot.i18n import N_, NC_, Translator
from storage.models import Programme, Role

_TERMS = {
    "mentor": {Role.MENTOR: N_("mentor"), Role.MENTEE: N_("mentee"), Role.COORDINATOR: N_("coordinator")},
    "tuteur": {Role.MENTOR: N_("tutor"), Role.MENTEE: N_("tutee"), Role.COORDINATOR: N_("coordinator")},
}
_FEMININE = {
    "mentor": {Role.MENTOR: NC_("feminine", "mentor"), Role.MENTEE: NC_("feminine", "mentee"),
               Role.COORDINATOR: NC_("feminine", "coordinator")},
    "tuteur": {Role.MENTOR: NC_("feminine", "tutor"), Role.MENTEE: NC_("feminine", "tutee"),
               Role.COORDINATOR: NC_("feminine", "coordinator")},
}


def term(tr: Translator, programme: Programme, role: Role | str, gender: str | None = None) -> str:
    """The word for a role; with gender "f", its feminine (for a word that names one woman)."""
    vocabulary = programme.vocabulary if programme.vocabulary in _TERMS else "mentor"
    if gender == "f" and Role(role) in _FEMININE[vocabulary]:
        return tr.pgettext(*_FEMININE[vocabulary][Role(role)])
    return tr.gettext(_TERMS[vocabulary][Role(role)])

