"""The scan grows with what changed and what is due, and the chat never waits for it.

- `signals.next_change_at` is exact: findings stay the same until then, and differ then (a property);
- a change through the bot marks exactly its binôme (storage.dirty), which the next scan evaluates;
  time reaching a binôme's `signals_due_at` does the same; nothing changed, nothing is evaluated and
  the queries do not grow with the number of binômes;
- the alerts come out the same as evaluating every binôme at every scan (the old scan, kept here);
- a /plan sent while a scan is held in the middle is answered before the scan finishes.
"""
from __future__ import annotations

import asyncio
import random
import shutil
import threading
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event, insert
from sqlmodel import select

from bot import scheduler
from storage import alerts as alert_rules
from storage import signals
from storage.db import make_engine, session_scope
from storage.models import (ActionStatus, Alert, Binome, BinomeStatus, CheckIn, CheckInStatus, Meeting,
                            MeetingStatus, Participant, ParticipantStatus, PlanAction, Programme, Role,
                            SupportKind, SupportRequest)
from storage.scheduled import alerts as scheduled_alerts
from tests.test_alerts import seed
from tests.test_meetings import tap

NOW = datetime(2026, 10, 5, 9, 0, tzinfo=timezone.utc)


# ---------------------------------------------------------------- next_change_at, as a property

def _history(draw_meetings, draw_actions, started_days, end_days, last_change) -> signals.History:
    mentor = Participant(id=1, programme_id=1, role=Role.MENTOR, first_name="M", import_key="m", created_at=NOW)
    mentee = Participant(id=2, programme_id=1, role=Role.MENTEE, first_name="E", import_key="e", created_at=NOW)
    binome = Binome(id=1, programme_id=1, label="B", mentor_id=1, mentee_id=2,
                    started_on=NOW.date() - timedelta(days=started_days),
                    planned_end_on=NOW.date() + timedelta(days=end_days), created_at=NOW)
    meetings = sorted((Meeting(id=i + 1, binome_id=1, starts_at=NOW + timedelta(hours=h), status=status, proposed_by=1,
                               created_at=NOW) for i, (h, status) in enumerate(draw_meetings)),
                      key=lambda m: (m.starts_at, m.id))
    actions = [PlanAction(id=i + 1, binome_id=1, title="t", status=status, created_by=2, created_at=NOW,
                          changed_at=NOW + timedelta(hours=changed), status_changed_at=NOW + timedelta(hours=status_at))
               for i, (status, changed, status_at) in enumerate(draw_actions)]
    return signals.History(binome, mentor, mentee, meetings, [], [], actions,
                           None if last_change is None else NOW + timedelta(hours=last_change), [])


hours = st.integers(min_value=-24 * 80, max_value=24 * 40)
histories = st.builds(
    _history,
    st.lists(st.tuples(hours, st.sampled_from(list(MeetingStatus))), max_size=5),
    st.lists(st.tuples(st.sampled_from(list(ActionStatus)), hours, hours), max_size=4),
    st.integers(min_value=0, max_value=200), st.integers(min_value=-20, max_value=120), st.none() | hours)
option_sets = st.builds(signals.SignalOptions, first_meeting_days=st.integers(1, 30),
                        plan_stalled_days=st.integers(1, 40), action_blocked_days=st.integers(1, 20),
                        closure_warning_days=st.integers(0, 30), meetings_per_month=st.integers(1, 4),
                        no_meeting_factor=st.sampled_from([1.0, 1.5, 2.25]))


@settings(max_examples=300, deadline=None)
@given(histories, option_sets, st.integers(min_value=0, max_value=24 * 3600 * 30))
def test_findings_stay_until_next_change_at_and_differ_then(history, options, seconds):
    now = NOW + timedelta(seconds=seconds, microseconds=seconds % 997)
    at = signals.next_change_at(history, now, options)
    found = signals.findings_for(history, now, options)
    if at is None:
        for later in (timedelta(days=1), timedelta(days=400), timedelta(days=4000)):
            assert signals.findings_for(history, now + later, options) == found
        return
    assert at > now
    tiny = timedelta(microseconds=1)
    for moment in (now + tiny, now + (at - now) / 3, now + (at - now) / 2, at - tiny):
        if now < moment < at:
            assert signals.findings_for(history, moment, options) == found, moment
    assert signals.findings_for(history, at, options) != found


# ---------------------------------------------------------------- the scan, on seeded databases

def seed_pairs(engine, n: int, *, rnd: random.Random, first_id: int = 1, programme_id: int = 1) -> None:
    """n active pairs, straight into the database (a few hundred in well under a second), with some
    meetings, check-ins and actions of their own."""
    with engine.begin() as c:
        c.execute(insert(Programme), [dict(id=programme_id, name=f"P{programme_id}", timezone="Europe/Brussels",
                                           meetings_per_month=2, duration_months=6, options={}, created_at=NOW)])
        people, pairs, meetings, checkins, actions = [], [], [], [], []
        for i in range(first_id, first_id + n):
            mentor, mentee = 2 * i - 1, 2 * i
            for pid, role in ((mentor, Role.MENTOR), (mentee, Role.MENTEE)):
                people.append(dict(id=pid, programme_id=programme_id, role=role, first_name="X", import_key=f"k{pid}",
                                   status=ParticipantStatus.ACTIVE, onboarded_at=NOW - timedelta(days=90),
                                   unreachable_since=NOW if rnd.random() < 0.03 else None, created_at=NOW))
            start = NOW.date() - timedelta(days=rnd.randint(0, 150))
            pairs.append(dict(id=i, programme_id=programme_id, label=f"B{i}", mentor_id=mentor, mentee_id=mentee,
                              status=BinomeStatus.ACTIVE, started_on=start, planned_end_on=start + timedelta(days=182),
                              created_at=NOW))
            for _ in range(rnd.randint(0, 3)):
                at = NOW - timedelta(days=rnd.randint(-10, 40), hours=rnd.randint(0, 23))
                meetings.append(dict(binome_id=i, starts_at=at, proposed_by=mentor, created_at=NOW,
                                     status=MeetingStatus.CONFIRMED if at > NOW else
                                     rnd.choice([MeetingStatus.HELD, MeetingStatus.MENTEE_ABSENT])))
            for k in range(rnd.randint(0, 4)):
                due = NOW - timedelta(days=7 * (k + 1))
                for pid, role in ((mentor, Role.MENTOR), (mentee, Role.MENTEE)):
                    status = rnd.choice([CheckInStatus.ANSWERED, CheckInStatus.MISSED])
                    checkins.append(dict(binome_id=i, participant_id=pid, role=role, period=f"W{k}", due_at=due,
                                         status=status, created_at=due,
                                         answered_at=due if status == CheckInStatus.ANSWERED else None,
                                         mood=rnd.randint(1, 5) if status == CheckInStatus.ANSWERED else None))
            if rnd.random() < 0.6:
                changed = NOW - timedelta(days=rnd.randint(0, 40))
                actions.append(dict(binome_id=i, title="t", created_by=mentee, created_at=changed, changed_at=changed,
                                    status_changed_at=changed, status=rnd.choice(list(ActionStatus))))
        for table, rows in ((Participant, people), (Binome, pairs), (Meeting, meetings), (CheckIn, checkins),
                            (PlanAction, actions)):
            if rows:
                c.execute(insert(table), rows)


class Evaluated:
    """Which binômes the scan evaluated (it asks signals.next_change_at once for each)."""

    def __init__(self, monkeypatch):
        self.ids: list[int] = []
        real = signals.next_change_at

        def counting(history, now, options):
            self.ids.append(history.binome.id)
            return real(history, now, options)

        monkeypatch.setattr(signals, "next_change_at", counting)

    def take(self) -> list[int]:
        ids, self.ids = sorted(self.ids), []
        return ids


def scan(engine, now: datetime) -> None:
    """One scan of the tick's steps, as the tick runs them (without sending)."""
    for _name, step in scheduler.STEPS:
        with session_scope(engine) as s:
            step(s, now, scan=True)


def statements(engine, action) -> int:
    count = [0]

    def counted(*_args, **_kwargs):
        count[0] += 1

    event.listen(engine, "before_cursor_execute", counted)
    try:
        action()
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    return count[0]


@pytest.fixture
def second_engine(tmp_path, migrated_database):
    path = tmp_path / "second.sqlite3"
    shutil.copy(migrated_database, path)
    engine = make_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


def test_nothing_changed_nothing_evaluated_and_queries_do_not_grow_with_binomes(engine, second_engine,
                                                                                monkeypatch):
    evaluated = Evaluated(monkeypatch)
    counts = {}
    for db, n in ((engine, 100), (second_engine, 300)):
        seed_pairs(db, n, rnd=random.Random(n))
        scan(db, NOW)
        assert len(evaluated.take()) == n  # never looked at: all of them
        counts[n] = statements(db, lambda: scan(db, NOW + timedelta(minutes=15)))
        assert evaluated.take() == []
    assert counts[100] == counts[300], counts
    assert counts[300] < 30


def test_time_reaching_signals_due_at_brings_exactly_those_binomes_back(engine, monkeypatch):
    evaluated = Evaluated(monkeypatch)
    seed_pairs(engine, 60, rnd=random.Random(3))
    scan(engine, NOW)
    evaluated.take()
    with session_scope(engine) as s:
        due = {b.id: b.signals_due_at for b in s.exec(select(Binome)).all()}
        assert not any(b.signals_dirty for b in s.exec(select(Binome)).all())
    first = min(d for d in due.values() if d is not None)
    scan(engine, first - timedelta(microseconds=1))
    assert evaluated.take() == []
    scan(engine, first)
    assert evaluated.take() == sorted(b for b, d in due.items() if d == first)


def test_alerts_are_the_same_as_evaluating_every_binome_at_every_scan(engine, second_engine, monkeypatch):
    """The same seeded data and the same changes in two databases: one scanned by the tick, the other by
    the old scan (every active binôme evaluated each time); after 40 days of scans every 12 hours the
    alerts are the same."""
    for db in (engine, second_engine):
        seed_pairs(db, 30, rnd=random.Random(11))

    def old_scan(db, now):
        with session_scope(db) as s:
            for binome in s.exec(select(Binome).where(Binome.status == BinomeStatus.ACTIVE)).all():
                options = signals.signal_options(s.get(Programme, binome.programme_id))
                for alert, why in alert_rules.sync(session=s, binome=binome, now=now,
                                                   findings=signals.evaluate(s, binome, now, options)):
                    alert_rules.notify(session=s, alert=alert, now=now, which="worse" if why == "worse" else "new")

    def new_scan(db, now):
        with session_scope(db) as s:
            scheduled_alerts.queue_due_work(s, now, scan=True)

    def change(db, step, now):
        rnd = random.Random(step)
        with session_scope(db) as s:
            binome = s.get(Binome, rnd.randint(1, 30))
            what = step % 5
            if what == 0:
                s.add(Meeting(binome_id=binome.id, starts_at=now - timedelta(hours=2), status=MeetingStatus.HELD,
                              proposed_by=binome.mentor_id, created_at=now))
            elif what == 1:
                s.add(SupportRequest(binome_id=binome.id, participant_id=binome.mentee_id, kind=SupportKind.HELP,
                                     at=now))
            elif what == 2:
                s.add(CheckIn(binome_id=binome.id, participant_id=binome.mentee_id, role=Role.MENTEE,
                              period=f"S{step}", due_at=now, status=CheckInStatus.MISSED, created_at=now))
            elif what == 3:
                action = s.exec(select(PlanAction).where(PlanAction.binome_id == binome.id)).first()
                if action is not None:
                    action.status, action.status_changed_at = ActionStatus.BLOCKED, now
                    s.add(action)
            elif what == 4:
                mentor = s.get(Participant, binome.mentor_id)
                mentor.unreachable_since = None if mentor.unreachable_since else now
                s.add(mentor)
            alert = s.exec(select(Alert).where(Alert.status == "open").order_by(Alert.id)).first()
            if alert is not None and step % 7 == 0:  # a coordinator snoozes one
                alert.status, alert.snoozed_until = "snoozed", now + timedelta(days=3)
                s.add(alert)

    def alerts(db):
        with session_scope(db) as s:
            return sorted((a.binome_id, a.signal, a.about_id or 0, a.level, a.severity, str(a.status),
                           sorted(a.facts.items()).__repr__(), a.opened_at, a.snoozed_until or NOW)
                          for a in s.exec(select(Alert)).all())

    now = NOW
    for step in range(80):
        for db, run in ((engine, new_scan), (second_engine, old_scan)):
            if step % 2 == 1:
                change(db, step, now)
            run(db, now)
        now += timedelta(hours=12)
    assert alerts(engine) == alerts(second_engine)
    assert len(alerts(engine)) > 30


# ---------------------------------------------------------------- through the bot

async def test_a_change_through_the_bot_marks_exactly_that_binome(harness, session, clock, monkeypatch):
    pairs = [seed(harness, session, clock, name=f"Programme {k}", label=f"B{k}", mentor=f"Marc{k}",
                  mentee=f"Amina{k}", coordinator=f"Claire{k}") for k in range(3)]
    evaluated = Evaluated(monkeypatch)
    await harness.tick()
    assert evaluated.take() == sorted(ids["binome"] for ids, _ in pairs)
    clock.advance(minutes=15)
    await harness.tick()
    assert evaluated.take() == []

    ids, users = pairs[1]
    amina = users["mentee"]
    await amina.send("/help")
    await tap(amina, await amina.wait_for_message(), "I need help")
    await amina.wait_for_message()
    clock.advance(minutes=15)
    await harness.tick()
    assert evaluated.take() == [ids["binome"]]

    ids, _ = pairs[2]  # a check-in left unanswered is recorded missed by the tick: evaluated in that tick
    with session() as s:
        s.add(CheckIn(binome_id=ids["binome"], participant_id=ids["mentee"], role=Role.MENTEE, period="X",
                      due_at=clock.now() - timedelta(days=3), status=CheckInStatus.OPEN,
                      sent_at=clock.now() - timedelta(days=3), reminded_at=clock.now() - timedelta(days=2),
                      answered_at=None, created_at=clock.now()))
    assert evaluated.take() == []
    clock.advance(minutes=15)
    await harness.tick()
    with session() as s:
        assert s.exec(select(CheckIn).where(CheckIn.period == "X")).one().status == CheckInStatus.MISSED
    assert evaluated.take() == [ids["binome"]]

    ids, _ = pairs[0]
    with session() as s:  # a meeting planned
        s.add(Meeting(binome_id=ids["binome"], starts_at=clock.now() + timedelta(days=2),
                      status=MeetingStatus.CONFIRMED, proposed_by=ids["mentor"], created_at=clock.now()))
    clock.advance(minutes=15)
    await harness.tick()
    assert evaluated.take() == [ids["binome"]]


async def test_a_plan_sent_while_a_scan_is_held_is_answered_before_it_ends(harness, session, clock, monkeypatch):
    pairs = [seed(harness, session, clock, name=f"Programme {k}", label=f"B{k}", mentor=f"Marc{k}",
                  mentee=f"Amina{k}", coordinator=f"Claire{k}") for k in range(2)]
    held, release = threading.Event(), threading.Event()

    def held_scan(s, now, *, scan):
        ids = scheduled_alerts.due_for_scan(session=s, now=now)
        s.commit()
        scheduled_alerts.scan_slice(s, ids[:1], now)
        s.commit()
        held.set()
        assert release.wait(timeout=30)
        scheduled_alerts.scan_slice(s, ids[1:], now)

    monkeypatch.setattr(scheduler, "STEPS", [("held", held_scan)])
    ticking = asyncio.create_task(harness.tick())
    assert await asyncio.to_thread(held.wait, 30)
    amina = pairs[1][1]["mentee"]
    await amina.send("/plan")
    reply = await amina.wait_for_message(timeout=10)
    assert "plan" in reply.text.lower()
    assert not ticking.done()
    with session() as s:  # the scan is still in the middle: the second binôme not looked at yet
        marks = {b.id: b.signals_dirty for b in s.exec(select(Binome)).all()}
    assert marks == {pairs[0][0]["binome"]: False, pairs[1][0]["binome"]: True}
    release.set()
    await ticking
    with session() as s:
        assert not any(b.signals_dirty for b in s.exec(select(Binome)).all())


def test_a_programmes_thresholds_changed_mark_all_its_binomes(engine):
    seed_pairs(engine, 5, rnd=random.Random(1))
    seed_pairs(engine, 3, rnd=random.Random(2), first_id=6, programme_id=2)
    scan(engine, NOW)
    with session_scope(engine) as s:
        programme = s.get(Programme, 2)
        programme.options = {"plan_stalled_days": 7}
        s.add(programme)
    with session_scope(engine) as s:
        assert sorted(b.id for b in s.exec(select(Binome)).all() if b.signals_dirty) == [6, 7, 8]


def test_a_snoozed_alert_wakes_when_its_snooze_ends_though_nothing_else_is_due(engine):
    """Nothing about this pair changes with time for weeks (a help request, a meeting just held, the plan
    done): the scan still looks at it when the coordinator's snooze ends, and the alert is open again."""
    with session_scope(engine) as s:
        s.add(Programme(id=1, name="P", timezone="Europe/Brussels", options={}, created_at=NOW))
        s.flush()
        for pid, role in ((1, Role.MENTOR), (2, Role.MENTEE), (3, Role.COORDINATOR)):
            s.add(Participant(id=pid, programme_id=1, role=role, first_name="X", import_key=f"k{pid}",
                              status=ParticipantStatus.ACTIVE, telegram_chat_id=100 + pid, created_at=NOW))
        s.flush()
        s.add(Binome(id=1, programme_id=1, label="B", mentor_id=1, mentee_id=2, started_on=NOW.date(),
                     planned_end_on=NOW.date() + timedelta(days=180), created_at=NOW))
        s.flush()
        s.add(Meeting(binome_id=1, starts_at=NOW - timedelta(hours=3), status=MeetingStatus.HELD, proposed_by=1,
                      created_at=NOW))
        s.add(PlanAction(binome_id=1, title="t", status=ActionStatus.DONE, created_by=2, created_at=NOW,
                         changed_at=NOW, status_changed_at=NOW))
        s.add(SupportRequest(binome_id=1, participant_id=2, kind=SupportKind.HELP, at=NOW))
    scan(engine, NOW)
    with session_scope(engine) as s:
        alert = s.exec(select(Alert)).one()
        alert_rules.snooze(session=s, alert_id=alert.id, coordinator=s.get(Participant, 3), now=NOW,
                           for_=timedelta(days=2))
    scan(engine, NOW + timedelta(minutes=15))
    with session_scope(engine) as s:
        assert s.exec(select(Alert)).one().status == "snoozed"
        due = s.get(Binome, 1).signals_due_at
    assert due == NOW + timedelta(days=2)
    scan(engine, due)
    with session_scope(engine) as s:
        assert s.exec(select(Alert)).one().status == "open"
