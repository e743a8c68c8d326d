"""The scheduler starts with the application and runs the tick on its own, at the one clock's time."""
from __future__ import annotations

import asyncio
import logging

import pytest
from sqlmodel import select

from bot.app import build_application, running
from bot.services import Services
from bot.settings import load_settings
from storage import outbox
from storage.models import OutboundMessage, ParticipantStatus
from tests.factories import link, make_pair, make_programme


async def test_the_tick_runs_by_itself_and_sends_only_what_is_due(server, engine, session, clock, database_url):
    with session() as s:
        programme = make_programme(s, clock.now())
        mentor, mentee, _ = make_pair(s, programme, clock.now())
        for person, user_id in ((mentor, 501), (mentee, 502)):
            person.telegram_user_id = person.telegram_chat_id = user_id
            person.status, person.onboarded_at = ParticipantStatus.ACTIVE, clock.now()
        outbox.enqueue(session=s, participant_id=mentor.id, kind="partner_joined", key="now", due_at=clock.now(),
                       now=clock.now(), params={"participant_id": mentee.id})
        outbox.enqueue(session=s, participant_id=mentor.id, kind="partner_joined", key="later",
                       due_at=clock.now().replace(hour=18), now=clock.now(), params={"participant_id": mentee.id})
        assert outbox.enqueue(session=s, participant_id=mentor.id, kind="partner_joined", key="now",
                              due_at=clock.now(), now=clock.now(), params={}) is None  # queued once per key
    marc = server.user(user_id=501, first_name="Marc", language_code="fr")
    await marc.send("bonjour")  # a private chat exists once the person has written to the bot

    settings = load_settings(_env_file=None, TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_API_URL=server.base_url,
                             DATABASE_URL=database_url, TICK_SECONDS=0.1)
    async with running(build_application(Services(settings=settings, engine=engine, clock=clock))):
        news = await marc.wait_for_message(predicate=lambda m: "Bonne nouvelle" in m.text, timeout=10)
        assert news.text == "Bonne nouvelle : Amina, votre mentoré, a rejoint Binôme."
        await asyncio.sleep(0.5)  # several more ticks: the later message is not due on the test clock
        with session() as s:
            rows = {m.idempotency_key: m for m in s.exec(select(OutboundMessage)).all()}
            assert rows["now"].sent_at == clock.now() and rows["later"].sent_at is None
        clock.advance(hours=10)  # 20:00 in Brussels, before the quiet hours (checked again at send time)
        await marc.wait_for_message(predicate=lambda m: "Bonne nouvelle" in m.text, timeout=10)


@pytest.fixture
def info_logging():
    """`binome run`'s logging at its default level (INFO), put back as it was afterwards."""
    import logging

    from bot.logs import LIBRARY_FLOORS, configure_logging

    names = ["", *LIBRARY_FLOORS]
    before = {name: logging.getLogger(name).level for name in names}
    configure_logging("INFO")
    yield
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)


async def test_idle_ticks_write_almost_nothing_at_info(server, engine, clock, database_url, caplog, info_logging,
                                                       monkeypatch):
    import bot.app

    ticks = 0
    real_tick = bot.app.tick

    async def counted(application):
        nonlocal ticks
        ticks += 1
        return await real_tick(application)

    monkeypatch.setattr(bot.app, "tick", counted)
    settings = load_settings(_env_file=None, TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_API_URL=server.base_url,
                             DATABASE_URL=database_url, TICK_SECONDS=0.04)  # longer than an idle tick
    caplog.clear()
    async with running(build_application(Services(settings=settings, engine=engine, clock=clock))):
        for _ in range(2000):  # APScheduler runs the job on real time: wait for 100 runs of it
            if ticks >= 100:
                break
            await asyncio.sleep(0.01)
        assert ticks >= 100
        lines = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert len(lines) <= 5, [f"{r.name}: {r.getMessage()}" for r in lines]
    assert not any(r.name.startswith("apscheduler") and r.levelno < logging.WARNING for r in lines)


async def test_a_scan_with_work_writes_one_summary_line_with_counts_and_no_names(harness, session, clock, caplog,
                                                                                 info_logging):
    with session() as s:
        programme = make_programme(s, clock.now())
        mentor, mentee, _ = make_pair(s, programme, clock.now())
        link(mentor, harness.server.user(first_name="Marc", language_code="fr"), clock.now(), "fr")
        link(mentee, harness.server.user(first_name="Amina", language_code="fr"), clock.now(), "fr")
    await harness.tick()
    clock.advance(days=15)  # the programme's cadence: the mentor is due a nudge to plan a meeting
    caplog.clear()
    sent = await harness.tick()
    assert sent >= 1
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert len(lines) == 1, lines
    [summary] = lines
    assert summary.startswith("scan: ") and "queued" in summary and f"{sent} sent" in summary
    assert "cadence_nudge" in summary
    assert not any(name in summary for name in ("Marc", "Amina", "Dubois", "Benali", "MentorYou"))

    caplog.clear()
    await harness.tick()  # not a scan, nothing due: nothing at INFO
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == []


async def test_a_send_telegram_answers_late_is_not_sent_twice(harness, session, clock):
    """Telegram performs the send but answers after 6 s: beyond python-telegram-bot's default read
    time-out (5 s), within ours (bot/app.py READ_TIMEOUT). A client that gives up first retries it, and
    the message arrives twice."""
    with session() as s:
        programme = make_programme(s, clock.now())
        mentor, mentee, _ = make_pair(s, programme, clock.now())
        marc = harness.server.user(first_name="Marc", language_code="fr")
        link(mentor, marc, clock.now(), "fr")
        outbox.enqueue(session=s, participant_id=mentor.id, kind="partner_joined", key="news", due_at=clock.now(),
                       now=clock.now(), params={"participant_id": mentee.id})
    harness.server.inject_fault("slow", method="sendMessage", times=1, delay=6)
    assert await harness.tick() == 1
    clock.advance(minutes=5)
    assert await harness.tick() == 0
    assert len(marc.messages) == 1
