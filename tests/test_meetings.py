"""Meetings as a mentor and a mentee live them: planned by buttons, accepted, in the calendar,
reminded, and "I can't come" warned at once."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from icalendar import Calendar
from sqlmodel import select

from bot.app import build_application, running, tick
from storage.models import Absence, AuditLog, Meeting, MeetingStatus, OutboundMessage, Participant
from tests.factories import link, make_pair, make_programme


def seed(harness, session, clock, mentee_timezone=None, mentor_language="fr", mentee_language="fr"):
    with session() as s:
        programme = make_programme(s, clock.now())  # Europe/Brussels
        mentor, mentee, _ = make_pair(s, programme, clock.now())
        mentor.employer = "Banque du Midi"
        mentee.timezone = mentee_timezone
        marc = harness.server.user(first_name="Marc", language_code=mentor_language)
        amina = harness.server.user(first_name="Amina", language_code=mentee_language)
        link(mentor, marc, clock.now(), mentor_language)
        link(mentee, amina, clock.now(), mentee_language)
        return mentor, mentee, marc, amina


async def tap(user, message, text: str):
    """Press a button and wait until the bot has done what it does about it."""
    await user.callback_answer(await user.press(message, text=text), timeout=10)  # the handler is running
    await user.server.settle()


async def plan_meeting(user, day_label: str, time_label: str, place: str = "Marc"):
    await user.send("/meeting")
    days = await user.wait_for_message()
    await tap(user, days, day_label)
    await tap(user, days, time_label)
    await tap(user, days, place)
    await tap(user, days, "Envoyer")
    return days


async def test_a_meeting_planned_by_buttons_accepted_and_added_to_the_calendar(harness, session, clock):
    mentor, mentee, marc, amina = seed(harness, session, clock)  # Monday 7 Sept 2026, 10:00 in Brussels
    await marc.send("/meeting")
    days = await marc.wait_for_message()
    assert days.text == "Quand voulez-vous vous voir ? Choisissez un jour :"
    assert days.button_texts[:3] == ["Aujourd’hui", "mar. 8 sept.", "mer. 9 sept."]
    await tap(marc, days, "jeu. 10 sept.")
    assert days.text == "jeudi 10 septembre : à quelle heure ?"
    await tap(marc, days, "17:00")
    assert days.text == "jeudi 10 septembre à 17:00 : où ?"
    assert days.button_texts[0] == "🏢 Sur le lieu de travail de Marc"
    await tap(marc, days, "Sur le lieu de travail")
    assert days.text == ("Rencontre jeudi 10 septembre à 17:00, sur le lieu de travail de Marc (Banque du Midi). "
                         "Je l'envoie à Amina ?")
    await tap(marc, days, "Envoyer")
    assert days.text.startswith("Envoyé à Amina")

    await harness.tick()
    proposal = await amina.wait_for_message()
    assert proposal.text == ("Marc propose une rencontre jeudi 10 septembre à 17:00, sur le lieu de travail de Marc "
                             "(Banque du Midi).")
    await tap(amina, proposal, "Accepter")
    await harness.tick()
    for user in (marc, amina):
        confirmed = await user.wait_for_message()
        assert confirmed.text.startswith("📅 Confirmé : rencontre avec")
        calendar = await user.wait_for_message()  # the file follows the text, as a message of its own
        [event] = Calendar.from_ical(calendar.document["data"]).walk("VEVENT")
        assert calendar.document["file_name"] == "rencontre.ics"
        assert event.decoded("DTSTART") == datetime(2026, 9, 10, 15, 0, tzinfo=timezone.utc)  # 17:00 in Brussels
        assert event.decoded("DTEND") == datetime(2026, 9, 10, 16, 30, tzinfo=timezone.utc)
        assert event["DTSTART"].to_ical() == b"20260910T150000Z" and event["DTEND"].to_ical() == b"20260910T163000Z"
    with session() as s:
        meeting = s.exec(select(Meeting)).one()
        assert meeting.status == MeetingStatus.CONFIRMED and meeting.confirmed_at == clock.now()
        actions = [a.action for a in s.exec(select(AuditLog).where(AuditLog.subject == f"meeting:{meeting.id}"))]
        assert actions == ["meeting.proposed", "meeting.confirmed"]

    # The day before at 18:00 local, both are reminded; three hours before, again.
    clock.set(datetime(2026, 9, 9, 16, 0, tzinfo=timezone.utc))
    await harness.tick()
    for user, name in ((marc, "Amina"), (amina, "Marc")):  # the week's check-in comes too, lighter (issue 18)
        reminder = await user.wait_for_message(predicate=lambda m: m.text.startswith("⏰"))
        assert reminder.text.startswith(f"⏰ Rappel : rencontre avec {name} demain à 17:00")
        assert reminder.button_texts == ["👍 Je serai là", "🙁 Je ne peux pas venir"]
    clock.set(datetime(2026, 9, 10, 12, 0, tzinfo=timezone.utc))
    await harness.tick()
    soon = await amina.wait_for_message(predicate=lambda m: m.text.startswith("⏰"))
    assert soon.text.startswith("⏰ Bientôt : rencontre avec Marc à 17:00")
    answer = await amina.callback_answer(await amina.press(soon, text="Je serai là"))
    assert answer["text"] == "D'accord, à bientôt !"


async def test_i_cannot_come_warns_the_mentor_at_once_and_cancels_the_reminders(harness, session, clock):
    mentor, mentee, marc, amina = seed(harness, session, clock)
    await plan_meeting(marc, "jeu. 10 sept.", "17:00")
    await harness.tick()
    await tap(amina, await amina.wait_for_message(), "Accepter")
    await harness.tick()
    marc.skip_to_end()
    amina.skip_to_end()

    clock.set(datetime(2026, 9, 10, 6, 30, tzinfo=timezone.utc))  # the morning of the meeting
    await amina.send("/absent")
    question = await amina.wait_for_message()
    assert question.text == "Vous ne pouvez pas venir à la rencontre jeudi 10 septembre à 17:00 ? Pour quelle raison ?"
    await tap(amina, question, "Entretien d'embauche")
    assert "Je préviens Marc tout de suite" in question.text
    clock.advance(seconds=30)
    await harness.tick()  # within a minute on the clock
    warning = await marc.wait_for_message()
    assert warning.text == ("⚠️ Amina, votre mentoré, ne peut pas venir à la rencontre jeudi 10 septembre à 17:00. "
                            "Raison : 💼 Entretien d'embauche. Touchez /rencontre pour en planifier une autre.")
    assert warning.button_texts == ["📅 Planifier une autre rencontre"]
    await tap(marc, warning, "Planifier une autre rencontre")  # one tap to reschedule
    assert (await marc.wait_for_message()).text == "Quand voulez-vous vous voir ? Choisissez un jour :"
    with session() as s:
        absence = s.exec(select(Absence)).one()
        assert absence.excused and absence.participant_id == mentee.id and absence.reason == "job_interview"
        assert s.get(Meeting, absence.meeting_id).status == MeetingStatus.MENTEE_ABSENT
        reminders = s.exec(select(OutboundMessage).where(OutboundMessage.kind == "meeting_reminder")).all()
        assert reminders and all(r.dropped_at is not None and r.sent_at is None for r in reminders)

    # Old buttons change nothing.
    proposal = next(m for m in amina.messages if m.text.startswith("Marc propose"))
    answer = await amina.callback_answer(await amina.press_data(proposal, f"m:{absence.meeting_id}:ok"))
    assert answer["text"] == "Cette rencontre n'aura pas lieu. Je n'ai rien changé."
    answer = await amina.callback_answer(await amina.press_data(proposal, f"m:{absence.meeting_id}:r:ill"))
    assert answer["text"] == "Cette rencontre n'aura pas lieu. Je n'ai rien changé."
    answer = await amina.callback_answer(await amina.press_data(proposal, "m:999:ok"))
    assert answer["text"] == "Ce bouton n'est plus valable."
    with session() as s:
        assert len(s.exec(select(Absence)).all()) == 1


async def test_another_time_is_asked_and_the_proposer_is_told(harness, session, clock):
    mentor, mentee, marc, amina = seed(harness, session, clock)
    await plan_meeting(marc, "jeu. 10 sept.", "17:00")
    await harness.tick()
    await tap(amina, await amina.wait_for_message(), "Proposer un autre moment")
    days = await amina.wait_for_message()
    assert days.text == "Quel jour vous convient le mieux ?"
    await tap(amina, days, "ven. 11 sept.")
    await tap(amina, days, "18:30")
    await tap(amina, days, "Appel vidéo")
    assert days.text == "Envoyez-moi le lien de l'appel vidéo. Ou touchez Passer : vous le choisirez ensemble plus tard."
    await amina.send("https://visio.example.org/amina-marc")
    summary = await amina.wait_for_message()
    assert summary.text.startswith("Rencontre vendredi 11 septembre à 18:30, par appel vidéo "
                                   "(https://visio.example.org/amina-marc).")
    await tap(amina, summary, "Envoyer")
    await harness.tick()
    texts = [m.text for m in marc.messages]
    assert texts[-2].startswith("Amina ne peut pas venir jeudi 10 septembre à 17:00")
    assert texts[-1] == ("Amina propose une rencontre vendredi 11 septembre à 18:30, par appel vidéo "
                         "(https://visio.example.org/amina-marc).")
    await amina.send("merci")  # nothing is awaited any more: the usual answer
    assert "messages écrits" in (await amina.wait_for_message()).text


async def test_another_place_can_be_left_to_agree_later(harness, session, clock):
    mentor, mentee, marc, amina = seed(harness, session, clock)
    await marc.send("/meeting")
    days = await marc.wait_for_message()
    for label in ("jeu. 10 sept.", "17:00", "Un autre lieu", "Passer"):
        await tap(marc, days, label)
    assert days.text == ("Rencontre jeudi 10 septembre à 17:00, dans un lieu à choisir ensemble. Je l'envoie "
                         "à Amina ?")


async def test_someone_elses_meeting_buttons_do_nothing(harness, session, clock):
    mentor, mentee, marc, amina = seed(harness, session, clock)
    days = await plan_meeting(marc, "jeu. 10 sept.", "17:00")
    with session() as s:
        programme = make_programme(s, clock.now(), name="Autre dispositif")
        other_mentor, _, _ = make_pair(s, programme, clock.now(), mentor="Paul", mentee="Zoé", label="X")
        paul = harness.server.user(first_name="Paul", language_code="fr")
        link(other_mentor, paul, clock.now(), "fr")
        meeting_id = s.exec(select(Meeting)).one().id
    await paul.send("/help")
    await paul.wait_for_message()
    for data in (f"m:{meeting_id}:ok", f"m:{meeting_id}:r:ill", f"m:{meeting_id}:d:20260910"):
        answer = await paul.callback_answer(await paul.press_data(paul.last_message, data))
        assert answer["text"] == "Ce bouton n'est plus valable."
    with session() as s:
        assert s.exec(select(Meeting)).one().status == MeetingStatus.PROPOSED


async def test_a_meeting_keeps_its_local_time_across_the_dst_change(harness, session, clock):
    clock.set(datetime(2026, 10, 21, 14, 0, tzinfo=timezone.utc))  # Wednesday, summer time: 10:00 in Montreal
    mentor, mentee, marc, amina = seed(harness, session, clock, mentee_timezone="America/Montreal",
                                       mentee_language="en")
    await plan_meeting(marc, "mar. 27 oct.", "17:00")  # after the change to winter time
    await harness.tick()
    proposal = await amina.wait_for_message()
    # Amina lives in Montreal: she sees her own time (17:00 Brussels = 12:00 Montreal, both in winter time).
    assert proposal.text == "Marc proposes a meeting Tuesday, October 27 at 12:00\u202fPM, at Marc's workplace " \
                            "(Banque du Midi)."
    await tap(amina, proposal, "Accept")
    await harness.tick()
    calendar = await marc.wait_for_message(predicate=lambda m: m.document is not None)
    [event] = Calendar.from_ical(calendar.document["data"]).walk("VEVENT")
    assert event.decoded("DTSTART") == datetime(2026, 10, 27, 16, 0, tzinfo=timezone.utc)  # 17:00 Brussels, UTC+1
    assert event["DTSTART"].to_ical() == b"20261027T160000Z"


async def test_a_proposal_made_late_at_night_waits_for_the_morning(harness, session, clock):
    clock.set(datetime(2026, 9, 7, 21, 30, tzinfo=timezone.utc))  # 23:30 in Brussels
    mentor, mentee, marc, amina = seed(harness, session, clock)
    await plan_meeting(marc, "jeu. 10 sept.", "17:00")
    assert await harness.tick() == 0
    assert amina.messages == []
    clock.set(datetime(2026, 9, 8, 6, 0, tzinfo=timezone.utc))  # 08:00 in Brussels
    assert await harness.tick() == 1
    assert amina.messages[0].text.startswith("Marc propose une rencontre")


async def confirmed_meeting(harness, marc, amina, day="jeu. 10 sept.", at="17:00"):
    await plan_meeting(marc, day, at)
    await harness.tick()
    await tap(amina, await amina.wait_for_message(), "Accepter")
    await harness.tick()
    marc.skip_to_end()
    amina.skip_to_end()


async def test_the_mentor_confirms_a_held_meeting_in_one_tap(harness, session, clock):
    mentor, mentee, marc, amina = seed(harness, session, clock)
    await confirmed_meeting(harness, marc, amina)
    clock.set(datetime(2026, 9, 10, 17, 0, tzinfo=timezone.utc))  # 19:00: ended at 18:30, plus 30 min
    await harness.tick()
    question = await marc.wait_for_message(predicate=lambda m: m.text.startswith("Comment s'est passée"))
    assert question.text == "Comment s'est passée la rencontre avec Amina jeudi 10 septembre à 17:00 ?"
    assert question.button_texts == ["✅ Elle a eu lieu", "🚫 Amina n'était pas là", "✖ Annulée", "🔁 Reportée"]
    await tap(marc, question, "Elle a eu lieu")
    assert question.text == "Merci ! La rencontre est enregistrée comme tenue."
    clock.advance(days=1)
    await harness.tick()  # the second question is no longer needed
    assert marc.messages[-1] is question
    with session() as s:
        assert s.exec(select(Meeting)).one().status == MeetingStatus.HELD
    answer = await marc.callback_answer(await marc.press_data(question, "m:1:o:noshow"))
    assert answer["text"] == "Ce bouton n'est plus valable."


async def test_an_unexcused_absence_gets_a_kind_message_to_the_mentee(harness, session, clock):
    mentor, mentee, marc, amina = seed(harness, session, clock)
    await confirmed_meeting(harness, marc, amina)
    clock.set(datetime(2026, 9, 10, 17, 0, tzinfo=timezone.utc))
    await harness.tick()
    question = await marc.wait_for_message(predicate=lambda m: m.text.startswith("Comment s'est passée"))
    await tap(marc, question, "Amina n'était pas là")
    assert question.text == "C'est noté. J'écris à Amina pour lui demander ce qui s'est passé."
    await harness.tick()
    kind_word = await amina.wait_for_message(predicate=lambda m: m.text.startswith("Vous nous avez manqué"))
    assert "/absent" in kind_word.text
    with session() as s:
        absence = s.exec(select(Absence)).one()
        assert absence.excused is False and absence.participant_id == mentee.id
        assert s.exec(select(Meeting)).one().status == MeetingStatus.MENTEE_ABSENT


async def test_a_mentor_who_does_not_answer_is_asked_once_more_then_it_is_unconfirmed(harness, session, clock):
    mentor, mentee, marc, amina = seed(harness, session, clock)
    await confirmed_meeting(harness, marc, amina)
    clock.set(datetime(2026, 9, 10, 17, 0, tzinfo=timezone.utc))
    await harness.tick()
    await marc.wait_for_message(predicate=lambda m: m.text.startswith("Comment s'est passée"))
    clock.advance(hours=24)
    await harness.tick()
    again = await marc.wait_for_message()
    assert again.text.startswith("Je ne sais toujours pas comment s'est passée la rencontre avec Amina")
    clock.advance(hours=24)
    await harness.tick()
    with session() as s:
        meeting = s.exec(select(Meeting)).one()
        assert meeting.status == MeetingStatus.UNCONFIRMED
        assert s.exec(select(AuditLog).where(AuditLog.action == "meeting.unconfirmed")).one().actor == "system"
    answer = await marc.callback_answer(await marc.press_data(again, "m:1:o:held"))
    assert answer["text"] == "Ce bouton n'est plus valable."


async def test_the_mentor_is_nudged_when_the_cadence_says_a_meeting_is_due(harness, session, clock):
    mentor, mentee, marc, amina = seed(harness, session, clock)  # 2 meetings a month: every 15 days
    clock.advance(days=14)
    await harness.tick()
    assert marc.messages == []
    clock.advance(days=1)
    await harness.tick()
    nudge = await marc.wait_for_message()
    assert nudge.text == ("Il est temps de planifier votre prochaine rencontre avec Amina. Le programme en prévoit 2 "
                          "par mois. Touchez /rencontre pour choisir un jour.")
    await harness.tick()
    assert len(marc.messages) == 1  # once, not at every tick
    assert amina.messages == []
    clock.advance(days=7)
    await harness.tick()
    assert (await marc.wait_for_message()).text.startswith("Il est temps de planifier")  # a week later, again

    # Late at night a nudge is queued for the morning; Marc plans a meeting that very night.
    clock.set(datetime(2026, 10, 6, 21, 30, tzinfo=timezone.utc))  # 23:30 in Brussels
    await harness.tick()
    assert len(marc.messages) == 2
    await plan_meeting(marc, "jeu. 8 oct.", "17:00")
    clock.set(datetime(2026, 10, 7, 6, 0, tzinfo=timezone.utc))  # 08:00
    await harness.tick()
    assert [m.text for m in marc.messages].count(nudge.text) == 2
    with session() as s:
        nudges = s.exec(select(OutboundMessage).where(OutboundMessage.kind == "cadence_nudge")).all()
        assert len(nudges) == 3 and nudges[2].error == "no longer relevant"
    assert amina.messages[-1].text.startswith("Marc propose une rencontre")


async def test_a_coordinator_records_an_absence_and_the_mentor_is_warned(harness, session, clock):
    from storage.models import Role
    from tests.factories import make_participant

    mentor, mentee, marc, amina = seed(harness, session, clock)
    with session() as s:
        claire_p = make_participant(s, _programme(s), clock.now(), Role.COORDINATOR, "Claire", "Martin", "fr")
        claire = harness.server.user(first_name="Claire", language_code="fr")
        link(claire_p, claire, clock.now(), "fr")
    await confirmed_meeting(harness, marc, amina)
    clock.set(datetime(2026, 9, 10, 7, 0, tzinfo=timezone.utc))  # the school calls in the morning
    await claire.send("/absence")
    choice = await claire.wait_for_message()
    assert choice.text == "Quel mentoré ne viendra pas ?"
    assert choice.button_texts == ["B01 · Amina · jeu. 10 sept. 17:00"]
    await tap(claire, choice, "Amina")
    await tap(claire, choice, "École ou formation")
    assert choice.text == "Enregistré : Amina ne viendra pas. Je préviens Marc tout de suite."
    clock.advance(seconds=20)
    await harness.tick()
    warning = await marc.wait_for_message()
    assert warning.text.startswith("⚠️ Amina, votre mentoré, ne peut pas venir à la rencontre jeudi 10 septembre")
    assert warning.text.endswith("(Signalé par Claire, coordinateur.)")
    with session() as s:
        absence = s.exec(select(Absence)).one()
        assert absence.announced_by == claire_p.id and absence.participant_id == mentee.id and absence.excused
        entry = s.exec(select(AuditLog).where(AuditLog.action == "meeting.absence")).one()
        assert entry.actor == f"participant:{claire_p.id}"


def _programme(s):
    from storage.models import Programme

    return s.exec(select(Programme)).one()


async def test_a_confirmed_meeting_can_be_moved_or_cancelled_and_the_other_side_is_told(harness, session, clock):
    mentor, mentee, marc, amina = seed(harness, session, clock)
    await confirmed_meeting(harness, marc, amina)
    await amina.send("/meeting")
    menu = await amina.wait_for_message()
    assert menu.text == ("Votre prochaine rencontre : jeudi 10 septembre à 17:00, sur le lieu de travail de Marc "
                         "(Banque du Midi) (confirmée).")
    await tap(amina, menu, "La déplacer")
    assert menu.text == "Je préviens Marc que la rencontre est déplacée. Quel jour vous convient le mieux ?"
    await harness.tick()
    moved = await marc.wait_for_message()
    assert moved.text == "🔁 Amina doit déplacer la rencontre jeudi 10 septembre à 17:00. Amina va proposer un autre moment."
    assert str(Calendar.from_ical((await marc.wait_for_message()).document["data"])["METHOD"]) == "CANCEL"
    await tap(amina, menu, "ven. 11 sept.")
    await tap(amina, menu, "18:00")
    await tap(amina, menu, "Sur le lieu de travail")
    await tap(amina, menu, "Envoyer")
    await harness.tick()
    proposal = await marc.wait_for_message()
    assert proposal.text.startswith("Amina propose une rencontre vendredi 11 septembre à 18:00")
    await tap(marc, proposal, "Accepter")
    await harness.tick()
    marc.skip_to_end()

    await marc.send("/meeting")
    menu = await marc.wait_for_message()
    await tap(marc, menu, "L'annuler")
    assert menu.text == "La rencontre est annulée. Je préviens Amina tout de suite."
    await harness.tick()
    cancelled, removal = amina.messages[-2:]  # the text, then the file that removes it from the calendar
    assert removal.document is not None
    assert cancelled.text == "✖ Marc a annulé la rencontre vendredi 11 septembre à 18:00. Pour en planifier une autre, envoyez /rencontre."
    with session() as s:
        statuses = [m.status for m in s.exec(select(Meeting).order_by(Meeting.id)).all()]
        assert statuses.count(MeetingStatus.CANCELLED) == 2
        reminders = s.exec(select(OutboundMessage).where(OutboundMessage.kind == "meeting_reminder")).all()
        assert all(r.sent_at is None for r in reminders)  # none of the cancelled meetings' reminders will go out


async def test_a_rhythm_set_once_keeps_the_next_meeting_planned(harness, session, clock):
    mentor, mentee, marc, amina = seed(harness, session, clock)  # 2 meetings a month: every 2 weeks
    await marc.send("/meeting")
    days = await marc.wait_for_message()
    for label in ("jeu. 10 sept.", "17:00", "Sur le lieu de travail"):
        await tap(marc, days, label)
    assert days.button_texts[-1] == "🔁 Envoyer, et pareil toutes les 2 semaines"
    await tap(marc, days, "toutes les 2 semaines")
    await harness.tick()
    proposal = await amina.wait_for_message()
    assert proposal.text.endswith("Puis pareil toutes les 2 semaines, jusqu'à ce que l'un de vous l'arrête.")
    await tap(amina, proposal, "Accepter")
    await harness.tick()
    amina.skip_to_end()

    # Once the meeting has started, the next one in the rhythm is confirmed and in both calendars.
    clock.set(datetime(2026, 9, 10, 15, 5, tzinfo=timezone.utc))
    await harness.tick()
    news = await amina.wait_for_message(predicate=lambda m: (m.text or "").startswith("📅"))
    assert (await amina.wait_for_message()).document is not None
    assert news.text.startswith("📅 Confirmé : rencontre avec Marc jeudi 24 septembre à 17:00")
    # Every two weeks, across the change to winter time, the rhythm keeps 17:00 local.
    for _ in range(3):
        clock.advance(days=14)
        await harness.tick()
    with session() as s:
        times = [m.starts_at for m in s.exec(select(Meeting).order_by(Meeting.starts_at)).all()]
    assert times == [datetime(2026, 9, 10, 15, 0, tzinfo=timezone.utc), datetime(2026, 9, 24, 15, 0, tzinfo=timezone.utc),
                     datetime(2026, 10, 8, 15, 0, tzinfo=timezone.utc), datetime(2026, 10, 22, 15, 0, tzinfo=timezone.utc),
                     datetime(2026, 11, 5, 16, 0, tzinfo=timezone.utc)]  # 17:00 in Brussels, winter time

    amina.skip_to_end()
    await amina.send("/meeting")
    menu = await amina.wait_for_message()
    await tap(amina, menu, "Arrêter le rythme")
    assert menu.text == "Les rencontres régulières sont arrêtées. Les rencontres déjà prévues restent. Je préviens Marc."
    count = len(times)
    clock.advance(days=30)
    await harness.tick()
    with session() as s:
        assert len(s.exec(select(Meeting)).all()) == count  # no new meeting after the rhythm stopped


async def test_reminder_times_and_quiet_hours_are_set_per_programme(harness, session, clock):
    mentor, mentee, marc, amina = seed(harness, session, clock)
    with session() as s:
        programme = _programme(s)
        programme.options = {"quiet_hours": "20:00-09:00", "reminder_day_before_at": "19:30",
                             "reminder_hours_before": 2}
        s.add(programme)
    await confirmed_meeting(harness, marc, amina)
    with session() as s:
        due = sorted({m.due_at for m in s.exec(select(OutboundMessage).where(
            OutboundMessage.kind == "meeting_reminder", OutboundMessage.participant_id == mentee.id)).all()})
    # The day before at 19:30 (just before this programme's quiet hours), then 2 hours before: 15:00.
    assert due == [datetime(2026, 9, 9, 17, 30, tzinfo=timezone.utc), datetime(2026, 9, 10, 13, 0, tzinfo=timezone.utc)]
    with session() as s:
        programme = _programme(s)
        programme.options = {**programme.options, "reminder_day_before_at": "20:30"}  # inside the quiet hours
        s.add(programme)
        meeting = s.exec(select(Meeting)).one()
        from storage.meeting_messages import queue_reminders
        from storage.meetings import pair_of

        pair = pair_of(session=s, meeting=meeting)
        meeting.starts_at = datetime(2026, 9, 11, 15, 0, tzinfo=timezone.utc)  # as if moved to Friday
        queue_reminders(session=s, meeting=meeting, person=pair.mentee, now=clock.now())
        moved = s.exec(select(OutboundMessage).where(OutboundMessage.idempotency_key.contains("20260911"),
                                                     OutboundMessage.participant_id == mentee.id)).all()
        assert sorted(m.due_at for m in moved)[0] == datetime(2026, 9, 10, 17, 59, tzinfo=timezone.utc)  # 19:59


async def test_a_restart_loses_nothing_and_sends_no_stale_reminder(harness, session, clock):
    mentor, mentee, marc, amina = seed(harness, session, clock)
    await marc.send("/meeting")
    days = await marc.wait_for_message()
    await tap(marc, days, "jeu. 10 sept.")
    # The bot restarts in the middle of planning: the draft is in the database.
    await harness.application.updater.stop()
    await harness.application.stop()
    await harness.application.shutdown()
    async with running(build_application(harness.services)) as application:
        await tap(marc, days, "17:00")
        await tap(marc, days, "Sur le lieu de travail")
        await tap(marc, days, "Envoyer")
        assert days.text.startswith("Envoyé à Amina")
        await tick(application)
        await harness.server.settle()
        await tap(amina, await amina.wait_for_message(), "Accepter")
        await tick(application)
        await harness.server.settle()
    marc.skip_to_end()
    amina.skip_to_end()
    # The bot is down from Tuesday morning until Thursday 18:00: both reminders fell due meanwhile.
    clock.set(datetime(2026, 9, 10, 16, 0, tzinfo=timezone.utc))
    async with running(build_application(harness.services)) as application:
        await tick(application)
        await harness.server.settle()
        assert amina.messages[-1].document is not None  # only what was there before: no late reminder
        with session() as s:
            reminders = s.exec(select(OutboundMessage).where(OutboundMessage.kind == "meeting_reminder")).all()
            assert len(reminders) == 4 and all(r.error == "stale" and r.sent_at is None for r in reminders)
        clock.set(datetime(2026, 9, 10, 17, 0, tzinfo=timezone.utc))
        await tick(application)
        await harness.server.settle()
        assert marc.messages[-1].text.startswith("Comment s'est passée la rencontre avec Amina")
    await harness.application.initialize()  # let the fixture shut it down as usual
    await harness.application.start()
    await harness.application.updater.start_polling(poll_interval=0, timeout=1)


async def test_when_the_mentor_cannot_come_the_mentee_is_warned(harness, session, clock):
    mentor, mentee, marc, amina = seed(harness, session, clock)
    await confirmed_meeting(harness, marc, amina)
    await marc.send("/absent")
    await tap(marc, await marc.wait_for_message(), "Famille")
    await harness.tick()
    warning = await amina.wait_for_message()
    assert warning.text == ("⚠️ Marc, votre mentor, ne peut pas venir à la rencontre jeudi 10 septembre à 17:00. "
                            "Raison : 👪 Famille. Touchez /rencontre pour en planifier une autre.")
    with session() as s:
        assert s.exec(select(Meeting)).one().status == MeetingStatus.MENTOR_ABSENT
        assert s.exec(select(Absence)).one().participant_id == mentor.id


async def test_the_day_picker_offers_only_times_that_can_still_be_chosen(harness, session, clock):
    mentor, mentee, marc, amina = seed(harness, session, clock)  # Monday 7 Sept 2026, 10:00 in Brussels
    clock.advance(hours=6, minutes=30)  # 16:30 in Brussels
    await marc.send("/meeting")
    days = await marc.wait_for_message()
    assert days.button_texts[:2] == ["Aujourd’hui", "mar. 8 sept."]
    await tap(marc, days, "Aujourd’hui")
    assert days.text == "lundi 7 septembre : à quelle heure ?"
    assert days.button_texts == ["17:00", "17:30", "18:00", "18:30", "19:00", "20:00", "← Un autre jour"]
    await tap(marc, days, "← Un autre jour")
    await tap(marc, days, "mar. 8 sept.")  # another day: every time
    assert days.button_texts[:2] == ["08:00", "09:00"] and len(days.button_texts) == 16

    clock.advance(hours=4)  # 20:30: nothing left today, so today is not offered
    await tap(marc, days, "← Un autre jour")
    assert days.button_texts[0] == "mar. 8 sept." and "Aujourd’hui" not in days.button_texts
    assert len(days.button_texts) == 13  # the same last day as before
    with session() as s:
        draft = s.exec(select(Meeting)).one()
    answer = await marc.callback_answer(await marc.press_data(days, f"m:{draft.id}:d:20260907"))
    assert answer["text"] == "Ce bouton n'est plus valable."


# ---------------------------------------------------------------- the confirmation when the file cannot go

async def test_the_confirmation_reaches_both_even_when_the_calendar_file_is_refused(harness, session, clock):
    """A server that refuses uploads (400 on sendDocument): both still read "Confirmed" at once, with the
    text as a message of its own; the file is dropped with the reason recorded; nothing is sent twice."""
    mentor, mentee, marc, amina = seed(harness, session, clock)
    await plan_meeting(marc, "jeu. 10 sept.", "17:00")
    await harness.tick()
    await tap(amina, await amina.wait_for_message(), "Accepter")
    seen = {user.id: len(user.messages) for user in (marc, amina)}
    harness.server.inject_fault("400", method="sendDocument", times=2, description="Bad Request: uploads refused")
    assert await harness.tick() == 2  # the same tick: the text counts as sent
    for user, other in ((marc, "Amina"), (amina, "Marc")):
        [confirmed] = user.messages[seen[user.id]:]
        assert confirmed.text.startswith(f"📅 Confirmé : rencontre avec {other} jeudi 10 septembre à 17:00")
        assert confirmed.document is None
    with session() as s:
        rows = s.exec(select(OutboundMessage).where(OutboundMessage.kind == "meeting_confirmed")).all()
        assert len(rows) == 2 and all(r.sent_at == clock.now() and r.dropped_at is None for r in rows)
        assert [r.error for r in rows] == ["file refused: Uploads refused"] * 2
    clock.advance(hours=1)
    await harness.tick()
    assert all(len(user.messages) == seen[user.id] + 1 for user in (marc, amina))  # no retry, no second text


async def test_the_confirmation_is_not_held_back_by_a_failing_upload_and_only_the_file_is_retried(
        harness, session, clock):
    """5xx on every upload for a while: the text arrives at once; only the file is retried, then arrives."""
    mentor, mentee, marc, amina = seed(harness, session, clock)
    await plan_meeting(marc, "jeu. 10 sept.", "17:00")
    await harness.tick()
    await tap(amina, await amina.wait_for_message(), "Accepter")
    seen = {user.id: len(user.messages) for user in (marc, amina)}
    harness.server.inject_fault("502", method="sendDocument", times=4)
    await harness.tick()
    for user in (marc, amina):
        [text] = user.messages[seen[user.id]:]
        assert text.text.startswith("📅 Confirmé :") and text.document is None
    for _ in range(3):
        clock.advance(minutes=10)
        await harness.tick()
    for user in (marc, amina):
        sent = user.messages[seen[user.id]:]
        assert len(sent) == 2, [m.text for m in sent]  # the text once, then the file
        assert sent[0].text.startswith("📅 Confirmé :") and sent[1].document["file_name"] == "rencontre.ics"
    with session() as s:
        rows = s.exec(select(OutboundMessage).where(OutboundMessage.kind == "meeting_confirmed")).all()
        assert all(r.sent_at is not None and r.error is None for r in rows)
