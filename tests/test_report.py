"""The programme's indicators and the follow-up table (issue 12, docs/indicators.md): every indicator against
its hand-worked value (tests/report_seed.py) in the text, JSON, CSV and XLSX outputs of `binome report`; the
XLSX read back with openpyxl and converted by LibreOffice headless; the PNG chart; the anonymity floor (4
masked, 5 shown); another programme's rows never counted; formula-looking names inert; nothing a pair wrote."""
from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import date, datetime

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
