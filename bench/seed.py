"""Seeded databases for the benchmarks: straight into the tables, one executemany per table.

A programme with one coordinator and N binômes, each with its mentor and mentee onboarded and active
(Telegram ids `telegram_id(binome, role)`), started eight weeks ago, and a history the scan has to read:
four meetings (the last four days ago) with the reminder each person had the day before, two past
check-ins per person with the outbox row that sent them (so the outbox holds 12 sent messages per binôme,
the history an idle tick must not walk), answered (two answers each), and
in one binôme of TROUBLED_EVERY a meeting the mentee missed (with the absence) and a missed check-in, so a
few warning signs are found, two plan actions
(one done, one in progress) with their changes. Rows go in with the DB-API's `executemany`, ids chosen
here, times as the columns store them (naive UTC), so 100,000 binômes take seconds, not the ORM's
minutes. Columns added later (Binome.signals_dirty, OutboundMessage.priority…) keep their server
defaults unless a value is given and the column exists.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from storage.db import make_engine, upgrade

TELEGRAM_BASE = 500_000_000
CHUNK = 20_000
TROUBLED_EVERY = 500


def telegram_id(index: int, role: str) -> int:
    """The simulated phone of binôme `index`'s mentor or mentee."""
    return TELEGRAM_BASE + 2 * index + (1 if role == "mentee" else 0)


COORDINATOR_TELEGRAM_ID = TELEGRAM_BASE - 1


@dataclass
class Seeded:
    url: str
    binomes: int
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)
    programme_id: int = 0
    first_binome_id: int = 0
    first_participant_id: int = 0  # binôme i's mentor is first + 2i, its mentee first + 2i + 1

    def mentor_id(self, index: int) -> int:
        return self.first_participant_id + 1 + 2 * index

    def mentee_id(self, index: int) -> int:
        return self.first_participant_id + 2 + 2 * index

    def binome_id(self, index: int) -> int:
        return self.first_binome_id + index


class _Writer:
    """executemany per table on the raw DB-API connection, with the dialect's parameter style."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        self.columns = {name: {c["name"] for c in inspect(engine).get_columns(name)}
                        for name in inspect(engine).get_table_names()}
        self.rows: dict[str, int] = {}

    def when(self, value: datetime | None):
        if value is None:
            return None
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return f"{value:%Y-%m-%d %H:%M:%S.%f}" if self.sqlite else value

    def day(self, value: date | None):
        if value is None:
            return None
        return value.isoformat() if self.sqlite else value

    def next_id(self, connection, table: str) -> int:
        return (connection.execute(text(f"SELECT max(id) FROM {table}")).scalar() or 0) + 1

    def insert(self, connection, table: str, rows: list[dict]) -> None:
        if not rows:
            return
        names = [n for n in rows[0] if n in self.columns[table]]
        mark = "?" if self.sqlite else "%s"
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"
        raw = connection.connection.driver_connection
        cursor = raw.cursor()
        for start in range(0, len(rows), CHUNK):
            cursor.executemany(sql, [tuple(row[n] for n in names) for row in rows[start:start + CHUNK]])
        cursor.close()
        self.rows[table] = self.rows.get(table, 0) + len(rows)

    def fix_sequences(self, connection) -> None:
        if self.sqlite:
            return
        for table in self.rows:
            if "id" in self.columns[table]:
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT coalesce(max(id), 1) FROM {table}))"))


def period_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def seed(url: str, binomes: int, *, now: datetime, migrate: bool = True) -> Seeded:
    """N binômes with their history (see the module's docstring); returns where the ids start."""
    started = time.perf_counter()
    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    w = _Writer(engine)
    seeded = Seeded(url=url, binomes=binomes, seconds=0.0)
    start_day = (now - timedelta(days=56)).date()
    end_day = start_day + timedelta(days=183)
    with engine.begin() as connection:
        programme_id = w.next_id(connection, "programme")
        w.insert(connection, "programme", [dict(
            id=programme_id, name=f"Bench {programme_id} {binomes}", timezone="Europe/Brussels", language="fr",
            vocabulary="mentor", duration_months=6, meetings_per_month=2,
            # No quiet hours: the scenarios run at the real time of day and the sender checks them at send time.
            options=json.dumps({"quiet_hours": "00:00-00:00"}),
            created_at=w.when(now - timedelta(days=60)))])
        first_person = w.next_id(connection, "participant")
        first_binome = w.next_id(connection, "binome")
        seeded.programme_id, seeded.first_binome_id, seeded.first_participant_id = (
            programme_id, first_binome, first_person)
        joined = w.when(now - timedelta(days=58))
        people = [dict(id=first_person, programme_id=programme_id, role="coordinator", first_name="Claire",
                       last_name="Coord", language="fr", import_key=f"bench|{programme_id}|coordinator",
                       status="active", telegram_user_id=COORDINATOR_TELEGRAM_ID,
                       telegram_chat_id=COORDINATOR_TELEGRAM_ID, consent_at=joined, linked_at=joined,
                       onboarded_at=joined, created_at=joined)]
        pairs = []
        for i in range(binomes):
            mentor, mentee = first_person + 1 + 2 * i, first_person + 2 + 2 * i
            for pid, role, name in ((mentor, "mentor", "Marc"), (mentee, "mentee", "Amina")):
                people.append(dict(id=pid, programme_id=programme_id, role=role, first_name=f"{name}{i}",
                                   last_name="", language="fr", import_key=f"bench|{i}|{role}", status="active",
                                   telegram_user_id=telegram_id(i, role), telegram_chat_id=telegram_id(i, role),
                                   consent_at=joined, linked_at=joined, onboarded_at=joined, created_at=joined))
            pairs.append(dict(id=first_binome + i, programme_id=programme_id, label=f"B{i:06d}", mentor_id=mentor,
                              mentee_id=mentee, status="active", started_on=w.day(start_day),
                              planned_end_on=w.day(end_day), created_at=joined))
        w.insert(connection, "participant", people)
        del people
        w.insert(connection, "binome", pairs)
        del pairs
        _history(connection, w, seeded, now, start_day)
        w.fix_sequences(connection)
    engine.dispose()
    seeded.rows, seeded.seconds = w.rows, time.perf_counter() - started
    return seeded


def _history(connection, w: _Writer, seeded: Seeded, now: datetime, start_day: date) -> None:
    meetings, absences, checkins, answers, actions, changes, sent = [], [], [], [], [], [], []
    meeting_id, checkin_id = w.next_id(connection, "meeting"), w.next_id(connection, "checkin")
    action_id, message_id = w.next_id(connection, "plan_action"), w.next_id(connection, "outbound_message")

    def was_sent(participant: int, kind: str, key: str, at: datetime, params: dict) -> None:
        nonlocal message_id
        sent.append(dict(id=message_id, participant_id=participant, kind=kind, params=json.dumps(params),
                         idempotency_key=key, due_at=w.when(at), stale_after=w.when(at + timedelta(hours=12)),
                         attempts=1, sent_at=w.when(at), telegram_message_id=message_id, created_at=w.when(at)))
        message_id += 1
    base = datetime.combine(start_day, datetime.min.time(), tzinfo=timezone.utc)
    for i in range(seeded.binomes):
        binome, mentor, mentee = seeded.binome_id(i), seeded.mentor_id(i), seeded.mentee_id(i)
        troubled = i % TROUBLED_EVERY == 0  # one binôme in TROUBLED_EVERY: an absence and a missed check-in
        plan = ((7, "held"), (21, "held"), (35, "mentee_absent" if troubled else "held"), (52, "held"))
        for n, (day, status) in enumerate(plan):
            at = base + timedelta(days=day, hours=16)
            meetings.append(dict(id=meeting_id, binome_id=binome, starts_at=w.when(at), duration_minutes=90,
                                 place_kind="workplace", awaiting_place_detail=False, status=status,
                                 proposed_by=mentor, proposed_at=w.when(at - timedelta(days=3)),
                                 confirmed_at=w.when(at - timedelta(days=2)), outcome_at=w.when(at + timedelta(hours=2)),
                                 outcome_by=mentor, sequence=0, created_at=w.when(at - timedelta(days=3))))
            for pid in (mentor, mentee):  # the reminder each had the day before: the outbox's history
                was_sent(pid, "meeting_reminder", f"bench:meeting:{meeting_id}:reminder:{pid}",
                         at - timedelta(days=1), {"meeting_id": meeting_id})
            if status == "mentee_absent":
                absences.append(dict(meeting_id=meeting_id, participant_id=mentee, reason="ill",
                                     announced_at=w.when(at - timedelta(hours=5)), announced_by=mentee, excused=True))
            meeting_id += 1
        for n, day in enumerate((10, 38)):
            due = base + timedelta(days=day, hours=16)
            for pid, role in ((mentee, "mentee"), (mentor, "mentor")):
                answered = role == "mentor" or n == 0 or not troubled
                checkins.append(dict(
                    id=checkin_id, binome_id=binome, participant_id=pid, role=role,
                    period=period_key(start_day + timedelta(days=day)), due_at=w.when(due),
                    status="answered" if answered else "missed", sent_at=w.when(due),
                    reminded_at=None if answered else w.when(due + timedelta(hours=24)),
                    answered_at=w.when(due + timedelta(hours=1)) if answered else None,
                    completed_at=w.when(due + timedelta(hours=1)) if answered else None,
                    missed_at=None if answered else w.when(due + timedelta(hours=72)), late=False,
                    step="done" if answered else "mood", mood=4 if answered else None, concern=False,
                    share_with_mentor=False, share_word_with_mentor=False, share_with_coordinator=False,
                    action_ids="", created_at=w.when(due - timedelta(days=7))))
                was_sent(pid, "checkin", f"checkin:{checkin_id}:sent", due, {"checkin_id": checkin_id})
                if answered:
                    for question, value in (("mood", "4"), ("share", "no")):
                        answers.append(dict(checkin_id=checkin_id, at=w.when(due + timedelta(hours=1)),
                                            question=question, value=value))
                checkin_id += 1
        for n, status in enumerate(("done", "in_progress")):
            created = base + timedelta(days=8 + n)
            changed = created + timedelta(days=10) if status == "done" else now - timedelta(days=3)
            actions.append(dict(id=action_id, binome_id=binome, title=f"Action {n + 1}", category=None,
                                due_on=w.day((now + timedelta(days=7 + 7 * n)).date()), status=status,
                                created_by=mentee, created_at=w.when(created), changed_at=w.when(changed),
                                status_changed_at=w.when(changed)))
            changes.append(dict(action_id=action_id, at=w.when(created), by=mentee, field="created", old=None,
                                new=f"Action {n + 1}"))
            changes.append(dict(action_id=action_id, at=w.when(changed), by=mentee, field="status", old="todo",
                                new=status))
            action_id += 1
        if len(meetings) >= CHUNK:
            _flush(connection, w, meetings, absences, checkins, answers, actions, changes, sent)
    _flush(connection, w, meetings, absences, checkins, answers, actions, changes, sent)


def _flush(connection, w: _Writer, meetings, absences, checkins, answers, actions, changes, sent) -> None:
    for table, rows in (("meeting", meetings), ("absence", absences), ("checkin", checkins),
                        ("checkin_answer", answers), ("plan_action", actions), ("plan_action_change", changes),
                        ("outbound_message", sent)):
        w.insert(connection, table, rows)
        rows.clear()


def due_checkins(url: str, seeded: Seeded, indexes: range, *, due_at: datetime, now: datetime) -> list[int]:
    """A SCHEDULED check-in of this period for each mentee of `indexes`, due at `due_at`: the tick sends them."""
    engine = make_engine(url)
    w = _Writer(engine)
    with engine.begin() as connection:
        first = w.next_id(connection, "checkin")
        rows = [dict(id=first + n, binome_id=seeded.binome_id(i), participant_id=seeded.mentee_id(i), role="mentee",
                     period=period_key(now.date()), due_at=w.when(due_at), status="scheduled", late=False, step="",
                     concern=False, share_with_mentor=False, share_word_with_mentor=False,
                     share_with_coordinator=False, action_ids="", created_at=w.when(now - timedelta(days=1)))
                for n, i in enumerate(indexes)]
        w.insert(connection, "checkin", rows)
        w.fix_sequences(connection)
    engine.dispose()
    return [row["id"] for row in rows]


def open_checkins_in_outbox(url: str, seeded: Seeded, recipients: list[int], *, now: datetime,
                            priority: int | None) -> int:
    """An OPEN check-in and its outbox row due now for each participant id: a fan-out the next tick sends.
    `priority` is the outbox's priority for the kind where that column exists (None leaves its default)."""
    engine = make_engine(url)
    w = _Writer(engine)
    with engine.begin() as connection:
        first = w.next_id(connection, "checkin")
        first_message = w.next_id(connection, "outbound_message")
        checkins, messages = [], []
        for n, pid in enumerate(recipients):
            index, role = divmod(pid - seeded.first_participant_id - 1, 2)
            checkins.append(dict(id=first + n, binome_id=seeded.binome_id(index), participant_id=pid,
                                 role="mentee" if role else "mentor", period=period_key(now.date()),
                                 due_at=w.when(now), status="open", sent_at=w.when(now), late=False,
                                 step="mood" if role else "fine", concern=False, share_with_mentor=False,
                                 share_word_with_mentor=False, share_with_coordinator=False, action_ids="",
                                 created_at=w.when(now - timedelta(days=1))))
            message = dict(id=first_message + n, participant_id=pid, kind="checkin",
                           params=json.dumps({"checkin_id": first + n}),
                           idempotency_key=f"checkin:{first + n}:sent", due_at=w.when(now),
                           stale_after=w.when(now + timedelta(hours=12)), attempts=0, created_at=w.when(now))
            if priority is not None:
                message["priority"] = priority
            messages.append(message)
        w.insert(connection, "checkin", checkins)
        w.insert(connection, "outbound_message", messages)
        w.fix_sequences(connection)
    engine.dispose()
    return len(messages)
