"""Closing a binôme (issue 11, docs/closure.md), as the coordinator, the mentor and the mentee live it through
the local Bot API, in English and in French: a positive closure from /binome, "I want to stop" leading to a
negative one, a mentor's proposal confirmed (neutral) or set aside; after the closure nothing but the goodbye
(and the evaluation) reaches the pair for two months; forged, stale and foreign buttons; the CLI; the rules."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import select

from storage import closures, outbox
from storage.models import (ActionStatus, Alert, AlertStatus, AuditLog, Binome, BinomeStatus, CheckIn, CheckInStatus,
                            Meeting, MeetingStatus, OutboundMessage, Participant, PlanAction, Role)
from storage.options import OptionError, outcomes_for, parse_assignment
from tests.factories import link, make_pair, make_participant, make_programme
from tests.test_alerts import seed
from tests.test_meetings import tap

INVALID = "This button is no longer valid."


def _in_french(session, ids, *keys):
    with session() as s:
        for key in keys:
            s.get(Participant, ids[key]).language = "fr"


def _life(session, ids, now, *, held=2, done=1):
    """Two meetings held, an action done and one to do, a meeting planned next week."""
    with session() as s:
        for n in range(held):
            s.add(Meeting(binome_id=ids["binome"], starts_at=now - timedelta(days=14 - 7 * n), status=MeetingStatus.HELD,
                          proposed_by=ids["mentor"], created_at=now))
        s.add(Meeting(binome_id=ids["binome"], starts_at=now + timedelta(days=7), status=MeetingStatus.CONFIRMED,
                      proposed_by=ids["mentor"], created_at=now))
        for n in range(done):
            s.add(PlanAction(binome_id=ids["binome"], title=f"CV {n}", status=ActionStatus.DONE,
                             created_by=ids["mentee"], created_at=now, changed_at=now, status_changed_at=now))
        s.add(PlanAction(binome_id=ids["binome"], title="Call the job centre", created_by=ids["mentee"],
                         created_at=now, changed_at=now, status_changed_at=now))


async def _press(harness, user, message, data):
    answer = await user.callback_answer(await user.press_data(message, data))
    await harness.server.settle()
    return answer.get("text")


async def _binome_summary(claire, label="B01"):
    claire.skip_to_end()
    await claire.send(f"/binome {label}")
    return await claire.wait_for_message()


async def test_a_positive_closure_from_binome_then_two_months_of_silence(harness, session, clock):
    """Claire opens B01 with /binome, closes it (job, permanent contract, today): both are told what they did
    together; the meeting planned is cancelled, the check-ins skipped, the alerts resolved; /plan still shows
    the plan, read-only; for two months of ticks nothing else reaches Marc or Amina."""
    ids, users = seed(harness, session, clock, started_days_ago=30)
    marc, amina, claire = users["mentor"], users["mentee"], users["claire"]
    _life(session, ids, clock.now())
    await harness.tick()  # check-ins written ahead
    await claire.send("/binome")  # (Monday 10:00 after a week with a meeting: the 08:00 digest is caught up too)
    listing = await claire.wait_for_message(predicate=lambda m: not m.text.startswith("📊 Your Monday summary"))
    assert listing.text.startswith("1 open binôme; tap one to see it:") and listing.button_texts == ["B01"]
    await tap(claire, listing, "B01")
    shown = await claire.wait_for_message()
    assert shown.text.startswith("📋 Binôme B01: Marc Dubois (mentor) and Amina Benali (mentee)")
    assert shown.button_texts == ["⏸ Pause", "🏁 Close the binôme", "📝 Closing-interview guide"]
    await tap(claire, shown, "🏁 Close the binôme")
    assert shown.text.endswith("How did the binôme end?")
    assert shown.button_texts[:3] == ["🟢 Job (permanent contract)", "🟢 Job (temporary contract)", "🟢 Internship"]
    assert shown.button_texts[-4:] == ["🔴 Mentee dropped out", "🔴 Mentor withdrew", "🔴 Lost contact", "← Back"]
    await tap(claire, shown, "🟢 Job (permanent contract)")
    assert shown.text.endswith("Job (permanent contract): on which date?")
    assert shown.button_texts == ["Today (7 Sep)", "Yesterday (6 Sep)", "A week ago (31 Aug)", "← Back"]
    await tap(claire, shown, "Today (7 Sep)")
    assert shown.text.endswith("Close binôme B01 with the outcome «Job (permanent contract)» on Sep 7? Both will be "
                               "told, what is planned is cancelled, the plan is kept read-only, and each gets a short "
                               "evaluation.")
    await tap(claire, shown, "🏁 Yes, close the binôme")
    assert "🏁 Closed on Sep 7: Job (permanent contract) (positive)." in shown.text.splitlines()
    assert shown.button_texts == ["📝 Closing-interview guide"]
    marc_start, amina_start = len(marc.messages), len(amina.messages)
    await harness.tick()
    assert [m.text for m in amina.messages[amina_start:]] == [
        "Hello Amina, your binôme with Marc has ended.\n\nTogether, you had 2 meetings. 1 action of your plan is "
        "done.\n\nCongratulations on this step: Job (permanent contract)!\n\nThank you for your commitment. Good "
        "luck for what comes next! Would you like support again one day? Tell your coordinator: the door stays "
        "open.\n\nYou can still see your action plan with /plan. In a moment, I will ask you a few short questions "
        "about the mentoring."]
    goodbye = marc.messages[marc_start].text
    assert goodbye.startswith("Hello Marc, your binôme with Amina has ended.")
    assert "Amina has reached a step: Job (permanent contract). Thank you for your part in it!" in goodbye
    with session() as s:
        binome = s.get(Binome, ids["binome"])
        assert (binome.status, binome.outcome, binome.closed_on) == (BinomeStatus.CLOSED, "job_permanent",
                                                                      date(2026, 9, 7))
        assert s.exec(select(Meeting).where(Meeting.starts_at > clock.now())).one().status == MeetingStatus.CANCELLED
        pending = s.exec(select(CheckIn).where(CheckIn.binome_id == binome.id)).all()
        assert pending and all((c.status, c.skipped_reason) == (CheckInStatus.SKIPPED, "closed") for c in pending)
        assert all(a.status == AlertStatus.RESOLVED and a.outcome == "pair_closed" for a in s.exec(select(Alert)))
        closed = s.exec(select(AuditLog).where(AuditLog.action == "binome.closed")).one()
        assert closed.actor == f"participant:{ids['claire']}"
        assert closed.details | {"checkins_skipped": 0} == {
            "outcome": "job_permanent", "kind": "positive", "closed_on": "2026-09-07", "proposed_by_mentor": False,
            "as_proposed": False, "meetings_held": 2, "actions_done": 1, "checkins_skipped": 0,
            "meetings_cancelled": 1, "messages_dropped": closed.details["messages_dropped"],
            "alerts_resolved": closed.details["alerts_resolved"]}

    # Two months, a tick every 6 hours: nothing reaches the pair but the evaluation and its one reminder.
    marc_start, amina_start = len(marc.messages), len(amina.messages)
    for _ in range(2 * 31 * 4):
        clock.advance(hours=6)
        await harness.tick()
    with session() as s:
        sent = s.exec(select(OutboundMessage.kind).where(
            OutboundMessage.participant_id.in_([ids["mentor"], ids["mentee"]]),
            OutboundMessage.kind != "binome_closed", OutboundMessage.sent_at.is_not(None))).all()
    assert sorted(sent) == ["evaluation", "evaluation", "evaluation_reminder", "evaluation_reminder"]
    for user, start in ((marc, marc_start), (amina, amina_start)):  # the evaluation, its one reminder: no more
        assert len(user.messages) - start == 2

    amina.skip_to_end()
    await amina.send("/plan")
    plan = await amina.wait_for_message()
    assert plan.text.startswith("🏁 Your binôme with Marc ended on Sep 7. Here is your action plan, as you left it:")
    assert "Call the job centre" in plan.text and plan.button_texts == []
    await amina.send("/meeting")
    assert (await amina.wait_for_message()).text == (
        "Your binôme with Marc ended on Sep 7. You can still see your action plan with /plan. Would you like support "
        "again? Tell your coordinator.")


async def test_in_french_i_want_to_stop_leads_to_a_negative_closure(harness, session, clock):
    """Amina says "Je veux arrêter": Claire's card offers to close, the withdrawal pre-selected (never on
    its own); Claire closes it; Amina's goodbye is warm, without congratulations."""
    ids, users = seed(harness, session, clock, started_days_ago=30)
    _in_french(session, ids, "mentor", "mentee", "claire")
    marc, amina, claire = users["mentor"], users["mentee"], users["claire"]
    _life(session, ids, clock.now(), held=1, done=0)
    await amina.send("/help")
    await tap(amina, await amina.wait_for_message(), "Je veux arrêter")
    await tap(amina, await amina.wait_for_message(), "✋ Oui, prévenir mon coordinateur")
    clock.advance(seconds=30)
    claire.skip_to_end()
    await harness.tick()
    card = next(m for m in claire.messages if "Souhaite arrêter" in m.text)
    assert "🏁 Clôturer le binôme" in card.button_texts
    with session() as s:
        assert s.get(Binome, ids["binome"]).status == BinomeStatus.ACTIVE  # nothing closes by itself
    await tap(claire, card, "🏁 Clôturer le binôme")
    choice = card  # the card turns into the closure's questions
    assert choice.text.endswith("Comment le binôme s'est-il terminé ?")
    assert choice.button_texts[0] == "✓ 🔴 Abandon du mentoré"
    await tap(claire, choice, "✓ 🔴 Abandon du mentoré")
    await tap(claire, choice, "Aujourd’hui (7 sept.)")
    await tap(claire, choice, "🏁 Oui, clôturer le binôme")
    assert "🏁 Clôturé le 7 septembre : Abandon du mentoré (sortie négative)." in choice.text.splitlines()
    amina_start = len(amina.messages)
    await harness.tick()
    goodbye = amina.messages[amina_start].text
    assert goodbye.startswith("Bonjour Amina, votre binôme avec Marc est terminé.")
    assert "Félicitations" not in goodbye and "la porte reste ouverte" in goodbye
    with session() as s:
        binome = s.get(Binome, ids["binome"])
        assert (binome.status, binome.outcome) == (BinomeStatus.CLOSED, "mentee_dropped_out")
        stop = s.exec(select(Alert).where(Alert.signal == "support_stop")).one()
        assert (stop.status, stop.outcome) == (AlertStatus.RESOLVED, "pair_closed")
        assert s.exec(select(AuditLog).where(AuditLog.action == "binome.closed")).one().details["kind"] == "negative"


async def test_the_mentor_proposes_and_the_coordinator_confirms_or_sets_it_aside(harness, session, clock):
    ids, users = seed(harness, session, clock, started_days_ago=30)
    marc, amina, claire = users["mentor"], users["mentee"], users["claire"]
    _life(session, ids, clock.now())
    await amina.send("/plan")
    assert "🏁 Propose to close the binôme" not in (await amina.wait_for_message()).button_texts  # the mentor's
    await marc.send("/plan")
    plan = await marc.wait_for_message()
    await tap(marc, plan, "🏁 Propose to close the binôme")
    assert plan.text.startswith("You would like to close your binôme with Amina. How does it end?")
    assert "← Back" not in plan.button_texts
    await tap(marc, plan, "⚪ End of term without a solution")
    assert plan.text.startswith("Thank you. Your coordinator will confirm the closure (End of term without a solution)")
    await tap(marc, plan, "📝 Closing-interview guide")
    guide = await marc.wait_for_message()
    assert guide.text.startswith("📝 The closing interview: a last meeting to look back together")
    assert "So far: 2 meetings held, 1 actions done." in guide.text
    assert guide.button_texts == ["📅 Plan the closing interview"]
    await tap(marc, guide, "📅 Plan the closing interview")
    days = await marc.wait_for_message()
    assert days.text == "The closing interview: when shall we meet? Choose a day:"
    await tap(marc, days, days.button_texts[-1])  # the furthest day: still ahead at the closure
    await tap(marc, days, "17:00")
    await tap(marc, days, "Marc")
    await tap(marc, days, "Send")
    amina.skip_to_end()
    await harness.tick()
    assert (await amina.wait_for_message()).text.startswith("Marc proposes the closing interview ")
    await tap(amina, amina.messages[-1], "✅ Accept")
    await harness.tick()
    assert any(m.text.startswith("📅 Confirmed: closing interview with Marc") for m in amina.messages)
    with session() as s:
        closing = s.exec(select(Meeting).where(Meeting.purpose == "closing")).one()
        assert closing.status == MeetingStatus.CONFIRMED
    claire.skip_to_end()
    await harness.tick()
    proposal = next(m for m in claire.messages if m.text.startswith("🏁 Marc Dubois (mentor) proposes"))
    assert proposal.text.startswith("🏁 Marc Dubois (mentor) proposes to close binôme B01: «End of term without a "
                                    "solution» (neutral).")
    assert proposal.button_texts == ["✅ Confirm this outcome", "Choose another outcome", "Not now"]

    # "Not now": Marc is told, the proposal is gone, an old confirm still asks for a date (a coordinator may
    # close at any time) but the proposal's own message no longer says anything was proposed.
    await tap(claire, proposal, "Not now")
    marc_start = len(marc.messages)
    await harness.tick()
    assert marc.messages[marc_start].text == ("Your coordinator would rather not close your binôme with Amina for now, "
                                              "and will get in touch with you about it.")
    with session() as s:
        assert s.get(Binome, ids["binome"]).proposed_outcome is None
    assert await _press(harness, claire, proposal, f"bc:{ids['binome']}:decline") == INVALID  # nothing to decline

    # A week later, proposed again, confirmed this time.
    clock.advance(days=7)
    marc.skip_to_end()
    await marc.send("/plan")
    plan = await marc.wait_for_message()
    await tap(marc, plan, "🏁 Propose to close the binôme")
    await tap(marc, plan, "⚪ End of term without a solution")
    claire.skip_to_end()
    await harness.tick()
    proposal = await claire.wait_for_message()
    await tap(claire, proposal, "✅ Confirm this outcome")
    assert proposal.text.endswith("End of term without a solution: on which date?")
    assert "🏁 Marc proposed on Sep 14 to close it: End of term without a solution." in proposal.text.splitlines()
    await tap(claire, proposal, "Today (14 Sep)")
    assert "⚠️ The closing interview planned on Sep " in proposal.text  # it will be cancelled
    await tap(claire, proposal, "🏁 Yes, close the binôme")
    with session() as s:
        binome = s.get(Binome, ids["binome"])
        assert (binome.status, binome.outcome, binome.proposed_outcome) == (BinomeStatus.CLOSED, "end_of_term", None)
        details = s.exec(select(AuditLog).where(AuditLog.action == "binome.closed")).one().details
        assert (details["kind"], details["proposed_by_mentor"], details["as_proposed"]) == ("neutral", True, True)
        assert [a.action for a in s.exec(select(AuditLog).where(AuditLog.action.like("binome.closure%"))
                                         .order_by(AuditLog.id))] == [
            "binome.closure_proposed", "binome.closure_declined", "binome.closure_proposed"]
    assert await _press(harness, marc, plan, f"bm:{ids['binome']}:out:job_permanent") == INVALID  # closed now


async def test_forged_stale_and_foreign_closure_buttons_change_nothing(harness, session, clock):
    ids, users = seed(harness, session, clock, started_days_ago=30)
    claire, amina, marc = users["claire"], users["mentee"], users["mentor"]
    with session() as s:  # Zoé coordinates another programme
        other = make_programme(s, clock.now(), name="Autre programme")
        zoe_p = make_participant(s, other, clock.now(), Role.COORDINATOR, "Zoé")
        zoe = harness.server.user(first_name="Zoé", language_code="en")
        link(zoe_p, zoe, clock.now(), "en")
    await zoe.send("/help")
    await zoe.wait_for_message()
    await zoe.send("/binome B01")
    assert (await zoe.wait_for_message()).text == "No binôme B01 in your programme. /binome lists them."
    await amina.send("/binome")
    assert (await amina.wait_for_message()).text == "This command is for coordinators. To see your commands, send /help."
    b = ids["binome"]
    shown = await _binome_summary(claire)
    for data in (f"bc:{b}:ok:job_permanent_today", f"bc:{b}:close", f"bc:{b}:guide", f"bs:{b}:show"):
        assert await _press(harness, zoe, zoe.messages[0], data) == INVALID  # another programme's coordinator
    amina.skip_to_end()
    await amina.send("/help")
    help_message = await amina.wait_for_message()
    for data in (f"bc:{b}:ok:job_permanent_today", f"bm:{b}:out:job_permanent", f"bm:{b}:propose"):
        assert await _press(harness, amina, help_message, data) == INVALID  # the mentee: not hers to close
    for data in (f"bc:{b}:ok:job_permanent_tomorrow", f"bc:{b}:ok:astronaut_today", f"bc:{b}:ok:diploma_today",
                 f"bc:{b}:on:job_permanent_end", f"bc:{b}:ok:job_permanent_end", f"bc:{b}:out", f"bc:{b}:nap",
                 f"bc:{b + 1000}:ok:job_permanent_today", f"bc:{'9' * 25}:close", f"bm:{b}:out:job_permanent"):
        assert await _press(harness, claire, shown, data) == INVALID  # forged: not offered, not hers, too long
    with session() as s:
        assert s.get(Binome, b).status == BinomeStatus.ACTIVE
        assert not s.exec(select(AuditLog).where(AuditLog.action.like("binome.%"))).all()
    await tap(claire, shown, "🏁 Close the binôme")
    await tap(claire, shown, "🔴 Lost contact")
    await tap(claire, shown, "Yesterday (6 Sep)")
    await tap(claire, shown, "🏁 Yes, close the binôme")
    for data in (f"bc:{b}:ok:lost_contact_yesterday", f"bc:{b}:close", f"bc:{b}:out:job_permanent"):
        assert await _press(harness, claire, shown, data) == INVALID  # a doubled or stale press closes once
    await marc.send("/plan")
    plan = await marc.wait_for_message()
    assert plan.text.startswith("🏁 Your binôme with Amina ended on Sep 6.") and plan.button_texts == []
    assert await _press(harness, marc, plan, f"bm:{b}:propose") == INVALID
    with session() as s:
        binome = s.get(Binome, b)
        assert (binome.outcome, binome.closed_on) == ("lost_contact", date(2026, 9, 6))
        assert len(s.exec(select(AuditLog).where(AuditLog.action == "binome.closed")).all()) == 1
    await tap(claire, shown, "📝 Closing-interview guide")  # still there after the closure, for the coordinator
    assert (await claire.wait_for_message()).text.startswith("📝 The closing interview")


async def test_a_mentor_with_two_mentees_keeps_hearing_about_the_other(harness, session, clock):
    """Closing B01 drops what was queued about B01 only; Marc's other binôme goes on."""
    ids, users = seed(harness, session, clock, started_days_ago=30)
    marc = users["mentor"]
    with session() as s:
        programme_id = ids["programme"]
        from storage.models import Programme
        programme = s.get(Programme, programme_id)
        fatou = make_participant(s, programme, clock.now(), Role.MENTEE, "Fatou", "Diallo")
        second = Binome(programme_id=programme_id, label="B02", mentor_id=ids["mentor"], mentee_id=fatou.id,
                        started_on=clock.now().date() - timedelta(days=30), planned_end_on=date(2027, 3, 1),
                        created_at=clock.now())
        s.add(second)
        s.flush()
        ids["second"] = second.id
        binome = s.get(Binome, ids["binome"])
        for binome_id in (ids["binome"], ids["second"]):
            outbox.enqueue(session=s, participant_id=ids["mentor"], kind="binome_resumed", now=clock.now(),
                           due_at=clock.now() + timedelta(hours=1), key=f"test:{binome_id}",
                           params={"binome_id": binome_id})
        closures.close(session=s, binome=binome, outcome="end_of_term", closed_on=clock.now().date(), by=None,
                       now=clock.now())
        assert outbox.ended(session=s, participant_ids={ids["mentor"], ids["mentee"], fatou.id}) == {ids["mentee"]}
        kept = s.exec(select(OutboundMessage).where(OutboundMessage.idempotency_key.like("test:%"))
                      .order_by(OutboundMessage.id)).all()
        assert [(m.params["binome_id"], m.dropped_at is None) for m in kept] == [(ids["binome"], False),
                                                                                (ids["second"], True)]


def test_the_cli_closes_a_pair(engine, session, database_url, monkeypatch, capsys):
    from bot import cli

    now = datetime.now(timezone.utc)
    with session() as s:
        programme = make_programme(s, now - timedelta(days=60), name="MentorYou Bruxelles", language="fr")
        make_pair(s, programme, now - timedelta(days=60), label="B07")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    assert cli.main(["binome", "close", "B07", "--outcome", "diploma"]) == 2
    assert "not in the programme's list" in capsys.readouterr().err
    tomorrow = (now + timedelta(days=2)).date().isoformat()
    assert cli.main(["binome", "close", "B07", "--outcome", "training", "--on", tomorrow]) == 2
    assert "between the start of the binôme and today" in capsys.readouterr().err
    assert cli.main(["binome", "close", "B07", "--outcome", "training"]) == 0
    out = capsys.readouterr().out
    assert "Binôme B07 is closed on" in out and "(Training)" in out
    assert cli.main(["binome", "close", "B07", "--outcome", "training"]) == 2
    assert "already closed" in capsys.readouterr().err
    with session() as s:
        binome = s.exec(select(Binome).where(Binome.label == "B07")).one()
        assert (binome.status, binome.outcome) == (BinomeStatus.CLOSED, "training")
        assert s.exec(select(AuditLog).where(AuditLog.action == "binome.closed")).one().actor == "cli"


# ---------------------------------------------------------------- the rules alone

def test_a_programme_sets_its_own_outcomes_and_keeps_the_withdrawals():
    from storage.models import Programme

    key, value = parse_assignment("outcomes=diploma,apprenticeship,continued_studies,end_of_term:negative")
    assert key == "outcomes"
    school = Programme(name="Lycée", options={"outcomes": value})
    assert outcomes_for(school) == {"diploma": "positive", "apprenticeship": "positive",
                                    "continued_studies": "positive", "end_of_term": "negative",
                                    "mentee_dropped_out": "negative", "mentor_withdrew": "negative"}
    assert list(outcomes_for(Programme(name="MentorYou", options={})))[:2] == ["job_permanent", "job_temporary"]
    for wrong in ("outcomes=astronaut", "outcomes=diploma:great", "outcomes=diploma,diploma", "outcomes=,"):
        with pytest.raises(OptionError):
            parse_assignment(wrong)


def test_the_dates_offered_are_never_after_today_nor_before_the_start():
    binome = Binome(programme_id=1, label="B", mentor_id=1, mentee_id=2, started_on=date(2026, 9, 3),
                    planned_end_on=date(2026, 9, 5), created_at=datetime(2026, 9, 3, tzinfo=timezone.utc))
    assert closures.date_choices(today=date(2026, 9, 7), binome=binome) == [
        ("today", date(2026, 9, 7)), ("yesterday", date(2026, 9, 6)), ("end", date(2026, 9, 5))]
    binome.planned_end_on = date(2027, 3, 3)
    assert [c for c, _ in closures.date_choices(today=date(2026, 9, 17), binome=binome)] == ["today", "yesterday",
                                                                                             "week"]


async def test_the_end_near_card_leads_to_the_closure(harness, session, clock):
    """Ten days before the planned end the coordinator's "end near" card offers 🏁 Close: the same flow."""
    ids, users = seed(harness, session, clock, started_days_ago=30)
    claire = users["claire"]
    _life(session, ids, clock.now())
    with session() as s:
        s.get(Binome, ids["binome"]).planned_end_on = clock.now().date() + timedelta(days=10)
    await harness.tick()
    card = next(m for m in claire.messages if "End near" in m.text)
    assert "🏁 Close" in card.button_texts
    await tap(claire, card, "🏁 Close")
    assert card.text.endswith("How did the binôme end?")
    await tap(claire, card, "⚪ Reoriented to another service")  # a neutral outcome, by the coordinator
    await tap(claire, card, "Today (7 Sep)")
    await tap(claire, card, "🏁 Yes, close the binôme")
    with session() as s:
        assert (s.get(Binome, ids["binome"]).outcome, s.exec(select(Alert).where(
            Alert.signal == "closure_due")).one().status) == ("reoriented", AlertStatus.RESOLVED)
        details = s.exec(select(AuditLog).where(AuditLog.action == "binome.closed")).one().details
        assert (details["kind"], details["proposed_by_mentor"]) == ("neutral", False)
