"""The import report in the coordinator's language: storage/importer's facts turned into sentences.

Every problem code has one English source text with `{name}` placeholders (`N_()`-marked here,
translated when rendered: never format before N_()). The rows appear as "Row 4: …", in row order,
errors first, then warnings, then the counts.
"""
from __future__ import annotations

from bot.i18n import N_, Translator
from storage.importer import ACCEPTED_ROLES, COLUMN_NAMES, ImportProblem, ImportReport, Problem
from storage.models import Role

PROBLEM_TEXTS: dict[Problem, str] = {
    # File-level errors (row None).
    Problem.EMPTY_FILE: N_(
        "The file is empty. Save your spreadsheet as CSV (with a header line) and import it again."),
    Problem.SPREADSHEET_FILE: N_(
        "This is a spreadsheet file ({kind}), not a CSV file. In your spreadsheet, choose "
        "«Save as» → «CSV UTF-8» (or «CSV, separator: semicolon») and import that file."
    ),
    Problem.BINARY_FILE: N_(
        "This file is not a text file. Save it as CSV from your spreadsheet («Save as» → «CSV UTF-8») "
        "and import that file."
    ),
    Problem.UNREADABLE_ENCODING: N_(
        "The file's characters cannot be read. Save it as CSV from your spreadsheet, choosing «CSV UTF-8»."
    ),
    Problem.NO_HEADER: N_(
        "The first line does not name the columns. Add a header line such as «binome;rôle;prénom;nom» "
        "and save the file as CSV from your spreadsheet."
    ),
    Problem.NO_ROWS: N_("The file has a header line but no participants."),
    Problem.MISSING_COLUMNS: N_("Missing required columns: {columns}."),
    Problem.DUPLICATE_COLUMN: N_("The columns «{first}» and «{second}» mean the same thing; keep only one."),
    Problem.CSV_SYNTAX: N_("The file cannot be read as CSV near this row ({detail}). Check the quotes in this row."),
    Problem.DATABASE_CHANGED: N_(
        "The database changed during the import (is another import running?). Nothing was imported: "
        "run the import again."
    ),
    # Row errors.
    Problem.COLUMN_COUNT: N_("this row has {found} cells but the header line has {expected}."),
    Problem.UNKNOWN_ROLE: N_("unknown role «{value}» (accepted: {accepted})."),
    Problem.MISSING_ROLE: N_("the role is empty (accepted: {accepted})."),
    Problem.AMBIGUOUS_ROLE: N_(
        "the role «{value}» can mean the mentor or the mentee; write «mentoré» (or «mentee») "
        "for the mentee and «mentor» for the mentor."
    ),
    Problem.MISSING_FIRST_NAME: N_("the first name is empty."),
    Problem.TOO_LONG: N_("«{column}» is too long ({length} characters, at most {max})."),
    Problem.MISSING_PAIR: N_("the pair code is empty; each mentor and mentee needs the code of their pair."),
    Problem.COORDINATOR_WITH_PAIR: N_(
        "a coordinator does not belong to a pair: leave the pair column empty (found «{pair}»)."
    ),
    Problem.BAD_EMAIL: N_("the e-mail address «{value}» does not look valid."),
    Problem.BAD_PHONE: N_("the phone number «{value}» does not look valid."),
    Problem.PHONE_AS_NUMBER: N_(
        "the phone number «{value}» was turned into a number by the spreadsheet; format the phone "
        "column as text and type the number again."
    ),
    Problem.BAD_DATE: N_(
        "the start date «{value}» is not a date: write it as dd/mm/yyyy (e.g. 15/09/2025) or yyyy-mm-dd."
    ),
    Problem.BAD_GENDER: N_("gender «{value}» not understood: write f, m or x, or leave the cell empty."),
    Problem.REFERENT_UNKNOWN_PAIR: N_("the binôme «{pair}» of this referent or substitute is neither in the file nor "
                                      "already imported."),
    Problem.BAD_CHECK: N_("background check «{value}» not understood: a date (15/09/2025) on a mentor's row, and an "
                          "expiry only with the date of the check."),
    Problem.BAD_MINOR: N_("minor «{value}» not understood: write yes or no, or a birth year such as 2010."),
    Problem.BAD_TIMEZONE: N_("unknown time zone «{value}»: write a name like Europe/Paris or Europe/Brussels."),
    Problem.UNKNOWN_LANGUAGE: N_(
        "unknown language «{value}»: write a code like fr, en, nl, ar or a name like «français»."
    ),
    Problem.DUPLICATE_ROW: N_("this row repeats row {first_row} (same pair, role and name)."),
    Problem.TWO_MENTORS: N_("pair «{pair}» has more than one mentor ({rows})."),
    Problem.TWO_MENTEES: N_("pair «{pair}» has more than one mentee ({rows})."),
    Problem.NO_MENTOR: N_("pair «{pair}» has no mentor."),
    Problem.NO_MENTEE: N_("pair «{pair}» has no mentee."),
    Problem.OTHER_MENTOR: N_(
        "pair «{pair}» already exists with another mentor. An import cannot change the people of a "
        "pair: give the new pair another code."
    ),
    Problem.OTHER_MENTEE: N_(
        "pair «{pair}» already exists with another mentee. An import cannot change the people of a "
        "pair: give the new pair another code."
    ),
    Problem.DIFFERENT_DATES: N_("pair «{pair}» has two different start dates ({rows})."),
    Problem.MENTOR_AND_MENTEE: N_(
        "the same e-mail or phone is given to a mentor and to a mentee ({rows}). A person has one role in "
        "a programme: correct the e-mail, the phone or the role."
    ),
    Problem.KEY_TOO_LONG: N_(
        "the pair code, first name and last name are too long together once compared without case and "
        "accents ({length} characters, at most {max}): shorten the names."
    ),
    # Warnings.
    Problem.READ_AS_CP1252: N_(
        "The file is not in UTF-8; it was read as Windows-1252 (older Excel «CSV»). Check the accents "
        "in the names, and next time choose «CSV UTF-8» when saving."
    ),
    Problem.IGNORED_COLUMNS: N_("These columns are not used and were ignored: {columns}."),
    Problem.UNNAMED_COLUMNS: N_("Some columns have no name in the header line; their values were ignored."),
    Problem.LANGUAGE_WITHOUT_CATALOG: N_(
        "The bot does not speak «{language}» yet ({rows}): it will use «{fallback}», the programme's "
        "language, until it does."
    ),
    Problem.AMBIGUOUS_ROLE_RESOLVED: N_(
        "«{value}» was read as {role_meaning} ({rows}) because the other person of the pair is "
        "{other_meaning}. Write «mentoré» or «mentor» to avoid this warning."
    ),
    Problem.EXISTING_START_KEPT: N_(
        "pair «{pair}» already exists and started on {started_on}; the start date in the file was not applied."
    ),
    Problem.DECLINED_NOT_UPDATED: N_("People who declined to take part were not updated ({rows})."),
    Problem.START_DATE_IGNORED: N_("A coordinator has no start date; the date was ignored ({rows})."),
    Problem.SAME_PERSON_SEVERAL_PAIRS: N_(
        "One person in several pairs ({rows}, same e-mail or phone): one participant, with one invitation."
    ),
    Problem.SAME_NAME_GUESSED: N_(
        "Taken for one person in several pairs because of the same first and last name ({rows}): one "
        "participant, with one invitation. If they are different people, tell them apart in the file by "
        "their e-mail or phone."
    ),
    Problem.SAME_AS_EXISTING: N_(
        "Someone already imported (same e-mail or phone; {rows}): their new pair is added to them, with "
        "the same invitation."
    ),
    Problem.SAME_NAME_AS_EXISTING: N_(
        "Taken for someone already imported because of the same first and last name ({rows}): their new "
        "pair is added to them. If it is a different person, tell them apart in the file by their e-mail "
        "or phone."
    ),
    Problem.FORMULA_LIKE: N_(
        "Some names start with =, +, - or @ ({rows}): a spreadsheet would read them as formulas. They "
        "were imported as written; `binome invite` prints them with an apostrophe in front, so that a "
        "spreadsheet shows them as text. Check that these names are right."
    ),
}

# Words used inside AMBIGUOUS_ROLE_RESOLVED (translated before formatting): (role_meaning, other_meaning).
ROLE_READ_AS: dict[Role, tuple[str, str]] = {
    Role.MENTEE: (N_("mentee"), N_("the mentor")),
    Role.MENTOR: (N_("mentor"), N_("the mentee")),
}

# Report layout.
MSG_ROW_PREFIX = N_("Row {row}: {message}")
MSG_WARNINGS_HEADER = N_("Warnings:")
MSG_NOTHING_IMPORTED = N_("Nothing was imported. Fix the file and run the import again.")
MSG_IMPORT_DONE = N_("Import done.")
MSG_SUMMARY = N_("{participants}; {pairs}.")

TEMPLATES: tuple[str, ...] = (
    *PROBLEM_TEXTS.values(), *(word for words in ROLE_READ_AS.values() for word in words),
    MSG_ROW_PREFIX, MSG_WARNINGS_HEADER, MSG_NOTHING_IMPORTED, MSG_IMPORT_DONE, MSG_SUMMARY,
)
# Plural texts are written out below (ngettext needs literal strings to be extracted).


def render_problem(problem: ImportProblem, translator: Translator) -> str:
    """One problem's sentence, without its row prefix."""
    params = dict(problem.params)
    if "rows" in params:  # "row 4" / "rows 4, 7"
        numbers = params["rows"]
        params["rows"] = translator.ngettext("row {numbers}", "rows {numbers}", len(numbers)).format(
            numbers=", ".join(str(n) for n in numbers))
    if problem.code in (Problem.UNKNOWN_ROLE, Problem.MISSING_ROLE):
        params["accepted"] = ACCEPTED_ROLES
    elif problem.code == Problem.MISSING_COLUMNS:
        params["columns"] = ", ".join(
            "«{}» ({})".format(COLUMN_NAMES[f][0], ", ".join(COLUMN_NAMES[f][1:])) for f in params["fields"])
    elif problem.code == Problem.IGNORED_COLUMNS:
        params["columns"] = ", ".join(f"«{c}»" for c in params["columns"])
    elif problem.code == Problem.AMBIGUOUS_ROLE_RESOLVED:
        meaning, other = ROLE_READ_AS[params["role"]]
        params.update(role_meaning=translator.gettext(meaning), other_meaning=translator.gettext(other))
    return translator.gettext(PROBLEM_TEXTS[problem.code]).format(**params)


def render_report(report: ImportReport, translator: Translator) -> str:
    """The whole report: errors, warnings, and the counts when the import was done."""
    _ = translator.gettext
    lines: list[str] = []

    def problem_line(problem: ImportProblem) -> str:
        text = render_problem(problem, translator)
        if problem.row is None:
            return text
        return _(MSG_ROW_PREFIX).format(row=problem.row, message=text)

    def ordered(problems: list[ImportProblem]) -> list[ImportProblem]:
        return sorted(problems, key=lambda p: (p.row is not None, p.row or 0))

    if report.errors:
        n = len(report.errors)
        lines.append(translator.ngettext("{n} error:", "{n} errors:", n).format(n=n))
        lines.extend("  " + problem_line(p) for p in ordered(report.errors))
        lines.append(_(MSG_NOTHING_IMPORTED))
    if report.warnings:
        if lines:
            lines.append("")
        lines.append(_(MSG_WARNINGS_HEADER))
        lines.extend("  " + problem_line(p) for p in ordered(report.warnings))
    if report.ok:
        if lines:
            lines.append("")
        lines.append(_(MSG_IMPORT_DONE))
        lines.append(_summary(report, translator))
    return "\n".join(lines)


def _summary(report: ImportReport, translator: Translator) -> str:
    # translator.ngettext is spelled out in each call so that the extractor finds the texts.
    people = ", ".join([
        translator.ngettext("{n} participant created", "{n} participants created",
                            report.participants_created).format(n=report.participants_created),
        translator.ngettext("{n} updated", "{n} updated",
                            report.participants_updated).format(n=report.participants_updated),
        translator.ngettext("{n} unchanged", "{n} unchanged",
                            report.participants_unchanged).format(n=report.participants_unchanged),
    ])
    pairs = ", ".join([
        translator.ngettext("{n} pair created", "{n} pairs created",
                            report.binomes_created).format(n=report.binomes_created),
        translator.ngettext("{n} pair unchanged", "{n} pairs unchanged",
                            report.binomes_unchanged).format(n=report.binomes_unchanged),
    ])
    return translator.gettext(MSG_SUMMARY).format(participants=people, pairs=pairs)
