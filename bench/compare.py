"""Issue 19's table from two runs of `python -m bench`: what, before, after, goal, met or missed by how much.

    .venv/bin/python -m bench.compare bench/runs/2026-12-03-before.json bench/runs/2026-12-03-after.json

Prints Markdown (what bench/README.md quotes). A figure a run did not measure reads "-".
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def _get(document: dict, *path):
    value = document.get("results", {})
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _n(value, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and value != value:
        return "n/a"
    return f"{value:,.{digits}f}{unit}"


def _verdict(value, goal: float, *, below: bool = True) -> str:
    """'met' or 'missed by N×' (how far past the goal: value ÷ goal, or goal ÷ value for a floor)."""
    if value is None or value != value:
        return "-"
    if (value <= goal) if below else (value >= goal):
        return "met"
    return f"missed by {value / goal if below else goal / value:,.2f}×"


def _sizes(*documents) -> list[str]:
    found = set()
    for document in documents:
        for scenario in ("scan", "startup"):
            found |= set((_get(document, scenario) or {}).keys())
    return sorted(found, key=int)


def rows(before: dict, after: dict) -> list[tuple[str, str, str, str, str]]:
    out = []
    for size in _sizes(before, after):
        n = f"{int(size):,}"
        b, a = (_get(d, "scan", size, "scan_unchanged", "seconds") for d in (before, after))
        goal = "< 2 s at 100k"
        out.append((f"15-minute scan, nothing changed, {n}", _n(b, " s", 2), _n(a, " s", 2), goal,
                    _verdict(a, 2.0) if size == "100000" else ""))
        b, a = (_get(d, "scan", size, "scan_changed_seconds") for d in (before, after))
        out.append((f"15-minute scan, 1% changed, {n}", _n(b, " s", 2), _n(a, " s", 2), "grows with changes", ""))
        b, a = (_get(d, "scan", size, "scan_unchanged", "plan_p99_ms") for d in (before, after))
        out.append((f"/plan during that scan, {n} (p99)", _n(b, " ms", 0), _n(a, " ms", 0), "p99 < 300 ms",
                    _verdict(a, 300.0)))
        b, a = (_get(d, "scan", size, "idle_tick_ms") for d in (before, after))
        out.append((f"idle tick, {n}", _n(b, " ms"), _n(a, " ms"), "< 50 ms at 100k", _verdict(a, 50.0)))
        b, a = (_get(d, "startup", size, "first_checkin_s") for d in (before, after))
        out.append((f"start-up to first check-in sent, {n}", _n(b, " s"), _n(a, " s"), "a few seconds", ""))
        b, a = (_get(d, "startup", size, "peak_rss_mb") for d in (before, after))
        out.append((f"peak memory, {n}", _n(b, " MB", 0), _n(a, " MB", 0), "< 300 MB at 100k",
                    _verdict(a, 300.0) if size == "100000" else ""))
    f_b, f_a = _get(before, "fanout") or {}, _get(after, "fanout") or {}
    if f_b or f_a:
        count = f_a.get("queued") or f_b.get("queued")
        out.append((f"fan-out of {count:,} at 30/s, 1/s per chat (× the N ÷ 30 floor)",
                    _n(f_b.get("ratio_to_floor"), "×", 2), _n(f_a.get("ratio_to_floor"), "×", 2), "≤ 1.05×",
                    _verdict(f_a.get("ratio_to_floor"), 1.05)))
        out.append(("  refused (429), duplicates", f"{f_b.get('refused_429', '-')}, {f_b.get('duplicates', '-')}",
                    f"{f_a.get('refused_429', '-')}, {f_a.get('duplicates', '-')}", "0, 0",
                    "met" if f_a and f_a["refused_429"] == f_a["duplicates"] == 0 else "missed"))
        out.append(("CPU per outbound message (× a bare PTB send loop's)",
                    f"{_n(f_b.get('cpu_ms_per_message'), ' ms', 2)} ({_n(f_b.get('cpu_ratio'), '×', 2)})",
                    f"{_n(f_a.get('cpu_ms_per_message'), ' ms', 2)} ({_n(f_a.get('cpu_ratio'), '×', 2)})",
                    "≤ 1.5×", _verdict(f_a.get("cpu_ratio"), 1.5)))
        out.append(("/plan answered in the middle of the fan-out", _n(f_b.get("reply_during_fanout_ms"), " ms", 0),
                    _n(f_a.get("reply_during_fanout_ms"), " ms", 0), "not paced behind it", ""))
        out.append(("absence warning queued mid-fan-out, to the mentor", _n(f_b.get("absence_warning_delay_s"), " s"),
                    _n(f_a.get("absence_warning_delay_s"), " s"), "< 10 s",
                    _verdict(f_a.get("absence_warning_delay_s"), 10.0)))
    i_b, i_a = _get(before, "inbound") or {}, _get(after, "inbound") or {}
    if i_b or i_a:
        def one(d):
            return (f"{_n(d['binome']['one_at_a_time_per_s'])}/s, p50 {_n(d['binome']['p50_ms'], ' ms')} "
                    f"(echo {_n(d['echo']['one_at_a_time_per_s'])}/s, {_n(d['echo']['p50_ms'], ' ms')})") if d else "-"
        out.append(("replies to people, one at a time", one(i_b), one(i_a), "never paced behind broadcasts", ""))

        def burst(d):
            return f"{_n(d['binome']['burst_per_s'])} vs {_n(d['echo']['burst_per_s'])}/s" if d else "-"
        out.append(("burst throughput, Binôme vs echo bot", burst(i_b), burst(i_a), "≥ 0.8× the echo bot's",
                    _verdict(i_a.get("throughput_ratio"), 0.8, below=False)))

        def cpu(d):
            return (f"{_n(d['binome']['cpu_ms_per_update'], ' ms', 2)} vs {_n(d['echo']['cpu_ms_per_update'], ' ms', 2)}"
                    f" ({_n(d['cpu_ratio'], '×', 2)})") if d else "-"
        out.append(("CPU per handled update, Binôme vs echo bot", cpu(i_b), cpu(i_a), "≤ 2×",
                    _verdict(i_a.get("cpu_ratio"), 2.0)))
    for w_b, w_a in _pairs(_get(before, "workers") or [], _get(after, "workers") or []):
        count = (w_a or w_b)["workers"]

        def took(w):
            if not w or "skipped" in w:
                return "not measured" if not w else w["skipped"].removeprefix("skipped: ")
            return (f"take-over {_n(w['takeover_seconds'], ' s')}, {w['duplicates']} duplicates, "
                    f"{w['sent']}/{w['queued']} received; {w['claimed_by_dead_leader']} rows held by the dead "
                    f"leader's lease, the last sent {_n(w['last_send_after_kill_seconds'], ' s')} after the kill")
        met = "-" if not w_a or "skipped" in w_a else (
            "met" if w_a["duplicates"] == 0 and w_a["sent"] == w_a["queued"] and w_a["takeover_seconds"] is not None
            and w_a["takeover_seconds"] < 10 else "missed")
        out.append((f"{count} `binome run` on one PostgreSQL database, leader killed", took(w_b), took(w_a),
                    "never twice; taken over within seconds", met))
    return out


def _pairs(before: list, after: list):
    by_count = {}
    for w in before:
        by_count.setdefault(w["workers"], [None, None])[0] = w
    for w in after:
        by_count.setdefault(w["workers"], [None, None])[1] = w
    return [tuple(v) for _, v in sorted(by_count.items())]


def markdown(table: list[tuple[str, ...]]) -> str:
    lines = ["| what | before | after | goal | met? |", "|---|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in table]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    before, after = (json.loads(Path(name).read_text()) for name in argv)
    print(markdown(rows(before, after)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
