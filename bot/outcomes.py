"""How a binôme ended, in words: the labels of storage.options.KNOWN_OUTCOMES and of their kinds, for the
coordinator's buttons and summary, the pair's goodbye and the reports."""
from __future__ import annotations

from bot.i18n import N_, Translator

OUTCOME_LABELS = {  # storage.options.KNOWN_OUTCOMES, every code
    "job_permanent": N_("Job (permanent contract)"),
    "job_temporary": N_("Job (temporary contract)"),
    "internship": N_("Internship"),
    "training": N_("Training"),
    "back_to_studies": N_("Back to studies"),
    "business_creation": N_("Business creation"),
    "diploma": N_("Diploma obtained"),
    "apprenticeship": N_("Apprenticeship found"),
    "continued_studies": N_("Continued studies"),
    "trial_passed": N_("Trial period passed"),
    "end_of_term": N_("End of term without a solution"),
    "reoriented": N_("Reoriented to another service"),
    "moved_away": N_("Moved away"),
    "mentee_dropped_out": N_("Mentee dropped out"),
    "mentor_withdrew": N_("Mentor withdrew"),
    "lost_contact": N_("Lost contact"),
}
KIND_LABELS = {"positive": N_("positive"), "neutral": N_("neutral"), "negative": N_("negative")}
KIND_MARKS = {"positive": "🟢", "neutral": "⚪", "negative": "🔴"}


def outcome_name(tr: Translator, code: str | None) -> str:
    return tr(OUTCOME_LABELS[code]) if code in OUTCOME_LABELS else (code or "-")


def kind_name(tr: Translator, kind: str | None) -> str:
    return tr(KIND_LABELS[kind]) if kind in KIND_LABELS else (kind or "-")
