"""The report of a large programme (issue 12): `storage.indicators.compute` and `months` for a year, then the
XLSX with the whole follow-up table (`storage.followup.all_rows`, streamed), on N seeded binômes (bench/seed.py:
each with meetings, check-ins, plan actions and alerts eight weeks deep). Baseline, in the same run and the
same database: one `SELECT count(*)` per table the report reads, i.e. the floor of touching that data once.
Figures only: peak RSS growth (ru_maxrss) says whether rows were held in memory at once."""
from __future__ import annotations

import resource
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import text

from bench.seed import seed
from bot.i18n import load_all, translator
from bot.report_files import to_xlsx
from storage.db import make_engine, session_scope
from storage.followup import all_rows
from storage.indicators import compute, months
from storage.models import Programme

TABLES = ("binome", "participant", "meeting", "absence", "checkin", "plan_action", "alert", "evaluation")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run(size: int, url: str | None) -> dict:
    now = datetime.now(timezone.utc)
    with tempfile.TemporaryDirectory() as folder:
        database = url or f"sqlite:///{Path(folder) / 'report.sqlite3'}"
        seeded = seed(database, size, now=now)
        engine = make_engine(database)
        load_all()
        tr = translator("fr", "Europe/Brussels")
        started = time.perf_counter()
        with engine.connect() as connection:
            counts = {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}
        baseline = time.perf_counter() - started
        rss_before = _rss_mb()
        with session_scope(engine) as session:
            programme = session.get(Programme, seeded.programme_id)
            until = now.date()
            since = until - timedelta(days=365)
            started = time.perf_counter()
            values = compute(session=session, programme=programme, since=since, until=until)
            by_month = months(session=session, programme=programme, since=since, until=until)
            figures = time.perf_counter() - started
            started = time.perf_counter()
            workbook = to_xlsx(tr, programme, values, all_rows(session=session, programme_id=programme.id, now=now),
                               by_month)
            xlsx = time.perf_counter() - started
        engine.dispose()
    return {"binomes": size, "rows": counts, "baseline_count_seconds": baseline, "indicators_seconds": figures,
            "xlsx_seconds": xlsx, "xlsx_bytes": len(workbook), "binomes_active": values["binomes_active"],
            "meetings_held": values["meetings_held"], "peak_rss_growth_mb": _rss_mb() - rss_before}
