"""A small cohort simulation (bench/cohort.py) in CI: 12 binômes over 5 weeks, each person acting through
the real bot's buttons over the local Bot API, the clock moved two hours a tick. The full one (40 over 12
weeks, with everyday slips) is `python -m bench --only cohort`; its figures are in docs/warning-signs.md."""
from __future__ import annotations

from bench import cohort, cohort_figures


async def test_a_small_cohort_without_slips_alerts_every_pair_at_risk_and_no_healthy_one():
    result = await cohort.run(12, 5, tick_hours=2, slips=False)
    pairs = {p["kind"]: p for p in result["pairs"]}
    assert set(pairs) == set(cohort.KINDS)
    assert result["alerted"] == result["at_risk"] == 6, result["pairs"]  # every pair at risk reached the coordinator
    assert result["false_alerts"] == 0, result["false_alert_signals"]  # healthy pairs that behave raise nothing
    assert pairs["help"]["delay_days"] <= 1 and pairs["blocked"]["delay_days"] <= 1
    assert "support_help" in pairs["help"]["signals"] and "unreachable" in pairs["blocked"]["signals"]
    assert result["mentor_first"] == result["mentor_first_of"] == 1  # the drifting mentee's mentor heard first
    assert result["cards_worse"] == 0  # nothing got graver in 5 weeks: no "worse" card
    rows = cohort_figures.table(result)
    assert [row[0].split(" (")[0] for row in rows] == [
        "delay from the start of the trouble to the coordinator's first alert", "pairs alerted within 7 / 14 days",
        "false alerts on healthy pairs with everyday slips", "coordinator messages, coordinator acting on each alert",
        "the mentor told before the coordinator"]
