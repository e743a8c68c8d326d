"""One person in several binômes, as they live it: a mentor with two mentees is imported once (one
participant, one invitation), joins by his one link, and the bot asks "which binôme?" where it matters
(/meeting, /plan, /absent), with one check-in per binôme that names the partner."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlmodel import select

from bot.i18n import available_languages
from storage.importer import import_participants
from storage.invite_links import invitation_lines
from storage.models import Binome, CheckIn, Meeting, MeetingStatus, Participant, PlanAction, Role
from storage.participants import active_binomes_of, current_binome
from tests.factories import link, make_participant, make_programme

WED_18 = datetime(2026, 9, 9, 16, 0, tzinfo=timezone.utc)  # Wednesday 9 Sept, 18:00 in Brussels

CSV = (
    "binome;rôle;prénom;nom;email\n"
    "P1;mentor;Marc;Dubois;marc@example.org\n"
    "P1;mentoré;Amina;Benali;\n"
    "P2;mentor;Marc;Dubois;MARC@example.org\n"
    "P2;mentoré;Léa;Martin;\n"
)


async def tap(user, message, text: str):
    await user.callback_answer(await user.press(message, text=text), timeout=10)
    await user.server.settle()


async def forged(user, message, data: str) -> str:
    answer = await user.callback_answer(await user.press_data(message, data))
    await user.server.settle()
    return answer["text"]


async def seed(harness, session, clock):
    """The import, Marc joining by his link (in English), Amina and Léa already there."""
    with session() as s:
        programme = make_programme(s, clock.now())
        report = import_participants(session=s, programme=programme, data=CSV.encode(), now=clock.now(),
                                     languages=available_languages())
        assert report.ok, report.errors
        lines = invitation_lines(session=s, programme=programme, bot_username="binome_bot", now=clock.now(),
                                 valid_days=30)
        people = {p.first_name: p for p in s.exec(select(Participant))}
        amina = harness.server.user(first_name="Amina", language_code="en")
        lea = harness.server.user(first_name="Léa", language_code="en")
        link(people["Amina"], amina, clock.now(), "en")
        link(people["Léa"], lea, clock.now(), "en")
        ids = {name: p.id for name, p in people.items()}
        ids["programme"] = programme.id
        ids.update({b.label: b.id for b in s.exec(select(Binome))})
    assert [line.name for line in lines].count("Marc Dubois") == 1
    [marc_line] = [line for line in lines if line.name == "Marc Dubois"]
    token = marc_line.link.split("start=")[1]
    marc = harness.server.user(first_name="Marc", language_code="en")
    await marc.send(f"/start {token}")
    consent = await marc.wait_for_message()
    await marc.press(consent, text="I agree")
    question = await marc.wait_for_message()
    await marc.press(question, text="English")
    welcome = await marc.wait_for_message()
    assert "already linked" not in welcome.text
    with session() as s:
        joined = s.get(Participant, ids["Marc"])
        assert joined.telegram_user_id == marc.id and joined.onboarded_at is not None
    return ids, marc, amina, lea


async def test_marc_joins_once_and_plans_a_meeting_with_lea(harness, session, clock):
    ids, marc, amina, lea = await seed(harness, session, clock)
    await marc.send("/meeting")
    which = await marc.wait_for_message()
    assert which.text == "With which binôme?"
    assert which.button_texts == ["Amina · P1", "Léa · P2"]
    await tap(marc, which, "Léa · P2")
    assert which.text == "When do you want to meet? Choose a day:"
    await tap(marc, which, "Thu, Sep 10")
    await tap(marc, which, "17:00")
    await tap(marc, which, "Marc")
    assert which.text.endswith("Can I send it to Léa?")
    await tap(marc, which, "Send")
    assert which.text.startswith("Sent to Léa")
    await harness.tick()
    for mentee in (amina, lea):  # each of his mentees was told he joined
        assert (await mentee.wait_for_message()).text == "Good news: Marc, your mentor, has joined Binôme."
    proposal = await lea.wait_for_message()
    assert proposal.text.startswith("Marc proposes a meeting")
    assert not any("proposes" in (m.text or "") for m in amina.messages)  # the other mentee hears nothing
    with session() as s:
        meeting = s.exec(select(Meeting).where(Meeting.status == MeetingStatus.PROPOSED)).one()
        assert meeting.binome_id == ids["P2"]

    # Amina's binôme is asked again on the next /meeting; the answer names the pair the meeting is with.
    await marc.send("/meeting")
    which = await marc.wait_for_message()
    await tap(marc, which, "Amina · P1")
    assert which.text == "When do you want to meet? Choose a day:"
    await marc.send("/meeting")
    which = await marc.wait_for_message()
    await tap(marc, which, "Léa · P2")
    assert which.text.startswith("Your next meeting: Thursday, September 10")


async def test_which_binome_buttons_are_checked(harness, session, clock):
    ids, marc, amina, lea = await seed(harness, session, clock)
    await marc.send("/meeting")
    which = await marc.wait_for_message()
    # Léa cannot use Marc's question for her binôme's neighbour, nor a forged or huge id.
    assert await forged(lea, which, f"wb:{ids['P1']}:m") == "This button is no longer valid."
    assert await forged(marc, which, "wb:999999:m") == "This button is no longer valid."
    assert await forged(marc, which, f"wb:{ids['P1']}:zz") == "This button is no longer valid."
    with session() as s:
        assert s.exec(select(Meeting)).all() == []
    # Amina has one binôme: no question at all.
    await amina.send("/meeting")
    assert (await amina.wait_for_message()).text == "When do you want to meet? Choose a day:"


async def test_plan_asks_which_binome(harness, session, clock):
    ids, marc, amina, lea = await seed(harness, session, clock)
    await marc.send("/plan")
    which = await marc.wait_for_message()
    assert which.text == "With which binôme?"
    assert which.button_texts == ["Amina · P1", "Léa · P2"]
    await tap(marc, which, "Amina · P1")
    assert which.text.startswith("📋 Binôme P1 with Amina.\n\n📋 Your action plan is empty.")
    assert "You and Amina can both add actions" in which.text
    await tap(marc, which, "Add an action")
    await marc.send("Call the job centre")
    category = await marc.wait_for_message()
    await tap(marc, category, "Skip")
    await tap(marc, category, "No date")
    await tap(marc, category, "The plan")
    assert "Call the job centre" in category.text and "Amina" in category.text
    with session() as s:
        [action] = s.exec(select(PlanAction)).all()
        assert action.binome_id == ids["P1"]
    await marc.send("/plan")
    which = await marc.wait_for_message()
    await tap(marc, which, "Léa · P2")
    assert "📋 Your action plan is empty." in which.text and "You and Léa" in which.text


async def test_absent_asks_which_binome_when_both_have_a_meeting(harness, session, clock):
    ids, marc, amina, lea = await seed(harness, session, clock)
    for name, day in (("Amina · P1", "Thu, Sep 10"), ("Léa · P2", "Fri, Sep 11")):
        await marc.send("/meeting")
        which = await marc.wait_for_message()
        await tap(marc, which, name)
        await tap(marc, which, day)
        await tap(marc, which, "17:00")
        await tap(marc, which, "Marc")
        await tap(marc, which, "Send")
    await harness.tick()
    await tap(lea, await lea.wait_for_message(predicate=lambda m: "proposes" in (m.text or "")), "Accept")
    await harness.tick()
    lea.skip_to_end()
    marc.skip_to_end()
    await marc.send("/absent")
    which = await marc.wait_for_message()
    assert which.text == "With which binôme?"
    await tap(marc, which, "Léa · P2")
    assert which.text == ("You cannot come to the meeting with Léa Friday, September 11 at 5:00\u202fPM? "
                          "What is the reason?")
    await tap(marc, which, "Job interview")
    assert "I am warning Léa now" in which.text
    await harness.tick()
    assert "Marc" in (await lea.wait_for_message()).text
    with session() as s:
        statuses = {m.binome_id: m.status for m in s.exec(select(Meeting))}
        assert statuses == {ids["P1"]: MeetingStatus.PROPOSED, ids["P2"]: MeetingStatus.MENTOR_ABSENT}


async def test_one_check_in_per_binome_naming_the_mentee(harness, session, clock):
    ids, marc, amina, lea = await seed(harness, session, clock)
    await harness.tick()  # Monday: the week's check-ins are written
    with session() as s:
        mine = s.exec(select(CheckIn).where(CheckIn.participant_id == ids["Marc"])).all()
        assert sorted(c.binome_id for c in mine) == sorted([ids["P1"], ids["P2"]])
    clock.set(WED_18)
    await harness.tick()
    texts = sorted([(await marc.wait_for_message()).text, (await marc.wait_for_message()).text])
    assert texts[0].startswith("👋 Check-in time: how is the binôme with Amina going?")
    assert texts[1].startswith("👋 Check-in time: how is the binôme with Léa going?")


def test_active_binomes_and_the_newest(session, clock):
    with session() as s:
        programme = make_programme(s, clock.now())
        marc = make_participant(s, programme, clock.now(), Role.MENTOR, "Marc")
        amina = make_participant(s, programme, clock.now(), Role.MENTEE, "Amina")
        lea = make_participant(s, programme, clock.now(), Role.MENTEE, "Léa")
        first = Binome(programme_id=programme.id, label="P1", mentor_id=marc.id, mentee_id=amina.id,
                       started_on=clock.now().date(), planned_end_on=clock.now().date(), created_at=clock.now())
        second = Binome(programme_id=programme.id, label="P2", mentor_id=marc.id, mentee_id=lea.id,
                        started_on=clock.now().date(), planned_end_on=clock.now().date(), created_at=clock.now())
        s.add(first)
        s.add(second)
        s.flush()
        assert [b.label for b in active_binomes_of(session=s, participant=marc)] == ["P2", "P1"]
        assert current_binome(session=s, participant=marc).label == "P2"
        assert [b.label for b in active_binomes_of(session=s, participant=lea)] == ["P2"]
