"""Texts longer than one Telegram message (4096 characters): replies, edits and the outbox are split at
paragraph ends by one helper (bot/replies.py); every part arrives, the buttons come with the last part,
and long lists are capped with "…and N more."."""
from __future__ import annotations

from datetime import timedelta

from storage.models import Alert, CheckIn, CheckInStatus, Participant, ParticipantStatus, PlanAction, Role
from bot.replies import TELEGRAM_TEXT_LIMIT, split_text, telegram_length
from tests.factories import link, make_pair, make_participant, make_programme
from tests.test_meetings import tap

LIMIT = TELEGRAM_TEXT_LIMIT


def seed(harness, session, clock):
    with session() as s:
        programme = make_programme(s, clock.now() - timedelta(days=20))
        mentor, mentee, binome = make_pair(s, programme, clock.now() - timedelta(days=20))
        coordinator = make_participant(s, programme, clock.now(), Role.COORDINATOR, "Claire", "Martin")
        users = {}
        for key, person in {"mentor": mentor, "mentee": mentee, "claire": coordinator}.items():
            users[key] = harness.server.user(first_name=person.first_name, language_code="en")
            link(person, users[key], clock.now(), "en")
        ids = {"mentor": mentor.id, "mentee": mentee.id, "claire": coordinator.id, "binome": binome.id,
               "programme": programme.id}
    return ids, users


def assert_fits(parts) -> None:
    assert parts and all(0 < telegram_length(m.text) <= LIMIT for m in parts), [len(m.text) for m in parts]


def new_messages(user, before: int):
    return user.messages[before:]


# ---------------------------------------------------------------- the splitting itself

def test_split_text_cuts_at_paragraph_ends_and_loses_nothing():
    paragraphs = [f"{n:03d} " + "word " * 150 for n in range(40)]  # ~750 characters each
    text = "\n\n".join(paragraphs)
    parts = split_text(text)
    assert len(parts) > 1 and all(telegram_length(p) <= LIMIT for p in parts)
    assert all(part.startswith(tuple(f"{n:03d} " for n in range(40))) for part in parts)  # cut between paragraphs
    assert " ".join(" ".join(parts).split()) == " ".join(text.split())


def test_split_text_counts_like_telegram_and_cuts_even_without_spaces():
    emoji = "🔥" * 3000  # 3000 characters, 6000 UTF-16 code units: Telegram counts the latter
    parts = split_text(emoji)
    assert len(parts) == 2 and all(telegram_length(p) <= LIMIT for p in parts) and "".join(parts) == emoji
    assert split_text("x" * 9000) == ["x" * 4096, "x" * 4096, "x" * 808]
    assert split_text("short") == ["short"]


# ---------------------------------------------------------------- replies through the local Bot API

async def test_progress_with_thirty_long_actions_arrives_in_parts(harness, session, clock):
    ids, users = seed(harness, session, clock)
    with session() as s:
        for n in range(30):
            s.add(PlanAction(binome_id=ids["binome"], title=f"Action {n:02d} " + "long words " * 17,
                             created_by=ids["mentee"], created_at=clock.now(), changed_at=clock.now(),
                             status_changed_at=clock.now()))
    amina = users["mentee"]
    await amina.send("/progress")
    await harness.server.settle()
    parts = new_messages(amina, 0)
    assert len(parts) >= 2
    assert_fits(parts)
    whole = "\n".join(m.text for m in parts)
    assert all(f"Action {n:02d} " in whole for n in range(30))
    assert "0 of 30 actions done." in whole and parts[-1].text.endswith("Your check-ins: 0 answered of 0.")
    assert not any("Sorry" in m.text for m in parts)

    with session() as s:  # a very long plan: the list is capped, the count says all
        for n in range(30, 60):
            s.add(PlanAction(binome_id=ids["binome"], title=f"Action {n:02d} " + "long words " * 17,
                             created_by=ids["mentee"], created_at=clock.now(), changed_at=clock.now(),
                             status_changed_at=clock.now()))
    before = len(amina.messages)
    await amina.send("/progress")
    await harness.server.settle()
    parts = new_messages(amina, before)
    assert_fits(parts)
    whole = "\n".join(m.text for m in parts)
    assert whole.count("⬜ Action") == 50 and "…and 10 more.\n0 of 60 actions done." in whole


async def test_programme_with_150_declined_people_is_capped_and_split(harness, session, clock):
    ids, users = seed(harness, session, clock)
    with session() as s:
        programme_id = ids["programme"]
        from storage.models import Programme
        programme = s.get(Programme, programme_id)
        for n in range(150):
            person = make_participant(s, programme, clock.now(), Role.MENTEE, f"Prénom{n:03d}" + "é" * 60,
                                      "Nom" + "x" * 70)
            person.status = ParticipantStatus.DECLINED
    claire = users["claire"]
    await claire.send("/programme")
    await harness.server.settle()
    parts = new_messages(claire, 0)
    assert len(parts) >= 2
    assert_fits(parts)
    whole = "\n".join(m.text for m in parts)
    assert "Declined the processing of their data:" in whole
    assert whole.count("• Prénom") == 30 and parts[-1].text.endswith("…and 120 more.")
    assert not any("Sorry" in m.text for m in parts)


def _long_shared_words(session, ids, now, count: int = 3) -> list[int]:
    """Words of 1000 characters (the most a word can hold) that the mentee and the mentor shared."""
    checkin_ids = []
    with session() as s:
        for n in range(count):
            for who, role in (("mentee", Role.MENTEE), ("mentor", Role.MENTOR)):
                checkin = CheckIn(binome_id=ids["binome"], participant_id=ids[who], role=role, period=f"W{n}",
                                  due_at=now - timedelta(days=7 * (count - n)), status=CheckInStatus.ANSWERED,
                                  mood=1, concern=role == Role.MENTOR, word=f"{who}-word-{n} " + "z" * 980,
                                  share_with_coordinator=True, answered_at=now - timedelta(days=7 * (count - n)),
                                  created_at=now)
                s.add(checkin)
                s.flush()
                checkin_ids.append(checkin.id)
    return checkin_ids


async def test_an_alert_card_and_the_binome_summary_with_long_shared_words(harness, session, clock):
    ids, users = seed(harness, session, clock)
    checkin_ids = _long_shared_words(session, ids, clock.now(), count=3)
    with session() as s:
        alert = Alert(programme_id=ids["programme"], binome_id=ids["binome"], about_id=ids["mentor"],
                      signal="mentor_concern", severity="medium",
                      facts={"on": clock.now().date().isoformat(), "checkin_ids": checkin_ids},
                      opened_at=clock.now(), notified_at=clock.now())
        s.add(alert)
    claire = users["claire"]
    await claire.send("/alerts")
    listing = await claire.wait_for_message()

    # The card opened by a button: in parts, the buttons with the last one.
    before = len(claire.messages)
    await tap(claire, listing, "1 · B01")
    card = new_messages(claire, before)
    assert len(card) >= 2
    assert_fits(card)
    assert all(m.buttons == [] for m in card[:-1]) and "🙋 I'm on it" in card[-1].button_texts
    whole = "\n".join(m.text for m in card)
    assert all(f"{who}-word-{n} " in whole for n in range(3) for who in ("mentee", "mentor"))

    # A press edits the card: the edit cannot be split, so the pressed message holds the first part and
    # the rest follows as new messages, the buttons under the last.
    before = len(claire.messages)
    await tap(claire, card[-1], "I'm on it")
    edited = [card[-1]] + new_messages(claire, before)
    assert len(edited) >= 2
    assert_fits(edited)
    assert edited[0].buttons == [] and "✅ Resolved" in edited[-1].button_texts
    assert edited[-1].text.endswith("🙋 Taken in hand by Claire.")
    assert edited[0].text.startswith("🟠 Medium · Mentor's concern · binôme B01")

    # The binôme at a glance: every shared word, in parts.
    before = len(claire.messages)
    await tap(claire, edited[-1], "Show the binôme")
    summary = new_messages(claire, before)
    assert len(summary) >= 2
    assert_fits(summary)
    whole = "\n".join(m.text for m in summary)
    assert whole.startswith("📋 Binôme B01") and summary[-1].text.endswith("Open alerts: Mentor's concern.")
    assert all(f"{who}-word-{n} " in whole for n in range(3) for who in ("mentee", "mentor"))
    assert not any("Sorry" in m.text for m in claire.messages)
    assert harness.server.unanswered_callback_queries == []
