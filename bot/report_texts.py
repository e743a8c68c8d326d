"""How the indicators read (storage.indicators): each key's label and definition in the reader's language,
values formatted by Babel ("66.7 %", "66,7 %"), and the short text of /report and `binome report`.
docs/indicators.md says the same definitions at length."""
from __future__ import annotations

from datetime import date

from babel.numbers import format_decimal, format_percent

from bot.i18n import N_, Translator
from bot.outcomes import outcome_name
from storage.evaluations import QUESTIONS
from storage.indicators import GROUPED, KEYS, MASKED, RATES
from storage.models import Programme

LABELS = {
    "binomes_started": N_("Binômes started"),
    "binomes_active": N_("Binômes under way at the end of the period"),
    "binomes_closed": N_("Binômes closed"),
    "mentors": N_("Mentors"),
    "mentees": N_("Mentees"),
    "companies": N_("Companies (mentors' employers)"),
    "mentees_by_gender": N_("Mentees by gender"),
    "meetings_held": N_("Meetings held"),
    "meetings_missed": N_("Meetings missed"),
    "attendance_rate": N_("Attendance rate"),
    "absenteeism_rate": N_("Absenteeism rate"),
    "dropout_rate": N_("Dropout rate"),
    "positive_exit_rate": N_("Positive exit rate"),
    "exits_by_outcome": N_("Exits by outcome"),
    "median_binome_months": N_("Median length of a binôme (months)"),
    "checkin_response_rate": N_("Check-in response rate"),
    "alerts_raised": N_("Alerts raised"),
    "alerts_acknowledged": N_("Alerts acknowledged"),
    "alerts_resolved": N_("Alerts resolved"),
    "median_hours_to_acknowledge": N_("Median hours to acknowledge an alert"),
    "evaluation_answers": N_("Evaluations answered"),
    "evaluation_means": N_("Evaluation: mean per question (1 to 5)"),
    "would_recommend_rate": N_("Mentees who would recommend the programme"),
}
DEFINITIONS = {
    "binomes_started": N_("Binômes whose start date is in the period."),
    "binomes_active": N_("Binômes started by the last day of the period and not closed by then (paused ones "
                         "included)."),
    "binomes_closed": N_("Binômes closed in the period."),
    "mentors": N_("Different mentors of the binômes under way on at least one day of the period."),
    "mentees": N_("Different mentees of the binômes under way on at least one day of the period."),
    "companies": N_("Different employers of those mentors (as imported; case and spaces ignored)."),
    "mentees_by_gender": N_("Those mentees by the import's gender column: f, m, x, or not given. A group of "
                            "fewer than 5 shows \"< 5\"."),
    "meetings_held": N_("Meetings that started in the period and were held."),
    "meetings_missed": N_("Meetings that started in the period where the mentee or the mentor was absent, "
                          "with or without notice."),
    "attendance_rate": N_("Meetings held over meetings held or missed."),
    "absenteeism_rate": N_("Meetings the mentee missed without notice over meetings held or missed."),
    "dropout_rate": N_("Binômes closed before their planned end with a negative outcome, over binômes closed."),
    "positive_exit_rate": N_("Binômes closed with a positive outcome, over binômes closed."),
    "exits_by_outcome": N_("Binômes closed in the period, by outcome. Fewer than 5 shows \"< 5\"."),
    "median_binome_months": N_("Median time from start to closure of the binômes closed in the period."),
    "checkin_response_rate": N_("Check-ins due in the period that were answered, over those answered or "
                                "missed."),
    "alerts_raised": N_("Warning signs raised in the period."),
    "alerts_acknowledged": N_("Of those, acknowledged by a coordinator."),
    "alerts_resolved": N_("Of those, resolved by a coordinator."),
    "median_hours_to_acknowledge": N_("Median time from an alert to its acknowledgement, in hours."),
    "evaluation_answers": N_("Evaluations finished after the binômes closed in the period. Fewer than 5 shows "
                             "\"< 5\"."),
    "evaluation_means": N_("Mean score of each question; a question answered fewer than 5 times shows \"< 5\"."),
    "would_recommend_rate": N_("Mentees who gave 4 or 5 to \"would you recommend the programme\", over those "
                               "who answered it (at least 5)."),
}
GENDER_LABELS = {"f": N_("girls and women"), "m": N_("boys and men"), "x": N_("another gender"),
                 "unknown": N_("not given")}
QUESTION_LABELS = {  # storage.evaluations.QUESTIONS
    "usefulness": N_("useful"), "relationship": N_("relationship"), "progress": N_("progress"),
    "confidence": N_("confidence"), "support": N_("programme's support"), "recommend": N_("would recommend"),
    "again": N_("would do it again"),
}
ROLE_LABELS = {"mentee": N_("mentees"), "mentor": N_("mentors")}
NONE = "-"


TUTORING_LABELS = {"mentors": N_("Tutors"), "mentees": N_("Tutees")}  # programmes that say tuteur / tutoré


def label(tr: Translator, programme: Programme, key: str) -> str:
    if programme.vocabulary == "tuteur" and key in TUTORING_LABELS:
        return tr(TUTORING_LABELS[key])
    return tr(LABELS[key])


def sub_label(tr: Translator, key: str, sub: str) -> str:
    """The words of one entry of a grouped indicator: a gender, an outcome, "mentees: confidence"."""
    if key == "mentees_by_gender":
        return tr(GENDER_LABELS.get(sub, sub))
    if key == "exits_by_outcome":
        return outcome_name(tr, sub)
    role, _, code = sub.partition(".")
    return f"{tr(ROLE_LABELS.get(role, role))}: {tr(QUESTION_LABELS.get(code, code))}"


def value(tr: Translator, key: str, raw: object) -> str:
    """A value as the reader reads it: "< 5", "-" for none, a percentage for a rate, a decimal in their locale."""
    if raw == MASKED:
        return MASKED
    if raw is None:
        return NONE
    if key in RATES:
        return format_percent(raw, format="#,##0.0 %", locale=tr.locale)
    if isinstance(raw, float):
        return format_decimal(raw, format="#,##0.##", locale=tr.locale)
    return format_decimal(raw, locale=tr.locale)


def flat(values: dict[str, object]) -> list[tuple[str, str | None, object]]:
    """(key, sub-key or None, raw value) for every figure, in KEYS order: what the CSV and the XLSX list."""
    out = []
    for key in KEYS:
        if key in GROUPED:
            out += [(key, sub, raw) for sub, raw in values[key].items()]
        else:
            out.append((key, None, values[key]))
    return out


def period_line(tr: Translator, since: date, until: date) -> str:
    return tr("From {since} to {until}").format(since=tr.date(since), until=tr.date(until))


def summary(tr: Translator, programme: Programme, values: dict[str, object], since: date, until: date) -> str:
    """The short text: who, how many, how they met, how they ended, the alerts and the evaluations."""
    v = lambda key: value(tr, key, values[key])  # noqa: E731
    lines = [tr("📊 «{name}» · {period}").format(name=programme.name, period=period_line(tr, since, until)), ""]
    lines.append(tr("Binômes: {started} started, {active} under way at the end, {closed} closed.").format(
        started=v("binomes_started"), active=v("binomes_active"), closed=v("binomes_closed")))
    lines.append(" · ".join(tr("{label}: {value}").format(label=label(tr, programme, key), value=v(key))
                            for key in ("mentors", "mentees", "companies")))
    genders = values["mentees_by_gender"]
    lines.append(tr("By gender: {groups}.").format(groups=", ".join(
        f"{sub_label(tr, 'mentees_by_gender', g)} {value(tr, 'mentees_by_gender', n)}" for g, n in genders.items())))
    lines.append(tr("Meetings: {held} held, {missed} missed; attendance {attendance}, absenteeism "
                    "{absenteeism}.").format(held=v("meetings_held"), missed=v("meetings_missed"),
                                             attendance=v("attendance_rate"), absenteeism=v("absenteeism_rate")))
    lines.append(tr("Check-ins answered: {rate}.").format(rate=v("checkin_response_rate")))
    lines.append(tr("Exits: positive {positive}, dropout {dropout}, median length {months} months.").format(
        positive=v("positive_exit_rate"), dropout=v("dropout_rate"), months=v("median_binome_months")))
    exits = values["exits_by_outcome"]
    if exits:
        lines += ["  • " + tr("{label}: {value}").format(label=outcome_name(tr, code),
                                                         value=value(tr, "exits_by_outcome", n))
                  for code, n in exits.items()]
    lines.append(tr("Alerts: {raised} raised, {acknowledged} acknowledged (median {hours} h), {resolved} "
                    "resolved.").format(raised=v("alerts_raised"), acknowledged=v("alerts_acknowledged"),
                                        hours=v("median_hours_to_acknowledge"), resolved=v("alerts_resolved")))
    lines.append(tr("Evaluations: {answers} answered; would recommend: {rate}.").format(
        answers=v("evaluation_answers"), rate=v("would_recommend_rate")))
    return "\n".join(lines)


def full_text(tr: Translator, programme: Programme, values: dict[str, object], since: date, until: date) -> str:
    """Every indicator, one a line with its key: `binome report`'s default output."""
    lines = [tr("Indicators · «{name}» · {period}").format(name=programme.name, period=period_line(tr, since, until))]
    for key, sub, raw in flat(values):
        if sub is None:
            lines.append(tr("{label}: {value}").format(label=f"{label(tr, programme, key)} [{key}]",
                                                       value=value(tr, key, raw)))
        else:
            lines.append("  " + tr("{label}: {value}").format(
                label=f"{label(tr, programme, key)} · {sub_label(tr, key, sub)} [{key}.{sub}]", value=value(tr, key, raw)))
    lines.append(tr("\"< 5\": fewer than 5 people, not shown to keep them anonymous (docs/indicators.md)."))
    return "\n".join(lines)


QUESTION_CODES = tuple(f"{role.value}.{code}" for role, codes in QUESTIONS.items() for code in codes)


def definition(tr: Translator, key: str) -> str:
    return tr(DEFINITIONS[key])
