"""Self-evaluation against a competence framework (issue 16, docs/tutoring.md): the CSV import of the
competences, a round every N weeks rated by buttons a few at a time, the tutor's view after the tutee's, both
side by side with the change since last time in /progress and a PNG chart; the coordinator sees counts only.
In French with the tutoring vocabulary and in English, through the local Bot API; forged, foreign, doubled
presses and text instead of a button; the CLI; the rules."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlmodel import select

from storage import self_evaluations as rules
from storage.competences import framework, import_competences
from storage.models import AuditLog, Competence, CompetenceRating, Programme, Role, SelfEvaluation
from tests.conftest import START
from tests.factories import link, make_pair, make_participant, make_programme
from tests.test_meetings import tap

FRAMEWORK = ("code;libellé;groupe\n"
             "R1;Accueillir un enfant et sa famille;Relation\n"
             "R2;Transmettre une information à l'équipe;Relation\n"
             "S1;Préparer un repas adapté;Soins\n"
             "S2;Respecter les règles d'hygiène;Soins\n"
             "O1;Organiser sa journée;\n"
             "O2;Demander de l'aide quand il le faut;\n").encode("utf-8")


def seed(harness, session, clock, *, language="fr", data=FRAMEWORK):
    with session() as s:
        programme = make_programme(s, clock.now(), name="Tutorat CP 332", vocabulary="tuteur", language=language)
        programme.options = {"self_evaluation_every_weeks": 4}
        assert not import_competences(session=s, programme=programme, data=data, now=clock.now()).problems
        mentor, mentee, binome = make_pair(s, programme, clock.now())
        claire = make_participant(s, programme, clock.now(), Role.COORDINATOR, "Claire", "Martin")
        other = make_programme(s, clock.now(), name="Ailleurs")
        paul, _, _ = make_pair(s, other, clock.now(), mentor="Paul", mentee="Zoé", label="X1")
        users = {}
        for key, person in (("marc", mentor), ("amina", mentee), ("claire", claire), ("paul", paul)):
            users[key] = harness.server.user(first_name=person.first_name, language_code=language)
            link(person, users[key], clock.now(), language)
        return {"binome": binome.id, "amina": mentee.id, "marc": mentor.id}, users


def _question(user):
    return next(m for m in reversed(user.messages) if any(b.startswith("se:") for b in _data(m)))


def _data(message):
    return [data for row in (message.buttons or []) for _, data in row]


async def _rate(user, labels):
    message = _question(user)
    for label in labels:
        await tap(user, message, label)
    return message


async def test_in_french_two_rounds_side_by_side_with_the_change_and_counts_for_the_coordinator(
        harness, session, clock):
    ids, users = seed(harness, session, clock)
    marc, amina, claire, paul = users["marc"], users["amina"], users["claire"], users["paul"]
    await harness.tick()
    assert not [m for m in amina.messages if (m.text or "").startswith("📝")]  # not in the first week
    clock.set(START + timedelta(days=7))  # Monday 14, 10:00
    await harness.tick()
    question = _question(amina)
    assert question.text == ("📝 Autoévaluation numéro 1. Fait : 0 sur 6. Où en êtes-vous ?\n\nRelation · Accueillir "
                             "un enfant et sa famille")
    assert question.button_texts == ["Pas encore", "Avec de l'aide", "En autonomie", "Je pourrais l'enseigner"]

    # Forged and foreign presses change nothing; text instead of a button gets the usual answer.
    with session() as s:
        evaluation = s.exec(select(SelfEvaluation)).one()
        first = s.exec(select(Competence).where(Competence.code == "R1")).one().id
    invalid = "Ce bouton n'est plus valable."
    for user, data in ((marc, f"se:{evaluation.id}:r:{first}_3"), (claire, f"se:{evaluation.id}:r:{first}_3"),
                       (paul, f"se:{evaluation.id}:r:{first}_3"), (amina, f"se:{evaluation.id}:r:{first}_5"),
                       (amina, f"se:999:r:{first}_3"), (amina, f"se:{evaluation.id}:x:{first}_3")):
        if not user.messages:
            await user.send("/help")
            await user.wait_for_message()
        answer = await user.callback_answer(await user.press_data(user.messages[-1], data))
        assert answer["text"] == invalid, data
    amina.skip_to_end()
    await amina.send("bien")
    assert "messages écrits" in (await amina.wait_for_message()).text

    await _rate(amina, ["Avec de l'aide", "Pas encore", "En autonomie", "Avec de l'aide"])
    assert question.text == "👍 Vous avez fait 4 sur 6. C'est assez pour aujourd'hui. Je vous envoie la suite demain."
    again = await amina.callback_answer(await amina.press_data(question, f"se:{evaluation.id}:r:{first}_4"))
    assert again["text"] == "Déjà répondu, merci."  # an old press: the first rating stays
    clock.advance(days=1)
    await harness.tick()
    tomorrow = await _rate(amina, ["En autonomie", "Pas encore"])
    assert tomorrow.text == ("Merci ! Maintenant, Marc donne son avis. Ensuite, /progres montre les deux avis côte "
                             "à côte.")
    await harness.tick()
    assert _question(marc).text.startswith("📝 Votre avis sur la progression d'Amina, autoévaluation numéro 1 (0 sur 6)")
    await _rate(marc, ["Avec de l'aide", "Avec de l'aide", "Avec de l'aide", "Avec de l'aide"])
    clock.advance(days=1)
    await harness.tick()
    await _rate(marc, ["En autonomie", "Pas encore"])
    await harness.tick()
    assert amina.messages[-1].text.startswith("📈 L'autoévaluation numéro 1 est complète. Pour voir votre avis "
                                              "et celui de Marc côte à côte")

    # Four weeks after the first round opened, the second; Amina moves up on two competences.
    clock.set(START + timedelta(days=35))
    await harness.tick()
    await _rate(amina, ["En autonomie", "Avec de l'aide", "En autonomie", "En autonomie"])
    clock.advance(days=1)
    await harness.tick()
    await _rate(amina, ["En autonomie", "Pas encore"])
    await harness.tick()
    await _rate(marc, ["En autonomie", "Avec de l'aide", "En autonomie", "Avec de l'aide"])
    clock.advance(days=1)
    await harness.tick()
    await _rate(marc, ["Je pourrais l'enseigner", "Pas encore"])
    await harness.tick()
    amina.skip_to_end()
    await amina.send("/progress")
    text = await amina.wait_for_message()
    lines = text.text.splitlines()
    at = lines.index("📈 Compétences, autoévaluation numéro 2 du 12 octobre (Amina · Marc) :")
    assert lines[at + 1:at + 8] == [
        "• Accueillir un enfant et sa famille: en autonomie ↗️ · en autonomie ↗️",
        "• Transmettre une information à l'équipe: avec de l'aide ↗️ · avec de l'aide =",
        "• Préparer un repas adapté: en autonomie = · en autonomie ↗️",
        "• Respecter les règles d'hygiène: en autonomie ↗️ · avec de l'aide =",
        "• Organiser sa journée: en autonomie = · je pourrais l'enseigner ↗️",
        "• Demander de l'aide quand il le faut: pas encore = · pas encore =",
        "↗️ en progrès, ↘️ en recul, = comme à l'autoévaluation numéro 1."]
    chart = await amina.wait_for_message()
    assert chart.kind == "photo" and chart.photo.startswith(b"\x89PNG")

    # Claire sees counts, never a rating.
    claire.skip_to_end()
    await claire.send("/binome B01")
    summary = (await claire.wait_for_message()).text
    assert ("Autoévaluations : 2 faites ; compétences acquises selon le dernier avis du tuteur : 3 sur 6."
            in summary.splitlines())
    for word in ("autonomie", "Pas encore", "enseigner", "Avec de l'aide"):
        assert word not in summary
    with session() as s:
        assert len(s.exec(select(CompetenceRating)).all()) == 24
        assert {a.details["role"] for a in s.exec(select(AuditLog).where(AuditLog.action == "self_eval.rated"))} \
            == {"mentee", "mentor"}


async def test_in_english_one_round_and_the_chart(harness, session, clock):
    ids, users = seed(harness, session, clock, language="en",
                      data=b"code,label\nL1,Greet the customer\nL2,Use the till\n")
    amina, marc = users["amina"], users["marc"]
    clock.set(START + timedelta(days=7))
    await harness.tick()
    question = _question(amina)
    assert question.text == "📝 Self-evaluation, round 1. Done: 0 of 2. Where are you now?\n\nGreet the customer"
    await _rate(amina, ["With help", "Not yet"])
    assert question.text == "Thank you! Now Marc gives their view. Then /progress shows both views side by side."
    await harness.tick()
    view = await _rate(marc, ["On my own", "With help"])
    assert view.text == "Thank you! To see both views side by side, send /progress. You also see the change since last time."
    marc.skip_to_end()
    await marc.send("/progress")
    lines = (await marc.wait_for_message()).text.splitlines()
    assert lines[-3:] == ["📈 Competences, round 1 of Sep 14 (Amina · Marc):", "• Greet the customer: with help · on my own",
                          "• Use the till: not yet · with help"]
    assert (await marc.wait_for_message()).kind == "photo"


def test_the_cli_imports_row_by_row_and_changes_nothing_on_a_bad_file(engine, session, database_url, monkeypatch,
                                                                        capsys, tmp_path):
    from bot import cli

    with session() as s:
        make_programme(s, datetime.now(timezone.utc), name="Tutorat CP 332")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "fr")
    bad = tmp_path / "bad.csv"
    bad.write_bytes("code;libellé\nR1;Accueillir\n;Sans code\nR1;Encore R1\nR3;\n".encode("cp1252"))
    assert cli.main(["competences", "import", str(bad)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "ligne 3 : le code manque.", "ligne 4 : le code «R1» figure déjà sur une ligne précédente.",
        "ligne 5 : le libellé de «R3» manque.", "Rien n'a été importé : corrigez ces lignes et relancez l'import."]
    no_label = tmp_path / "nolabel.csv"
    no_label.write_text("code;groupe\nR1;Relation\n", encoding="utf-8")
    assert cli.main(["competences", "import", str(no_label)]) == 2
    assert "pas de colonne «label»" in capsys.readouterr().err
    good = tmp_path / "good.csv"
    good.write_bytes(FRAMEWORK)
    assert cli.main(["competences", "import", str(good), "--dry-run"]) == 0
    with session() as s:
        assert not s.exec(select(Competence)).all()
    assert cli.main(["competences", "import", str(good)]) == 0
    assert "6 ajoutées, 0 modifiées, 0 plus demandées" in capsys.readouterr().out
    good.write_bytes("code;libellé\nR1;Accueillir un enfant\nS1;Préparer un repas adapté\n".encode("utf-8"))
    assert cli.main(["competences", "import", str(good)]) == 0
    assert "0 ajoutées, 2 modifiées, 4 plus demandées" in capsys.readouterr().out
    assert cli.main(["competences", "list"]) == 0
    assert capsys.readouterr().out.splitlines() == ["R1\tAccueillir un enfant", "S1\tPréparer un repas adapté"]


def test_the_rules_turns_and_counts(session):
    now = START
    with session() as s:
        programme = make_programme(s, now, name="Tutorat")
        import_competences(session=s, programme=programme, data=b"code;label\nA;Un\nB;Deux\n", now=now)
        mentor, mentee, binome = make_pair(s, programme, now)
        evaluation = rules.open_round(session=s, binome=binome, now=now)
        a, b = framework(session=s, programme_id=programme.id)
        for who, competence, refusal in ((mentor.id, a.id, rules.RatingRefusal.GONE),
                                         (mentee.id, b.id, rules.RatingRefusal.ANSWERED)):
            try:
                rules.rate(session=s, evaluation_id=evaluation.id, participant_id=who, competence_id=competence,
                           level=3, now=now)
            except rules.RatingRefused as refused:
                assert refused.refusal == refusal
            else:
                raise AssertionError("accepted")
        rules.rate(session=s, evaluation_id=evaluation.id, participant_id=mentee.id, competence_id=a.id, level=3,
                   now=now)
        rules.rate(session=s, evaluation_id=evaluation.id, participant_id=mentee.id, competence_id=b.id, level=1,
                   now=now)
        assert evaluation.status == rules.MENTOR and rules.counts(session=s, binome=binome) == (0, None, 2)
        for competence in (a, b):
            rules.rate(session=s, evaluation_id=evaluation.id, participant_id=mentor.id, competence_id=competence.id,
                       level=4, now=now)
        assert evaluation.status == rules.DONE and rules.counts(session=s, binome=binome) == (1, 2, 2)
        assert rules.due_binomes(session=s, programme_id=programme.id, every_weeks=4, now=now + timedelta(weeks=3)) \
            == []
        assert rules.due_binomes(session=s, programme_id=programme.id, every_weeks=4,
                                 now=now + timedelta(weeks=4)) == [binome]
        assert s.get(Programme, programme.id) is not None


def test_mydata_gives_the_mentee_her_own_ratings_only(session):
    from storage.privacy_export import as_json, export

    now = START
    with session() as s:
        programme = make_programme(s, now, name="Tutorat")
        import_competences(session=s, programme=programme, data=b"code;label\nA;Un\n", now=now)
        mentor, mentee, binome = make_pair(s, programme, now)
        evaluation = rules.open_round(session=s, binome=binome, now=now)
        [a] = framework(session=s, programme_id=programme.id)
        rules.rate(session=s, evaluation_id=evaluation.id, participant_id=mentee.id, competence_id=a.id, level=2,
                   now=now)
        rules.rate(session=s, evaluation_id=evaluation.id, participant_id=mentor.id, competence_id=a.id, level=4,
                   now=now)
        data = export(session=s, participant=mentee, now=now)
        assert [(r["competence"], r["level"], r["round"]) for r in data["self_evaluation"]] == [("Un", 2, 1)]
        assert as_json(data)
        assert [r["level"] for r in export(session=s, participant=mentor, now=now)["self_evaluation"]] == [4]
