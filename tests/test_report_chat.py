"""/binomes and /report in the coordinator's chat, through the local Bot API (issue 12): the follow-up table's
pages, filters and rows opening the summary; the period buttons, the summary, the PNG as a photo and the
XLSX as a document; forged, foreign and wrong-role presses change nothing and get a polite answer."""
from __future__ import annotations

import io

import openpyxl

from storage.models import Participant
from tests.conftest import START
from tests.factories import link
from tests.report_seed import OTHER_SECRET, SECRETS, seed_programme
from tests.test_meetings import tap

INVALID = "This button is no longer valid."


def _seed(harness, session, language="en"):
    with session() as s:
        ids = seed_programme(s, START)
        claire = harness.server.user(first_name="Claire", language_code=language)
        link(s.get(Participant, ids["claire"]), claire, START, language)
        marc = harness.server.user(first_name="Marc", language_code="en")
        link(s.get(Participant, ids["B01.mentor"]), marc, START, "en")
    return ids, claire, marc


async def test_binomes_pages_filters_and_opens_a_summary(harness, session):
    ids, claire, marc = _seed(harness, session)
    await claire.send("/binomes")
    table = await claire.wait_for_message()
    lines = table.text.splitlines()
    assert lines[0] == "📋 Follow-up table · All · 12 binômes · page 1/2"
    assert lines[1].startswith("B01 · Marc & Amina · active, ")
    assert "meetings 5 held, 1+1 missed · plan 2/4 · check-ins 75 %/100 % (1 blocked)" in lines[2]
    assert lines[2].endswith("· last Jul 1 · 🔴 2 alerts")
    codes = [t for t in table.button_texts if t.startswith("B")]
    assert codes == [f"B{n:02}" for n in range(1, 11)]
    assert table.button_texts[10:] == ["• All", "At risk", "No meeting for a month", "Ending within a month",
                                       "Paused", "Closed", "Next ▶"]
    assert not any(secret in table.text for secret in SECRETS + (OTHER_SECRET,))
    await tap(claire, table, "Next ▶")
    assert table.text.splitlines()[0] == "📋 Follow-up table · All · 12 binômes · page 2/2"
    assert [t for t in table.button_texts if t.startswith("B")] == ["B11", "B12"]
    await tap(claire, table, "At risk")  # live alerts: B01 (open, acknowledged), B02 (acknowledged)
    assert table.text.splitlines()[0] == "📋 Follow-up table · At risk · 2 binômes · page 1/1"
    await tap(claire, table, "Paused")
    assert [t for t in table.button_texts if t.startswith("B")] == ["B03"]
    await tap(claire, table, "Closed")
    assert [t for t in table.button_texts if t.startswith("B")] == ["B04", "B05", "B06", "B07", "B08", "B09", "B11"]
    assert "Job (permanent contract)" in table.text
    await tap(claire, table, "B04")  # opens the binôme's summary (conversations.binomes)
    shown = await claire.wait_for_message()
    assert shown.text.startswith("📋 Binôme B04: Anne M (mentor)")

    # Forged, foreign and wrong-role presses: nothing changes, a polite answer.
    before = table.text
    for data in ("bt:7:all", "bt:999999999999999999:risk", "bt:0:secret", f"bs:{ids['Z99']}:show", "bt:0"):
        answer = await claire.callback_answer(await claire.press_data(table, data))
        assert answer["text"] == INVALID, data
    assert table.text == before
    await marc.send("/binomes")
    assert (await marc.wait_for_message()).text == "This command is for coordinators. To see your commands, send /help."
    answer = await marc.callback_answer(await marc.press_data(marc.messages[-1], "bt:0:all"))
    assert answer["text"] == INVALID
    await claire.send("some words")  # text where buttons were expected: the polite fallback, nothing else
    assert (await claire.wait_for_message()).text


async def test_report_sends_the_summary_the_chart_and_the_workbook(harness, session):
    ids, claire, marc = _seed(harness, session)
    await claire.send("/report")
    ask = await claire.wait_for_message()
    assert ask.text == "📊 The programme's report: which period?"
    assert ask.button_texts == ["This month", "Last month", "This quarter", "School year (Sept–Aug)",
                                "Since the start"]
    # Marc is no coordinator, and a press with another person's id is not Claire's: both refused.
    assert (await marc.callback_answer(await marc.press_data(ask, f"rp:{ids['B01.mentor']}:all")))["text"] == INVALID
    assert (await claire.callback_answer(await claire.press_data(ask, f"rp:{ids['B01.mentor']}:all")))["text"] == INVALID
    assert (await claire.callback_answer(await claire.press_data(ask, f"rp:{ids['claire']}:decade")))["text"] == INVALID
    start = len(claire.messages)
    await tap(claire, ask, "Since the start")
    await harness.server.settle()
    assert ask.text.startswith("📊 «MentorYou Bruxelles» · From January 10, 2025 to September 7, 2026")
    assert "Binômes: 12 started, 5 under way at the end, 7 closed." in ask.text
    photo, document = [m for m in claire.messages[start:] if m.kind in ("photo", "document")]
    assert photo.kind == "photo" and photo.photo.startswith(b"\x89PNG")
    assert document.kind == "document" and document.document["file_name"] == "report-2025-01-10-2026-09-07.xlsx"
    workbook = openpyxl.load_workbook(io.BytesIO(document.document["data"]))
    assert workbook.sheetnames == ["Indicators", "Follow-up table", "By month"]
    assert not any(secret in ask.text for secret in SECRETS + (OTHER_SECRET,))


async def test_report_in_french(harness, session):
    ids, claire, _ = _seed(harness, session, language="fr")
    await claire.send("/report")
    ask = await claire.wait_for_message()
    assert ask.text == "📊 Le rapport du programme : quelle période ?"
    await tap(claire, ask, "Année scolaire (sept.–août)")
    await harness.server.settle()
    assert ask.text.startswith("📊 «MentorYou Bruxelles» · Du 1er septembre 2026 au 7 septembre 2026")
    assert "Rencontres — tenues : 0, manquées : 0 ; présence -, absentéisme -." in ask.text
    document = next(m for m in claire.messages if m.kind == "document")
    assert openpyxl.load_workbook(io.BytesIO(document.document["data"])).sheetnames == [
        "Indicateurs", "Tableau de suivi", "Par mois"]
