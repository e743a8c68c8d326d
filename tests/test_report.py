"""The programme's indicators and the follow-up table (issue 12, docs/indicators.md): every indicator against
its hand-worked value (tests/report_seed.py) in the text, JSON, CSV and XLSX outputs of `binome report`; the
XLSX read back with openpyxl and converted by LibreOffice headless; the PNG chart; the anonymity floor (4
masked, 5 shown); another programme's rows never counted; formula-looking names inert; nothing a pair wrote."""
from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import date, datetime, timezone

import openpyxl
import pytest

from bot.cli import main as cli_main
from bot.i18n import load_all, translator
from bot.report_chart import chart_png
from bot.report_files import csv_number, to_csv, to_json, to_xlsx
from bot.report_texts import full_text, summary
from storage import followup
from storage.indicators import GROUPED, KEYS, MASKED, compute, months
from storage.models import Programme
from tests.conftest import START, require_libreoffice
from tests.report_seed import EXPECTED, FORMULA_NAME, OTHER_SECRET, SECRETS, SINCE, UNTIL, seed_programme


@pytest.fixture
def seeded(session):
    with session() as s:
        return seed_programme(s, START)


def _figures(session, ids):
    with session() as s:
        programme = s.get(Programme, ids["programme"])
        values = compute(session=s, programme=programme, since=SINCE, until=UNTIL)
        by_month = months(session=s, programme=programme, since=SINCE, until=UNTIL)
        rows = list(followup.all_rows(session=s, programme_id=programme.id, now=START, chunk=4))
        s.expunge(programme)
    return programme, values, by_month, rows


def test_every_indicator_has_its_hand_worked_value(session, seeded):
    _, values, _, _ = _figures(session, seeded)
    assert list(values) == list(KEYS) and set(EXPECTED) == set(KEYS)
    for key in KEYS:
        assert values[key] == EXPECTED[key], key


def _shown(value):
    """A hand-worked value as the text output writes it in English."""
    if value == MASKED:
        return MASKED
    return value


def _cli(tmp_path, database_url, monkeypatch, *args):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    return cli_main(["report", "--program", "MentorYou Bruxelles", "--from", SINCE.isoformat(), "--to",
                     UNTIL.isoformat(), *args])


def _flat_expected():
    for key in KEYS:
        if key in GROUPED:
            for sub, value in EXPECTED[key].items():
                yield f"{key}.{sub}", key, value
        else:
            yield key, key, EXPECTED[key]


def test_json_has_every_key_with_its_value(session, seeded, tmp_path, database_url, monkeypatch, capsys):
    out = tmp_path / "report.json"
    assert _cli(tmp_path, database_url, monkeypatch, "--format", "json", "-o", str(out)) == 0
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["indicators"] == EXPECTED
    assert (document["since"], document["until"], document["anonymity_floor"]) == ("2026-01-01", "2026-06-30", 5)
    assert [m["month"] for m in document["months"]] == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05",
                                                         "2026-06"]
    # by month, hand-counted: held Jan 2 (01-01 00:30 local, 01-05), Feb 2 (B01, B02), Mar 1 (B04); missed Mar 2, Apr 1
    assert [(m["meetings_held"], m["meetings_missed"]) for m in document["months"]] == [
        (2, 0), (2, 0), (1, 2), (0, 1), (0, 0), (0, 0)]
    # under way at each month's end: Jan B01 B02 B05 B06 B07 B08 (6); Feb +B03 (7); Mar -B07 -B08 +B04 (6);
    # Apr -B06 (closed 04-01) +B09 (6); May -B04 (5); Jun -B05 +B10 (5)
    assert [m["binomes_active"] for m in document["months"]] == [6, 7, 6, 6, 5, 5]
    text = out.read_text(encoding="utf-8")
    assert not any(secret in text for secret in SECRETS + (OTHER_SECRET,))


def test_text_lists_every_figure_with_its_key(session, seeded, tmp_path, database_url, monkeypatch, capsys):
    assert _cli(tmp_path, database_url, monkeypatch) == 0
    text = capsys.readouterr().out
    lines = {line.split("[", 1)[1].split("]", 1)[0]: line.rsplit(": ", 1)[1] for line in text.splitlines()
             if "[" in line and "]: " in line}
    english = {0.625: "62.5%", 0.125: "12.5%", 0.2: "20.0%", 0.6: "60.0%"}
    for flat_key, key, value in _flat_expected():
        if value == MASKED:
            assert lines[flat_key] == "< 5", flat_key
        elif key.endswith("_rate"):
            assert lines[flat_key].replace("\u00a0", "").replace(" ", "") == english[value], flat_key
        else:
            assert float(lines[flat_key].replace(",", "")) == value, flat_key
    assert not any(secret in text for secret in SECRETS + (OTHER_SECRET,))


def test_csv_opens_in_french_excel(session, seeded, tmp_path, database_url, monkeypatch):
    out = tmp_path / "report.csv"
    assert _cli(tmp_path, database_url, monkeypatch, "--format", "csv", "-o", str(out)) == 0
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel reads the accents right
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Key", "Indicator", "Value", "Definition"]
    by_key = {row[0]: row[2] for row in rows[1:]}
    for flat_key, key, value in _flat_expected():
        assert by_key[flat_key] == csv_number(key, value), flat_key
    assert by_key["attendance_rate"] == "62,5%" and by_key["median_binome_months"] == "5,9"  # decimal commas
    assert by_key["evaluation_means.mentee.usefulness"] == "4,2" and by_key["mentees_by_gender.m"] == "< 5"


def test_xlsx_has_three_sheets_read_back_and_converted_by_libreoffice(session, seeded, tmp_path, database_url,
                                                                       monkeypatch):
    out = tmp_path / "report.xlsx"
    assert _cli(tmp_path, database_url, monkeypatch, "--format", "xlsx", "-o", str(out)) == 0
    workbook = openpyxl.load_workbook(out)
    assert workbook.sheetnames == ["Indicators", "Follow-up table", "By month"]
    indicators = workbook["Indicators"]
    assert indicators.freeze_panes == "A2"
    by_key = {row[3]: row[1] for row in indicators.iter_rows(min_row=2, values_only=True)}
    for flat_key, key, value in _flat_expected():
        if value == MASKED:
            assert by_key[flat_key] == "< 5", flat_key
        else:
            assert by_key[flat_key] == pytest.approx(value), flat_key
    table = workbook["Follow-up table"]
    assert table.freeze_panes == "A2" and table.auto_filter.ref == "A1:S13"  # 12 binômes, the draft left out
    rows = {row[0].value: row for row in table.iter_rows(min_row=2)}
    assert set(rows) == {f"B{n:02}" for n in range(1, 13)}  # not the other programme's Z99
    b01 = [c.value for c in rows["B01"]]
    assert b01[:4] == ["B01", "Marc", "Amina", "active"]
    assert b01[4] == datetime(2025, 11, 1) and rows["B01"][4].number_format == "DD/MM/YYYY"  # dates as dates
    assert b01[6] == datetime(2026, 7, 1, 0, 30)  # the last meeting, in Brussels time
    # held 5 (all time), missed excused 1 / unexcused 1, actions 2 done of 4 (1 dropped), 1 blocked, check-ins
    # mentee 3 of 4 and mentor 1 of 1, two live alerts (A5 acknowledged, A6 open), the highest 'high'
    assert b01[8:18] == [5, 1, 1, 2, 4, 1, 0.75, 1.0, 2, "high"]
    _, _, _, table_rows = _figures(session, seeded)  # at START, B02's confirmed meeting is ahead (the CLI: today)
    assert next(r for r in table_rows if r.code == "B02").next_meeting == datetime(2026, 9, 20, 15,
                                                                                    tzinfo=timezone.utc)
    assert [c.value for c in rows["B04"]][18] == "Job (permanent contract)"
    formula = rows["B04"][2]  # the mentee imported as =HYPERLINK(…): text, quoted, never a formula
    assert formula.value == FORMULA_NAME and formula.data_type == "s" and formula.quotePrefix
    assert rows["B05"][1].data_type == "s" and rows["B05"][1].quotePrefix
    assert rows["B10"][2].value == "@Noor" and rows["B10"][2].quotePrefix
    assert [c.value for c in workbook["By month"]["B"]][1:] == [2, 1, 1, 1, 0, 1]  # started: B02 B07, B03, B04, B09, -, B10
    everything = " ".join(str(c.value) for ws in workbook for row in ws.iter_rows() for c in row)
    assert not any(secret in everything for secret in SECRETS + (OTHER_SECRET,))

    soffice = require_libreoffice()
    converted = subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                                "--convert-to", "csv:Text - txt - csv (StarCalc):59,34,76,1,,0,false,true,false,"
                                "false,false,-1", "--outdir", str(tmp_path / "lo-out"), str(out)],
                               capture_output=True, text=True, timeout=180)
    assert converted.returncode == 0, converted.stderr
    produced = sorted((tmp_path / "lo-out").glob("*.csv"))
    assert produced, converted.stdout + converted.stderr
    contents = "\n".join(p.read_text(encoding="utf-8") for p in produced)
    assert "binomes_started" in contents and "B01;Marc;Amina" in contents
    assert FORMULA_NAME.replace('"', '""') in contents or FORMULA_NAME in contents  # shown as text, not run
    assert "#NAME" not in contents and "Err:" not in contents


def test_png_chart_is_drawn(session, seeded, tmp_path, database_url, monkeypatch):
    out, chart = tmp_path / "r.json", tmp_path / "chart.png"
    assert _cli(tmp_path, database_url, monkeypatch, "--format", "json", "-o", str(out), "--chart", str(chart)) == 0
    data = chart.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 20_000
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (900, 1500)  # tall, for a phone


def test_the_floor_masks_4_and_shows_5(session, seeded):
    programme, values, _, _ = _figures(session, seeded)
    assert values["mentees_by_gender"]["f"] == 5 and values["mentees_by_gender"]["m"] == MASKED
    assert values["evaluation_means"]["mentee.usefulness"] == 4.2  # 5 mentees answered
    assert values["evaluation_means"]["mentor.again"] == MASKED  # 4 mentors answered
    load_all()
    for language in ("en", "fr"):
        tr = translator(language, "Europe/Brussels")
        text = summary(tr, programme, values, SINCE, UNTIL) + full_text(tr, programme, values, SINCE, UNTIL)
        assert "< 5" in text and not any(secret in text for secret in SECRETS + (OTHER_SECRET,))
        files = to_json(programme, values, [], SINCE, UNTIL) + to_csv(tr, programme, values).decode("utf-8-sig")
        assert '"m": "< 5"' in files and ";< 5;" in files


def test_the_other_programme_sees_only_its_own(session, seeded):
    with session() as s:
        other = s.get(Programme, seeded["other"])
        values = compute(session=s, programme=other, since=SINCE, until=UNTIL)
        rows = list(followup.all_rows(session=s, programme_id=other.id, now=START))
    assert [r.code for r in rows] == ["Z99"]
    assert (values["binomes_started"], values["meetings_held"], values["alerts_raised"], values["companies"]) == (
        1, 1, 1, 1)
    assert values["evaluation_answers"] == 5 and values["evaluation_means"]["mentee.usefulness"] == 1.0


def test_exit_rates_over_fewer_than_5_closures_are_masked(session):
    """One closure: its positive-exit rate (100%), dropout rate and length would tell how that one pair ended."""
    from storage.models import Binome, BinomeStatus
    from tests.factories import make_pair, make_programme

    with session() as s:
        programme = make_programme(s, datetime(2026, 1, 5, tzinfo=timezone.utc), name="Petit programme")
        _, _, binome = make_pair(s, programme, datetime(2026, 1, 5, tzinfo=timezone.utc))
        binome.status, binome.outcome, binome.closed_on = BinomeStatus.CLOSED, "training", date(2026, 3, 2)
        s.flush()
        values = compute(session=s, programme=programme, since=SINCE, until=UNTIL)
    assert values["binomes_closed"] == 1 and values["exits_by_outcome"] == {"training": MASKED}
    assert [values[k] for k in ("positive_exit_rate", "dropout_rate", "median_binome_months")] == [MASKED] * 3
