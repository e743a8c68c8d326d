"""Before the planned end (issue 11, docs/closure.md): the pair's questions and the extension, as mentor,
mentee and coordinator live them through the local Bot API, in English and in French; then the CLI,
forged, stale and doubled presses, and the rules alone (the due query's date bound in a timezone)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import select

from storage import ending, pauses
from storage.models import (Alert, AlertStatus, AuditLog, Binome, BinomeStatus, EndingAnswer, OutboundMessage,
                            Participant, ParticipantStatus, Programme, Role)
from tests.factories import link, make_pair, make_participant, make_programme
from tests.test_alerts import seed
from tests.test_meetings import tap

END = date(2026, 9, 22)  # the planned end: 14 days (closure_warning_days) after Sep 8
SEP_8 = datetime(2026, 9, 8, 6, 5, tzinfo=timezone.utc)  # 08:05 in Brussels, quiet hours over
QUESTION_EN = "Hello {name}, your binôme with {partner} is planned to end on {date}. What do you think?"
INVALID = "This button is no longer valid."


def _near_the_end(harness, session, clock, french=False):
    ids, users = seed(harness, session, clock)
    with session() as s:
        s.get(Binome, ids["binome"]).planned_end_on = END
        if french:
            for key in ("mentor", "mentee", "claire"):
                s.get(Participant, ids[key]).language = "fr"
    return ids, users


def _questions(user, needle="is planned to end on"):
    return [m for m in user.messages if needle in m.text]


async def _press(harness, user, message, data):
    answer = await user.callback_answer(await user.press_data(message, data))
    await harness.server.settle()
    return answer.get("text")


def _asked(session, ids) -> tuple[int, int]:
    """How many questions reached (mentor, mentee)."""
    with session() as s:
        sent = s.exec(select(OutboundMessage.participant_id).where(OutboundMessage.kind == "ending_question",
                                                                   OutboundMessage.sent_at.is_not(None))).all()
    return sent.count(ids["mentor"]), sent.count(ids["mentee"])


def _answer_ids(session, ids):
    with session() as s:
        rows = s.exec(select(EndingAnswer).where(EndingAnswer.binome_id == ids["binome"])).all()
        return {("mentor" if r.participant_id == ids["mentor"] else "mentee", r.planned_end_on): r.id for r in rows}


async def _open_card(harness, session, claire):
    """/alerts, then the "end near" alert's button: its card, rendered now."""
    with session() as s:
        alert_id = s.exec(select(Alert.id).where(Alert.signal == "closure_due")).one()
    claire.skip_to_end()
    await claire.send("/alerts")
    listing = await claire.wait_for_message()
    await claire.callback_answer(await claire.press_data(listing, f"a:{alert_id}:open"))
    await harness.server.settle()
    return await claire.wait_for_message()


async def test_both_asked_once_they_answer_and_the_coordinator_extends_by_two_months(harness, session, clock):
    ids, users = _near_the_end(harness, session, clock)
    marc, amina, claire = users["mentor"], users["mentee"], users["claire"]
    await harness.tick()  # Sep 7: 15 days before the end, nobody is asked yet
    assert not _questions(marc) and not _questions(amina)
    clock.set(SEP_8)
    await harness.tick()
    question = _questions(amina)[-1]
    assert question.text == QUESTION_EN.format(name="Amina", partner="Marc", date="September 22, 2026")
    assert question.button_texts == ["✅ Ready to end", "⏳ I would like more time"]
    assert _questions(marc)[-1].text.startswith("Hello Marc, your binôme with Amina is planned to end on")
    card = next(m for m in claire.messages if "End near, no closure" in m.text)
    assert "Marc (mentor): not answered yet · Amina (mentee): not answered yet" in card.text
    assert [b[0] for b in card.buttons[1]] == ["Extend 1 month", "2 months", "3 months"]
    assert card.buttons[2] == [("🏁 Close", f"bc:{ids['binome']}:close"),
                               ("💤 Remind me in a week", next(d for t, d in card.buttons[2] if "Remind" in t))]
    assert card.buttons[2][1][1].endswith(":snz")

    # Text instead of a button: the usual polite answer; the buttons still work after it.
    amina.skip_to_end()
    await amina.send("maybe")
    assert (await amina.wait_for_message()).text.startswith("I cannot read typed messages yet")

    # Three days of ticks every 6 hours: nobody is asked again.
    for _ in range(12):
        clock.advance(hours=6)
        await harness.tick()
    assert _asked(session, ids) == (1, 1)

    # Marc is ready to close, without a word.
    await tap(marc, _questions(marc)[-1], "✅ Ready to end")
    shown = _questions(marc)[-1]
    assert shown.text.endswith("Your answer: ✅ Ready to end.\nThank you. Do you want to add a word for your "
                               "coordinator? You do not have to. If you want, type it here.")
    await tap(marc, shown, "No, thanks")
    assert shown.text.endswith("Thank you, Marc. Your coordinator will see your answer. If you change your mind, you "
                               "can answer again below.")
    assert await _press(harness, marc, shown, shown.buttons[0][0][1]) == "Already answered, thank you."  # doubled

    # Amina would like to extend, with a word she shares.
    await tap(amina, question, "⏳ I would like more time")
    amina.skip_to_end()
    await amina.send("I need one more month to finish my CV\u200b")
    share = await amina.wait_for_message()
    assert share.text == "Thank you. Share it with your coordinator?"
    assert share.button_texts == ["Yes, share it", "No, keep it private"]
    await tap(amina, share, "Yes, share it")
    assert "Your word, shared with your coordinator: «I need one more month to finish my CV»" in share.text
    close, extend = (row[0][1] for row in share.buttons)
    assert await _press(harness, amina, share, close) is None  # a changed mind
    assert share.text.splitlines()[2] == "Your answer: ✅ Ready to end."
    assert await _press(harness, amina, share, extend) is None  # and back: the last answer counts

    claire.skip_to_end()
    await harness.tick()
    notices = [m.text for m in claire.messages[-10:]]
    assert "🗳 Marc (mentor, B01) answered about the end: ready to close." in notices
    assert "🗳 Amina (mentee, B01) answered about the end: would like to extend." in notices
    assert ("💬 Amina (mentee, B01) shared a word with you about the end: «I need one more month to finish my CV»"
            in notices)

    # The card, opened again, carries both answers; Claire extends by 2 months.
    card = await _open_card(harness, session, claire)
    assert ("Marc (mentor): ready to close · Amina (mentee): would like to extend — «I need one more month to finish "
            "my CV»") in card.text
    extend_2 = next(d for t, d in card.buttons[1] if t == "2 months")
    answer = await claire.callback_answer(await claire.press_data(card, extend_2))
    await harness.server.settle()
    assert answer["text"] == "Extended by 2 months; both have been told."
    assert "⏳ Extended: the planned end is now Nov 22." in card.text.splitlines()
    assert not any("month" in t for t in card.button_texts)  # the card is about the old end now
    assert await _press(harness, claire, card, extend_2) == INVALID  # a double tap extends once
    marc_start, amina_start = len(marc.messages), len(amina.messages)
    await harness.tick()
    told = "Hello {name}, good news: your binôme with {partner} goes on. It is now planned to end on November 22, " \
           "2026. If you need anything, send /help."
    assert told.format(name="Marc", partner="Amina") in [m.text for m in marc.messages[marc_start:]]
    assert told.format(name="Amina", partner="Marc") in [m.text for m in amina.messages[amina_start:]]
    with session() as s:
        assert s.get(Binome, ids["binome"]).planned_end_on == date(2026, 11, 22)
        extended = s.exec(select(AuditLog).where(AuditLog.action == "binome.extended")).one()
        assert extended.actor == f"participant:{ids['claire']}"
        assert extended.details == {"from": "2026-09-22", "to": "2026-11-22", "months": 2}
        answered = s.exec(select(AuditLog).where(AuditLog.action == "ending.answered")).all()
        assert [a.details["choice"] for a in answered] == ["close", "extend", "close", "extend"]
        assert all("CV" not in str(a.details) for a in s.exec(select(AuditLog)).all())  # never the word

    # A stale answer (the question of the old end) changes nothing.
    assert await _press(harness, amina, question, question.buttons[0][0][1]) == (
        "This question was about an old end date. Your binôme now lasts longer.")

    # The next scan clears "end near": the end is far now.
    clock.advance(minutes=16)
    await harness.tick()
    with session() as s:
        alert = s.exec(select(Alert).where(Alert.signal == "closure_due")).one()
        assert alert.status == AlertStatus.CLEARED
        assert s.exec(select(AuditLog).where(AuditLog.action == "alert.cleared")).one().details["reason"] == \
            "signal_gone"

    # Asked again before the new end, once.
    clock.set(datetime(2026, 11, 8, 7, 5, tzinfo=timezone.utc))  # 08:05 in Brussels (winter time)
    await harness.tick()
    again = _questions(amina)[-1]
    assert again.text == QUESTION_EN.format(name="Amina", partner="Marc", date="November 22, 2026")
    assert _asked(session, ids) == (2, 2)
    assert len(_answer_ids(session, ids)) == 4


async def test_in_french_a_private_word_never_reaches_the_coordinator(harness, session, clock):
    ids, users = _near_the_end(harness, session, clock, french=True)
    marc, amina, claire = users["mentor"], users["mentee"], users["claire"]
    clock.set(SEP_8)
    await harness.tick()
    question = _questions(marc, "doit se terminer le")[-1]
    assert question.text == ("Bonjour Marc, votre binôme avec Amina doit se terminer le 22 septembre 2026. "
                             "Qu'en pensez-vous ?")
    assert question.button_texts == ["✅ D'accord pour finir", "⏳ J'aimerais plus de temps"]
    await tap(marc, question, "⏳ J'aimerais plus de temps")
    assert question.text.endswith("Votre réponse : ⏳ J'aimerais plus de temps.\nMerci. Voulez-vous ajouter un mot pour "
                                  "votre coordinateur ? Ce n'est pas obligatoire. Si vous voulez, écrivez-le ici.")
    marc.skip_to_end()
    await marc.send("SECRET-MOT: je suis fatigué")
    share = await marc.wait_for_message()
    assert share.text == "Merci. Le partager avec votre coordinateur ?"
    await tap(marc, share, "Non, le garder pour moi")
    assert "Votre mot reste privé : « SECRET-MOT: je suis fatigué »" in share.text
    await tap(amina, _questions(amina, "doit se terminer le")[-1], "✅ D'accord pour finir")
    await tap(amina, _questions(amina, "doit se terminer le")[-1], "Non merci")
    claire.skip_to_end()
    await harness.tick()
    card = await _open_card(harness, session, claire)
    assert "Marc (mentor) : aimerait prolonger · Amina (mentoré) : d'accord pour clôturer" in card.text
    assert [b[0] for b in card.buttons[1]] == ["Prolonger d'1 mois", "2 mois", "3 mois"]
    assert "🗳 Marc (mentor, B01) a répondu au sujet de la fin : aimerait prolonger." in [m.text for m in claire.messages]
    assert all("SECRET-MOT" not in m.text for m in claire.messages)
    await tap(claire, card, "Prolonger d'1 mois")
    await harness.tick()
    assert marc.messages[-1].text == ("Bonjour Marc, bonne nouvelle : votre binôme avec Amina continue. Il doit "
                                      "maintenant se terminer le 22 octobre 2026. Si vous avez besoin de quelque "
                                      "chose, envoyez /aide.")
    with session() as s:
        assert s.get(Binome, ids["binome"]).planned_end_on == date(2026, 10, 22)
        notices = s.exec(select(OutboundMessage).where(OutboundMessage.kind == "ending_answered")).all()
        assert sorted(m.params["what"] for m in notices) == ["answer", "answer"]  # the private word: no notice


async def test_forged_foreign_and_paused_presses_change_nothing(harness, session, clock):
    ids, users = _near_the_end(harness, session, clock)
    marc, amina, claire = users["mentor"], users["mentee"], users["claire"]
    with session() as s:  # Zoé coordinates another programme
        other = make_programme(s, clock.now(), name="Autre programme")
        zoe_p = make_participant(s, other, clock.now(), Role.COORDINATOR, "Zoé")
        zoe = harness.server.user(first_name="Zoé", language_code="en")
        link(zoe_p, zoe, clock.now(), "en")
    await zoe.send("/help")
    await zoe.wait_for_message()
    clock.set(SEP_8)
    await harness.tick()
    answers = _answer_ids(session, ids)
    mine, hers = answers[("mentor", END)], answers[("mentee", END)]
    question = _questions(marc)[-1]
    card = next(m for m in claire.messages if "End near" in m.text)
    with session() as s:
        alert_id = s.exec(select(Alert.id).where(Alert.signal == "closure_due")).one()
    for data in (f"ee:{hers}:close", f"ee:{mine}:maybe", f"ee:{mine}:share:2", f"ee:{mine}:close:1",
                 f"ee:{'9' * 25}:close", f"ee:{mine + 1000}:extend"):
        assert await _press(harness, marc, question, data) == INVALID  # another's answer, or forged
    assert await _press(harness, marc, question, f"ee:{mine}:share:1") == INVALID  # no word to share
    assert await _press(harness, marc, question, f"ee:{mine}:noword") == INVALID  # nothing answered yet
    assert await _press(harness, zoe, zoe.messages[0], f"a:{alert_id}:ext:2") == INVALID  # another programme
    assert await _press(harness, amina, question, f"a:{alert_id}:ext:2") == INVALID  # not a coordinator
    assert await _press(harness, claire, card, f"a:{alert_id}:ext:4") == INVALID  # forged months
    with session() as s:
        assert s.get(Binome, ids["binome"]).planned_end_on == END
        assert all(r.answer is None for r in s.exec(select(EndingAnswer)).all())
        assert not s.exec(select(AuditLog).where(AuditLog.action.in_(["binome.extended", "ending.answered"]))).all()
        s.get(Binome, ids["binome"]).status = BinomeStatus.PAUSED
    assert await _press(harness, marc, question, f"ee:{mine}:close") == (
        "This question is closed. Your binôme is paused or has ended.")
    await tap(claire, card, "3 months")  # a paused binôme may be extended
    with session() as s:
        assert s.get(Binome, ids["binome"]).planned_end_on == date(2026, 12, 22)
        assert s.get(EndingAnswer, mine).answer is None


async def test_a_paused_or_closed_binome_is_not_asked(harness, session, clock):
    paused_ids, paused = _near_the_end(harness, session, clock)
    closed_ids, closed = seed(harness, session, clock, name="Autre programme", label="B02", mentor="Paul",
                              mentee="Sara", coordinator="Zoé")
    with session() as s:
        s.get(Binome, closed_ids["binome"]).planned_end_on = END
        s.get(Binome, closed_ids["binome"]).status = BinomeStatus.CLOSED
        pauses.pause(session=s, binome=s.get(Binome, paused_ids["binome"]), reason="holidays", resume_on=None,
                     by=None, now=clock.now())
    clock.set(SEP_8)
    for _ in range(4):
        await harness.tick()
        clock.advance(hours=6)
    for users in (paused, closed):
        assert not _questions(users["mentor"]) and not _questions(users["mentee"])
    with session() as s:
        assert not s.exec(select(EndingAnswer)).all()


def test_the_cli_extends_a_pair(engine, session, database_url, monkeypatch, capsys):
    from bot import cli

    now = datetime.now(timezone.utc)
    with session() as s:
        programme = make_programme(s, now, name="MentorYou Bruxelles", language="fr")
        _, _, binome = make_pair(s, programme, now, label="B07")
        end = binome.planned_end_on
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    assert cli.main(["binome", "extend", "B07", "--months", "2"]) == 0
    assert "B07 now ends on" in capsys.readouterr().out
    with pytest.raises(SystemExit):  # argparse: 1, 2 or 3 only
        cli.main(["binome", "extend", "B07", "--months", "4"])
    assert cli.main(["binome", "extend", "B99", "--months", "1", "--program", "MentorYou Bruxelles"]) == 2
    with session() as s:
        binome = s.exec(select(Binome).where(Binome.label == "B07")).one()
        assert binome.planned_end_on == ending.add_months(end, 2)
        audit = s.exec(select(AuditLog).where(AuditLog.action == "binome.extended")).one()
        assert audit.actor == "cli" and audit.details["months"] == 2
        binome.status = BinomeStatus.CLOSED
    assert cli.main(["binome", "extend", "B07", "--months", "1"]) == 2
    assert "cannot be extended" in capsys.readouterr().err


# ---------------------------------------------------------------- the rules alone

def _pairs(session, tz, statuses=(BinomeStatus.ACTIVE,), end=END):
    """Binômes ending on `end` in a programme of timezone `tz`, one per status, members on Telegram."""
    now = datetime(2026, 9, 1, tzinfo=timezone.utc)
    with session() as s:
        programme = make_programme(s, now, name=f"P {tz}", timezone=tz)
        made = {}
        for number, status in enumerate(statuses):
            mentor, mentee, binome = make_pair(s, programme, now, label=f"B{number}", mentor=f"M{number}",
                                               mentee=f"E{number}")
            binome.planned_end_on, binome.status = end, status
            for person in (mentor, mentee):
                person.telegram_chat_id, person.status = 1000 + person.id, ParticipantStatus.ACTIVE
            made[status] = binome.id
        return made


def _due(session, now):
    with session() as s:
        return sorted((b.id, str(p.role)) for b, p in ending.due_questions(session=s, now=now))


def test_the_due_query_reads_the_day_in_the_programme_timezone(session):
    """Sep 22 minus 14 days is Sep 8 where the programme is: in New York that day begins at 04:00 UTC, in
    Auckland (UTC+12) at 12:00 UTC on Sep 7."""
    york = _pairs(session, "America/New_York")[BinomeStatus.ACTIVE]
    auckland = _pairs(session, "Pacific/Auckland")[BinomeStatus.ACTIVE]
    assert _due(session, datetime(2026, 9, 7, 11, 59, tzinfo=timezone.utc)) == []
    assert _due(session, datetime(2026, 9, 7, 12, 0, tzinfo=timezone.utc)) == [(auckland, "mentee"),
                                                                                (auckland, "mentor")]
    assert [b for b, _ in _due(session, datetime(2026, 9, 8, 3, 59, tzinfo=timezone.utc))] == [auckland] * 2
    assert [b for b, _ in _due(session, datetime(2026, 9, 8, 4, 0, tzinfo=timezone.utc))] == [york] * 2 + [auckland] * 2


def test_only_active_binomes_are_asked_once_per_planned_end(session):
    made = _pairs(session, "Europe/Brussels", statuses=(BinomeStatus.ACTIVE, BinomeStatus.PAUSED, BinomeStatus.CLOSED,
                                                        BinomeStatus.DRAFT))
    now = datetime(2026, 9, 10, 8, tzinfo=timezone.utc)
    assert {b for b, _ in _due(session, now)} == {made[BinomeStatus.ACTIVE]}
    with session() as s:
        binome = s.get(Binome, made[BinomeStatus.ACTIVE])
        s.get(Participant, binome.mentee_id).telegram_chat_id = None  # not on Telegram: not asked (yet)
        for found, person in ending.due_questions(session=s, now=now):
            ending.ask(session=s, binome=found, person=person, now=now)
    assert _due(session, now) == []  # asked: never again for this end
    with session() as s:
        binome = s.get(Binome, made[BinomeStatus.ACTIVE])
        s.get(Participant, binome.mentee_id).telegram_chat_id = 4242  # joins later: asked then
        assert [p.id for _, p in ending.due_questions(session=s, now=now)] == [binome.mentee_id]
        binome.signals_dirty = False  # as after a scan
        s.flush()
        ending.extend(session=s, binome=binome, months=1, by=None, now=now)
    with session() as s:
        assert s.get(Binome, made[BinomeStatus.ACTIVE]).signals_dirty  # the next scan looks at it again
    assert _due(session, now) == []  # the new end (Oct 22) is 42 days away
    assert len(_due(session, datetime(2026, 10, 8, 8, tzinfo=timezone.utc))) == 2  # asked again before it


def test_the_refusals_of_answers_and_extensions(session):
    made = _pairs(session, "Europe/Brussels")
    now = datetime(2026, 9, 10, 8, tzinfo=timezone.utc)
    R = ending.EndingRefusal
    with session() as s:
        binome = s.get(Binome, made[BinomeStatus.ACTIVE])
        mentor, mentee = s.get(Participant, binome.mentor_id), s.get(Participant, binome.mentee_id)
        row = ending.ask(session=s, binome=binome, person=mentor, now=now)
        coordinator = make_participant(s, s.get(Programme, binome.programme_id), now, Role.COORDINATOR, "C")
        other = make_programme(s, now, name="Other")
        foreign = make_participant(s, other, now, Role.COORDINATOR, "F")

        def refusal(call, **kwargs):
            with pytest.raises(ending.EndingRefused) as refused:
                call(session=s, now=now, **kwargs)
            return refused.value.refusal

        assert refusal(ending.answer, answer_id=row.id, participant=mentee, choice="close") == R.NOT_YOURS
        assert refusal(ending.answer, answer_id=row.id, participant=mentor, choice="later") == R.BAD_CHOICE
        assert refusal(ending.add_word, answer_id=row.id, participant=mentor, word="hi") == R.NOT_ANSWERED
        ending.answer(session=s, answer_id=row.id, participant=mentor, choice="extend", now=now)
        assert refusal(ending.answer, answer_id=row.id, participant=mentor, choice="extend") == R.ALREADY
        word = ending.add_word(session=s, answer_id=row.id, participant=mentor, word="  a\u200b" + "x" * 2000, now=now)
        assert len(word.word) == ending.MAX_WORD and word.word.startswith("ax") and not word.word_shared
        assert refusal(ending.add_word, answer_id=row.id, participant=mentor, word="\u200b\u2060") == R.BAD_CHOICE
        assert refusal(ending.extend, binome=binome, months=1, by=foreign) == R.NOT_YOURS
        assert refusal(ending.extend, binome=binome, months=1, by=mentor) == R.NOT_YOURS
        assert refusal(ending.extend, binome=binome, months=6, by=coordinator) == R.BAD_CHOICE
        ending.extend(session=s, binome=binome, months=3, by=coordinator, now=now)
        assert refusal(ending.answer, answer_id=row.id, participant=mentor, choice="close") == R.STALE
        binome.status = BinomeStatus.CLOSED
        assert refusal(ending.extend, binome=binome, months=1, by=coordinator) == R.NOT_ACTIVE
