"""The figures of the cohort simulation (bench/cohort.py), read from what the bot really did: the alert
rows, and the outbox rows really sent (their `sent_at` on the moved clock), and the coordinator's chat
on the local Bot API (cards edited in place).

- delay: for the pairs turning at risk by drift, absences, mood or a disengaging mentor, from the start
  of the trouble to the first time the coordinator was told of an alert opened since then (its first
  card sent; an alert told by another message, such as the unreachable notice, counts from its opening);
- false alerts: alerts opened on the healthy pairs, per binôme-month (a month of 30.44 days);
- coordinator messages: the new messages the coordinator got, per week of the run: the outbox rows sent to
  them, but an edit of the card in place (storage.cards) counts only when it carried a notice (a short
  message replying to the card) or went as a new message (the card could not be edited); silent edits are
  counted apart;
- the mentor first: for the drifting mentees (the ladder's case: check-ins missed in a row), whether
  the mentor's soft warning was sent before the coordinator was told.
"""
from __future__ import annotations

import statistics
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from storage.models import Alert, OutboundMessage, Participant, Role

DELAY_KINDS = ("drift", "absent", "mood", "mentor")
MONTH = timedelta(days=30.44)


def _days(delta: timedelta) -> float:
    return round(delta / timedelta(days=1), 1)


def figures(session: Session, cohort, *, start: datetime, end: datetime, coordinator_chat) -> dict:
    alerts = {a.id: a for a in session.exec(select(Alert)).all()}
    coordinators = set(session.exec(select(Participant.id).where(Participant.role == Role.COORDINATOR)).all())
    sent = session.exec(select(OutboundMessage).where(col(OutboundMessage.sent_at).is_not(None))
                        .order_by(OutboundMessage.sent_at)).all()
    told: dict[int, datetime] = {}  # alert id → first card sent to a coordinator
    by_id = {m.id: m for m in sent}
    to_coordinator = [m for m in sent if m.participant_id in coordinators]
    silent = [m for m in to_coordinator if m.edits_id is not None and not (m.params or {}).get("notices")
              and by_id.get(m.edits_id) is not None and by_id[m.edits_id].telegram_message_id == m.telegram_message_id]
    quiet = {m.id for m in silent}
    to_coordinator_all, to_coordinator = to_coordinator, [m for m in to_coordinator if m.id not in quiet]
    for message in to_coordinator_all:
        alert_ids = (message.params or {}).get("alert_ids") or [(message.params or {}).get("alert_id")]
        for alert_id in alert_ids:
            if alert_id in alerts:
                told.setdefault(alert_id, message.sent_at)
    soft = {}
    for message in sent:
        if message.kind == "mentor_soft_warning":
            soft.setdefault(message.participant_id, message.sent_at)

    delays, per_pair, mentor_first = [], [], []
    for pair in cohort:
        if pair.trouble_at is None:
            continue
        moments = [told.get(a.id, a.opened_at) for a in alerts.values()
                   if a.binome_id == pair.binome_id and a.opened_at >= pair.trouble_at]
        first = min(moments, default=None)
        delay = _days(first - pair.trouble_at) if first else None
        per_pair.append({"binome": pair.index + 1, "kind": pair.kind, "trouble_at": pair.trouble_at.isoformat(),
                         "first_alert_at": first.isoformat() if first else None, "delay_days": delay,
                         "signals": sorted({a.signal for a in alerts.values() if a.binome_id == pair.binome_id
                                            and a.opened_at >= pair.trouble_at})})
        if pair.kind in DELAY_KINDS:
            delays.append(delay if delay is not None else float("inf"))
        if pair.kind == "drift":
            warned = soft.get(pair.mentor_id)
            mentor_first.append(bool(warned and warned >= pair.trouble_at and (first is None or warned < first)))

    healthy = [p for p in cohort if p.trouble_at is None]
    months = len(healthy) * ((end - start) / MONTH)
    false = [a for a in alerts.values() if a.binome_id in {p.binome_id for p in healthy}]
    weeks = max(1, round((end - start) / timedelta(weeks=1)))
    per_week = [0] * weeks
    for message in to_coordinator:
        per_week[min(weeks - 1, int((message.sent_at - start) / timedelta(weeks=1)))] += 1
    which = []  # why each new message about alerts came: a new card's reason, or each reason its notice tells
    for m in to_coordinator:
        if m.kind == "alert":
            notices = (m.params or {}).get("notices")
            which += [n[0] for n in notices] if notices else [(m.params or {}).get("which")]
    at_risk = [p for p in per_pair]
    finite = [d for d in delays if d != float("inf")]
    return {
        "delay_median_days": statistics.median(delays) if delays else None,
        "delay_max_days": max(delays) if delays else None,
        "delays_days": delays,
        "at_risk": len(at_risk),
        "alerted": sum(1 for p in at_risk if p["delay_days"] is not None),
        "within_7": sum(1 for p in at_risk if p["delay_days"] is not None and p["delay_days"] <= 7),
        "within_14": sum(1 for p in at_risk if p["delay_days"] is not None and p["delay_days"] <= 14),
        "false_alerts": len(false),
        "false_alert_signals": sorted(a.signal for a in false),
        "false_per_binome_month": round(len(false) / months, 3) if months else None,
        "coordinator_messages": len(to_coordinator),
        "coordinator_per_week": round(len(to_coordinator) / weeks, 1),
        "coordinator_peak_week": max(per_week),
        "coordinator_by_kind": {k: sum(1 for m in to_coordinator if m.kind == k) for k in sorted({m.kind for m in to_coordinator})},
        "cards_new": sum(1 for w in which if w == "new"),
        "cards_worse": sum(1 for w in which if w == "worse"),
        "cards_reminders": sum(1 for w in which if w in ("renotify", "escalate", "unsnoozed")),
        "silent_edits": len(silent),
        "cards_edited_in_place": sum(m.edited for m in coordinator_chat.messages),
        "mentor_first": sum(mentor_first),
        "mentor_first_of": len(mentor_first),
        "pairs": per_pair,
        "finite_delays": len(finite),
    }


def _n(value, digits: int = 1) -> str:
    if value is None:
        return "-"
    if value == float("inf"):
        return "never"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def table(r: dict) -> list[tuple[str, str, str]]:
    return [
        ("delay from the start of the trouble to the coordinator's first alert (drift, absences, mood, mentor)",
         f"median {_n(r['delay_median_days'])} days, max {_n(r['delay_max_days'])}", "median ≤ 7 days, max ≤ 14"),
        ("pairs alerted within 7 / 14 days", f"{r['within_7']} / {r['within_14']} of {r['at_risk']}"
                                             f" ({r['alerted']} alerted at all)", f"{r['at_risk']} / {r['at_risk']} within 14"),
        ("false alerts on healthy pairs with everyday slips",
         f"{_n(r['false_per_binome_month'], 2)} per binôme-month ({r['false_alerts']}: "
         f"{', '.join(r['false_alert_signals']) or 'none'})", "≤ 0.05"),
        ("coordinator messages, coordinator acting on each alert",
         f"{_n(r['coordinator_per_week'])} a week (peak {r['coordinator_peak_week']}); {r['cards_worse']} \"worse\" "
         f"against {r['cards_new']} new; {r['cards_reminders']} reminders; {r.get('silent_edits', '-')} silent edits; "
         f"{r['cards_edited_in_place']} edits in place in all",
         "≤ 6 a week, \"worse\" only when it changes what to do"),
        ("the mentor told before the coordinator (drifting mentees)",
         f"{r['mentor_first']} of {r['mentor_first_of']}", "the mentor first wherever the ladder says so"),
    ]


def print_table(r: dict) -> None:
    rows = table(r)
    print("| figure | measured | goal |\n|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print("\nby kind sent to the coordinator:", r["coordinator_by_kind"])
    for p in r["pairs"]:
        print(f"  B{p['binome']:02d} {p['kind']:8s} trouble {p['trouble_at'][:16]}  first alert "
              f"{(p['first_alert_at'] or '-')[:16]}  delay {_n(p['delay_days'])}  {', '.join(p['signals'])}")
