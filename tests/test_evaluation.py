"""The evaluation after a closure (issue 11, docs/closure.md "Evaluation"): each of the pair answers through the
local Bot API, in English and in French; the reminder and the expiry as the clock moves; forged, stale, doubled
and out-of-range presses; the coordinator's /evaluations at 4 and 5 answers; the CLI report; the rules alone."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import select

from storage import evaluations
from storage.models import (AuditLog, AwaitedText, Binome, BinomeStatus, Evaluation, OutboundMessage, Participant,
                            Role)
from storage.scheduled.evaluations import queue_due_work
from tests.conftest import START
from tests.factories import make_pair, make_participant, make_programme
from tests.test_alerts import seed
from tests.test_meetings import tap

INVALID = "This button is no longer valid."
CLOSED_ON = date(2026, 9, 4)  # the outcome's date: the Friday before the closure is recorded


def close(session, ids, clock) -> dict[str, int]:
    """What the closure (storage.closures) does before calling open_for: the binôme is closed."""
    with session() as s:
        binome = s.get(Binome, ids["binome"])
        binome.status, binome.closed_on, binome.outcome, binome.closed_at = \
            BinomeStatus.CLOSED, CLOSED_ON, "job_permanent", clock.now()
        opened = evaluations.open_for(session=s, binome=binome, now=clock.now())
        return {Role(e.role).value: e.id for e in opened}


def in_french(session, ids, *keys) -> None:
    with session() as s:
        for key in keys:
            s.get(Participant, ids[key]).language = "fr"


def done_rows(session, programme_id, role, scores, *, closed_on=date(2026, 7, 1), words=()) -> None:
    """Evaluations other pairs finished earlier, as they stay once anonymous."""
    with session() as s:
        for index, score in enumerate(scores):
            codes = evaluations.QUESTIONS[role]
            word, shared = words[index] if index < len(words) else (None, False)
            s.add(Evaluation(programme_id=programme_id, role=role, closed_on=closed_on, status="done",
                             sent_at=START, finished_at=START, scores=dict.fromkeys(codes, score), word=word,
                             word_shared=shared))


async def evaluation_message(harness, clock, user):
    clock.advance(hours=1)  # the evaluation goes an hour after the closure
    await harness.tick()
    return await user.wait_for_message(predicate=lambda m: "🙏" in m.text)


async def press(harness, user, message, data) -> str | None:
    answer = await user.callback_answer(await user.press_data(message, data))
    await harness.server.settle()
    return answer.get("text")


async def answer_all(user, message, scores) -> None:
    for score in scores:
        await tap(user, message, str(score))


def evaluation_kinds(session) -> list[str]:
    with session() as s:
        return [m.kind for m in s.exec(select(OutboundMessage).where(OutboundMessage.kind.startswith("evaluation"))
                                       .order_by(OutboundMessage.id))]


# ---------------------------------------------------------------- in English

async def test_the_mentee_shares_a_word_the_mentor_keeps_his_and_the_coordinator_sees_only_above_the_floor(
        harness, session, clock):
    ids, users = seed(harness, session, clock, started_days_ago=180)
    marc, amina, claire = users["mentor"], users["mentee"], users["claire"]
    done_rows(session, ids["programme"], Role.MENTEE, [4, 4, 3, 5],
              words=[("Secret-earlier-word", False), ("Merci pour tout", True)])
    opened = close(session, ids, clock)
    assert set(opened) == {"mentee", "mentor"}

    await claire.send("/evaluations")
    before = await claire.wait_for_message()
    assert before.text.splitlines() == [
        "📊 Evaluations after closure", "Binômes closed from September 7, 2025 to September 7, 2026", "",
        "Mentees", "Fewer than 5 answers so far: nothing is shown, to keep them anonymous.", "",
        "Mentors", "Fewer than 5 answers so far: nothing is shown, to keep them anonymous."]

    shown = await evaluation_message(harness, clock, amina)
    assert shown.text == (
        "Hello Amina! Your binôme with Marc has ended. Thank you for everything you did. 🙏\n\nCan you tell us how it "
        "went? There are 6 short questions. It takes about a minute: one tap for each answer. Your answers are "
        "anonymous. The coordinator sees only totals, never your name.\n\nQuestion 1 of 6\nWas the mentoring useful "
        "to you?\n1 = not at all … 5 = very much")
    assert shown.button_texts == ["1", "2", "3", "4", "5"]
    await tap(amina, shown, "5")
    assert shown.text == ("Question 2 of 6\nDid you get on well with Marc, your mentor?\n"
                          "1 = not at all … 5 = very much")
    await answer_all(amina, shown, [5, 4, 3, 5])
    assert shown.text.startswith("Question 6 of 6\nWould you recommend the programme to a friend?")
    await tap(amina, shown, "5")
    assert shown.text == "Anything to add? You do not have to.\nType a word here, or tap “Nothing to add”."
    assert shown.button_texts == ["Nothing to add"]
    amina.skip_to_end()
    await amina.send("Thank you, I found a job at the bakery!")
    share = await amina.wait_for_message()
    assert share.text == "Thank you. Can I share your word with the coordinator?"
    assert share.button_texts == ["Yes, without my name", "No, keep it private"]
    await tap(amina, share, "Yes, without my name")
    assert share.text == ("Thank you, Amina! 🌟 Your answers help the programme to do better for the next binômes.\nI "
                          "will give your word to the coordinator, without your name.")
    with session() as s:
        row = s.get(Evaluation, opened["mentee"])
        assert (row.status, row.participant_id, row.binome_id) == ("done", None, None)  # anonymous now
        assert row.scores == {"usefulness": 5, "relationship": 5, "progress": 4, "confidence": 3, "support": 5,
                              "recommend": 5}
        assert (row.word, row.word_shared, row.closed_on) == ("Thank you, I found a job at the bakery!", True,
                                                              CLOSED_ON)
        assert row.finished_at == datetime(2026, 9, 7, tzinfo=timezone.utc)  # kept to the day only
        sent = s.exec(select(OutboundMessage).where(OutboundMessage.kind == "evaluation",
                                                    OutboundMessage.participant_id == ids["mentee"])).one()
        assert sent.sent_at is not None and sent.params == {}  # nothing on the outbox leads back to the row
        finished = s.exec(select(AuditLog).where(AuditLog.action == "evaluation.finished")).one()
        assert finished.actor == f"participant:{ids['mentee']}" and finished.subject == f"binome:{ids['binome']}"
        assert finished.details == {"role": "mentee"}  # no scores, no evaluation id
        assert len(s.exec(select(AuditLog).where(AuditLog.action == "evaluation.answered")).all()) == 6

    marc_shown = await marc.wait_for_message(predicate=lambda m: "🙏" in m.text)
    assert "4 short questions" in marc_shown.text
    assert marc_shown.text.endswith("Question 1 of 4\nDid you get on well with Amina, your mentee?\n"
                                    "1 = not at all … 5 = very much")
    await tap(marc, marc_shown, "4")
    assert "Have you seen Amina move forward towards their goal?" in marc_shown.text
    await tap(marc, marc_shown, "4")
    await tap(marc, marc_shown, "3")
    assert "Would you be a mentor again?" in marc_shown.text
    await tap(marc, marc_shown, "5")
    marc.skip_to_end()
    await marc.send("Secret-marc-word: the last month was hard.")
    await tap(marc, await marc.wait_for_message(), "No, keep it private")
    assert marc.messages[-1].text.endswith("Your word stays private.")

    claire.skip_to_end()
    await claire.send("/evaluations")
    after = (await claire.wait_for_message()).text
    assert after.splitlines()[3:12] == [
        "Mentees (5 answers)", "• Useful to them: 4.2 / 5 (n = 5)",
        "• Relationship with the mentor: 4.2 / 5 (n = 5)",
        "• Progress towards their goal: 4.0 / 5 (n = 5)", "• Confidence: 3.8 / 5 (n = 5)",
        "• The programme's support: 4.2 / 5 (n = 5)", "• Would recommend the programme: 4.2 / 5 (n = 5)",
        "Words shared with the coordinator (without names):", "  “Merci pour tout”"]
    assert "  “Thank you, I found a job at the bakery!”" in after.splitlines()
    assert after.endswith("Mentors\nFewer than 5 answers so far: nothing is shown, to keep them anonymous.")
    for secret in ("Secret-earlier-word", "Secret-marc-word", "Amina", "Marc", "B01", "Sep 4", "September 4"):
        assert secret not in before.text and secret not in after  # no name, no private word, no finer date

    await claire.send("/help")
    help_lines = (await claire.wait_for_message()).text.splitlines()
    assert "/evaluations – Evaluations after closure (anonymous)" in help_lines
    amina.skip_to_end()
    await amina.send("/evaluations")
    assert (await amina.wait_for_message()).text == "This command is for coordinators. To see your commands, send /help."


# ---------------------------------------------------------------- in French

async def test_in_french_nothing_to_add_a_shared_word_and_the_means_with_a_comma(harness, session, clock):
    ids, users = seed(harness, session, clock, started_days_ago=180)
    in_french(session, ids, "mentor", "mentee", "claire")
    marc, amina, claire = users["mentor"], users["mentee"], users["claire"]
    done_rows(session, ids["programme"], Role.MENTOR, [5, 4, 4, 4])
    opened = close(session, ids, clock)
    shown = await evaluation_message(harness, clock, amina)
    assert shown.text == (
        "Bonjour Amina ! Votre binôme avec Marc est terminé. Merci pour tout ce que vous avez fait. 🙏\n\nVous pouvez "
        "nous dire comment ça s'est passé ? Il y a 6 petites questions. Cela prend une minute environ : une touche "
        "par réponse. Vos réponses sont anonymes. Le coordinateur voit seulement des totaux, jamais votre nom.\n\n"
        "Question 1 sur 6\nLe mentorat vous a-t-il été utile ?\n1 = pas du tout … 5 = tout à fait")
    await tap(amina, shown, "4")
    assert shown.text.startswith("Question 2 sur 6\nEst-ce que ça s'est bien passé avec Marc, votre mentor ?")
    await answer_all(amina, shown, [4, 4, 4, 4, 4])
    assert shown.text == ("Quelque chose à ajouter ? Ce n'est pas obligatoire.\nÉcrivez un mot ici, ou touchez « "
                          "Rien à ajouter ».")
    await tap(amina, shown, "Rien à ajouter")
    assert shown.text == ("Merci, Amina ! 🌟 Vos réponses aident le programme à faire mieux pour les prochains "
                          "binômes.")
    with session() as s:
        row = s.get(Evaluation, opened["mentee"])
        assert (row.status, row.participant_id, row.word, row.word_shared) == ("done", None, None, False)

    marc_shown = await marc.wait_for_message(predicate=lambda m: "🙏" in m.text)
    assert "4 petites questions" in marc_shown.text
    await answer_all(marc, marc_shown, [5, 4, 3])
    assert "Seriez-vous de nouveau mentor ?" in marc_shown.text
    await tap(marc, marc_shown, "4")
    marc.skip_to_end()
    await marc.send("Un beau parcours, bravo à elle")
    share = await marc.wait_for_message()
    assert share.text == "Merci. Je partage votre mot avec le coordinateur ?"
    await tap(marc, share, "Oui, sans mon nom")
    assert share.text.endswith("Je donne votre mot au coordinateur, sans votre nom.")

    await claire.send("/evaluations")
    lines = (await claire.wait_for_message()).text.splitlines()
    assert lines[:2] == ["📊 Évaluations après la clôture",
                         "Binômes clôturés du 7 septembre 2025 au 7 septembre 2026"]
    assert lines[4] == "Moins de 5 réponses pour l'instant : rien n'est affiché, pour qu'elles restent anonymes."
    assert lines[6:] == ["Mentors (5 réponses)", "• Relation avec le mentoré : 4,4 / 5 (n = 5)",
                         "• Progrès du mentoré : 4,2 / 5 (n = 5)", "• Soutien du programme : 4,0 / 5 (n = 5)",
                         "• Le referaient : 4,2 / 5 (n = 5)",
                         "Mots partagés avec le coordinateur (sans les noms) :",
                         "  “Un beau parcours, bravo à elle”"]


# ---------------------------------------------------------------- the reminder and the expiry

async def test_one_reminder_after_3_days_then_closed_unanswered_after_14_and_later_presses_refused(
        harness, session, clock):
    ids, users = seed(harness, session, clock, started_days_ago=180)
    marc, amina = users["mentor"], users["mentee"]
    opened = close(session, ids, clock)
    shown = await evaluation_message(harness, clock, amina)
    await answer_all(amina, shown, [2, 3])  # Amina stops at the third question
    marc_shown = await marc.wait_for_message(predicate=lambda m: "🙏" in m.text)
    amina.skip_to_end()
    while clock.now() < START + timedelta(days=16):
        clock.advance(hours=6)
        await harness.tick()
    reminders = [m for m in amina.messages if m.text.startswith("⏰")]
    assert len(reminders) == 1
    assert reminders[0].text == (
        "⏰ A small reminder, Amina: you can still answer the evaluation of your binôme with Marc until September 21, "
        "2026. It takes a minute.\n\nQuestion 3 of 6\nHave you moved forward towards your goal?\n1 = not at all … 5 "
        "= very much")
    assert len([m for m in marc.messages if m.text.startswith("⏰ A small reminder, Marc")]) == 1
    assert evaluation_kinds(session) == ["evaluation", "evaluation", "evaluation_reminder", "evaluation_reminder"]
    with session() as s:
        reminder = s.exec(select(OutboundMessage).where(OutboundMessage.kind == "evaluation_reminder",
                                                        OutboundMessage.participant_id == ids["mentee"])).one()
        assert reminder.sent_at - (START + timedelta(hours=1)) < timedelta(days=3, hours=6)
        for key in ("mentee", "mentor"):
            row = s.get(Evaluation, opened[key])
            assert (row.status, row.participant_id, row.binome_id, row.scores) == ("expired", None, None, {})
        expired = s.exec(select(AuditLog).where(AuditLog.action == "evaluation.expired")).all()
        assert sorted(a.details["answered"] for a in expired) == [0, 2] and all(a.actor == "system" for a in expired)
        assert s.exec(select(AwaitedText)).all() == []
    closed = "This evaluation is closed. Thank you anyway!"
    assert await press(harness, amina, reminders[0], f"ev:{opened['mentee']}:progress:4") == closed
    assert await press(harness, marc, marc_shown, f"ev:{opened['mentor']}:relationship:4") == closed
    with session() as s:
        assert s.get(Evaluation, opened["mentee"]).scores == {}
        assert evaluations.aggregate(session=s, programme_id=ids["programme"], since=date(2026, 1, 1),
                                     until=date(2026, 12, 31)) is None


# ---------------------------------------------------------------- what changes nothing

async def test_forged_stale_doubled_and_out_of_range_presses_and_text_instead_of_a_button(harness, session, clock):
    ids, users = seed(harness, session, clock, started_days_ago=180)
    marc, amina, claire = users["mentor"], users["mentee"], users["claire"]
    opened = close(session, ids, clock)
    mine, his = opened["mentee"], opened["mentor"]
    shown = await evaluation_message(harness, clock, amina)
    await claire.send("/help")
    claire_message = await claire.wait_for_message(predicate=lambda m: m.text.startswith("Here is"))
    for data in (f"ev:{his}:relationship:5",  # Marc's evaluation: foreign
                 f"ev:{mine}:relationship:5", f"ev:{mine}:again:5",  # not yet asked, not a mentee's question
                 f"ev:{mine}:usefulness:0", f"ev:{mine}:usefulness:6", f"ev:{mine}:usefulness:55",  # out of range
                 f"ev:{mine}:usefulness:123", f"ev:{mine}:usefulness", f"ev:{mine}:nap:1",  # malformed
                 f"ev:{mine}:none", f"ev:{mine}:share:1", f"ev:{mine}:share:2",  # the end, not reached
                 f"ev:{'9' * 25}:usefulness:3", "ev:999999:usefulness:3"):  # forged ids
        assert await press(harness, amina, shown, data) == INVALID, data
    assert await press(harness, claire, claire_message, f"ev:{mine}:usefulness:3") == INVALID  # a coordinator
    assert await press(harness, marc, shown, f"ev:{mine}:usefulness:1") == INVALID  # Marc, on Amina's
    with session() as s:
        assert s.get(Evaluation, mine).scores == {} and s.get(Evaluation, his).scores == {}
    await tap(amina, shown, "4")
    assert await press(harness, amina, shown, f"ev:{mine}:usefulness:1") == "Already answered, thank you."  # doubled
    amina.skip_to_end()
    await amina.send("Four")  # text where a button is expected
    assert (await amina.wait_for_message()).text == ("Please answer with the buttons of the evaluation above. One "
                                                     "tap is enough. 🙂")
    await amina.send_sticker()
    assert (await amina.wait_for_message()).text.startswith("Please answer with the buttons of the evaluation above")
    await answer_all(amina, shown, [4, 4, 4, 4, 4])
    await amina.send("/help")  # a command: the bot forgets it was waiting for a word…
    await amina.wait_for_message()
    await amina.send("\u200b\u2063")  # …invisible text is not a word
    assert (await amina.wait_for_message()).text == "I cannot find any text in your message. Please type it again."
    await amina.send("x" * 4000)  # …but typed text at the word step still is the word, cut to a word's length
    share = await amina.wait_for_message()
    assert share.text == "Thank you. Can I share your word with the coordinator?"
    assert await press(harness, amina, shown, f"ev:{mine}:none") == "Already answered, thank you."  # a word is typed
    await amina.send("Another word")
    assert (await amina.wait_for_message()).text.startswith("Please answer with the buttons of the evaluation above")
    await tap(amina, share, "No, keep it private")
    assert await press(harness, amina, share, f"ev:{mine}:share:1") == (
        "You have already answered this evaluation. Thank you!")
    assert await press(harness, amina, shown, f"ev:{mine}:progress:2") == (
        "You have already answered this evaluation. Thank you!")
    amina.skip_to_end()
    await amina.send("Hello again")  # nothing under way any more: the usual polite answer
    assert (await amina.wait_for_message()).text.startswith("I cannot read typed messages yet")
    with session() as s:
        row = s.get(Evaluation, mine)
        assert (row.word, row.word_shared) == ("x" * 1000, False)
        assert row.scores == dict.fromkeys(evaluations.QUESTIONS[Role.MENTEE], 4)
        assert len(s.exec(select(AuditLog).where(AuditLog.action == "evaluation.finished")).all()) == 1


# ---------------------------------------------------------------- the rules alone

NOW = datetime(2026, 9, 7, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def closed(session):
    with session() as s:
        programme = make_programme(s, NOW)
        mentor, mentee, binome = make_pair(s, programme, NOW)
        mentor.telegram_chat_id, mentee.telegram_chat_id = 101, 102
        binome.status, binome.closed_on, binome.closed_at = BinomeStatus.CLOSED, date(2026, 9, 4), NOW
        return {"binome": binome.id, "programme": programme.id, "mentor": mentor.id, "mentee": mentee.id}


def test_open_for_once_for_each_of_the_pair_on_telegram_after_quiet_hours(session, closed):
    with session() as s:
        binome = s.get(Binome, closed["binome"])
        s.get(Participant, closed["mentor"]).telegram_chat_id = None  # never joined on Telegram
        late = datetime(2026, 9, 7, 19, 30, tzinfo=timezone.utc)  # 21:30 in Brussels: 22:30 is in quiet hours
        opened = evaluations.open_for(session=s, binome=binome, now=late)
        assert [(Role(e.role), e.participant_id, e.closed_on) for e in opened] == [
            (Role.MENTEE, closed["mentee"], date(2026, 9, 4))]
        s.flush()
        assert evaluations.open_for(session=s, binome=binome, now=late) == []  # the same closure again
        message = s.exec(select(OutboundMessage).where(OutboundMessage.kind == "evaluation")).one()
        assert message.due_at > late + evaluations.SEND_DELAY and message.due_at == opened[0].sent_at
        assert message.idempotency_key == f"evaluation:{closed['binome']}:{closed['mentee']}"
        binome.status = BinomeStatus.ACTIVE
        with pytest.raises(ValueError):
            evaluations.open_for(session=s, binome=binome, now=late)


def test_answers_in_order_then_the_word_then_anonymous(session, closed):
    R = evaluations.Refusal
    with session() as s:
        binome = s.get(Binome, closed["binome"])
        mentor_eval = next(e for e in evaluations.open_for(session=s, binome=binome, now=NOW) if e.role == Role.MENTOR)
        mentor, mentee = s.get(Participant, closed["mentor"]), s.get(Participant, closed["mentee"])

        def refusal(call, **kwargs):
            with pytest.raises(evaluations.EvaluationRefused) as refused:
                call(session=s, evaluation_id=mentor_eval.id, now=NOW, **kwargs)
            return refused.value.refusal

        assert refusal(evaluations.answer, participant=mentee, question="relationship", score=3) == R.NOT_YOURS
        assert refusal(evaluations.answer, participant=mentor, question="progress", score=3) == R.NOT_YET
        assert refusal(evaluations.answer, participant=mentor, question="relationship", score=6) == R.BAD_SCORE
        assert refusal(evaluations.finish, participant=mentor) == R.NOT_YET
        for code in evaluations.QUESTIONS[Role.MENTOR]:
            evaluations.answer(session=s, evaluation_id=mentor_eval.id, participant=mentor, question=code, score=4,
                               now=NOW)
        assert refusal(evaluations.answer, participant=mentor, question="again", score=1) == R.STALE
        assert evaluations.step(mentor_eval) == "word"
        assert refusal(evaluations.finish, participant=mentor, shared=True) == R.NOT_YET
        assert refusal(evaluations.give_word, participant=mentor, word=" \u200b ") == R.EMPTY
        evaluations.give_word(session=s, evaluation_id=mentor_eval.id, participant=mentor, word="  good\u200b year ",
                              now=NOW)
        assert (evaluations.step(mentor_eval), mentor_eval.word) == ("share", "good year")
        assert refusal(evaluations.finish, participant=mentor) == R.STALE  # "nothing to add" after a word
        done = evaluations.finish(session=s, evaluation_id=mentor_eval.id, participant=mentor, now=NOW, shared=True)
        assert (done.status, done.word_shared, done.participant_id, done.binome_id) == ("done", True, None, None)
        assert refusal(evaluations.finish, participant=mentor, shared=False) == R.DONE


def test_one_reminder_at_3_days_expiry_at_14_and_nothing_kept_of_a_partial_answer(session, closed):
    with session() as s:
        opened = evaluations.open_for(session=s, binome=s.get(Binome, closed["binome"]), now=NOW)
        mentee = s.get(Participant, closed["mentee"])
        first = next(e for e in opened if e.role == Role.MENTEE)
        evaluations.answer(session=s, evaluation_id=first.id, participant=mentee, question="usefulness", score=1,
                           now=NOW)
        ids = [e.id for e in opened]
    sent = NOW + evaluations.SEND_DELAY
    for hours_after, reminders in ((71, 0), (72, 2), (100, 2), (14 * 24 - 1, 2)):
        with session() as s:
            queue_due_work(s, sent + timedelta(hours=hours_after), scan=False)
        assert evaluation_kinds(session).count("evaluation_reminder") == reminders, hours_after
    with session() as s:
        assert all(s.get(Evaluation, i).status == "open" for i in ids)
        queue_due_work(s, sent + evaluations.EXPIRE_AFTER, scan=True)
    with session() as s:
        rows = [s.get(Evaluation, i) for i in ids]
        assert [(r.status, r.scores, r.participant_id) for r in rows] == [("expired", {}, None)] * 2
        assert len(s.exec(select(AuditLog).where(AuditLog.action == "evaluation.reminded")).all()) == 2
        queue_due_work(s, sent + timedelta(days=30), scan=True)  # nothing left to do
        assert evaluation_kinds(session).count("evaluation_reminder") == 2


def test_the_aggregate_counts_done_evaluations_of_the_period_and_keeps_the_floor(session, closed):
    programme_id = closed["programme"]
    period = {"session": None, "programme_id": programme_id, "since": date(2026, 1, 1), "until": date(2026, 6, 30)}
    done_rows(session, programme_id, Role.MENTEE, [5, 4, 3, 2], closed_on=date(2026, 6, 30),
              words=[("zèbre", True), ("Abricot", True), ("private", False)])
    done_rows(session, programme_id, Role.MENTEE, [1], closed_on=date(2026, 7, 1))  # after the period
    done_rows(session, programme_id, Role.MENTOR, [5], closed_on=date(2026, 1, 1))
    with session() as s:  # partly answered, expired, and another programme's: never counted
        other = make_programme(s, NOW, name="Autre")
        s.add(Evaluation(programme_id=programme_id, role=Role.MENTEE, closed_on=date(2026, 3, 1), status="open",
                         sent_at=NOW, scores={"usefulness": 1}))
        s.add(Evaluation(programme_id=programme_id, role=Role.MENTEE, closed_on=date(2026, 3, 1), status="expired",
                         sent_at=NOW, scores={}))
        s.add(Evaluation(programme_id=other.id, role=Role.MENTEE, closed_on=date(2026, 3, 1), status="done",
                         sent_at=NOW, scores=dict.fromkeys(evaluations.QUESTIONS[Role.MENTEE], 1)))
    assert evaluations.ANONYMITY_FLOOR == 5
    with session() as s:
        period["session"] = s
        assert evaluations.aggregate(**period, role=Role.MENTEE) is None  # 4 answers: nothing at all
        both = evaluations.aggregate(**period)  # 4 mentees and 1 mentor: 5 answers
        assert both.answers == 5
        assert set(both.questions) == {"relationship", "progress", "support"}  # asked of both roles: 5 answers
        assert both.questions["relationship"] == evaluations.QuestionStats(5, 3.8, (0, 1, 1, 1, 2))
        assert both.words == ["Abricot", "zèbre"]  # shared only, in an order that tells nothing
    done_rows(session, programme_id, Role.MENTEE, [3], closed_on=date(2026, 1, 1))  # the fifth mentee
    with session() as s:
        period["session"] = s
        mentees = evaluations.aggregate(**period, role=Role.MENTEE)
        assert mentees.answers == 5 and list(mentees.questions) == list(evaluations.QUESTIONS[Role.MENTEE])
        assert mentees.questions["usefulness"] == evaluations.QuestionStats(5, 3.4, (0, 1, 2, 1, 1))
        assert evaluations.aggregate(**period, role=Role.MENTOR) is None


def test_the_cli_report_for_a_programme_and_a_period(session, closed, database_url, monkeypatch, capsys):
    from bot import cli

    done_rows(session, closed["programme"], Role.MENTEE, [5, 4, 4, 4, 4], closed_on=date(2026, 5, 2),
              words=[("Une vraie aide", True)])
    done_rows(session, closed["programme"], Role.MENTOR, [4, 4], closed_on=date(2026, 5, 2))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    args = ["evaluation", "report", "--program", "MentorYou Bruxelles", "--from", "2026-01-01", "--to", "2026-06-30"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:5] == ["Evaluations after closure · «MentorYou Bruxelles»",
                       "Binômes closed from January 1, 2026 to June 30, 2026", "", "Mentees (5 answers)",
                       "• Useful to them: 4.2 / 5 (n = 5)   [1: 0 · 2: 0 · 3: 0 · 4: 4 · 5: 1]"]
    assert out[-4:] == ["  “Une vraie aide”", "", "Mentors",
                        "Fewer than 5 answers so far: nothing is shown, to keep them anonymous."]
    monkeypatch.setenv("DEFAULT_LANGUAGE", "fr")
    assert cli.main(args) == 0
    assert "• Utilité du mentorat : 4,2 / 5 (n = 5)   [1: 0 · 2: 0 · 3: 0 · 4: 4 · 5: 1]" in \
        capsys.readouterr().out.splitlines()
    assert cli.main(args[:2] + ["--to", "2026-06-30"]) == 0  # the only programme; 12 months up to --to
    assert "Mentorés (5 réponses)" in capsys.readouterr().out
    assert cli.main(args[:4] + ["--from", "2026-07-01", "--to", "2026-06-30"]) == 2
    assert "La période doit commencer avant de finir" in capsys.readouterr().err
    assert cli.main(["evaluation", "report", "--program", "Nope"]) == 2
