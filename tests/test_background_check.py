"""Mentors' background checks (issue 16, docs/tutoring.md): in a programme that requires one, a mentor's
invitation does not link them until a valid check is recorded, and the coordinator is told why; the CLI
records it (date, expiry, who) and the same link then works; a check expiring within a month warns the
coordinator once. In French with the tutoring vocabulary and in English, through the local Bot API."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlmodel import select

from storage import background_checks
from storage.models import AuditLog, Invitation, OutboundMessage, Participant, Role
from storage.options import OptionError, parse_assignment
from tests.factories import invite, link, make_pair, make_participant, make_programme
from tests.test_onboarding import onboard


def seed(harness, session, clock, *, language="fr", required=True):
    with session() as s:
        programme = make_programme(s, clock.now(), name="Lycée Jean Moulin", vocabulary="tuteur", language=language)
        programme.options = {"requires_background_check": True} if required else {}
        mentor, mentee, _ = make_pair(s, programme, clock.now())
        claire = make_participant(s, programme, clock.now(), Role.COORDINATOR, "Claire", "Martin")
        claire_phone = harness.server.user(first_name="Claire", language_code=language)
        link(claire, claire_phone, clock.now(), language)
        return {"mentor": mentor.id, "token": invite(s, mentor, clock.now())}, claire_phone


async def test_in_french_the_tutor_waits_for_the_check_then_the_same_link_works(
        harness, session, clock, database_url, monkeypatch, capsys):
    from bot import cli

    ids, claire = seed(harness, session, clock)
    marc = harness.server.user(first_name="Marc", language_code="fr")
    await marc.send(f"/start {ids['token']}")
    held = await marc.wait_for_message()
    assert held.text == ("Bonjour Marc ! Merci de rejoindre le programme «Lycée Jean Moulin». Avant de commencer, le "
                         "programme termine une vérification demandée à chaque tuteur. Votre coordinateur·rice est au "
                         "courant : il ou elle vous dira quand c'est fait, et ce même lien fonctionnera alors.")
    assert held.button_texts == []
    await harness.tick()
    assert claire.messages[-1].text.startswith(
        "🔒 Marc Dubois (tuteur, binôme B01) a voulu rejoindre le programme, mais aucune vérification "
        "d'honorabilité valable n'est enregistrée")
    with session() as s:
        mentor = s.get(Participant, ids["mentor"])
        assert mentor.telegram_user_id is None and mentor.consent_at is None
        assert s.exec(select(Invitation)).one().pending_user_id is None  # nothing of the account kept
    await marc.send(f"/start {ids['token']}")  # again the same day: told again, the coordinator not twice
    await marc.wait_for_message()
    await harness.tick()
    with session() as s:
        assert len(s.exec(select(OutboundMessage).where(OutboundMessage.kind == "check_missing")).all()) == 1

    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "fr")
    today = datetime.now(timezone.utc).date()
    assert cli.main(["binome", "check", "B01", "--on", (today + timedelta(days=2)).isoformat(), "--by", "Claire"]) == 2
    assert "au plus tard" in capsys.readouterr().err
    assert cli.main(["binome", "check", "B01", "--on", "2026-09-01", "--expires", "2029-09-01",
                     "--by", "Claire Martin"]) == 0
    assert "son lien d'invitation fonctionne désormais" in capsys.readouterr().out
    consent, _, intro = await onboard(marc, ids["token"])
    assert "Bonjour Marc" in consent.text and "Amina" in intro.text
    with session() as s:
        mentor = s.get(Participant, ids["mentor"])
        assert (mentor.check_on, mentor.check_expires_on, mentor.check_by) == (date(2026, 9, 1), date(2029, 9, 1),
                                                                               "Claire Martin")
        checked = s.exec(select(AuditLog).where(AuditLog.action == "mentor.checked")).one()
        assert checked.details == {"on": "2026-09-01", "expires_on": "2029-09-01"}  # no name in the audit log


async def test_in_english_an_expiring_check_warns_the_coordinator_once(harness, session, clock):
    ids, claire = seed(harness, session, clock, language="en")
    with session() as s:
        background_checks.record_check(session=s, mentor=s.get(Participant, ids["mentor"]), on=date(2025, 10, 1),
                                       expires_on=date(2026, 10, 20), by="Claire", now=clock.now())
    await harness.tick()  # Sep 7: 43 days left, nothing yet
    assert not [m for m in claire.messages if m.text.startswith("⏳")]
    clock.set(datetime(2026, 9, 21, 8, 0, tzinfo=timezone.utc))
    await harness.tick()
    clock.advance(days=1)
    await harness.tick()
    warned = [m.text for m in claire.messages if m.text.startswith("⏳")]
    assert warned == ["⏳ The background check of Marc Dubois (tutor, binôme B01) expires on Oct 20. Ask for a new "
                      "one and record it with `binome binome check`."]


async def test_a_programme_without_the_setting_links_mentors_as_before(harness, session, clock):
    with session() as s:
        programme = make_programme(s, clock.now(), name="MentorYou")
        mentor, _, _ = make_pair(s, programme, clock.now())
        token = invite(s, mentor, clock.now())
    marc = harness.server.user(first_name="Marc", language_code="fr")
    consent, _, _ = await onboard(marc, token)
    assert consent.text.startswith("Bonjour Marc ! Je suis Binôme")


def test_the_setting_and_the_rules():
    assert parse_assignment("requires_background_check=oui") == ("requires_background_check", True)
    assert parse_assignment("requires_background_check=no") == ("requires_background_check", False)
    try:
        parse_assignment("requires_background_check=maybe")
    except OptionError:
        pass
    else:
        raise AssertionError("accepted")
    mentor = Participant(programme_id=1, role=Role.MENTOR, first_name="M", import_key="k",
                         check_on=date(2026, 1, 1), check_expires_on=date(2026, 6, 30))
    assert background_checks.valid(mentor, date(2026, 6, 30)) and not background_checks.valid(mentor, date(2026, 7, 1))
    assert not background_checks.valid(Participant(programme_id=1, role=Role.MENTOR, first_name="N", import_key="n"),
                                       date(2026, 1, 1))


def test_the_import_reads_the_check_columns_row_by_row(session, clock):
    from storage.importer import import_participants

    with session() as s:
        programme = make_programme(s, clock.now(), name="Lycée")
        bad = import_participants(session=s, programme=programme, now=clock.now(), languages=["fr"], data=(
            "binôme;rôle;prénom;nom;honorabilité;honorabilité expire\n"
            "B01;tuteur;Marc;Dubois;hier;\n"
            "B01;élève;Amina;Benali;01/09/2026;\n"
            "B02;tuteur;Sophie;Noël;;01/09/2029\n"
            "B02;élève;Léo;Petit;;\n").encode("utf-8"))
        assert sorted((e.row, e.code) for e in bad.errors) == [(2, "bad_check"), (3, "bad_check"), (4, "bad_check")]
        good = import_participants(session=s, programme=programme, now=clock.now(), languages=["fr"], data=(
            "binôme;rôle;prénom;nom;honorabilité;honorabilité expire\n"
            "B01;tuteur;Marc;Dubois;01/09/2026;2029-09-01\n"
            "B01;élève;Amina;Benali;;\n").encode("utf-8"))
        assert good.ok
        marc = s.exec(select(Participant).where(Participant.first_name == "Marc")).one()
        assert (marc.check_on, marc.check_expires_on, marc.check_by) == (date(2026, 9, 1), date(2029, 9, 1), "import")
        assert background_checks.valid(marc, date(2026, 9, 7))
