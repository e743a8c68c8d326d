"""The meeting length as a programme setting (issue 16, docs/tutoring.md): a tutoring programme's weekly
interview of 45 minutes is planned, put in the calendar, reminded and asked about after its own end, in
French with the tutoring vocabulary and in English; MentorYou's 90 minutes stay the default."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from icalendar import Calendar
from sqlmodel import select

from storage.models import Meeting, OutboundMessage, Programme
from storage.options import OptionError, effective_options, meeting_options, parse_assignment
from tests.factories import link, make_pair, make_programme
from tests.test_meetings import tap


def seed(harness, session, clock, *, language="fr", minutes=45):
    with session() as s:
        programme = make_programme(s, clock.now(), name="Tutorat CP 332", vocabulary="tuteur", language=language)
        programme.options = {"meeting_minutes": minutes} if minutes else {}
        mentor, mentee, _ = make_pair(s, programme, clock.now(), mentor="Marc", mentee="Amina")
        mentor.employer = "Crèche Les Lutins"
        marc = harness.server.user(first_name="Marc", language_code=language)
        amina = harness.server.user(first_name="Amina", language_code=language)
        link(mentor, marc, clock.now(), language)
        link(mentee, amina, clock.now(), language)
    return marc, amina


async def _confirmed(harness, marc, amina, day, hour, send, accept):
    await plan_meeting_in(marc, day, hour, send)
    await harness.tick()
    await tap(amina, await amina.wait_for_message(), accept)
    await harness.tick()
    events = []
    for user in (marc, amina):
        await user.wait_for_message()
        calendar = await user.wait_for_message()
        [event] = Calendar.from_ical(calendar.document["data"]).walk("VEVENT")
        events.append(event)
    return events


async def plan_meeting_in(user, day, hour, send):
    await user.send("/meeting")
    days = await user.wait_for_message()
    if days.button_texts[0].startswith("📅"):  # one is planned already: "Plan another meeting"
        await tap(user, days, days.button_texts[0])
        days = await user.wait_for_message()
    for label in (day, hour, "Marc", send):
        await tap(user, days, label)


async def test_a_45_minute_interview_in_french_calendar_reminders_and_the_question_after_its_end(
        harness, session, clock):
    marc, amina = seed(harness, session, clock)  # Monday 7 Sept 2026, 10:00 in Brussels
    events = await _confirmed(harness, marc, amina, "jeu. 10 sept.", "17:00", "Envoyer", "Accepter")
    for event in events:
        assert event.decoded("DTSTART") == datetime(2026, 9, 10, 15, 0, tzinfo=timezone.utc)
        assert event.decoded("DTEND") == datetime(2026, 9, 10, 15, 45, tzinfo=timezone.utc)  # 17:45 in Brussels
    with session() as s:
        assert s.exec(select(Meeting)).one().duration_minutes == 45

    clock.set(datetime(2026, 9, 9, 16, 0, tzinfo=timezone.utc))  # the day before, 18:00
    await harness.tick()
    reminder = await amina.wait_for_message()
    assert reminder.text == ("⏰ Rappel : rencontre avec Marc demain à 17:00 (jusqu'à 17:45), sur le lieu de "
                             "travail de Marc (Crèche Les Lutins).")
    marc.skip_to_end()
    clock.set(datetime(2026, 9, 10, 12, 0, tzinfo=timezone.utc))
    await harness.tick()
    assert (await marc.wait_for_message()).text.startswith("⏰ Bientôt : rencontre avec Amina à 17:00 (jusqu'à 17:45)")

    # The tutor is asked half an hour after the interview's own end (18:15), not after 90 minutes' (19:00).
    marc.skip_to_end()
    clock.set(datetime(2026, 9, 10, 16, 10, tzinfo=timezone.utc))  # 18:10
    await harness.tick()
    assert not [m for m in marc.messages if (m.text or "").startswith("Comment s'est passée")]
    clock.set(datetime(2026, 9, 10, 16, 16, tzinfo=timezone.utc))  # 18:16
    await harness.tick()
    question = await marc.wait_for_message(predicate=lambda m: m.text.startswith("Comment s'est passée"))
    assert question.text == "Comment s'est passée la rencontre avec Amina jeudi 10 septembre à 17:00 ?"
    await tap(marc, question, "Elle a eu lieu")
    with session() as s:
        assert s.exec(select(Meeting)).one().status == "held"


async def test_in_english_the_default_stays_90_minutes_and_a_changed_setting_applies_to_the_next_meeting(
        harness, session, clock):
    marc, amina = seed(harness, session, clock, language="en", minutes=None)
    [event, _] = await _confirmed(harness, marc, amina, "Thu, Sep 10", "17:00", "Send", "Accept")
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=90)
    with session() as s:
        programme = s.exec(select(Programme)).one()
        programme.options = {"meeting_minutes": 30}
        s.add(programme)
    [event, _] = await _confirmed(harness, marc, amina, "Fri, Sep 11", "17:00", "Send", "Accept")
    assert event.decoded("DTEND") == datetime(2026, 9, 11, 15, 30, tzinfo=timezone.utc)
    clock.set(datetime(2026, 9, 10, 16, 0, tzinfo=timezone.utc))
    await harness.tick()
    reminder = next(m for m in amina.messages if (m.text or "").startswith("⏰ Reminder"))
    assert reminder.text.startswith("⏰ Reminder: meeting with Marc tomorrow at 5:00\u202fPM (until 5:30\u202fPM)")
    with session() as s:  # the first meeting kept its 90 minutes: its question comes after 18:30 + 30 min
        first = s.exec(select(Meeting).order_by(Meeting.id)).first()
        asked = s.exec(select(OutboundMessage).where(OutboundMessage.kind == "meeting_outcome",
                                                    OutboundMessage.params["meeting_id"].as_integer() == first.id)
                       .order_by(OutboundMessage.due_at)).first()
        assert asked.due_at == datetime(2026, 9, 10, 17, 0, tzinfo=timezone.utc)


def test_the_setting_is_bounded_and_shown():
    assert parse_assignment("meeting_minutes=45") == ("meeting_minutes", 45)
    assert parse_assignment("meeting_minutes=") == ("meeting_minutes", None)
    for bad in ("meeting_minutes=10", "meeting_minutes=241", "meeting_minutes=une heure"):
        with pytest.raises(OptionError):
            parse_assignment(bad)
    programme = Programme(name="P", options={"meeting_minutes": 60})
    assert meeting_options(programme).meeting_minutes == 60
    assert effective_options(programme)["meeting_minutes"] == 60
    assert effective_options(Programme(name="Q", options={}))["meeting_minutes"] == 90
