"""People's rights over their data (issue 14, docs/privacy.md): /mydata and /forget through the local Bot API in
English and French, retention moving the clock, the CLI, and a walk over every column of every table."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import JSON, BigInteger, String
from sqlmodel import SQLModel, func, select

from storage import privacy, retention
from storage.closures import close
from storage.models import (AuditLog, Binome, BinomeStatus, CheckIn, CheckInStatus, EndingAnswer, Evaluation,
                            Invitation, Meeting, MeetingStatus, OutboundMessage, Participant, ParticipantStatus,
                            PlanAction, Role)
from storage.scheduled import privacy as scheduled_privacy
from tests.factories import invite, make_pair, make_participant, make_programme
from tests.test_alerts import seed
from tests.test_meetings import tap

MENTEE_SECRET, MENTOR_SECRET = "TULIPE-AMINA-7391", "SECRET-MARC-4412"


# ---------------------------------------------------------------- every column is classified

def _text_like(column) -> bool:
    """Text (SQLModel's AutoString is a TypeDecorator over String, hence `impl`), JSON, and the Telegram ids."""
    kind = getattr(column.type, "impl", column.type)
    kind = kind() if isinstance(kind, type) else kind
    return isinstance(kind, (String, JSON)) or (isinstance(kind, BigInteger) and not column.primary_key)


def test_every_text_json_and_telegram_id_column_is_classified_erased_or_kept():
    """A new text column must be listed in storage.privacy.ERASED or KEPT, or this fails: the next feature
    cannot forget to say what erasure does with it."""
    unclassified, both = [], []
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if not _text_like(column):
                continue
            erased = column.name in privacy.ERASED.get(table.name, set())
            kept = column.name in privacy.KEPT.get(table.name, set())
            if erased and kept:
                both.append(f"{table.name}.{column.name}")
            elif not erased and not kept:
                unclassified.append(f"{table.name}.{column.name}")
    assert unclassified == [] and both == []
    tables = {t.name: {c.name for c in t.columns} for t in SQLModel.metadata.sorted_tables}
    for listing in (privacy.ERASED, privacy.KEPT):  # and nothing listed that no longer exists
        for table, columns in listing.items():
            assert table in tables and columns <= tables[table], (table, columns - tables.get(table, set()))


def scan_for(session, needles: list[str], numbers: list[int]) -> list[str]:
    """Every value of every column of every table that carries one of the needles (text) or numbers."""
    found = []
    with session() as s:
        for table in SQLModel.metadata.sorted_tables:
            for row in s.execute(table.select()).mappings():
                for name, value in row.items():
                    text = json.dumps(value, default=str) if isinstance(value, (dict, list)) else str(value)
                    if isinstance(value, int) and not isinstance(value, bool) and value in numbers:
                        found.append(f"{table.name}.{name}={value}")
                    elif any(n.lower() in text.lower() for n in needles) or any(
                            re.search(rf"\b{n}\b", text) for n in numbers if not isinstance(value, int)):
                        found.append(f"{table.name}.{name}={text[:80]}")
    return found


# ---------------------------------------------------------------- helpers

def _plant(session, ids, now):
    """Each of the pair writes: a check-in word, an answer before the end, an action of the plan; Amina's
    meeting place detail."""
    with session() as s:
        for key, word in (("mentee", MENTEE_SECRET), ("mentor", MENTOR_SECRET)):
            role = Role.MENTEE if key == "mentee" else Role.MENTOR
            s.add(CheckIn(binome_id=ids["binome"], participant_id=ids[key], role=role, period="2026-W37",
                          due_at=now, status=CheckInStatus.ANSWERED, answered_at=now, mood=4, word=word + " check-in",
                          created_at=now))
            s.add(EndingAnswer(binome_id=ids["binome"], participant_id=ids[key], planned_end_on=date(2027, 3, 7),
                               asked_at=now, answer="close", answered_at=now, word=word + " ending"))
            s.add(PlanAction(binome_id=ids["binome"], title=word + " action", created_by=ids[key], created_at=now,
                             changed_at=now, status_changed_at=now,
                             blocked_note=word + " blocked" if key == "mentee" else None))
        s.add(Meeting(binome_id=ids["binome"], starts_at=now - timedelta(days=3), status=MeetingStatus.HELD,
                      place_detail=MENTEE_SECRET + " place", proposed_by=ids["mentee"], created_at=now))


def _indicators(session, programme_id):
    """The programme's figures for the period: binômes by status and outcome, meetings held, check-ins
    answered, actions, evaluations by status."""
    with session() as s:
        return {
            "binomes": sorted(s.exec(select(Binome.status, Binome.outcome).where(
                Binome.programme_id == programme_id)).all()),
            "held": s.exec(select(func.count()).select_from(Meeting).where(Meeting.status == MeetingStatus.HELD)).one(),
            "checkins": sorted(s.exec(select(CheckIn.role, CheckIn.status, CheckIn.mood)).all()),
            "actions": s.exec(select(func.count()).select_from(PlanAction)).one(),
            "evaluations": sorted(s.exec(select(Evaluation.role, Evaluation.status)).all()),
        }


async def _documents(user, count=2):
    found = []
    while len(found) < count:
        message = await user.wait_for_message()
        if message.document:
            found.append(message.document)
    return found


# ---------------------------------------------------------------- /mydata

async def test_mydata_gives_a_summary_and_exactly_her_data_as_json_and_csv(harness, session, clock):
    ids, users = seed(harness, session, clock, started_days_ago=20)
    _plant(session, ids, clock.now())
    amina = users["mentee"]
    amina.skip_to_end()
    await amina.send("/mydata")
    summary = await amina.wait_for_message()
    lines = summary.text.splitlines()
    assert lines[0] == "🔒 What I keep about you, Amina:"
    assert "• your agreement, given on August 18, 2026;" in lines
    assert "• 1 binôme, 1 meeting, 1 plan action you wrote, 1 check-in, 0 evaluations, 0 messages I sent you." in lines
    assert any(line.startswith("Who sees what: your mentor sees your meetings") for line in lines)
    assert "How long: until 12 months after the end of your last binôme. Then I delete it." in lines
    assert summary.button_texts == ["🗑 Take back my agreement"]
    first, second = await _documents(amina)
    assert first["file_name"] == "mydata-2026-09-07.json" and second["file_name"] == "mydata-2026-09-07.csv"
    data = json.loads(first["data"])
    assert data["profile"][0]["first_name"] == "Amina" and data["profile"][0]["last_name"] == "Benali"
    assert data["profile"][0]["telegram_account"] == amina.id
    assert data["binomes"][0]["label"] == "B01" and data["binomes"][0]["your_role"] == "mentee"
    assert [c["word"] for c in data["checkins"]] == [MENTEE_SECRET + " check-in"]
    assert [a["title"] for a in data["plan_actions"]] == [MENTEE_SECRET + " action"]
    assert data["plan_actions"][0]["blocked_note"] == MENTEE_SECRET + " blocked"
    assert data["meetings"][0]["place_detail"] == MENTEE_SECRET + " place"
    assert [e["word"] for e in data["ending_answers"]] == [MENTEE_SECRET + " ending"]
    table = list(csv.reader(io.StringIO(second["data"].decode("utf-8-sig"))))
    assert table[0] == ["section", "number", "field", "value"]
    assert ["checkins", "1", "word", MENTEE_SECRET + " check-in"] in table
    for blob in (first["data"], second["data"]):  # the partner's planted words never appear
        assert MENTOR_SECRET.encode() not in blob
        assert b"Dubois" not in blob  # nor his name

    marc = users["mentor"]  # Marc's own file has his words, not hers (the place she typed included)
    marc.skip_to_end()
    await marc.send("/mydata")
    await marc.wait_for_message()
    mine, _ = await _documents(marc)
    assert MENTOR_SECRET.encode() in mine["data"] and MENTEE_SECRET.encode() not in mine["data"]


async def test_mydata_in_french_and_for_a_stranger(harness, session, clock):
    ids, users = seed(harness, session, clock, started_days_ago=20)
    with session() as s:
        s.get(Participant, ids["mentee"]).language = "fr"
    amina = users["mentee"]
    amina.skip_to_end()
    await amina.send("/mydata")
    summary = await amina.wait_for_message()
    assert summary.text.startswith("🔒 Ce que je garde sur vous, Amina :")
    assert "Combien de temps : jusqu'à 12 mois après la fin de votre dernier binôme. Ensuite, j'efface tout." \
        in summary.text.splitlines()
    json_file, csv_file = await _documents(amina)
    assert csv_file["data"].decode("utf-8-sig").splitlines()[0] == "rubrique,numéro,champ,valeur"
    stranger = harness.server.user(first_name="Inconnu", language_code="fr")
    await stranger.send("/mydata")
    assert (await stranger.wait_for_message()).text == (
        "Vous n'avez pas rejoint de programme avec moi. Je ne garde rien sur ce compte Telegram.")
    await stranger.send("/forget")
    assert (await stranger.wait_for_message()).text.startswith("Vous n'avez pas rejoint")


# ---------------------------------------------------------------- /forget

async def test_forget_asks_explains_closes_tells_and_leaves_no_trace(harness, session, clock):
    ids, users = seed(harness, session, clock, started_days_ago=20)
    _plant(session, ids, clock.now())
    amina, marc, claire = users["mentee"], users["mentor"], users["claire"]
    await harness.tick()
    with session() as s:
        invite(s, s.get(Participant, ids["mentee"]), clock.now())
    before = _indicators(session, ids["programme"])
    amina.skip_to_end()
    await amina.send("/forget")
    asked = await amina.wait_for_message()
    assert asked.text.splitlines()[:4] == [
        "Do you want me to delete your data?", "", "What happens then:",
        "• your binôme with Marc ends now, and your coordinator is told;"]
    assert asked.button_texts == ["🗑 Yes, delete my data", "↩️ No, keep everything"]
    await tap(amina, asked, "↩️ No, keep everything")
    assert asked.text == "Good, nothing changes. If you need anything, send /help."
    with session() as s:
        assert s.get(Participant, ids["mentee"]).erased_at is None
    await amina.send("/forget")
    asked = await amina.wait_for_message()
    answer = await marc.callback_answer(await marc.press_data(asked, f"fg:{ids['mentee']}:yes"))  # not his
    await harness.server.settle()
    assert answer["text"] == "This button is no longer valid."
    await tap(amina, asked, "🗑 Yes, delete my data")
    assert asked.text.startswith("Done: I have deleted your data and your binôme has ended")
    answer = await amina.callback_answer(await amina.press_data(asked, f"fg:{ids['mentee']}:yes"))
    await harness.server.settle()
    assert answer["text"] == "This button is no longer valid."  # a doubled press changes nothing
    marc.skip_to_end()
    claire.skip_to_end()
    await harness.tick()
    told = [m.text for m in claire.messages if m.text.startswith("🔒")]
    assert told == ["🔒 A mentee asked me to erase their personal data: it is done.\nBinôme B01 is closed. "
                    "Outcome: Mentee dropped out.\nThe programme's figures keep only anonymous facts about them. Nothing "
                    "else to do."]
    assert (await marc.wait_for_message()).text.startswith(
        "Hello Marc, your binôme has ended. Your mentee has left the programme and asked me to delete their data.")
    clock.advance(hours=2)
    await harness.tick()  # his evaluation: her name is not in it
    assert all("Amina" not in m.text for m in marc.messages[-2:])

    assert scan_for(session, ["Amina", "Benali", MENTEE_SECRET], [amina.id]) == []
    after = _indicators(session, ids["programme"])
    assert after["held"] == before["held"] and after["checkins"] == before["checkins"]
    assert after["actions"] == before["actions"]
    assert after["binomes"] == [(BinomeStatus.CLOSED, "mentee_dropped_out")]
    with session() as s:
        erased = s.get(Participant, ids["mentee"])
        assert (erased.status, erased.first_name, erased.telegram_user_id) == (ParticipantStatus.LEFT, "", None)
        assert not s.exec(select(OutboundMessage).where(OutboundMessage.participant_id == ids["mentee"])).all()
        assert not s.exec(select(Invitation).where(Invitation.participant_id == ids["mentee"])).all()
        assert s.exec(select(CheckIn.word).where(CheckIn.participant_id == ids["mentor"])).one() == \
            MENTOR_SECRET + " check-in"  # the partner's own data is kept
        closed = s.exec(select(AuditLog).where(AuditLog.action == "binome.closed")).one()
        assert closed.actor == f"participant:{ids['mentee']}"
        assert s.exec(select(AuditLog).where(AuditLog.action == "participant.erased")).one().details["role"] == "mentee"
        again = privacy.forget(session=s, participant=erased, now=clock.now(), actor="system")
        assert again.erased.already and again.binomes_closed == []
        assert len(s.exec(select(AuditLog).where(AuditLog.action == "participant.erased")).all()) == 1
    await amina.send("/mydata")
    assert (await amina.wait_for_message()).text.startswith("You have not joined a programme with me")


async def test_in_french_withdrawing_consent_from_mydata_and_the_coordinator_told_in_french(harness, session, clock):
    ids, users = seed(harness, session, clock, started_days_ago=20)
    with session() as s:
        for key in ("mentor", "mentee", "claire"):
            s.get(Participant, ids[key]).language = "fr"
    marc, amina, claire = users["mentor"], users["mentee"], users["claire"]
    await harness.tick()
    marc.skip_to_end()
    await marc.send("/mydata")
    summary = await marc.wait_for_message()
    await _documents(marc)
    await tap(marc, summary, "🗑 Retirer mon accord")
    asked = await marc.wait_for_message()
    assert asked.text.splitlines()[0] == "Voulez-vous retirer votre accord et effacer vos données ?"
    await tap(marc, asked, "🗑 Oui, effacer mes données")
    assert asked.text.startswith("C'est fait : j'ai effacé vos données et votre binôme est terminé")
    claire.skip_to_end()
    amina.skip_to_end()
    await harness.tick()
    assert (await claire.wait_for_message()).text.startswith(
        "🔒 Une personne de votre programme (mentor) a retiré son consentement : j'ai effacé ses données personnelles.")
    assert (await amina.wait_for_message()).text.startswith(
        "Bonjour Amina, votre binôme est terminé. Votre mentor a quitté le programme et m'a demandé d'effacer ses "
        "données.")
    with session() as s:
        assert s.exec(select(Binome.outcome)).one() == "mentor_withdrew"
        assert s.exec(select(AuditLog).where(AuditLog.action == "consent.withdrawn")).one().subject == \
            f"participant:{ids['mentor']}"
    assert scan_for(session, ["Marc", "Dubois"], [marc.id]) == []
    claire.skip_to_end()
    await claire.send("/forget")  # a coordinator is erased by the programme's team
    assert "binome privacy erase" in (await claire.wait_for_message()).text
    answer = await amina.callback_answer(await amina.press_data(asked, "fg:abc:yes"))
    assert answer["text"] == "Ce bouton n'est plus valable."


# ---------------------------------------------------------------- retention

async def test_retention_tells_a_week_before_then_erases_in_batches_and_the_figures_stay(harness, session, clock,
                                                                                        monkeypatch):
    ids, users = seed(harness, session, clock, started_days_ago=60)
    _plant(session, ids, clock.now())
    claire = users["claire"]
    now = clock.now()
    with session() as s:
        programme_id = ids["programme"]
        from storage.models import Programme
        programme = s.get(Programme, programme_id)
        close(session=s, binome=s.get(Binome, ids["binome"]), outcome="job_permanent", closed_on=now.date(), by=None,
              now=now)
        declined = make_participant(s, programme, now, Role.MENTEE, "Yasmine", "Declined")
        declined.status, declined.consent_refused_at = ParticipantStatus.DECLINED, now
        never = make_participant(s, programme, now, Role.MENTOR, "Nadia", "Jamais")
        invite(s, never, now, valid_days=14)
    await harness.tick()

    clock.set(datetime(2027, 9, 1, 8, tzinfo=timezone.utc))  # 12 months after the closure, less 6 days
    claire.skip_to_end()
    monkeypatch.setattr(retention, "BATCH", 2)
    await harness.tick()
    notice = await claire.wait_for_message()
    assert notice.text == ("🔒 On September 8, 2027, I will erase the personal data of 4 people of «MentorYou "
                           "Bruxelles»: their binômes ended more than 12 months ago, or they never joined.\n"
                           "Only anonymous figures will remain. The delay is the setting `retention_months`.")
    with session() as s:
        assert not s.exec(select(Participant).where(Participant.erased_at.is_not(None))).all()
        assert s.exec(select(AuditLog).where(AuditLog.action == "retention.announced")).one().details["count"] == 4
    clock.advance(days=1)
    await harness.tick()  # counted once only
    assert [m.text for m in claire.messages if m.text.startswith("🔒")] == [notice.text]
    before = _indicators(session, programme_id)  # the evaluations expired long ago: the figures of the period

    clock.set(datetime(2027, 9, 8, 9, tzinfo=timezone.utc))
    await harness.tick()  # a batch of 2
    with session() as s:
        assert len(s.exec(select(Participant).where(Participant.erased_at.is_not(None))).all()) == 2
        assert not s.exec(select(Invitation)).all()  # the link never used, expired long ago
    with session() as s:  # as after a restart: the next run goes on with the rest
        scheduled_privacy.queue_due_work(s, clock.now(), scan=True)
    with session() as s:
        erased = s.exec(select(Participant).where(Participant.erased_at.is_not(None))).all()
        assert {p.id for p in erased} == {ids["mentor"], ids["mentee"], declined.id, never.id}
        assert s.get(Participant, ids["claire"]).erased_at is None  # coordinators stay
        assert {a.actor for a in s.exec(select(AuditLog).where(AuditLog.action == "participant.erased"))} == {"system"}
    with session() as s:
        scheduled_privacy.queue_due_work(s, clock.now(), scan=True)  # again: nothing more
        assert len(s.exec(select(AuditLog).where(AuditLog.action == "participant.erased")).all()) == 4
    after = _indicators(session, programme_id)
    assert after == before
    assert scan_for(session, ["Amina", "Benali", "Marc", "Dubois", "Yasmine", "Nadia", MENTEE_SECRET, MENTOR_SECRET],
                    [users["mentee"].id, users["mentor"].id]) == []


# ---------------------------------------------------------------- the CLI

def test_the_cli_erases_on_request_audited_with_who_and_when(engine, session, database_url, monkeypatch, capsys):
    from bot import cli

    now = datetime.now(timezone.utc)
    with session() as s:
        programme = make_programme(s, now, name="MentorYou Bruxelles", language="fr")
        _mentor, mentee, _binome = make_pair(s, programme, now, label="B07")
        mentee.email, mentee.phone = "amina@example.org", "+32 470 12 34 56"
        mentee_id = mentee.id
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    assert cli.main(["privacy", "erase", "B07", "--role", "mentee", "--by", "Claire Martin"]) == 1
    assert "Add --yes to do it." in capsys.readouterr().out
    with session() as s:
        assert s.get(Participant, mentee_id).erased_at is None
    assert cli.main(["privacy", "erase", "B07", "--role", "mentee", "--by", "Claire Martin", "--yes"]) == 0
    assert f"Participant {mentee_id} is erased (1 binômes closed" in capsys.readouterr().out
    with session() as s:
        asked = s.exec(select(AuditLog).where(AuditLog.action == "privacy.erase_requested")).one()
        assert (asked.actor, asked.details, asked.subject) == ("cli", {"by": "Claire Martin"}, f"participant:{mentee_id}")
        assert asked.at is not None
        assert s.exec(select(AuditLog).where(AuditLog.action == "binome.closed")).one().actor == "cli"
        assert s.exec(select(Binome.outcome)).one() == "mentee_dropped_out"
    assert scan_for(session, ["Amina", "Benali", "amina@example.org", "470 12 34"], []) == []
    assert cli.main(["privacy", "erase", "--participant", str(mentee_id), "--by", "Claire", "--yes"]) == 0
    assert "already erased" in capsys.readouterr().out
    assert cli.main(["privacy", "erase", "B99", "--role", "mentee", "--by", "Claire", "--yes"]) == 2
    assert cli.main(["privacy", "erase", "B07", "--by", "Claire", "--yes"]) == 2
    assert cli.main(["privacy", "erase", "--participant", "999999", "--by", "Claire", "--yes"]) == 2
    assert cli.main(["privacy", "erase", "B07", "--role", "mentor", "--by", "\u200b ", "--yes"]) == 2
    with session() as s:
        assert len(s.exec(select(AuditLog).where(AuditLog.action == "participant.erased")).all()) == 1


# ---------------------------------------------------------------- the rules alone

def test_forget_before_the_start_and_erase_twice_change_nothing_more(session):
    """A binôme imported to start next month ends on its first day; the partner's pending "has joined" about
    the person is dropped; a second erasure changes nothing (one audit)."""
    now = datetime(2026, 9, 7, 8, tzinfo=timezone.utc)
    with session() as s:
        programme = make_programme(s, now)
        mentor, mentee, binome = make_pair(s, programme, now)
        binome.started_on = date(2026, 10, 1)
        from storage import outbox
        outbox.enqueue(session=s, participant_id=mentor.id, kind="partner_joined", key="pj", due_at=now, now=now,
                       params={"participant_id": mentee.id})
        forgotten = privacy.forget(session=s, participant=mentee, now=now, actor="cli")
        assert forgotten.binomes_closed == [binome.id] and not forgotten.erased.already
        assert (binome.status, binome.outcome, binome.closed_on) == (BinomeStatus.CLOSED, "mentee_dropped_out",
                                                                    date(2026, 10, 1))
        assert s.exec(select(OutboundMessage).where(OutboundMessage.idempotency_key == "pj")).one().error == \
            "participant_erased"
        again = privacy.erase(session=s, participant=mentee, now=now + timedelta(days=1), actor="cli")
        assert again.already
        assert len(s.exec(select(AuditLog).where(AuditLog.action == "participant.erased")).all()) == 1
        assert mentee.erased_at == now and mentor.erased_at is None and mentor.first_name == "Marc"
