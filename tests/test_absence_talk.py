"""The talk after an unexcused absence (issue 16, docs/tutoring.md): the tutor is asked to talk with the pupil
and to say by button that it took place; not done in `absence_talk_days`, or not possible, the coordinator gets
a warning sign, which clears once the talk is recorded. In French with the tutoring vocabulary and in English,
through the local Bot API; forged, foreign, doubled presses and text instead of a button; the rules."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import select

from storage import absence_talks
from storage.models import Absence, Alert, AlertStatus, AuditLog, Meeting, OutboundMessage, Role
from tests.factories import link, make_pair, make_participant, make_programme
from tests.test_meetings import tap

THURSDAY_19H = datetime(2026, 9, 10, 17, 5, tzinfo=timezone.utc)  # 19:05 in Brussels, after a 17:00 meeting


def seed(harness, session, clock, *, language="fr", days=5):
    with session() as s:
        programme = make_programme(s, clock.now(), name="Lycée Jean Moulin", vocabulary="tuteur", language=language)
        programme.options = {"absence_talk_days": days} if days else {}
        mentor, mentee, binome = make_pair(s, programme, clock.now(), mentor="Marc", mentee="Amina")
        claire = make_participant(s, programme, clock.now(), Role.COORDINATOR, "Claire", "Martin")
        other = make_programme(s, clock.now(), name="Ailleurs")
        paul, _, _ = make_pair(s, other, clock.now(), mentor="Paul", mentee="Zoé", label="X1")
        users = {}
        for key, person in (("marc", mentor), ("amina", mentee), ("claire", claire), ("paul", paul)):
            users[key] = harness.server.user(first_name=person.first_name, language_code=language)
            link(person, users[key], clock.now(), language)
        ids = {"marc": mentor.id, "amina": mentee.id, "binome": binome.id}
    return ids, users


async def _no_show(harness, marc, amina, *, day, send, accept, noshow, asked=True):
    await marc.send("/meeting")
    days = await marc.wait_for_message()
    for label in (day, "17:00", "Marc", send):
        await tap(marc, days, label)
    await harness.tick()
    await tap(amina, await amina.wait_for_message(), accept)
    await harness.tick()
    harness.clock.set(THURSDAY_19H)
    await harness.tick()
    question = await marc.wait_for_message(predicate=lambda m: len(m.button_texts) == 4
                                           and m.button_texts[-1].startswith("🔁"))
    await tap(marc, question, noshow)
    await harness.tick()
    return await marc.wait_for_message() if asked else None


def _cards(user, name):
    """The coordinator's cards that show this sign (not the notices replying to a card, issue 18)."""
    return [m.text for m in user.messages if m.text and name in m.text and m.reply_to_message_id is None]


async def test_in_french_the_tutor_is_asked_then_the_coordinator_warned_then_it_clears(harness, session, clock):
    ids, users = seed(harness, session, clock)
    marc, amina, claire, paul = users["marc"], users["amina"], users["claire"], users["paul"]
    asked = await _no_show(harness, marc, amina, day="jeu. 10 sept.", send="Envoyer", accept="Accepter",
                           noshow="n'était pas là")
    assert asked.text == (
        "Amina, votre tutoré, n'est pas venu(e) à la rencontre jeudi 10 septembre à 17:00. Après une absence sans "
        "prévenir, un entretien est indispensable (un appel, ou quelques minutes ensemble) : écoutez, puis "
        "dites-moi ici quand il a eu lieu. Seul ce fait est noté, rien de ce que vous vous direz.")
    assert asked.button_texts == ["✅ Nous avons parlé", "🙁 Pas possible : prévenir le coordinateur"]
    with session() as s:
        absence = s.exec(select(Absence)).one()
        assert not absence.excused and absence.talk_asked_at == THURSDAY_19H and absence.talk_result is None
    invalid = "Ce bouton n'est plus valable."
    for user, data in ((amina, f"at:{absence.id}:held"), (claire, f"at:{absence.id}:held"),
                       (paul, f"at:{absence.id}:held"), (marc, "at:999:held"), (marc, f"at:{absence.id}:maybe"),
                       (marc, "at:123456789012345678901:held")):
        if not user.messages:
            await user.send("/help")
            await user.wait_for_message()
        answer = await user.callback_answer(await user.press_data(user.messages[-1], data))
        assert answer["text"] == invalid, data
    marc.skip_to_end()
    await marc.send("On s'est appelés hier soir")  # text instead of a button: polite, and nothing is kept
    assert "messages écrits" in (await marc.wait_for_message()).text

    # Four days on, a reminder; after five days with no talk recorded, Claire gets the sign.
    clock.set(THURSDAY_19H + timedelta(days=4, minutes=1))  # Monday 19:06
    await harness.tick()
    assert marc.messages[-1].text.startswith("Petit rappel : avez-vous pu parler avec Amina depuis la rencontre "
                                             "manquée jeudi 10 septembre à 17:00 ?")
    assert not _cards(claire, "Pas d'entretien")
    clock.set(THURSDAY_19H + timedelta(days=5, minutes=20))
    await harness.tick()
    [card] = _cards(claire, "Pas d'entretien après une absence")
    assert ("Amina Benali (tutoré) a manqué la rencontre du 10 septembre sans prévenir, et aucun entretien n'a été noté "
            "depuis.") in card
    with session() as s:
        alert = s.exec(select(Alert).where(Alert.signal == "absence_talk")).one()
        assert alert.status == AlertStatus.OPEN and alert.facts == {"count": 1, "dates": ["2026-09-10"],
                                                                    "not_possible": 0}

    # Marc records it: the sign clears by itself; a doubled press is answered and changes nothing.
    await tap(marc, asked, "Nous avons parlé")
    assert asked.text == "✅ C'est noté : vous avez parlé avec Amina. Merci, c'est très important."
    answer = await marc.callback_answer(await marc.press_data(asked, f"at:{absence.id}:no"))
    assert answer["text"] == "Déjà noté, merci."
    clock.advance(minutes=20)
    await harness.tick()
    with session() as s:
        assert s.exec(select(Alert).where(Alert.signal == "absence_talk")).one().status == AlertStatus.CLEARED
        absence = s.exec(select(Absence)).one()
        assert (absence.talk_result, absence.talk_by) == ("held", ids["marc"])
        talks = s.exec(select(AuditLog).where(AuditLog.action == "absence.talk")).all()
        assert [t.details for t in talks] == [{"absence": absence.id, "result": "held"}]


async def test_in_english_not_possible_warns_the_coordinator_at_once(harness, session, clock):
    ids, users = seed(harness, session, clock, language="en", days=7)
    marc, amina, claire = users["marc"], users["amina"], users["claire"]
    asked = await _no_show(harness, marc, amina, day="Thu, Sep 10", send="Send", accept="Accept",
                           noshow="did not come")
    assert asked.text.startswith("Amina, your tutee, did not come to the meeting Thursday, September 10 at "
                                 "5:00\u202fPM. After an absence without notice, a talk with them is essential")
    await tap(marc, asked, "Not possible")
    assert asked.text == ("Noted: the talk with Amina was not possible. I am telling your coordinator, who will "
                          "follow it up.")
    clock.advance(minutes=20)
    await harness.tick()
    [card] = _cards(claire, "No talk after an absence")
    assert "The tutor said the talk was not possible." in card
    with session() as s:  # the reminder is dropped: the answer is in
        again = s.exec(select(OutboundMessage).where(OutboundMessage.kind == "absence_talk",
                                                    OutboundMessage.idempotency_key.like("%again%"))).one()
        assert again.dropped_at is not None and again.sent_at is None


async def test_a_programme_without_the_setting_asks_nothing(harness, session, clock):
    ids, users = seed(harness, session, clock, language="en", days=0)
    marc, amina = users["marc"], users["amina"]
    await _no_show(harness, marc, amina, day="Thu, Sep 10", send="Send", accept="Accept", noshow="did not come",
                   asked=False)
    assert not [m for m in marc.messages if "talk" in (m.text or "")]
    with session() as s:
        assert s.exec(select(Absence)).one().talk_asked_at is None
        assert not s.exec(select(OutboundMessage).where(OutboundMessage.kind == "absence_talk")).all()


def test_the_rules_once_only_and_only_the_mentor(session):
    now = datetime(2026, 9, 10, 17, 0, tzinfo=timezone.utc)
    with session() as s:
        programme = make_programme(s, now - timedelta(days=3), name="Lycée", vocabulary="tuteur")
        programme.options = {"absence_talk_days": 3}
        mentor, mentee, binome = make_pair(s, programme, now - timedelta(days=3))
        meeting = Meeting(binome_id=binome.id, starts_at=now - timedelta(hours=2), status="mentee_absent",
                          proposed_by=mentor.id, created_at=now)
        s.add(meeting)
        s.flush()
        excused = Absence(meeting_id=meeting.id, participant_id=mentee.id, announced_at=now, announced_by=mentee.id,
                          excused=True)
        s.add(excused)
        s.flush()
        assert not absence_talks.ask(session=s, absence=excused, mentor=mentor, now=now)  # excused: no talk
        excused.excused = False
        assert absence_talks.ask(session=s, absence=excused, mentor=mentor, now=now)
        assert not absence_talks.ask(session=s, absence=excused, mentor=mentor, now=now)  # once
        with pytest.raises(absence_talks.TalkRefused):
            absence_talks.record(session=s, absence_id=excused.id, participant_id=mentee.id, result="held", now=now)
        with pytest.raises(ValueError):
            absence_talks.record(session=s, absence_id=excused.id, participant_id=mentor.id, result="talked", now=now)
        absence_talks.record(session=s, absence_id=excused.id, participant_id=mentor.id, result="held", now=now)
        with pytest.raises(absence_talks.TalkRefused) as refused:
            absence_talks.record(session=s, absence_id=excused.id, participant_id=mentor.id, result="held", now=now)
        assert refused.value.refusal == absence_talks.TalkRefusal.DONE
