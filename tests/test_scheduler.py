"""The scheduler starts with the application and runs the tick on its own, at the one clock's time."""
from __future__ import annotations

import asyncio

from sqlmodel import select

from bot.app import build_application, running
from bot.services import Services
from bot.settings import load_settings
from storage import outbox
from storage.models import OutboundMessage, ParticipantStatus
from tests.factories import make_pair, make_programme


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
                       due_at=clock.now().replace(hour=20), now=clock.now(), params={"participant_id": mentee.id})
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
        clock.advance(hours=12)
        await marc.wait_for_message(predicate=lambda m: "Bonne nouvelle" in m.text, timeout=10)
