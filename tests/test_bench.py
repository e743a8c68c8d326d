"""`python -m bench` works: a tiny run of the inbound, scan, start-up and fan-out scenarios reports its
figures and its counts hold (never a time asserted). The workers scenario is left out: its dead leader's
claims wait a 60 s lease, and tests/test_workers.py proves what it measures."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.app import telegram_rate_limiter
from bot.rate_limit import OVERALL_RATE
from bot.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_quick_bench_reports_inbound_scan_startup_and_fanout(tmp_path):
    out = tmp_path / "run.json"
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--only", "inbound,scan,startup,fanout",
                           "--json", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    document = json.loads(out.read_text())
    assert {"cores", "cpu", "python", "date"} <= document["machine"].keys()
    results = document["results"]
    assert set(results) == {"inbound", "scan", "startup", "fanout"}

    inbound = results["inbound"]
    for name in ("binome", "echo"):
        figures = inbound[name]
        assert figures["replies"] == figures["updates"] == 10  # every update answered, once
        assert {"p50_ms", "p99_ms", "one_at_a_time_per_s", "burst_per_s", "cpu_ms_per_update"} <= figures.keys()
    assert {"throughput_ratio", "cpu_ratio"} <= inbound.keys()
    assert inbound["send_rate"] > OVERALL_RATE  # the bot's own budget was lifted ("limits off")

    scan = results["scan"]["30"]
    assert scan["binomes"] == 30 and scan["changed_binomes"] == 1
    # The change went through the bot's rules: the dirty listener marked exactly that binôme.
    assert scan["dirty_after_change"] - scan["dirty_before_change"] == 1
    assert {"seed_seconds", "first_scan_seconds", "idle_tick_ms", "scan_changed_seconds"} <= scan.keys()
    assert scan["scan_unchanged"]["plan_replies"] >= 1  # a /plan was waiting while the scan ran

    startup = results["startup"]["30"]
    assert startup["checkins_received"] == startup["checkins_due"] == 10
    assert startup["first_checkin_s"] is not None and startup["peak_rss_mb"] > 0

    fanout = results["fanout"]
    assert fanout["queued"] == fanout["sent"] == fanout["received"] == 20
    assert fanout["duplicates"] == 0 and fanout["refused_429"] == 0
    assert fanout["reply_during_fanout_ms"] is not None and fanout["absence_warning_delay_s"] is not None
    assert fanout["send_loop_cpu_ms_per_message"] > 0

    table = done.stdout
    for what in ("replies one at a time", "idle tick", "scan, nothing changed", "peak memory", "fan-out of 20"):
        assert what in table


def test_send_rate_sets_the_bot_s_overall_budget():
    default = load_settings(_env_file=None)
    assert default.send_rate == OVERALL_RATE == 29
    assert telegram_rate_limiter(default)._free.rate == 29
    lifted = load_settings(_env_file=None, SEND_RATE="5000")
    assert telegram_rate_limiter(lifted)._free.rate == 5000
    with pytest.raises(SettingsError, match="SEND_RATE"):
        load_settings(_env_file=None, SEND_RATE="0")
