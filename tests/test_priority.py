"""Replies before broadcasts: what a person does during a fan-out is answered before the rest of the
fan-out, an urgent outbox row goes before the bulk, the budget is kept, two senders on PostgreSQL never
take the same row, and paid broadcasts are opt-in for bulk rows only. Ordering and counts, never time."""
from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import select
from telegram import Bot
from telegram.error import RetryAfter
from telegram.request import HTTPXRequest

from bot.app import tick
from bot.rate_limit import REPLY, PriorityRateLimiter
from storage import outbox
from storage.db import make_engine, normalise_url, session_scope, upgrade
from storage.models import CheckIn, CheckInStatus, OutboundMessage, Participant, Role
from tests.conftest import require_postgres_url
from tests.factories import link, make_pair, make_programme
from tests.test_meetings import plan_meeting, seed as meeting_seed, tap


def open_checkin(s, binome, person, now: datetime) -> None:
    """A check-in open for this person, its message due now (what the tick queues on Wednesday)."""
    checkin = CheckIn(binome_id=binome.id, participant_id=person.id, role=person.role, period="fan-out", due_at=now,
                      status=CheckInStatus.OPEN, sent_at=now, step="mood", created_at=now)
    s.add(checkin)
    s.flush()
    outbox.enqueue(session=s, participant_id=person.id, kind="checkin", key=f"checkin:{checkin.id}:sent",
                   due_at=now, now=now, params={"checkin_id": checkin.id})


def fan_out(harness, session, clock, people: int, name: str = "Fan-out") -> set[int]:
    """`people` onboarded people in pairs, each with a check-in due now; their chat ids."""
    chats = set()
    with session() as s:
        programme = make_programme(s, clock.now(), name=name)
        for index in range(people // 2):
            mentor, mentee, binome = make_pair(s, programme, clock.now(), mentor=f"M{index}", mentee=f"E{index}",
                                               label=f"F{index:04d}")
            for person in (mentor, mentee):
                user = harness.server.user(first_name=person.first_name, language_code="fr")
                link(person, user, clock.now(), "fr")
                chats.add(user.id)
                s.flush()
                open_checkin(s, binome, person, clock.now())
    return chats


def sends(server, chats: set[int], start: int = 0, end: int | None = None) -> int:
    """sendMessage requests to these chats recorded between two points of the server's log."""
    return sum(1 for name, params, _ in server.requests[start:end]
               if name == "sendMessage" and int(params.get("chat_id", 0)) in chats)


def first_request_to(server, chat_id: int, start: int, methods: set[str]) -> int | None:
    for index, (name, params, status) in enumerate(server.requests[start:], start):
        if name in methods and str(params.get("chat_id")) == str(chat_id) and status == 200:
            return index
    return None


async def until(condition, what: str, timeout: float = 30) -> None:
    """Wait for something the bot does on its own (a fan-out runs on real time: Telegram's limits)."""
    async def poll():
        while not condition():
            await asyncio.sleep(0.005)
    try:
        await asyncio.wait_for(poll(), timeout)
    except TimeoutError:
        raise AssertionError(f"{what} not reached within {timeout}s") from None


async def test_a_button_pressed_during_a_fan_out_is_answered_before_the_rest_of_it(harness, session, clock):
    server = harness.server
    with session() as s:  # Zoé got her check-in earlier and answers it while the others' go out
        programme = make_programme(s, clock.now(), name="Zoé's")
        _, zoe_p, binome = make_pair(s, programme, clock.now(), mentor="Paul", mentee="Zoé", label="Z")
        zoe = server.user(first_name="Zoé", language_code="fr")
        link(zoe_p, zoe, clock.now(), "fr")
        s.flush()
        open_checkin(s, binome, zoe_p, clock.now())
    assert await harness.tick() == 1
    checkin = await zoe.wait_for_message()

    server.set_rate_limits(global_per_second=30, per_chat_per_second=1, burst=3)
    chats = fan_out(harness, session, clock, 200)
    sending = asyncio.create_task(tick(harness.application))
    await until(lambda: sends(server, chats) >= 20, "20 check-ins sent")
    pressed_at = len(server.requests)
    await zoe.callback_answer(await zoe.press(checkin, text=checkin.button_texts[0]), timeout=10)
    await until(lambda: first_request_to(server, zoe.id, pressed_at, {"sendMessage", "editMessageText"}) is not None,
                "Zoé's answer")
    answered_at = first_request_to(server, zoe.id, pressed_at, {"sendMessage", "editMessageText"})
    assert await sending == 200
    # Her answer went ahead of the fan-out's waiting requests (16 in flight): at most a couple slipped in
    # between her press reaching the bot and its answer, and most of the fan-out came after it.
    assert sends(server, chats, pressed_at, answered_at) <= 4
    assert sends(server, chats, answered_at) >= 100
    assert server.stats["429"] == 0
    assert sends(server, chats) == 200


async def test_an_absence_announced_during_a_fan_out_reaches_the_mentor_before_the_rest_of_it(
        harness, session, clock):
    server = harness.server
    mentor, mentee, marc, amina = meeting_seed(harness, session, clock)
    await plan_meeting(marc, "jeu. 10 sept.", "17:00")
    await harness.tick()
    await tap(amina, await amina.wait_for_message(), "Accepter")
    await harness.tick()

    server.set_rate_limits(global_per_second=30, per_chat_per_second=1, burst=3)
    chats = fan_out(harness, session, clock, 200, name="Everyone else")
    sending = asyncio.create_task(tick(harness.application))
    await until(lambda: sends(server, chats) >= 20, "20 check-ins sent")
    await amina.send("/absent")
    question = await amina.wait_for_message(predicate=lambda m: (m.text or "").startswith("Vous ne pouvez pas venir"))
    await amina.callback_answer(await amina.press(question, text="Entretien d'embauche"), timeout=10)
    warning = await marc.wait_for_message(predicate=lambda m: (m.text or "").startswith("⚠️ Amina"), timeout=20)
    warned_at = next(i for i, (name, params, _) in enumerate(server.requests)
                     if name == "sendMessage" and str(params.get("chat_id")) == str(marc.id)
                     and params.get("text", "").startswith("⚠️"))
    assert "Entretien d'embauche" in warning.text
    await sending
    assert sends(server, chats, warned_at) >= 100  # in the next round, not after the fan-out
    assert sends(server, chats) == 200 and server.stats["429"] == 0


async def test_waiting_requests_are_served_best_priority_first():
    limiter = PriorityRateLimiter(rate=40, burst=1)
    served = []

    async def request(label):
        served.append(label)
        return True

    async def send(label, priority):
        args = None if priority is None else {"priority": priority}
        return await limiter.process_request(request, (label,), {}, "sendMessage", {"chat_id": 1}, args)

    first = asyncio.create_task(send("first", 2))  # takes the one token
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(send(label, priority)) for label, priority in
               [("bulk a", 2), ("normal a", 1), ("urgent", 0), ("bulk b", 2), ("reply", None), ("normal b", 1)]]
    not_counted = await limiter.process_request(request, ("getUpdates",), {}, "getUpdates", {}, None)
    await asyncio.gather(first, *waiting)
    assert not_counted is True
    assert served == ["first", "getUpdates", "reply", "urgent", "normal a", "normal b", "bulk a", "bulk b"]
    assert REPLY < outbox.URGENT < outbox.NORMAL < outbox.BULK


async def test_the_overall_budget_is_kept_with_no_flood_refusal(harness):
    server = harness.server
    server.set_rate_limits(global_per_second=30, per_chat_per_second=None)
    people = [server.user(first_name=f"P{n}") for n in range(90)]
    for person in people:
        person.open_chat()
    bot = harness.application.bot  # the application's own limiter

    async def one(n, person):
        args = None if n % 3 == 0 else {"priority": n % 3}
        await bot.send_message(person.id, f"n{n}", rate_limit_args=args)

    await asyncio.gather(*(one(n, person) for n, person in enumerate(people)))
    assert server.stats["429"] == 0
    assert all(len(person.messages) == 1 for person in people)


def test_two_senders_on_postgresql_never_claim_the_same_row(clock):
    url = require_postgres_url()
    name = f"binome_h3_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    own_url = url.rsplit("/", 1)[0] + "/" + name
    engines = [make_engine(own_url), make_engine(own_url)]
    try:
        upgrade(engines[0])
        now = clock.now()
        with session_scope(engines[0]) as s:
            programme = make_programme(s, now)
            mentor, mentee, _ = make_pair(s, programme, now)
            for n in range(300):
                outbox.enqueue(session=s, participant_id=(mentor, mentee)[n % 2].id, kind="partner_joined",
                               key=f"claim:{n}", due_at=now - timedelta(seconds=n % 7), now=now,
                               params={"participant_id": mentee.id})
        start = threading.Barrier(2)
        claimed: list[list[int]] = [[], []]

        def claimer(index: int) -> None:
            while True:
                try:
                    start.wait()  # both claim at the same moment, round after round
                except threading.BrokenBarrierError:  # the other found nothing left
                    return
                with session_scope(engines[index]) as s:
                    ids = outbox.claim_due(session=s, now=now, limit=7, worker=f"w{index}",
                                           lease=timedelta(minutes=1))
                claimed[index].extend(ids)
                if not ids:
                    start.abort()
                    return

        threads = [threading.Thread(target=claimer, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not set(claimed[0]) & set(claimed[1])
        assert len(claimed[0]) + len(claimed[1]) == 300 and claimed[0] and claimed[1]
        with session_scope(engines[0]) as s:
            holders = {m.id: m.claimed_by for m in s.exec(select(OutboundMessage)).all()}
        assert {holders[i] for i in claimed[0]} == {"w0"} and {holders[i] for i in claimed[1]} == {"w1"}
    finally:
        for engine in engines:
            engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


async def test_claims_are_taken_by_priority_released_when_done_and_expire(session, clock):
    now = clock.now()
    with session() as s:
        programme = make_programme(s, now)
        mentor, mentee, _ = make_pair(s, programme, now)
        outbox.enqueue(session=s, participant_id=mentor.id, kind="checkin", key="bulk", due_at=now - timedelta(hours=1),
                       now=now, params={"checkin_id": 1})
        outbox.enqueue(session=s, participant_id=mentor.id, kind="partner_joined", key="normal",
                       due_at=now - timedelta(minutes=30), now=now, params={"participant_id": mentee.id})
        outbox.enqueue(session=s, participant_id=mentor.id, kind="absence_warning", key="urgent", due_at=now, now=now,
                       params={})
    with session() as s:
        keys = {m.id: m.idempotency_key for m in s.exec(select(OutboundMessage)).all()}
        first = outbox.claim_due(session=s, now=now, limit=2, worker="me", lease=timedelta(minutes=1))
    assert [keys[i] for i in first] == ["urgent", "normal"]
    with session() as s:  # held: not taken again by the same worker while the lease runs
        assert [keys[i] for i in outbox.claim_due(session=s, now=now, limit=5, worker="me",
                                                  lease=timedelta(minutes=1))] == ["bulk"]
        assert outbox.claim_due(session=s, now=now, limit=5, worker="me", lease=timedelta(minutes=1)) == []
    with session() as s:
        outbox.mark_sent(s.get(OutboundMessage, first[0]), now, 42)
    with session() as s:  # the lease ran out (its holder died): the unsent rows are taken again
        later = now + timedelta(minutes=2)
        again = outbox.claim_due(session=s, now=later, limit=5, worker="other", lease=timedelta(minutes=1))
        assert [keys[i] for i in again] == ["normal", "bulk"]
        assert s.get(OutboundMessage, first[0]).claimed_by is None


async def test_paid_broadcast_is_asked_for_bulk_sends_only_when_the_setting_is_on(harness, session, clock):
    server = harness.server
    chats = fan_out(harness, session, clock, 4)
    with session() as s:
        people = s.exec(select(Participant).where(Participant.role == Role.MENTOR)).all()
        outbox.enqueue(session=s, participant_id=people[0].id, kind="partner_joined", key="normal", due_at=clock.now(),
                       now=clock.now(), params={"participant_id": people[1].id})
    assert await harness.tick() == 5
    assert not any("allow_paid_broadcast" in params for params in server.calls("sendMessage"))

    harness.services.settings = harness.services.settings.model_copy(update={"paid_broadcast": True})
    more = fan_out(harness, session, clock, 4, name="Second")
    with session() as s:
        outbox.enqueue(session=s, participant_id=people[0].id, kind="partner_joined", key="normal 2",
                       due_at=clock.now(), now=clock.now(), params={"participant_id": people[1].id})
    before = len(server.calls("sendMessage"))
    assert await harness.tick() == 5
    paid = {int(p["chat_id"]): p.get("allow_paid_broadcast") for p in server.calls("sendMessage")[before:]}
    assert {chat for chat, flag in paid.items() if flag is True} == more
    assert paid[people[0].telegram_chat_id] is None  # a normal row: never paid
    assert set(paid) == more | {people[0].telegram_chat_id} and chats & more == set()


async def test_the_local_bot_api_allows_1000_a_second_for_paid_broadcasts_only(harness):
    server = harness.server
    server.set_rate_limits(global_per_second=30, per_chat_per_second=None)
    people = [server.user(first_name=f"P{n}") for n in range(120)]
    for person in people:
        person.open_chat()
    # No limiter on our side: the server's own limit is under test.
    bot = Bot(server.token, base_url=server.base_url, request=HTTPXRequest(connection_pool_size=32))

    async def send(person, **paid):
        try:
            await bot.send_message(person.id, "x", **paid)
        except RetryAfter:
            return "refused"
        return "sent"

    async with bot:
        paid = await asyncio.gather(*(send(person, allow_paid_broadcast=True) for person in people[:60]))
        free = await asyncio.gather(*(send(person) for person in people[60:]))
    assert paid.count("sent") == 60
    assert free.count("refused") > 0 and server.stats["429"] == free.count("refused")
