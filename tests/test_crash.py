"""A real `binome run` process killed with SIGKILL in the middle of sending, then restarted:
every due message arrives exactly once and every recorded answer survives."""
from __future__ import annotations

import asyncio
import sys
import time
from datetime import datetime, timedelta, timezone

from sqlmodel import func, select

from bot.clock import SystemClock
from storage import outbox
from storage.models import OutboundMessage, Participant
from tests.factories import invite, link, make_pair, make_programme
from tests.test_processes import binome, clean_env

PAIRS = 20  # 40 people, one due message each


async def start_bot(env, cwd):
    return await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "run", env=env, cwd=cwd,
                                                stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)


async def until(condition, timeout: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not reached within {timeout}s")
        await asyncio.sleep(0.005)


async def test_sigkill_in_the_middle_of_sending_loses_and_repeats_nothing(server, engine, session, tmp_path,
                                                                            database_url):
    server.set_rate_limits(global_per_second=30, per_chat_per_second=1, burst=3)
    real_now = SystemClock().now()  # `binome run` lives on the system clock
    users = {}
    with session() as s:
        programme = make_programme(s, real_now)
        programme.options = {"quiet_hours": "00:00-00:00"}  # on the system clock, maybe at night: the sender checks
        for index in range(PAIRS):
            mentor, mentee, _ = make_pair(s, programme, real_now, mentor=f"Marc{index}", mentee=f"Amina{index}",
                                          label=f"B{index:02d}")
            for person, other in ((mentor, mentee), (mentee, mentor)):
                users[person.id] = server.user(first_name=person.first_name, language_code="fr")
                link(person, users[person.id], real_now, "fr")
                outbox.enqueue(session=s, participant_id=person.id, kind="partner_joined", key=f"news:{person.id}",
                               due_at=real_now + timedelta(seconds=4), now=real_now,
                               params={"participant_id": other.id})
        _, zoe_p, _ = make_pair(s, programme, real_now, mentor="Paul", mentee="Zoé", label="Z")
        zoe_token = invite(s, zoe_p, real_now)

    env = clean_env(DATABASE_URL=database_url, TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_API_URL=server.base_url,
                    TICK_SECONDS="0.2")
    process = await start_bot(env, tmp_path)
    try:
        # Before the messages fall due, a mentee answers the onboarding questions.
        zoe = server.user(first_name="Zoé", language_code="fr")
        await zoe.send(f"/start {zoe_token}")
        await zoe.press(await zoe.wait_for_message(timeout=20), text="J'accepte")
        await zoe.press(await zoe.wait_for_message(), text="Français")
        await zoe.wait_for_message()

        def delivered() -> int:
            return sum(len(u.messages) for u in users.values())

        await until(lambda: delivered() >= 10, what="10 messages delivered")
        # From now on Telegram hangs on every send and delivers nothing: several sends are in flight.
        server.inject_fault("timeout", method="sendMessage", times=10_000, delay=60)
        frozen = delivered()

        def recorded() -> int:
            with session() as s:
                return s.exec(select(func.count()).select_from(OutboundMessage)
                              .where(OutboundMessage.sent_at.is_not(None))).one()

        await until(lambda: recorded() == frozen, what="answered sends recorded")
        assert 10 <= frozen < 2 * PAIRS  # really in the middle
        process.kill()  # SIGKILL: no clean-up of any kind
        await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    server.clear_faults()
    process = await start_bot(env, tmp_path)
    try:
        await until(lambda: all(len(u.messages) >= 1 for u in users.values()), timeout=60,
                    what="every message delivered after the restart")
        await asyncio.sleep(1.0)  # a few more ticks: nothing may be sent twice
    finally:
        process.terminate()
        _, err = await process.communicate()
    assert process.returncode == 0, err.decode()[-2000:]

    assert {len(u.messages) for u in users.values()} == {1}  # exactly once each
    assert all(u.messages[0].text.startswith("Bonne nouvelle : ") for u in users.values())
    with session() as s:
        assert all(m.sent_at is not None for m in s.exec(select(OutboundMessage)).all())
        zoe_now = s.get(Participant, zoe_p.id)
        assert zoe_now.consent_at is not None and zoe_now.onboarded_at is not None and zoe_now.language == "fr"
