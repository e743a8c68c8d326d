"""Minors (issue 16, docs/tutoring.md): the import's minor and birth-year columns, a consent text written for a
15-year-old that says the school and the family are informed, the legal guardian recorded before the link
works where the programme says so, and a background check for their mentor whatever the setting. In French
and English, through the local Bot API and the import."""
from __future__ import annotations

from datetime import date

from sqlmodel import select

from storage import background_checks
from storage.importer import import_participants
from storage.importer.values import minor_of
from storage.models import AuditLog, Participant, Role
from tests.factories import invite, link, make_pair, make_participant, make_programme
from tests.test_onboarding import onboard


def seed(harness, session, clock, *, language="fr", guardian=True, checked=False):
    with session() as s:
        programme = make_programme(s, clock.now(), name="Lycée Jean Moulin", vocabulary="tuteur", language=language)
        programme.options = {"guardian_before_start": True} if guardian else {}
        mentor, mentee, _ = make_pair(s, programme, clock.now(), mentor="Marc", mentee="Léa")
        mentee.minor = True
        if checked:
            background_checks.record_check(session=s, mentor=mentor, on=date(2026, 9, 1), expires_on=None,
                                           by="Claire", now=clock.now())
        claire = make_participant(s, programme, clock.now(), Role.COORDINATOR, "Claire", "Martin")
        phone = harness.server.user(first_name="Claire", language_code=language)
        link(claire, phone, clock.now(), language)
        return {"mentee": mentee.id, "mentee_token": invite(s, mentee, clock.now()),
                "mentor_token": invite(s, mentor, clock.now())}, phone


async def test_in_french_a_minor_waits_for_the_guardian_then_reads_a_consent_for_her_age(
        harness, session, clock, database_url, monkeypatch, capsys):
    from bot import cli

    ids, claire = seed(harness, session, clock, checked=True)
    lea = harness.server.user(first_name="Léa", language_code="fr")
    await lea.send(f"/start {ids['mentee_token']}")
    held = await lea.wait_for_message()
    assert held.text == ("Bonjour Léa ! Merci de rejoindre «Lycée Jean Moulin». D'abord, ton école prévient ta "
                         "famille. Ensuite, ton coordinateur ou ta coordinatrice te le dira. Après, ce même lien "
                         "marchera. À bientôt !")
    await harness.tick()
    assert claire.messages[-1].text.startswith("🔒 Léa Benali (tutoré, binôme B01, mineur·e) a voulu rejoindre le "
                                               "programme, mais l'information de son représentant légal n'est pas "
                                               "enregistrée")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "fr")
    assert cli.main(["binome", "guardian", "B01", "--on", "2026-09-01"]) == 0
    assert "représentant légal de Léa Benali a été informé" in capsys.readouterr().out
    consent, _, _ = await onboard(lea, ids["mentee_token"])
    paragraphs = consent.text.split("\n\n")
    assert paragraphs[1].startswith("Avant de commencer, voici ce que je garde et qui le voit :\n• ton prénom")
    assert paragraphs[2] == ("Ton école et ta famille savent que tu participes. Ton tuteur voit tes rencontres et ton "
                             "plan. Ce que tu m'écris n'est montré à personne, sauf si tu choisis de le partager avec "
                             "ton tuteur. Ton coordinateur ou ta coordinatrice ne voit que des faits, comme les dates "
                             "de tes rencontres.")
    assert paragraphs[3] == "Tu peux arrêter mes messages à tout moment avec /stop. C'est d'accord pour toi ?"
    with session() as s:
        assert s.get(Participant, ids["mentee"]).guardian_informed_on == date(2026, 9, 1)
        assert s.exec(select(AuditLog).where(AuditLog.action == "guardian.informed")).one().details == {
            "on": "2026-09-01"}


async def test_in_english_the_mentor_of_a_minor_needs_a_check_whatever_the_setting(harness, session, clock):
    ids, claire = seed(harness, session, clock, language="en", guardian=False)
    marc = harness.server.user(first_name="Marc", language_code="en")
    await marc.send(f"/start {ids['mentor_token']}")
    held = await marc.wait_for_message()
    assert held.text.startswith("Hello Marc! Thank you for joining the programme «Lycée Jean Moulin». Before you "
                                "start, the programme is finishing a check that every tutor needs.")
    await harness.tick()
    assert claire.messages[-1].text.startswith("🔒 Marc Dubois (tutor, binôme B01) tried to join, but no valid "
                                               "background check is recorded")
    lea = harness.server.user(first_name="Léa", language_code="en")  # no guardian setting: she joins at once
    consent, _, _ = await onboard(lea, ids["mentee_token"], agree="I agree", language="English")
    assert "Your school and your family know that you take part." in consent.text


def test_the_import_reads_the_minor_and_birth_year_columns_row_by_row(session, clock):
    this_year = date.today().year
    assert minor_of("oui", None, this_year) == (True, None)
    assert minor_of("Non", None, this_year) == (False, None)
    assert minor_of(None, str(this_year - 15), this_year) == (True, None)
    assert minor_of(None, str(this_year - 18), this_year) == (False, None)
    assert minor_of("peut-être", None, this_year) == (None, "peut-être")
    assert minor_of(None, "15 ans", this_year) == (None, "15 ans")
    data = ("binôme;rôle;prénom;nom;mineur;année de naissance\n"
            "B01;tuteur;Marc;Dubois;;\n"
            f"B01;élève;Léa;Martin;;{this_year - 15}\n"
            "B02;tuteur;Sophie;Noël;;\n"
            "B02;élève;Tom;Petit;oui;\n").encode("utf-8")
    with session() as s:
        programme = make_programme(s, clock.now(), name="Lycée")
        report = import_participants(session=s, programme=programme, data=data, now=clock.now(),
                                     languages=["fr", "en"])
        assert report.ok
        minors = {p.first_name: p.minor for p in s.exec(select(Participant)).all()}
        assert minors == {"Marc": False, "Léa": True, "Sophie": False, "Tom": True}
        bad = import_participants(session=s, programme=programme, now=clock.now(), languages=["fr", "en"],
                                  data="binôme;rôle;prénom;nom;mineur\nB03;tuteur;A;B;\nB03;élève;C;D;bof\n"
                                  .encode("utf-8"))
        assert not bad.ok
        assert [(p.row, p.code) for p in bad.errors] == [(3, "bad_minor")]
