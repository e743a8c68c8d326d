"""Pause and resume a binôme (issue 11, docs/closure.md): as a coordinator and the pair live it, through
the local Bot API, in English and in French; then the CLI, forged and foreign buttons, and the rules."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import select

from storage import pauses
from storage.models import (Alert, AlertStatus, AuditLog, Binome, BinomeStatus, CheckIn, CheckInStatus,
                            OutboundMessage, Participant, Role)
from tests.conftest import START
from tests.factories import link, make_pair, make_participant, make_programme
from tests.test_alerts import seed
from tests.test_meetings import tap

SEP_21 = datetime(2026, 9, 21, 6, 5, tzinfo=timezone.utc)  # 08:05 in Brussels, the resume date, quiet hours over


def _in_french(session, ids, *keys):
    with session() as s:
        for key in keys:
            s.get(Participant, ids[key]).language = "fr"


async def _summary(harness, claire):
    """The coordinator's alert card ("No first meeting"), then its "Show the binôme": the summary."""
    await harness.tick()
    card = next(m for m in claire.messages if any("📋" in t for t in m.button_texts))
    claire.skip_to_end()
    await tap(claire, card, "📋")
    return await claire.wait_for_message()


def _texts_since(user, start):
    return [m.text for m in user.messages[start:]]


async def test_paused_from_the_summary_nothing_runs_but_help_then_it_resumes_on_its_date(harness, session, clock):
    """Claire pauses B01 for the holidays for 2 weeks: both are told; two weeks of ticks bring no check-in,
    no nudge, no warning sign; Amina's "I need help" still reaches Claire; on Sep 21 it resumes by itself,
    both are told, and the Wednesday check-in comes back."""
    ids, users = seed(harness, session, clock, started_days_ago=20)
    marc, amina, claire = users["mentor"], users["mentee"], users["claire"]
    shown = await _summary(harness, claire)
    assert shown.button_texts == ["⏸ Pause", "🏁 Close the binôme", "📝 Closing-interview guide"]
    with session() as s:
        assert s.exec(select(CheckIn).where(CheckIn.status == CheckInStatus.SCHEDULED)).all()  # written ahead
    await tap(claire, shown, "⏸ Pause")
    assert shown.text.endswith("Why is the binôme paused?")
    assert shown.button_texts == ["Holidays", "Illness", "Internship abroad", "Other reason", "← Back"]
    await tap(claire, shown, "Holidays")
    assert shown.text.endswith("Until when?")
    assert shown.button_texts == ["In 2 weeks (21 Sep)", "In 1 month (7 Oct)", "In 2 months (7 Nov)", "No date",
                                  "← Back"]
    await tap(claire, shown, "In 2 weeks")
    assert "⏸ Paused since Sep 7 (holidays), until Sep 21." in shown.text.splitlines()
    assert shown.button_texts == ["▶️ Resume", "🏁 Close the binôme", "📝 Closing-interview guide"]
    marc_start, amina_start = len(marc.messages), len(amina.messages)
    await harness.tick()
    assert _texts_since(marc, marc_start) == [
        "Hello Marc, your binôme with Amina is paused until September 21, 2026. You get no check-in until then. If "
        "you need anything, you can still send /help. You can also still plan a meeting together with /meeting, if "
        "you both want to."]
    assert _texts_since(amina, amina_start)[0].startswith("Hello Amina, your binôme with Marc is paused until")
    with session() as s:
        skipped = s.exec(select(CheckIn)).all()
        assert skipped and all((c.status, c.skipped_reason) == (CheckInStatus.SKIPPED, "paused") for c in skipped)
        alert = s.exec(select(Alert).where(Alert.signal == "no_first_meeting")).one()
        assert alert.status == AlertStatus.CLEARED
        paused = s.exec(select(AuditLog).where(AuditLog.action == "binome.paused")).one()
        assert paused.actor == f"participant:{ids['claire']}" and paused.details["reason"] == "holidays"
        assert paused.details["resume_on"] == "2026-09-21"
        cleared = s.exec(select(AuditLog).where(AuditLog.action == "alert.cleared")).one()
        assert cleared.details["reason"] == "binome_paused"

    # Two weeks, a tick every 6 hours: nothing reaches the pair or Claire, but what Amina asks for.
    marc_start, amina_start, claire_start = len(marc.messages), len(amina.messages), len(claire.messages)
    helped = False
    while clock.now() < datetime(2026, 9, 20, 20, tzinfo=timezone.utc):  # the last: 22:00 in Brussels
        clock.advance(hours=6)
        await harness.tick()
        if not helped and clock.now() >= datetime(2026, 9, 14, 9, tzinfo=timezone.utc):
            helped = True
            amina.skip_to_end()
            claire.skip_to_end()
            await amina.send("/help")
            await tap(amina, await amina.wait_for_message(), "I need help")
            await harness.tick()
            help_card = await claire.wait_for_message()
            assert help_card.text.startswith("🔴 High · Asked for help · binôme B01")
    assert _texts_since(marc, marc_start) == []
    amina_texts = _texts_since(amina, amina_start)
    assert len(amina_texts) == 2 and amina_texts[1].startswith("I have told your coordinator")
    told = _texts_since(claire, claire_start)  # the help card, and its re-notification: nothing else
    assert told[0] == help_card.text and all("Asked for help · binôme B01" in t for t in told)
    with session() as s:
        assert s.get(Binome, ids["binome"]).status == BinomeStatus.PAUSED
        assert s.exec(select(Alert).where(Alert.signal == "support_help")).one().status == AlertStatus.OPEN
        assert not s.exec(select(CheckIn).where(CheckIn.status != CheckInStatus.SKIPPED)).all()
        nudged = s.exec(select(OutboundMessage.sent_at).where(OutboundMessage.kind == "cadence_nudge",
                                                              OutboundMessage.sent_at.is_not(None))).all()
        assert all(at <= START for at in nudged)  # the one before the pause only

    # Sep 21 at 00:30 in Brussels it resumes by itself; both are told in the morning, out of their quiet
    # hours; Wednesday's check-in comes back.
    clock.set(datetime(2026, 9, 20, 22, 30, tzinfo=timezone.utc))
    await harness.tick()
    with session() as s:
        assert s.get(Binome, ids["binome"]).status == BinomeStatus.ACTIVE
    assert _texts_since(marc, marc_start) == []
    clock.set(SEP_21)
    await harness.tick()
    assert _texts_since(marc, marc_start)[0] == ("Hello Marc, your binôme with Amina starts again. The check-ins "
                                                 "start again in the coming days. If you need anything, send /help.")
    assert _texts_since(amina, amina_start)[-1].startswith("Hello Amina, your binôme with Marc starts again")
    with session() as s:
        binome = s.get(Binome, ids["binome"])
        assert (binome.status, binome.paused_on, binome.resume_on) == (BinomeStatus.ACTIVE, None, None)
        resumed = s.exec(select(AuditLog).where(AuditLog.action == "binome.resumed")).one()
        assert resumed.actor == "system" and resumed.details["on_its_date"] is True
    clock.set(datetime(2026, 9, 23, 16, 5, tzinfo=timezone.utc))  # Wednesday 18:05 in Brussels
    await harness.tick()
    assert amina.messages[-1].text.startswith("👋 Amina, it is time for your check-in!")


async def test_in_french_paused_with_no_date_and_resumed_by_the_coordinator(harness, session, clock):
    ids, users = seed(harness, session, clock, started_days_ago=20)
    _in_french(session, ids, "mentor", "mentee", "claire")
    marc, amina, claire = users["mentor"], users["mentee"], users["claire"]
    shown = await _summary(harness, claire)
    await tap(claire, shown, "⏸ Mettre en pause")
    assert shown.text.endswith("Pourquoi le binôme est-il mis en pause ?")
    await tap(claire, shown, "Stage à l'étranger")
    await tap(claire, shown, "Pas de date")
    assert "⏸ En pause depuis le 7 septembre (stage à l'étranger), sans date de reprise." in shown.text.splitlines()
    await harness.tick()
    assert marc.messages[-1].text == (
        "Bonjour Marc, votre binôme avec Amina est en pause pour le moment. Vous ne recevez pas de point d'étape "
        "pendant ce temps. Votre coordinateur vous dira quand il reprend. Si vous avez besoin de quelque chose, vous "
        "pouvez toujours envoyer /aide. Vous pouvez aussi prévoir une rencontre ensemble avec /rencontre, si vous le "
        "voulez tous les deux.")
    assert amina.messages[-1].text.startswith("Bonjour Amina, votre binôme avec Marc est en pause pour le moment")
    clock.advance(days=3)
    marc_start = len(marc.messages)
    await tap(claire, shown, "▶️ Reprendre")
    assert shown.button_texts[0] == "⏸ Mettre en pause"
    assert not any("En pause" in line for line in shown.text.splitlines())
    await harness.tick()
    assert _texts_since(marc, marc_start)[0] == ("Bonjour Marc, votre binôme avec Amina reprend. Les points d'étape "
                                                 "recommencent dans les prochains jours. Si vous avez besoin de "
                                                 "quelque chose, envoyez /aide.")
    assert amina.messages[-1].text.startswith("Bonjour Amina, votre binôme avec Marc reprend")
    with session() as s:
        resumed = s.exec(select(AuditLog).where(AuditLog.action == "binome.resumed")).one()
        assert resumed.actor == f"participant:{ids['claire']}" and resumed.details["paused_on"] == "2026-09-07"
    clock.set(datetime(2026, 9, 16, 16, 5, tzinfo=timezone.utc))  # Wednesday 18:05 in Brussels
    await harness.tick()
    assert amina.messages[-1].text.startswith("👋")  # the check-ins are back


async def test_forged_stale_and_foreign_pause_buttons_change_nothing(harness, session, clock):
    ids, users = seed(harness, session, clock, started_days_ago=20)
    claire, amina = users["claire"], users["mentee"]
    with session() as s:  # Zoé coordinates another programme
        other = make_programme(s, clock.now(), name="Autre programme")
        zoe_p = make_participant(s, other, clock.now(), Role.COORDINATOR, "Zoé")
        zoe = harness.server.user(first_name="Zoé", language_code="en")
        link(zoe_p, zoe, clock.now(), "en")
    await zoe.send("/help")
    await zoe.wait_for_message()
    shown = await _summary(harness, claire)
    b = ids["binome"]

    async def press(user, message, data):
        answer = await user.callback_answer(await user.press_data(message, data))
        await harness.server.settle()
        return answer.get("text")

    invalid = "This button is no longer valid."
    for data in (f"bp:{b}:until:holidays_2w", f"bp:{b}:pause", f"bp:{b}:resume"):
        assert await press(zoe, zoe.messages[0], data) == invalid  # another programme's coordinator
    amina.skip_to_end()
    await amina.send("/help")
    assert await press(amina, await amina.wait_for_message(), f"bp:{b}:until:holidays_2w") == invalid  # not a coordinator
    for data in (f"bp:{b}:until:holidays_3w", f"bp:{b}:until:sabbatical_2w", f"bp:{b}:until", f"bp:{b}:nap",
                 f"bp:{b}:resume", f"bp:{b + 1000}:until:holidays_2w", f"bp:{'9' * 25}:pause"):
        assert await press(claire, shown, data) == invalid  # forged, or resume while active (stale)
    with session() as s:
        assert s.get(Binome, b).status == BinomeStatus.ACTIVE
        assert not s.exec(select(AuditLog).where(AuditLog.action.like("binome.%"))).all()
    await tap(claire, shown, "⏸ Pause")
    await tap(claire, shown, "Illness")
    await tap(claire, shown, "In 1 month")
    assert await press(claire, shown, f"bp:{b}:until:other_2w") == invalid  # already paused: the old buttons
    assert await press(claire, shown, f"bp:{b}:pause") == invalid
    with session() as s:
        binome = s.get(Binome, b)
        assert (binome.pause_reason, binome.resume_on) == ("illness", date(2026, 10, 7))
        assert len(s.exec(select(AuditLog).where(AuditLog.action == "binome.paused")).all()) == 1
    await tap(claire, shown, "▶️ Resume")
    assert await press(claire, shown, f"bp:{b}:resume") == invalid  # a double tap resumes once
    with session() as s:
        assert len(s.exec(select(AuditLog).where(AuditLog.action == "binome.resumed")).all()) == 1


def test_the_cli_pauses_and_resumes_a_pair(engine, session, database_url, monkeypatch, capsys):
    from bot import cli

    now = datetime.now(timezone.utc)
    with session() as s:
        programme = make_programme(s, now, name="MentorYou Bruxelles", language="fr")
        make_pair(s, programme, now, label="B07")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    until = (now + timedelta(days=30)).date()
    assert cli.main(["binome", "pause", "B07", "--reason", "abroad", "--until", until.isoformat()]) == 0
    out = capsys.readouterr().out
    assert "B07" in out and "paused" in out
    assert cli.main(["binome", "pause", "B07", "--reason", "abroad"]) == 2
    assert "already paused" in capsys.readouterr().err
    with session() as s:
        binome = s.exec(select(Binome).where(Binome.label == "B07")).one()
        assert (binome.status, binome.pause_reason, binome.resume_on) == (BinomeStatus.PAUSED, "abroad", until)
        assert s.exec(select(AuditLog).where(AuditLog.action == "binome.paused")).one().actor == "cli"
    assert cli.main(["binome", "resume", "B07", "--program", "MentorYou Bruxelles"]) == 0
    assert "resumed" in capsys.readouterr().out
    assert cli.main(["binome", "resume", "B07"]) == 2
    assert cli.main(["binome", "pause", "B99", "--reason", "holidays"]) == 2
    assert cli.main(["binome", "pause", "B07", "--reason", "holidays", "--until", "2020-01-01"]) == 2
    with session() as s:
        assert s.exec(select(Binome).where(Binome.label == "B07")).one().status == BinomeStatus.ACTIVE


# ---------------------------------------------------------------- the rules alone

NOW = datetime(2026, 9, 7, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def pair(session):
    with session() as s:
        programme = make_programme(s, NOW)
        other = make_programme(s, NOW, name="Autre")
        make_pair(s, programme, NOW)
        coordinator = make_participant(s, programme, NOW, Role.COORDINATOR, "Claire")
        foreign = make_participant(s, other, NOW, Role.COORDINATOR, "Zoé")
        mentor = s.exec(select(Participant).where(Participant.role == Role.MENTOR)).one()
        return {"binome": s.exec(select(Binome.id)).one(), "claire": coordinator.id, "zoe": foreign.id,
                "mentor": mentor.id}


def _refusal(session, pair, action, who="claire", **kwargs):
    with session() as s:
        binome, by = s.get(Binome, pair["binome"]), s.get(Participant, pair[who]) if who else None
        with pytest.raises(pauses.PauseRefused) as refused:
            if action == "pause":
                pauses.pause(session=s, binome=binome, by=by, now=NOW, **kwargs)
            else:
                pauses.resume(session=s, binome=binome, by=by, now=NOW)
        return refused.value.refusal


def test_the_refusals_of_pause_and_resume(session, pair):
    R = pauses.PauseRefusal
    assert _refusal(session, pair, "resume") == R.NOT_PAUSED
    assert _refusal(session, pair, "pause", reason="holidays", resume_on=date(2026, 9, 7)) == R.RESUME_IN_PAST
    assert _refusal(session, pair, "pause", reason="holidays", resume_on=date(2026, 9, 1)) == R.RESUME_IN_PAST
    assert _refusal(session, pair, "pause", reason="sabbatical", resume_on=None) == R.BAD_REASON
    assert _refusal(session, pair, "pause", who="zoe", reason="holidays", resume_on=None) == R.NOT_YOURS
    assert _refusal(session, pair, "pause", who="mentor", reason="holidays", resume_on=None) == R.NOT_YOURS
    with session() as s:
        done = pauses.pause(session=s, binome=s.get(Binome, pair["binome"]), reason="holidays", now=NOW,
                            resume_on=date(2026, 9, 8), by=s.get(Participant, pair["claire"]))
        assert done.binome.paused_on == date(2026, 9, 7)
    assert _refusal(session, pair, "pause", reason="illness", resume_on=None) == R.ALREADY_PAUSED
    assert _refusal(session, pair, "resume", who="zoe") == R.NOT_YOURS
    with session() as s:
        pauses.resume(session=s, binome=s.get(Binome, pair["binome"]), by=None, now=NOW)  # the CLI
        s.get(Binome, pair["binome"]).status = BinomeStatus.CLOSED
    assert _refusal(session, pair, "pause", reason="holidays", resume_on=None) == R.NOT_ACTIVE


def test_resume_dates_and_the_day_they_come_in_the_programme_timezone(session, pair):
    assert pauses.resume_date("2w", date(2026, 9, 7)) == date(2026, 9, 21)
    assert pauses.resume_date("1m", date(2027, 1, 31)) == date(2027, 2, 28)
    assert pauses.resume_date("2m", date(2026, 12, 15)) == date(2027, 2, 15)
    assert pauses.resume_date("none", date(2026, 9, 7)) is None
    with session() as s:
        pauses.pause(session=s, binome=s.get(Binome, pair["binome"]), reason="other", now=NOW,
                     resume_on=date(2026, 9, 21), by=None)
    with session() as s:  # Sep 20, 23:30 in Brussels is 21:30 UTC: not yet; 22:30 UTC is Sep 21 there
        assert pauses.due_to_resume(session=s, now=datetime(2026, 9, 20, 21, 30, tzinfo=timezone.utc)) == []
        assert [b.id for b in pauses.due_to_resume(session=s, now=datetime(2026, 9, 20, 22, 30,
                                                                           tzinfo=timezone.utc))] == [pair["binome"]]
