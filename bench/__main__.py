"""`python -m bench`: every figure of issue 19's table, measured in one run; prints a table, writes JSON.

    .venv/bin/python -m bench                                 # sizes 1000,10000
    .venv/bin/python -m bench --sizes 1000,10000,100000 --json bench/runs/today.json
    .venv/bin/python -m bench --quick                         # tiny sizes, seconds: what CI runs
    .venv/bin/python -m bench --only inbound,fanout
    .venv/bin/python -m bench --database-url postgresql://binome@127.0.0.1:55432/bench   # an empty database
    .venv/bin/python -m bench --workers-database-url postgresql://…/bench   # PostgreSQL for the workers only
    .venv/bin/python -m bench --only cohort                   # issue 18's table: 40 binômes over 12 weeks

Scenarios: inbound (bench/inbound.py), scan (bench/scan.py), startup (bench/delivery.py), fanout
(bench/delivery.py), workers (bench/workers.py), cohort (bench/cohort.py: the warning signs on a
simulated cohort, issue 18's table). Figures only: nothing here asserts a time.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import text

from bench import cohort, cohort_figures, delivery, inbound, report, scan, workers
from storage.db import make_engine

SCENARIOS = ("inbound", "scan", "startup", "fanout", "workers", "report", "cohort")


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": model or platform.processor(), "python": platform.python_version(),
            "platform": platform.platform(), "date": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def _reset(url: str | None) -> None:
    """Each scenario starts from an empty PostgreSQL database (SQLite ones are temporary files)."""
    if not url or url.startswith("sqlite"):
        return
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def _f(value, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and value != value:
        return "n/a"
    return f"{value:,.{digits}f}{unit}"


def table(results: dict) -> list[tuple[str, str, str, str]]:
    rows = []
    if "inbound" in results:
        b, e = results["inbound"]["binome"], results["inbound"]["echo"]
        rows.append(("replies one at a time (msg/s, p50, p99)",
                     f"{_f(b['one_at_a_time_per_s'])}/s, {_f(b['p50_ms'], ' ms')}, {_f(b['p99_ms'], ' ms')}",
                     f"echo {_f(e['one_at_a_time_per_s'])}/s, {_f(e['p50_ms'], ' ms')}, {_f(e['p99_ms'], ' ms')}",
                     _f(b['one_at_a_time_per_s'] / e['one_at_a_time_per_s'], 'x', 2)))
        rows.append(("burst throughput (updates/s)", _f(b["burst_per_s"]), f"echo {_f(e['burst_per_s'])}; goal >= 0.8x",
                     _f(results["inbound"]["throughput_ratio"], "x", 2)))
        rows.append(("CPU per handled update", _f(b["cpu_ms_per_update"], " ms", 2),
                     f"echo {_f(e['cpu_ms_per_update'], ' ms', 2)}; goal <= 2x", _f(results["inbound"]["cpu_ratio"], "x", 2)))
    for size, r in sorted(results.get("scan", {}).items(), key=lambda kv: int(kv[0])):
        n = f"{int(size):,}"
        rows.append((f"seed {n} binômes", _f(r["seed_seconds"], " s"), f"{r['seeded_rows']:,} rows", ""))
        rows.append((f"first scan, {n}", _f(r["first_scan_seconds"], " s", 2), "", ""))
        rows.append((f"idle tick, {n}", _f(r["idle_tick_ms"], " ms"), "goal < 50 ms at 100k", ""))
        u = r["scan_unchanged"]
        rows.append((f"scan, nothing changed, {n}", _f(u["seconds"], " s", 2), "goal < 2 s at 100k", ""))
        rows.append((f"scan, 1% changed, {n}", _f(r["scan_changed_seconds"], " s", 2), "grows with changes", ""))
        rows.append((f"/plan during the scan, {n} (p99, max)",
                     f"{_f(u['plan_p99_ms'], ' ms', 0)}, {_f(u['plan_max_ms'], ' ms', 0)} ({u['plan_replies']} replies)",
                     "goal p99 < 300 ms", _f(u["plan_p99_ms"] / 300, "x", 2)))
    for size, r in sorted(results.get("startup", {}).items(), key=lambda kv: int(kv[0])):
        n = f"{int(size):,}"
        rows.append((f"start-up to first check-in, {n}", _f(r["first_checkin_s"], " s"), "a few seconds",
                     f"{r['checkins_received']}/{r['checkins_due']} sent"))
        rows.append((f"peak memory, {n}", _f(r["peak_rss_mb"], " MB", 0), "goal < 300 MB at 100k", ""))
    if "fanout" in results:
        f = results["fanout"]
        rows.append((f"fan-out of {f['queued']:,} at 30/s, 1/s per chat", _f(f["seconds"], " s"),
                     f"floor {_f(f['floor_seconds'], ' s')}; goal <= 1.05x", _f(f["ratio_to_floor"], "x", 2)))
        rows.append(("  refused (429), duplicates", f"{f['refused_429']}, {f['duplicates']}", "0, 0", ""))
        rows.append(("CPU per outbound message", _f(f["cpu_ms_per_message"], " ms", 2),
                     f"bare PTB loop {_f(f['send_loop_cpu_ms_per_message'], ' ms', 2)}; goal <= 1.5x",
                     _f(f["cpu_ratio"], "x", 2)))
        rows.append(("/plan answered mid-fan-out", _f(f["reply_during_fanout_ms"], " ms", 0), "not behind the fan-out", ""))
        rows.append(("absence warning queued mid-fan-out, to the mentor", _f(f["absence_warning_delay_s"], " s"),
                     "goal < 10 s", _f((f["absence_warning_delay_s"] or 0) / 10, "x", 2)))
    for size, r in sorted(results.get("report", {}).items(), key=lambda kv: int(kv[0])):
        n = f"{int(size):,}"
        rows.append((f"report of a year, {n}: indicators, XLSX",
                     f"{_f(r['indicators_seconds'], ' s', 2)}, {_f(r['xlsx_seconds'], ' s', 2)}",
                     f"count(*) of its tables {_f(r['baseline_count_seconds'], ' s', 2)}; goal a few seconds",
                     _f((r['indicators_seconds'] + r['xlsx_seconds']) / max(r['baseline_count_seconds'], 1e-6), 'x', 1)))
        rows.append((f"  peak memory growth, {n}", _f(r["peak_rss_growth_mb"], " MB", 0), "not every row at once", ""))
    for w in results.get("workers", []):
        what = f"{w['workers']} workers on PostgreSQL, leader killed"
        if "skipped" in w:
            rows.append((what, w["skipped"], "", ""))
            continue
        rows.append((what, f"take-over {_f(w['takeover_seconds'], ' s')} (first send "
                           f"{_f(w['first_send_after_kill_seconds'], ' s')}, its first scan's summary "
                           f"{_f(w['first_scan_after_kill_seconds'], ' s')})",
                     f"within seconds (LEADER_RETRY_SECONDS {_f(w['leader_retry_seconds'], ' s', 0)})", ""))
        rows.append(("  received once, duplicates, refused",
                     f"{w['sent']}/{w['queued']}, {w['duplicates']}, {w['refused']}", "all, 0, 0", ""))
        rows.append(("  rows the dead leader held: last sent after the kill",
                     f"{w['claimed_by_dead_leader']} rows, {_f(w['last_send_after_kill_seconds'], ' s')}",
                     f"its claims' lease: {_f(w['claim_lease_seconds'], ' s', 0)}", ""))
        rows.append(("  /help through the balancer after the kill",
                     f"{w['visitors_answered']}/{w['visitors']} answered once", "all", ""))
    if "cohort" in results:
        rows += [(what, measured, goal, "") for what, measured, goal in cohort_figures.table(results["cohort"])]
    return rows


def print_table(rows) -> None:
    widths = [max(len(r[i]) for r in rows + [("what", "Binôme", "baseline or goal", "ratio")]) for i in range(4)]
    header = ("what", "Binôme", "baseline or goal", "ratio")
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print(" | ".join(cell.ljust(width) for cell, width in zip(row, widths)))


async def run(args) -> dict:
    sizes = [int(s) for s in args.sizes.split(",") if s]
    only = set(args.only.split(",")) if args.only else set(SCENARIOS)
    unknown = only - set(SCENARIOS)
    if unknown:
        sys.exit(f"unknown scenario(s): {', '.join(sorted(unknown))}; known: {', '.join(SCENARIOS)}")
    url = args.database_url
    results: dict = {}

    def step(name: str) -> None:
        print(f"... {name}", file=sys.stderr, flush=True)
        _reset(url)

    if "inbound" in only:
        step("inbound")
        results["inbound"] = await inbound.run(args.updates, url)
    if "scan" in only:
        results["scan"] = {}
        for size in sizes:
            step(f"scan at {size}")
            results["scan"][str(size)] = await scan.run(size, url)
    if "startup" in only:
        results["startup"] = {}
        for size in sizes:
            step(f"startup at {size}")
            results["startup"][str(size)] = await delivery.startup(size, url)
    if "fanout" in only:
        step("fanout")
        results["fanout"] = await delivery.fanout(args.fanout, url)
    if "report" in only:
        results["report"] = {}
        for size in sizes:
            step(f"report at {size}")
            results["report"][str(size)] = await report.run(size, url)
    if "workers" in only:
        results["workers"] = []
        url = args.workers_database_url or url
        for count in (2, 3):
            step(f"{count} workers")
            results["workers"].append(await workers.run(count, args.workers_messages, url))
    if "cohort" in only:
        step("cohort")  # SQLite always: a cohort of a few dozen pairs
        results["cohort"] = await cohort.run(args.cohort_pairs, args.cohort_weeks)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="binômes seeded for scan, startup, memory")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, seconds in total (CI)")
    parser.add_argument("--only", default="", help=f"comma-separated among {', '.join(SCENARIOS)}")
    parser.add_argument("--json", type=Path, default=Path("bench/last-run.json"))
    parser.add_argument("--database-url", default=None,
                        help="an EMPTY PostgreSQL database, emptied between scenarios (default: SQLite files)")
    parser.add_argument("--workers-database-url", default=None,
                        help="an EMPTY PostgreSQL database for the workers scenario only (default: --database-url)")
    parser.add_argument("--updates", type=int, default=500, help="inbound updates per pass")
    parser.add_argument("--fanout", type=int, default=2000, help="messages in the fan-out")
    parser.add_argument("--workers-messages", type=int, default=600,
                        help="check-ins due in the workers scenario (one per person)")
    parser.add_argument("--cohort-pairs", type=int, default=40, help="binômes of the cohort simulation")
    parser.add_argument("--cohort-weeks", type=int, default=12, help="weeks the cohort simulation lives through")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.updates, args.fanout, args.workers_messages = "30", 10, 20, 20
        args.cohort_pairs, args.cohort_weeks = 12, 3
    results = asyncio.run(run(args))
    document = {"machine": machine(), "arguments": {k: str(v) for k, v in vars(args).items()}, "results": results}
    print_table(table(results))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=2, default=str) + "\n")
    print(f"\nwritten: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
