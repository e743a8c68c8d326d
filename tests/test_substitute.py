"""The substitute tutor (issue 16, docs/tutoring.md): a tutor says /away with dates; the substitute is told
and, for that period, receives the tutee's meeting requests and absence warnings and the question after the
meeting; the tutee is told whom to turn to and when her tutor is back; without a substitute the coordinator
is told the binôme is uncovered. In French with the tutoring vocabulary and in English, through the local Bot
API; forged, foreign and stale presses; the CLI; the rules alone."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from icalendar import Calendar
from sqlmodel import select

from storage import substitutes
from storage.models import (AuditLog, Binome, CheckInPause, Meeting, MeetingStatus, MentorAway, OutboundMessage,
                            Participant, Role)
from tests.factories import link, make_pair, make_participant, make_programme
from tests.test_meetings import tap


def seed(harness, session, clock, *, language="fr", substitute=True):
    """Tutorat CP 332: Marc tutors Amina (B01), Sophie tutors Léo (B02) and stands in for Marc; Claire
    coordinates."""
    with session() as s:
        programme = make_programme(s, clock.now(), name="Tutorat CP 332", vocabulary="tuteur", language=language)
        marc, amina, b01 = make_pair(s, programme, clock.now(), mentor="Marc", mentee="Amina", label="B01")
        sophie, leo, b02 = make_pair(s, programme, clock.now(), mentor="Sophie", mentee="Léo", label="B02")
        sophie.import_key, leo.import_key = "test|sophie", "test|leo"
        sophie.email = "sophie@creche.example"
        claire = make_participant(s, programme, clock.now(), Role.COORDINATOR, "Claire", "Martin")
        people = {"marc": marc, "amina": amina, "sophie": sophie, "leo": leo, "claire": claire}
        users = {}
        for key, person in people.items():
            users[key] = harness.server.user(first_name=person.first_name, language_code=language)
            link(person, users[key], clock.now(), language)
        s.flush()
        if substitute:
            substitutes.set_substitute(session=s, binome=b01, substitute=sophie, by=None, now=clock.now())
        ids = {key: person.id for key, person in people.items()} | {"b01": b01.id, "b02": b02.id}
    return ids, users


async def _meeting(harness, proposer, answerer, day, send, accept, *, place):
    proposer.skip_to_end()
    answerer.skip_to_end()
    await proposer.send("/meeting")
    days = await proposer.wait_for_message()
    if days.button_texts[0].startswith("📅"):
        await tap(proposer, days, days.button_texts[0])
        days = await proposer.wait_for_message()
    for label in (day, "17:00", place, send):
        await tap(proposer, days, label)
    await harness.tick()
    proposal = await answerer.wait_for_message()
    await tap(answerer, proposal, accept)
    await harness.tick()
    await answerer.server.settle()
    for user in (proposer, answerer):
        user.skip_to_end()


def _texts(user, start=0):
    return [m.text for m in user.messages[start:] if m.text]


async def test_in_french_the_substitute_stands_in_for_the_tutor_away_then_hands_back(harness, session, clock):
    ids, users = seed(harness, session, clock)
    marc, amina, sophie, claire = users["marc"], users["amina"], users["sophie"], users["claire"]
    # Before the absence: a meeting on Thursday 17, planned by Marc, accepted by Amina.
    await _meeting(harness, marc, amina, "jeu. 17 sept.", "Envoyer", "Accepter", place="Marc")

    await marc.send("/away")
    menu = await marc.wait_for_message()
    assert menu.text == "Quand commence votre absence ? Votre suppléant, si vous en avez un, prendra le relais."
    assert menu.button_texts == ["Aujourd’hui", "Demain (mar. 8 sept.)", "À partir du lun. 14 sept.",
                                 "À partir du lun. 21 sept."]
    await tap(marc, menu, "À partir du lun. 14 sept.")
    assert menu.text == "Absence à partir du lun. 14 sept. : jusqu'à quand ?"
    assert menu.button_texts[1] == "1 semaine (retour le lun. 21 sept.)"
    await marc.send("la semaine prochaine")  # text where a button is expected: the usual polite answer
    polite = await marc.wait_for_message()
    assert "messages écrits" in polite.text
    await tap(marc, menu, "1 semaine")
    assert menu.text.splitlines() == [
        "🌴 C'est noté : vous n'êtes pas là du lun. 14 sept. au dim. 20 sept. (retour le lun. 21 sept.) ; pas de "
        "point d'étape pendant ce temps.", "Sophie vous remplace auprès d'Amina.", "/conges permet de le changer."]
    marc_seen = len(marc.messages)
    await harness.tick()
    assert _texts(sophie)[-2] == (
        "Bonjour Sophie, Marc n'est pas là du lun. 14 sept. au dim. 20 sept. : vous assurez la suppléance auprès d'"
        "Amina, son tutoré (binôme B01). Jusqu'au retour de Marc le lun. 21 sept., je vous transmets les demandes "
        "de rencontre et les absences d'Amina, et la question après chaque rencontre.")
    handed = sophie.messages[-1]  # Thursday's meeting, now hers, with its calendar file
    assert handed.document is not None and handed.document["file_name"] == "rencontre.ics"
    assert Calendar.from_ical(handed.document["data"]).walk("VEVENT")[0].decoded("DTSTART") == datetime(
        2026, 9, 17, 15, 0, tzinfo=timezone.utc)
    assert _texts(sophie)[-1].startswith("📅 Confirmé : rencontre avec Amina jeudi 17 septembre à 17:00")
    assert _texts(amina)[-1] == (
        "Bonjour Amina, votre tuteur Marc n'est pas là du lun. 14 sept. au dim. 20 sept.. Marc revient le lun. 21 "
        "sept.. Pendant ce temps, Sophie remplace Marc : vous pouvez parler à Sophie. /rencontre et /absent vont à "
        "Sophie.")
    assert not _texts(claire)  # covered: nothing for the coordinator
    with session() as s:
        away = s.exec(select(MentorAway)).one()
        assert (away.starts_on, away.ends_on, away.substitute_id) == (date(2026, 9, 14), date(2026, 9, 20),
                                                                      ids["sophie"])
        assert s.exec(select(CheckInPause)).one().starts_on == date(2026, 9, 14)
        audit = s.exec(select(AuditLog).where(AuditLog.action == "mentor.away")).one()
        assert audit.details == {"starts_on": "2026-09-14", "ends_on": "2026-09-20", "substitute": ids["sophie"]}

    # The day before, the reminder goes to Sophie and Amina, not to Marc.
    clock.set(datetime(2026, 9, 16, 16, 0, tzinfo=timezone.utc))
    await harness.tick()
    assert _texts(sophie)[-1].startswith("⏰ Rappel : rencontre avec Amina demain à 17:00")
    assert _texts(amina)[-1].startswith("⏰ Rappel : rencontre avec Sophie demain à 17:00")
    assert not _texts(marc, marc_seen)

    # Amina cannot come on Thursday: Sophie is warned at once.
    clock.set(datetime(2026, 9, 17, 7, 0, tzinfo=timezone.utc))
    amina.skip_to_end()
    await amina.send("/absent")
    await tap(amina, await amina.wait_for_message(), "Entretien d'embauche")
    assert "Je préviens Sophie tout de suite" in amina.last_message.text
    await harness.tick()
    assert _texts(sophie)[-1].startswith("⚠️ Amina, votre tutoré, ne peut pas venir à la rencontre jeudi 17 "
                                         "septembre à 17:00.")

    # Amina asks for Friday instead: the request goes to Sophie, who accepts; the question after is Sophie's.
    await _meeting(harness, amina, sophie, "ven. 18 sept.", "Envoyer", "Accepter", place="Marc")
    assert _texts(amina)[-1].startswith("📅 Confirmé : rencontre avec Sophie vendredi 18 septembre à 17:00")
    clock.set(datetime(2026, 9, 18, 17, 5, tzinfo=timezone.utc))  # 19:05, half an hour after 18:30
    await harness.tick()
    question = await sophie.wait_for_message(predicate=lambda m: (m.text or "").startswith("Comment s'est passée"))
    assert question.text == "Comment s'est passée la rencontre avec Amina vendredi 18 septembre à 17:00 ?"
    await tap(sophie, question, "Elle a eu lieu")
    assert not _texts(marc, marc_seen)
    clock.set(datetime(2026, 9, 19, 8, 0, tzinfo=timezone.utc))
    with session() as s:
        friday = s.exec(select(Meeting).where(Meeting.status == MeetingStatus.HELD)).one()
        assert friday.outcome_by == ids["sophie"]

    # Marc comes back a day early: Sophie and Amina are told; the meetings to come are his again.
    marc.skip_to_end()
    await marc.send("/away")
    shown = await marc.wait_for_message()
    assert shown.text.splitlines() == ["Vous n'êtes pas là du lun. 14 sept. au dim. 20 sept. (retour le lun. 21 sept.).",
                                       "Sophie vous remplace auprès d'Amina."]
    await tap(marc, shown, "Je suis de retour")
    assert shown.text.startswith("Bon retour ! Votre tutoré et votre suppléant sont prévenus")
    answer = await marc.callback_answer(await marc.press_data(shown, "aw:0:back"))  # a doubled press
    assert answer["text"] == "Aucune absence en cours : rien n'a été modifié."
    await harness.tick()
    assert _texts(amina)[-1] == "Bonne nouvelle, Amina : votre tuteur Marc est de retour. /rencontre va de nouveau à Marc."
    assert _texts(sophie)[-1] == ("Bonjour Sophie, Marc est de retour : la suppléance auprès d'Amina s'arrête. "
                                  "Merci !")
    with session() as s:
        away = s.exec(select(MentorAway)).one()
        assert away.ended_at == clock.now() and away.ends_on == date(2026, 9, 18)


async def test_forged_foreign_and_doubled_presses_change_nothing(harness, session, clock):
    ids, users = seed(harness, session, clock)
    marc, amina, sophie = users["marc"], users["amina"], users["sophie"]
    await marc.send("/away")
    menu = await marc.wait_for_message()
    invalid = "Ce bouton n'est plus valable."
    for data in ("aw:0:from:29", "aw:0:from:999", "aw:0:to:3_5", "aw:0:to:40_7", "aw:0:to:3", "aw:0:nope",
                 "aw:99999999999999999999:back"):
        answer = await marc.callback_answer(await marc.press_data(menu, data))
        assert answer["text"] == invalid, data
    for user in (amina, users["claire"]):  # a tutee's or a coordinator's forged press
        await user.send("/help")
        await user.wait_for_message()
        answer = await user.callback_answer(await user.press_data(user.last_message, "aw:0:to:0_7"))
        assert answer["text"] == invalid
    answer = await marc.callback_answer(await marc.press_data(menu, "aw:0:back"))
    assert answer["text"] == "Aucune absence en cours : rien n'a été modifié."
    await tap(marc, menu, "Aujourd’hui")
    await tap(marc, menu, "3 jours")
    again = await marc.callback_answer(await marc.press_data(menu, "aw:0:to:0_3"))  # a doubled press: once more
    assert again["text"] == "C'est noté."
    with session() as s:
        aways = s.exec(select(MentorAway).order_by(MentorAway.id)).all()
        live = [a for a in aways if a.ended_at is None]
        assert len(live) == 1 and (live[0].starts_on, live[0].ends_on) == (date(2026, 9, 7), date(2026, 9, 9))
        assert not s.exec(select(MentorAway).where(MentorAway.mentor_id != ids["marc"])).all()
    # Sophie stands in for B01 only during the period: a meeting of B01 after it is not hers to answer.
    clock.set(datetime(2026, 9, 8, 8, 0, tzinfo=timezone.utc))
    await amina.send("/meeting")
    days = await amina.wait_for_message()
    for label in ("mar. 15 sept.", "17:00", "Marc", "Envoyer"):
        await tap(amina, days, label)
    await harness.tick()
    with session() as s:
        meeting = s.exec(select(Meeting).where(Meeting.status == MeetingStatus.PROPOSED)).one()
        assert s.exec(select(OutboundMessage).where(OutboundMessage.kind == "meeting_proposed")).one() \
            .participant_id == ids["marc"]
    answer = await sophie.callback_answer(await sophie.press_data(sophie.messages[-1], f"m:{meeting.id}:ok"))
    assert answer["text"] == invalid
    with session() as s:
        assert s.get(Meeting, meeting.id).status == MeetingStatus.PROPOSED


async def test_in_english_without_a_substitute_the_coordinator_is_told_the_binome_is_uncovered(
        harness, session, clock):
    ids, users = seed(harness, session, clock, language="en", substitute=False)
    marc, amina, claire = users["marc"], users["amina"], users["claire"]
    await marc.send("/away")
    menu = await marc.wait_for_message()
    assert menu.text == "From when are you away? Your substitute, if you have one, will stand in for you."
    await tap(marc, menu, "Tomorrow")
    await tap(marc, menu, "2 weeks")
    assert menu.text.splitlines()[1:] == ["No substitute for Amina: your coordinator is told.", "/away changes it."]
    await harness.tick()
    assert _texts(claire)[-1] == ("⚠️ Binôme B01 has no substitute from Tue, Sep 8 to Mon, Sep 21: Marc (tutor) "
                                  "is away. Name one with `binome binome substitute B01 --mentor-of PAIR`.")
    assert _texts(amina)[-1] == ("Hello Amina, your tutor Marc is away from Tue, Sep 8 to Mon, Sep 21. Marc is back "
                                 "on Tue, Sep 22. Until then, your coordinator is there for you: send /help.")
    with session() as s:  # naming one now: the period under way gets her, and she is told
        substitutes.set_substitute(session=s, binome=s.get(Binome, ids["b01"]), by=None, now=clock.now(),
                                   substitute=s.get(Participant, ids["sophie"]))
    await harness.tick()
    assert _texts(users["sophie"])[-1].startswith("Hello Sophie, Marc is away from Tue, Sep 8 to Mon, Sep 21: you "
                                                  "stand in for them with Amina, their tutee (binôme B01).")
    assert "you can talk to Sophie" in _texts(amina)[-1]
    claire.skip_to_end()
    await claire.send("/binome B01")  # the coordinator's summary: who stands in, the dates, nothing else
    lines = (await claire.wait_for_message()).text.splitlines()
    assert "Substitute: Sophie Dubois." in lines
    assert "🌴 Marc (tutor) away from Sep 8 to Sep 21: covered by Sophie." in lines


async def test_a_mentors_check_in_away_button_also_hands_over_to_the_substitute(harness, session, clock):
    ids, users = seed(harness, session, clock, language="en")
    marc = users["marc"]
    await harness.tick()  # the check-ins are written ahead
    clock.set(datetime(2026, 9, 9, 16, 5, tzinfo=timezone.utc))  # Wednesday 18:05: the check-in
    await harness.tick()
    checkin = next(m for m in marc.messages if "I'm away" in " ".join(m.button_texts))
    await tap(marc, checkin, "🌴 I'm away…")
    await tap(marc, checkin, "1 week")
    await harness.tick()
    with session() as s:
        away = s.exec(select(MentorAway)).one()
        assert (away.starts_on, away.ends_on, away.substitute_id) == (date(2026, 9, 9), date(2026, 9, 16),
                                                                      ids["sophie"])
    assert _texts(users["sophie"])[-1].startswith("Hello Sophie, Marc is away from Wed, Sep 9 to Wed, Sep 16")


def test_the_cli_names_and_removes_a_substitute(engine, session, database_url, monkeypatch, capsys):
    from bot import cli

    now = datetime.now(timezone.utc)
    with session() as s:
        programme = make_programme(s, now, name="Tutorat CP 332", vocabulary="tuteur")
        make_pair(s, programme, now, label="B01")
        other, _, _ = make_pair(s, programme, now, mentor="Sophie", mentee="Léo", label="B02")
        other.import_key, other.email = "test|sophie", "sophie@creche.example"
        s.add(other)
        s.flush()
        for p in s.exec(select(Participant).where(Participant.first_name == "Léo")):
            p.import_key = "test|leo"
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "fr")
    assert cli.main(["binome", "substitute", "B01", "--mentor-of", "B02"]) == 0
    assert capsys.readouterr().out.strip() == ("Sophie Dubois est désormais suppléant·e du binôme B01 : il ou elle "
                                               "prend le relais dès que le mentor signale une absence (/conges).")
    assert cli.main(["binome", "substitute", "B01", "--mentor-of", "B01"]) == 2
    assert "propre suppléant" in capsys.readouterr().err
    assert cli.main(["binome", "substitute", "B01", "--email", "nobody@example.org"]) == 2
    assert cli.main(["binome", "substitute", "B09", "--none"]) == 2
    with session() as s:
        assert s.exec(select(Binome).where(Binome.label == "B01")).one().substitute_id == other.id
    assert cli.main(["binome", "substitute", "B01", "--email", "sophie@creche.example"]) == 0
    assert cli.main(["binome", "substitute", "B01", "--none"]) == 0
    assert "n'a plus de suppléant" in capsys.readouterr().out
    with session() as s:
        assert s.exec(select(Binome).where(Binome.label == "B01")).one().substitute_id is None
        actions = s.exec(select(AuditLog.actor).where(AuditLog.action == "binome.substitute")).all()
        assert actions == ["cli", "cli", "cli"]


def test_the_rules_refuse_a_mentee_another_programme_and_bad_dates(session):
    now = datetime(2026, 9, 7, 8, 0, tzinfo=timezone.utc)
    with session() as s:
        programme = make_programme(s, now, name="Tutorat")
        marc, amina, b01 = make_pair(s, programme, now)
        elsewhere = make_programme(s, now, name="Ailleurs")
        paul = make_participant(s, elsewhere, now, Role.MENTOR, "Paul")
        for who, refusal in ((amina, substitutes.SubstituteRefusal.NOT_A_MENTOR),
                             (paul, substitutes.SubstituteRefusal.NOT_A_MENTOR),
                             (marc, substitutes.SubstituteRefusal.OWN_MENTOR)):
            with pytest.raises(substitutes.SubstituteRefused) as refused:
                substitutes.set_substitute(session=s, binome=b01, substitute=who, by=None, now=now)
            assert refused.value.refusal == refusal
        with pytest.raises(substitutes.SubstituteRefused):
            substitutes.declare_away(session=s, mentor=marc, starts_on=date(2026, 9, 10), ends_on=date(2026, 9, 9),
                                     now=now)
        with pytest.raises(substitutes.SubstituteRefused):
            substitutes.declare_away(session=s, mentor=amina, starts_on=date(2026, 9, 10),
                                     ends_on=date(2026, 9, 12), now=now)
        # A period not begun and ended never happens; without a substitute, nobody stands in.
        [away] = substitutes.declare_away(session=s, mentor=marc, starts_on=date(2026, 9, 10),
                                          ends_on=date(2026, 9, 12), now=now)
        assert away.substitute_id is None
        substitutes.end_away(session=s, mentor=marc, now=now)
        assert away.ends_on < away.starts_on


def test_the_import_names_a_substitute_by_a_row_with_the_pairs_code(session):
    from storage.importer import import_participants

    now = datetime(2026, 9, 7, 8, 0, tzinfo=timezone.utc)
    data = ("binôme;rôle;prénom;nom;courriel\n"
            "B01;tuteur;Marc;Dubois;marc@creche.example\n"
            "B01;tutoré;Amina;Benali;\n"
            "B02;tutrice;Sophie;Noël;sophie@creche.example\n"
            "B02;tutoré;Léo;Petit;\n"
            "B01;suppléante;Sophie;Noël;sophie@creche.example\n").encode("utf-8")
    with session() as s:
        programme = make_programme(s, now, name="Tutorat CP 332", vocabulary="tuteur")
        report = import_participants(session=s, programme=programme, data=data, now=now, languages=["fr"])
        assert report.ok, report.errors
        sophie = s.exec(select(Participant).where(Participant.first_name == "Sophie")).one()  # one person
        b01 = s.exec(select(Binome).where(Binome.label == "B01")).one()
        assert b01.substitute_id == sophie.id
        assert s.exec(select(Binome).where(Binome.label == "B02")).one().mentor_id == sophie.id
        bad = import_participants(session=s, programme=programme, now=now, languages=["fr"],
                                  data="binôme;rôle;prénom;nom\nB09;substitute;Paul;Durand\n".encode("utf-8"))
        assert [(e.row, e.code) for e in bad.errors] == [(2, "referent_unknown_pair")]
