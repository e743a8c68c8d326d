"""A large import stays bounded in memory (issue 10, item 13): the file is read lazily and written in
batches, so the session never holds more than a batch of objects. bench/import_memory.py measures the
memory itself; here only its output's shape and the importer's structure are checked, never a time or
a size in megabytes."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event
from sqlmodel import Session, func, select

from bench.import_memory import write_csv
from bot.i18n import available_languages
from storage.db import make_engine, upgrade
from storage.importer import import_participants
from storage.importer.problems import ImportReport
from storage.importer.reading import read_table
from storage.importer.values import clean
from storage.models import Binome, Participant
from storage.programmes import create_programme
from storage.text import clean_text

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2025, 9, 1, 8, 0, tzinfo=timezone.utc)


def test_the_benchmark_imports_every_row_it_generates(tmp_path):
    out = tmp_path / "figures.json"
    done = subprocess.run([sys.executable, "-m", "bench.import_memory", "--rows", "2000", "--json", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(out.read_text(encoding="utf-8"))
    shown = {child: figures[child] for child in ("import", "baseline")}  # a failure shows the children's ends
    assert figures["rows_generated"] == 2000
    assert figures["rows_imported"] == 2000, shown  # every row is a participant: unique e-mails and phones
    assert figures["binomes_imported"] == 999, shown  # two coordinators, then 999 pairs
    for child in ("import", "baseline"):
        assert figures[child]["exit_code"] == 0, figures[child]
        assert set(figures[child]) >= {"peak_rss_mb", "wall_s", "exit_code"}
        assert figures[child]["peak_rss_mb"] > 0 and figures[child]["wall_s"] > 0
    assert {"file_mb", "import_minus_baseline_mb", "import_over_baseline"} <= set(figures)
    assert "import - baseline" in done.stdout


def test_a_large_import_holds_no_more_than_a_batch_in_the_session(tmp_path):
    """5,000 rows: after every flush the session knows at most about one batch of objects (the
    written ones are let go), and the writes come in several flushes, yet in one transaction."""
    rows = 5000
    csv_path = tmp_path / "large.csv"
    write_csv(csv_path, rows)
    engine = make_engine(f"sqlite:///{tmp_path}/t.sqlite3")
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        programme = create_programme(session=session, name="Large", now=NOW)
        session.commit()
        held: list[int] = []
        event.listen(session, "after_flush_postexec", lambda s, _context: held.append(len(s.identity_map)))
        commits: list[int] = []
        event.listen(session, "after_commit", lambda s: commits.append(1))
        report = import_participants(session=session, programme=programme, data=csv_path.read_bytes(), now=NOW,
                                     languages=available_languages())
        assert report.ok, report.errors[:3]
        assert commits == []  # one transaction: the caller commits
        session.commit()
        assert session.exec(select(func.count()).select_from(Participant)).one() == rows
        assert session.exec(select(func.count()).select_from(Binome)).one() == (rows - 2) // 2
    engine.dispose()
    assert len(held) >= 5  # written in batches, not in one flush
    assert max(held) <= 1_100, max(held)  # a batch (1,000), the programme and the audit entry: not 5,000


def test_the_rows_are_read_lazily(tmp_path):
    """The checks take the rows one by one from the reader: no list of all the file's rows is built;
    each reading of the file starts again from its first row."""
    csv_path = tmp_path / "f.csv"
    write_csv(csv_path, 50)
    table = read_table(csv_path.read_bytes(), ImportReport())
    records = table.records()
    assert not isinstance(records, (list, tuple))
    first = next(records)
    assert first[0] == 2 and len(first[1]) == len(table.header)
    assert len(list(records)) == 49  # the rest, once
    assert list(records) == []
    assert [number for number, _ in table.records()] == list(range(2, 52))  # read again, whole


def _import(tmp_path, data: bytes):
    engine = make_engine(f"sqlite:///{tmp_path}/r.sqlite3")
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        programme = create_programme(session=session, name="Reread", now=NOW)
        session.commit()
        report = import_participants(session=session, programme=programme, data=data, now=NOW,
                                     languages=available_languages())
        session.commit()
        people = {p.import_key: p for p in session.exec(select(Participant))}
    engine.dispose()
    return report, people


def test_values_are_read_again_only_for_the_rows_written_and_the_rows_compared(tmp_path, monkeypatch):
    """No row's values are kept from the check to the write: they are read again from the file, once
    for each participant written. Rows sharing only a name, each with an e-mail address of its own
    (the benchmark's 2,000 rows: few names, unique addresses), are never compared: not read again."""
    from storage.importer import checking

    read: list[int] = []
    original = checking.row_values
    monkeypatch.setattr(checking, "row_values", lambda table, number, cells: (read.append(number),
                                                                              original(table, number, cells))[1])
    csv_path = tmp_path / "large.csv"
    write_csv(csv_path, 2000)
    report, people = _import(tmp_path, csv_path.read_bytes())
    assert report.ok and report.participants_created == 2000
    assert sorted(read) == list(range(2, 2002))  # each row once, when written: none for the name matching
    assert len(people) == 2000 and all(p.email and p.phone for p in people.values())


def test_a_shared_name_is_compared_when_one_of_them_has_no_e_mail(tmp_path, monkeypatch):
    """The same name, one row without an e-mail: those rows are compared (read again) and taken for one
    person; the lead row is written with the values its other row gives."""
    from storage.importer import checking

    read: list[int] = []
    original = checking.row_values
    monkeypatch.setattr(checking, "row_values", lambda table, number, cells: (read.append(number),
                                                                              original(table, number, cells))[1])
    data = ("binôme;rôle;prénom;nom;courriel;téléphone;fuseau horaire\n"
            "P1;mentor;Marc;Dubois;marc@example.org;;\n"
            "P1;mentoré;Amina;Benali;amina@example.org;;\n"
            "P2;mentor;Marc;Dubois;;0470 12 34 56;Europe/Brussels\n"
            "P2;mentoré;Léa;Martin;lea@example.org;;\n"
            "P3;mentor;Zoé;Petit;zoe@example.org;;\n"
            "P3;mentoré;Léa;Martin;lea2@example.org;;\n").encode()
    report, people = _import(tmp_path, data)
    assert report.ok, report.errors
    assert [w.code for w in report.warnings] == ["same_name_guessed"]
    # Marc's rows 2 and 4 compared; not Léa Martin's (two e-mails); then the five people written.
    assert sorted(read) == sorted([2, 4] + [2, 3, 5, 6, 7])
    marc = people["p1|mentor|marc|dubois"]
    assert (marc.email, marc.phone, marc.timezone) == ("marc@example.org", "0470 12 34 56", "Europe/Brussels")
    assert "p2|mentor|marc|dubois" not in people and len(people) == 5


_TRICKY = ("aé e\u0301ß İ\u00a0\u3000\t\r\n\x00\x85\u2028\u200b\u200c\u200d\u00ad\ufeff\u034f\u3164"
           "\ufe0f\U000e0100👩💻❤")


@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(_TRICKY) | st.characters(), max_size=12))
def test_the_cells_shortcut_cleans_as_clean_text_does(text):
    """values.clean skips the character-by-character walk for printable cells (most of a file): it
    must give exactly what storage.text.clean_text gives, for any text."""
    assert clean(text) == clean_text(text)
