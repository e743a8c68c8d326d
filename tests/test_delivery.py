"""Delivery you can trust: each due message sent once, within Telegram's limits, through faults."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlmodel import select

import conversations  # noqa: F401  (registers the renderers, as the application does)

from bot import sender
from storage import outbox
from storage.models import OutboundMessage, Participant, ParticipantStatus, Role
from tests.conftest import START
from tests.factories import link, make_pair, make_participant, make_programme


def seed(harness, session, clock, pairs: int = 1, coordinator: bool = True):
    """Onboarded pairs whose phones are simulated users; returns (people, users) by first name."""
    people, users = {}, {}
    with session() as s:
        programme = make_programme(s, clock.now())
        for index in range(pairs):
            mentor, mentee, _ = make_pair(s, programme, clock.now(), mentor=f"Marc{index}", mentee=f"Amina{index}",
                                          label=f"B{index:04d}")
            for person in (mentor, mentee):
                users[person.first_name] = harness.server.user(first_name=person.first_name, language_code="fr")
                people[person.first_name] = link(person, users[person.first_name], clock.now(), "fr")
        if coordinator:
            claire = make_participant(s, programme, clock.now(), Role.COORDINATOR, "Claire", "Martin", "fr")
            users["Claire"] = harness.server.user(first_name="Claire", language_code="fr")
            people["Claire"] = link(claire, users["Claire"], clock.now(), "fr")
    return people, users


def queue_news(session, clock, recipient, about, key: str, due_at=None, stale_after=None):
    with session() as s:
        return outbox.enqueue(session=s, participant_id=recipient.id, kind="partner_joined", key=key,
                              due_at=due_at or clock.now(), now=clock.now(), stale_after=stale_after,
                              params={"participant_id": about.id})


def rows(session):
    with session() as s:
        return {m.idempotency_key: m for m in s.exec(select(OutboundMessage)).all()}


async def test_a_429_is_waited_out_and_the_message_sent_once(harness, session, clock):
    people, users = seed(harness, session, clock)
    queue_news(session, clock, people["Marc0"], people["Amina0"], "news")
    harness.server.inject_fault("429", method="sendMessage", times=1, retry_after=1)
    assert await harness.tick() == 1  # the rate limiter slept retry_after and retried
    assert len(users["Marc0"].messages) == 1 and harness.server.stats["faults"] == 1


async def test_a_lasting_429_is_retried_after_retry_after_on_the_clock(harness, session, clock):
    people, users = seed(harness, session, clock)
    queue_news(session, clock, people["Marc0"], people["Amina0"], "news")
    harness.server.inject_fault("429", method="sendMessage", times=3, retry_after=1)
    assert await harness.tick() == 0
    message = rows(session)["news"]
    assert message.error == "retry_after" and message.next_attempt_at == clock.now() + timedelta(seconds=1)
    assert await harness.tick() == 0  # not before retry_after
    clock.advance(seconds=1)
    assert await harness.tick() == 1
    assert len(users["Marc0"].messages) == 1


async def test_server_errors_and_dropped_connections_are_retried_with_backoff(harness, session, clock):
    people, users = seed(harness, session, clock)
    queue_news(session, clock, people["Marc0"], people["Amina0"], "news")
    for kind in ("500", "502", "drop"):
        harness.server.inject_fault(kind, method="sendMessage", times=1)
        assert await harness.tick() == 0
        message = rows(session)["news"]
        assert message.sent_at is None and message.dropped_at is None
        assert message.next_attempt_at == clock.now() + outbox.backoff(message.attempts)
        clock.advance(outbox.backoff(message.attempts))
    assert [m.error for m in rows(session).values()] == ["NetworkError"]
    assert await harness.tick() == 1
    assert len(users["Marc0"].messages) == 1
    assert rows(session)["news"].attempts == 4


async def test_a_slow_answer_is_waited_for(harness, session, clock):
    people, users = seed(harness, session, clock)
    queue_news(session, clock, people["Marc0"], people["Amina0"], "news")
    harness.server.inject_fault("slow", method="sendMessage", times=1, delay=1.5)
    assert await harness.tick() == 1
    assert len(users["Marc0"].messages) == 1


async def test_giving_up_after_a_bounded_time_is_recorded(harness, session, clock):
    people, users = seed(harness, session, clock)
    queue_news(session, clock, people["Marc0"], people["Amina0"], "news", stale_after=clock.now() + timedelta(days=9))
    harness.server.inject_fault("500", method="sendMessage", times=1000)
    while rows(session)["news"].dropped_at is None:
        await harness.tick()
        clock.advance(minutes=10)
    message = rows(session)["news"]
    assert message.error.startswith("gave up after") and message.error.endswith("NetworkError")
    assert message.dropped_at - message.due_at <= outbox.GIVE_UP_AFTER + timedelta(minutes=10)
    assert users["Marc0"].messages == []


async def test_a_blocked_bot_stops_sending_and_the_coordinator_is_told_once(harness, session, clock):
    people, users = seed(harness, session, clock)
    queue_news(session, clock, people["Marc0"], people["Amina0"], "first")
    queue_news(session, clock, people["Marc0"], people["Amina0"], "second")
    harness.server.inject_fault("403", method="sendMessage", chat_id=users["Marc0"].id, times=5)
    await harness.tick()
    with session() as s:
        assert s.get(Participant, people["Marc0"].id).status == ParticipantStatus.UNREACHABLE
    messages = rows(session)
    assert messages["first"].error == "forbidden" and messages["second"].error == "recipient unreachable"
    await harness.tick()
    claire = users["Claire"]
    assert [m.text for m in claire.messages] == [
        "⚠️ Marc0 Dubois (mentor, binôme B0000) n'est plus joignable sur Telegram : cette personne a bloqué le bot "
        "ou quitté Telegram. J'ai cessé de lui écrire et je vous préviendrai dès son retour."]
    queue_news(session, clock, people["Marc0"], people["Amina0"], "third")
    await harness.tick()
    await harness.tick()
    assert len(claire.messages) == 1  # told once

    await users["Marc0"].send("/start")  # he is back
    await harness.server.settle()
    with session() as s:
        assert s.get(Participant, people["Marc0"].id).status == ParticipantStatus.ACTIVE
    await harness.tick()
    assert claire.messages[-1].text == "✅ Marc0 Dubois (mentor, binôme B0000) est de nouveau joignable sur Telegram."
    assert users["Amina0"].messages == []  # the mentee is not told anything about it


async def test_blocking_the_bot_is_noticed_from_telegrams_update_too(harness, session, clock):
    people, users = seed(harness, session, clock)
    await users["Amina0"].block_bot()
    await harness.server.settle()
    await harness.tick()
    assert "Amina0 Benali (mentoré, binôme B0000) n'est plus joignable" in users["Claire"].messages[-1].text
    await users["Amina0"].unblock_bot()
    await harness.server.settle()
    await harness.tick()
    assert "est de nouveau joignable" in users["Claire"].messages[-1].text


async def test_after_downtime_stale_messages_are_dropped_not_burst(harness, session, clock):
    people, users = seed(harness, session, clock)
    queue_news(session, clock, people["Marc0"], people["Amina0"], "old news")  # useful for 2 days
    queue_news(session, clock, people["Amina0"], people["Marc0"], "fresh", due_at=clock.now() + timedelta(days=3))
    clock.advance(days=3, minutes=5)  # the bot was down all that time
    assert await harness.tick() == 1
    messages = rows(session)
    assert messages["old news"].error == "stale" and messages["old news"].sent_at is None
    assert messages["fresh"].sent_at == clock.now()
    assert users["Marc0"].messages == [] and len(users["Amina0"].messages) == 1


async def test_one_chat_gets_at_most_about_one_message_a_second(harness, session, clock):
    harness.server.set_rate_limits(global_per_second=30, per_chat_per_second=1, burst=1)
    people, users = seed(harness, session, clock)
    for n in range(4):
        queue_news(session, clock, people["Marc0"], people["Amina0"], f"news {n}")
    started = time.monotonic()
    assert await harness.tick() == 4
    assert time.monotonic() - started >= 2.9
    assert harness.server.stats["429"] == 0


async def test_a_burst_of_1000_due_messages_is_never_refused_for_flooding(harness, session, clock):
    harness.server.set_rate_limits(global_per_second=30, per_chat_per_second=1, burst=3)
    people, users = seed(harness, session, clock, pairs=250, coordinator=False)  # 500 people
    with session() as s:
        for index in range(250):
            mentor, mentee = people[f"Marc{index}"], people[f"Amina{index}"]
            for recipient, about in ((mentor, mentee), (mentee, mentor)):
                for n in range(2):
                    outbox.enqueue(session=s, participant_id=recipient.id, kind="partner_joined",
                                   key=f"burst:{recipient.id}:{n}", due_at=clock.now(), now=clock.now(),
                                   params={"participant_id": about.id})
    started = time.monotonic()
    assert await harness.tick() == 1000
    elapsed = time.monotonic() - started
    print(f"1000 messages in {elapsed:.1f} s ({1000 / elapsed:.1f}/s), 429s: {harness.server.stats['429']}")
    assert harness.server.stats["429"] == 0
    assert all(len(user.messages) == 2 for user in users.values())
    assert elapsed >= 1000 / 30 - 2  # the limit was respected, not bypassed
    assert elapsed < 1000 / 30 * 1.5  # and the rate was filled


def test_long_texts_are_cut_where_a_reader_expects():
    paragraph = "Lorem ipsum dolor sit amet. " * 40  # about 1,100 characters
    text = "\n\n".join([paragraph.strip()] * 9)
    parts = sender.split_text(text)
    assert len(parts) == 3 and all(len(part) <= 4096 for part in parts)
    assert "\n\n".join(parts) == text  # nothing lost, cut between paragraphs
    assert sender.split_text("x" * 5000) == ["x" * 4096, "x" * 904]


async def test_a_long_message_arrives_in_parts(harness, session, clock, monkeypatch):
    people, users = seed(harness, session, clock)
    long_text = "\n\n".join(f"Paragraphe {n} : " + "bla " * 200 for n in range(8))
    monkeypatch.setitem(sender.RENDERERS, "partner_joined", lambda tr, params, who, s: sender.Rendered(long_text))
    queue_news(session, clock, people["Marc0"], people["Amina0"], "long")
    assert await harness.tick() == 1
    texts = [m.text for m in users["Marc0"].messages]
    assert len(texts) == 2 and texts[0].startswith("Paragraphe 0") and texts[1].endswith("bla")


async def test_documents_relevance_and_cancelling(harness, session, clock, monkeypatch):
    people, users = seed(harness, session, clock)
    still_wanted = {"yes": True}
    monkeypatch.setitem(sender.RENDERERS, "partner_joined", lambda tr, params, who, s: sender.Rendered(
        "Votre rencontre", document=("rencontre.ics", b"BEGIN:VCALENDAR")))
    monkeypatch.setitem(outbox.KINDS, "partner_joined", outbox.Kind(
        timedelta(days=1), relevant=lambda s, message: still_wanted["yes"]))
    queue_news(session, clock, people["Marc0"], people["Amina0"], "meeting:1:ics")
    queue_news(session, clock, people["Marc0"], people["Amina0"], "meeting:1:reminder")
    queue_news(session, clock, people["Marc0"], people["Amina0"], "meeting:10:reminder")
    with session() as s:
        assert outbox.cancel(session=s, key_prefix="meeting:1:r", now=clock.now(), reason="meeting moved") == 1
    still_wanted["yes"] = True
    assert await harness.tick() == 2
    document = users["Marc0"].messages[1].document  # the text first, the file after it
    assert document["file_name"] == "rencontre.ics" and document["data"] == b"BEGIN:VCALENDAR"
    assert users["Marc0"].messages[0].text == "Votre rencontre"
    assert rows(session)["meeting:1:reminder"].error == "meeting moved"
    still_wanted["yes"] = False
    queue_news(session, clock, people["Marc0"], people["Amina0"], "nudge")
    assert await harness.tick() == 0
    assert rows(session)["nudge"].error == "no longer relevant"


def test_every_declared_kind_of_message_has_a_renderer_and_no_renderer_is_undeclared():
    assert sorted(outbox.KINDS) == sorted(sender.RENDERERS)
    assert len(outbox.KINDS) > 20


def test_a_kind_cannot_be_declared_twice_with_other_rules():
    outbox.declare("partner_joined", max_delay=outbox.KINDS["partner_joined"].max_delay,
                   relevant=outbox.KINDS["partner_joined"].relevant)  # the same declaration again is harmless
    with pytest.raises(ValueError):
        outbox.declare("partner_joined", max_delay=timedelta(minutes=1))
    with pytest.raises(KeyError):
        outbox.enqueue(session=None, participant_id=1, kind="no_such_kind", key="k", due_at=START, now=START)


async def test_a_message_with_a_file_sends_its_text_first_and_a_refused_file_never_blocks_it(
        harness, session, clock, monkeypatch):
    """Text (with its buttons) first, then the file: a 400 on the file drops the file only (recorded),
    a 5xx retries the file only, and a failure on the text retries the whole message."""
    people, users = seed(harness, session, clock)
    monkeypatch.setitem(sender.RENDERERS, "partner_joined", lambda tr, params, who, s: sender.Rendered(
        "Votre rencontre", document=("rencontre.ics", b"BEGIN:VCALENDAR")))
    marc = users["Marc0"]
    queue_news(session, clock, people["Marc0"], people["Amina0"], "refused")
    harness.server.inject_fault("400", method="sendDocument", times=1)
    assert await harness.tick() == 1
    assert [(m.text, m.document) for m in marc.messages] == [("Votre rencontre", None)]
    refused = rows(session)["refused"]
    assert refused.sent_at is not None and refused.error.startswith("file refused: ")
    assert refused.telegram_message_id == marc.messages[0].message_id

    queue_news(session, clock, people["Marc0"], people["Amina0"], "flaky")
    harness.server.inject_fault("500", method="sendDocument", times=1)
    assert await harness.tick() == 0  # the text went; the row waits for its file
    flaky = rows(session)["flaky"]
    assert len(marc.messages) == 2 and flaky.sent_at is None and flaky.telegram_message_id is not None
    assert flaky.next_attempt_at == clock.now() + outbox.backoff(1)
    clock.advance(outbox.backoff(1))
    assert await harness.tick() == 1
    assert [m.text for m in marc.messages[1:]] == ["Votre rencontre", None]  # no second text
    assert marc.messages[2].document["data"] == b"BEGIN:VCALENDAR"

    queue_news(session, clock, people["Marc0"], people["Amina0"], "text fails")
    harness.server.inject_fault("500", method="sendMessage", times=1)
    assert await harness.tick() == 0
    assert len(marc.messages) == 3  # neither the text nor the file
    clock.advance(outbox.backoff(1))
    assert await harness.tick() == 1
    assert [m.text for m in marc.messages[3:]] == ["Votre rencontre", None]
