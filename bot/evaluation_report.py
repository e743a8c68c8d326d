"""How the evaluations' aggregates read, for the coordinator's /evaluations and for `binome evaluation
report`: one text for both, in the reader's language (means formatted by Babel: "4.2 / 5", "4,2 / 5").
The numbers come from storage.evaluations.aggregate, which already leaves out what is under the floor."""
from __future__ import annotations

from datetime import date

from babel.numbers import format_decimal

from bot.i18n import N_, Translator
from bot.vocabulary import term
from storage.evaluations import ANONYMITY_FLOOR, QUESTIONS, Aggregate, QuestionStats
from storage.models import Programme, Role

ROLE_HEADINGS = {
    "mentor": {Role.MENTEE: N_("Mentees"), Role.MENTOR: N_("Mentors")},
    "tuteur": {Role.MENTEE: N_("Tutees"), Role.MENTOR: N_("Tutors")},
}
# What each question measured, short; {mentor} and {mentee} are the programme's words for them.
LABELS = {
    Role.MENTEE: {"usefulness": N_("Useful to them"), "relationship": N_("Relationship with the {mentor}"),
                  "progress": N_("Progress towards their goal"), "confidence": N_("Confidence"),
                  "support": N_("The programme's support"), "recommend": N_("Would recommend the programme")},
    Role.MENTOR: {"relationship": N_("Relationship with the {mentee}"), "progress": N_("The {mentee}'s progress"),
                  "support": N_("The programme's support"), "again": N_("Would do it again")},
}
TOO_FEW = N_("Fewer than {floor} answers so far: nothing is shown, to keep them anonymous.")
WORDS_LIMIT = 30  # shared words listed in the chat; the command-line report lists them all


def heading(tr: Translator, programme: Programme, role: Role) -> str:
    return tr(ROLE_HEADINGS.get(programme.vocabulary, ROLE_HEADINGS["mentor"])[role])


def label(tr: Translator, programme: Programme, role: Role, code: str) -> str:
    return tr(LABELS[role][code]).format(mentor=term(tr, programme, Role.MENTOR),
                                         mentee=term(tr, programme, Role.MENTEE))


def mean(tr: Translator, stats: QuestionStats) -> str:
    """"4.2 / 5 (n = 7)", the decimal in the reader's language."""
    return tr("{mean} / 5 (n = {count})").format(mean=format_decimal(stats.mean, format="0.0", locale=tr.locale),
                                                 count=stats.answers)


def distribution(stats: QuestionStats) -> str:
    return " · ".join(f"{score}: {count}" for score, count in zip(range(1, 6), stats.distribution))


def period(tr: Translator, since: date, until: date) -> str:
    return tr("Binômes closed from {since} to {until}").format(since=tr.date(since), until=tr.date(until))


def role_lines(tr: Translator, programme: Programme, role: Role, found: Aggregate | None, *,
               detailed: bool = False, words_limit: int | None = WORDS_LIMIT) -> list[str]:
    """One role's part: its heading, then the means (and, `detailed`, the distribution), then the words
    shared with the coordinator; below the floor, one line saying why nothing is shown."""
    lines = [heading(tr, programme, role)]
    if found is None:
        return lines + [tr(TOO_FEW).format(floor=ANONYMITY_FLOOR)]
    lines[0] += " " + tr.ngettext("({count} answer)", "({count} answers)", found.answers).format(count=found.answers)
    for code in QUESTIONS[role]:
        stats = found.questions.get(code)
        if stats is None:
            continue
        line = tr("• {question}: {mean}").format(question=label(tr, programme, role, code), mean=mean(tr, stats))
        lines.append(line + (f"   [{distribution(stats)}]" if detailed else ""))
    if found.words:
        shown = found.words if words_limit is None else found.words[:words_limit]
        lines.append(tr("Words shared with the coordinator (without names):"))
        lines += [f"  “{word}”" for word in shown]
        if len(found.words) > len(shown):
            lines.append(tr("…and {count} more.").format(count=len(found.words) - len(shown)))
    return lines
