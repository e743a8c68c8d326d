"""The partner referent (issue 16, docs/tutoring.md): a teacher attached to a binôme by the import gets the
facts a coordinator gets for that binôme only (absences, warning signs, the closure) and none of what the pair
writes; the summary shows who the referent is. The referent of B01 sees nothing of B02. In French and English,
through the import and the local Bot API; forged and foreign presses."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlmodel import select

from storage import closures
from storage.importer import import_participants
from storage.models import (Binome, BinomeReferent, CheckIn, CheckInStatus, Meeting, MeetingStatus, Participant,
                            Role)
from tests.factories import invite, link
from tests.test_meetings import tap
from tests.test_onboarding import onboard

FILE = ("binôme;rôle;prénom;nom;courriel\n"
        "B01;tuteur;Marc;Dubois;marc@creche.example\n"
        "B01;élève;Amina;Benali;\n"
        "B02;tuteur;Sophie;Noël;sophie@creche.example\n"
        "B02;élève;Léo;Petit;\n"
        "B01;enseignante;Anne;Leroy;anne@lycee.example\n"
        ";coordinatrice;Claire;Martin;claire@asbl.example\n").encode("utf-8")


def seed(harness, session, clock, language="fr"):
    from tests.factories import make_programme

    with session() as s:
        programme = make_programme(s, clock.now(), name="Lycée Jean Moulin", vocabulary="tuteur", language=language)
        report = import_participants(session=s, programme=programme, data=FILE, now=clock.now(), languages=["fr", "en"])
        assert report.ok, report.errors
        people = {p.first_name: p for p in s.exec(select(Participant)).all()}
        users = {}
        for name in ("Marc", "Amina", "Sophie", "Léo", "Claire"):
            users[name] = harness.server.user(first_name=name, language_code=language)
            link(people[name], users[name], clock.now(), language)
        binomes = {b.label: b.id for b in s.exec(select(Binome)).all()}
        token = invite(s, people["Anne"], clock.now())
        ids = {name: p.id for name, p in people.items()} | binomes
        s.add(CheckIn(binome_id=binomes["B01"], participant_id=people["Marc"].id, role=Role.MENTOR, period="t-W36",
                      due_at=clock.now() - timedelta(days=2), status=CheckInStatus.ANSWERED, concern=True, mood=1,
                      word="MOT-POUR-LA-COORDINATRICE", share_with_coordinator=True,
                      answered_at=clock.now() - timedelta(days=2), created_at=clock.now()))
        for label in ("B01", "B02"):
            mentor = people["Marc"] if label == "B01" else people["Sophie"]
            s.add(Meeting(binome_id=binomes[label], starts_at=datetime(2026, 9, 10, 15, 0, tzinfo=timezone.utc),
                          status=MeetingStatus.CONFIRMED, proposed_by=mentor.id, created_at=clock.now()))
    return ids, users, token


async def test_in_french_the_teacher_follows_b01_only_with_facts_and_no_words(harness, session, clock):
    ids, users, token = seed(harness, session, clock)
    with session() as s:
        assert [(r.binome_id, r.participant_id) for r in s.exec(select(BinomeReferent))] == [(ids["B01"], ids["Anne"])]
        assert s.get(Participant, ids["Anne"]).role == Role.REFERENT
    anne = harness.server.user(first_name="Anne", language_code="fr")
    consent, _, intro = await onboard(anne, token)
    assert ("Comme référent partenaire de ces binômes, vous recevrez des faits (absences, rencontres tenues, signaux "
            "d'alerte, la clôture), jamais ce que le binôme s'écrit.") in consent.text
    assert intro.text.startswith("Bienvenue, Anne. Vous suivez les binômes B01 de «Lycée Jean Moulin»")

    await anne.send("/binome")
    listing = await anne.wait_for_message()
    assert listing.text == "Vous suivez 1 binôme ; touchez-le pour voir ses faits :"
    assert listing.button_texts == ["B01"]
    await tap(anne, listing, "B01")
    shown = (await anne.wait_for_message()).text
    assert "Référent partenaire : Anne Leroy." in shown.splitlines()
    assert "MOT-POUR-LA-COORDINATRICE" not in shown  # a word shared with the coordinator is not for her
    users["Claire"].skip_to_end()
    await users["Claire"].send("/binome B01")
    assert "MOT-POUR-LA-COORDINATRICE" in (await users["Claire"].wait_for_message()).text  # the coordinator's, still
    for data in (f"rb:{ids['B02']}:show", "rb:999:show", f"rb:{ids['B01']}:edit", "rb:12345678901234567890:show"):
        answer = await anne.callback_answer(await anne.press_data(listing, data))
        assert answer["text"] == "Ce bouton n'est plus valable."
    answer = await users["Marc"].callback_answer(await users["Marc"].press_data(
        users["Marc"].messages[-1] if users["Marc"].messages else listing, f"rb:{ids['B01']}:show"))
    assert answer["text"] == "Ce bouton n'est plus valable."
    anne.skip_to_end()
    await anne.send("/binome B02")
    assert (await anne.wait_for_message()).text == "Vous ne suivez pas de binôme B02. /binome liste les vôtres."

    # Absences: Amina's (B01) reaches Anne; Léo's (B02) does not.
    seen = len(anne.messages)
    for name in ("Amina", "Léo"):
        user = users[name]
        await user.send("/absent")
        await tap(user, await user.wait_for_message(), "Malade")
    await harness.tick()
    told = [m.text for m in anne.messages[seen:] if m.text]
    concern = next(t for t in told if t.startswith("⚠️"))  # Marc's concern: its facts, not his word
    assert concern.startswith("⚠️ Binôme B01 : Inquiétude du mentor.") and "MOT-POUR" not in concern
    assert [t for t in told if not t.startswith("⚠️")] == ["📋 Binôme B01 : Amina (tutoré) a prévenu ne pas pouvoir venir à la rencontre jeudi 10 septembre "
                    "à 17:00."]

    # The closure of B01 reaches her; nothing of B02 ever does.
    with session() as s:
        closures.close(session=s, binome=s.get(Binome, ids["B01"]), outcome="end_of_term", closed_on=date(2026, 9, 7),
                       by=None, now=clock.now())
    await harness.tick()
    assert anne.messages[-1].text == ("🏁 Le binôme B01 est clôturé le 7 septembre 2026 : Terme du mentorat sans "
                                      "solution. 0 rencontre a eu lieu.")
    assert not [m for m in anne.messages if m.text and "B02" in m.text and not m.text.startswith("Vous ne suivez")]


async def test_in_english_a_warning_sign_reaches_the_referent_with_its_facts(harness, session, clock):
    ids, users, token = seed(harness, session, clock, language="en")
    anne = harness.server.user(first_name="Anne", language_code="en")
    await onboard(anne, token, agree="I agree", language="English")
    amina = users["Amina"]
    await amina.send("/help")
    await tap(amina, await amina.wait_for_message(), "I need help")
    await harness.tick()
    alert = next(m.text for m in anne.messages if m.text and m.text.startswith("⚠️"))
    assert alert.splitlines()[0] == "⚠️ Binôme B01: Asked for help."
    assert alert.splitlines()[-1] == "The coordinator has been told and follows it up."
    await anne.send("/help")
    helped = await anne.wait_for_message()
    assert helped.button_texts == []  # "I need help" is the pair's, not the referent's


def test_the_import_refuses_a_referent_of_an_unknown_pair(session, clock):
    from tests.factories import make_programme

    with session() as s:
        programme = make_programme(s, clock.now(), name="Lycée")
        report = import_participants(session=s, programme=programme, now=clock.now(), languages=["fr"], data=(
            "binôme;rôle;prénom;nom\nB01;tuteur;Marc;Dubois\nB01;élève;Amina;Benali\n"
            "B09;formateur;Paul;Durand\n;maître de stage;Zoé;Roux\n").encode("utf-8"))
        assert not report.ok
        assert sorted((e.row, e.code) for e in report.errors) == [(4, "referent_unknown_pair"), (5, "missing_pair")]
        assert not s.exec(select(Participant)).all()
