"""The check-in rules alone, without Telegram: rhythm, skipping, timing, answers, streak."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlmodel import select

from storage import checkin_progress as progress
from storage import checkin_rhythm as rhythm
from storage import checkins as rules
from storage.models import (CheckIn, CheckInAnswer, CheckInStatus, Meeting, MeetingStatus, ParticipantStatus,
                            PlanAction, Programme)
from storage.scheduled import checkins as checkins_step
from tests.factories import make_pair, make_programme

UTC = timezone.utc
NOW = datetime(2026, 9, 7, 8, 0, tzinfo=UTC)  # Monday


def setup_pair(s, **options):
    programme = make_programme(s, NOW)
    programme.options = options
    mentor, mentee, binome = make_pair(s, programme, NOW)
    for person in (mentor, mentee):
        person.status, person.telegram_chat_id, person.onboarded_at = ParticipantStatus.ACTIVE, person.id, NOW
    s.flush()
    return programme, mentor, mentee, binome


def test_options_have_sensible_defaults_and_read_the_programme():
    defaults = rules.checkin_options(Programme(name="x", options={}))
    assert (defaults.weekday, defaults.at.hour, defaults.every_weeks, defaults.reminder_hours,
            defaults.missed_hours, defaults.skip_meeting_days) == (2, 18, 1, 24, 24, 2)
    custom = rules.checkin_options(Programme(name="x", options={"checkin_weekday": 4, "checkin_time": "17:30",
                                                                  "checkin_every_weeks": 2,
                                                                  "checkin_change_minutes": 15}))
    assert (custom.weekday, custom.at.minute, custom.every_weeks, custom.change_minutes) == (4, 30, 2, 15)
    with pytest.raises(ValueError):
        rules.checkin_options(Programme(name="x", options={"checkin_weekday": 9}))


def test_the_rhythm_is_in_the_mentees_timezone_and_keeps_18_00_across_dst(session):
    with session() as s:
        programme, mentor, mentee, binome = setup_pair(s)
        mentee.timezone = "America/Montreal"
        due_mentee = rhythm.schedule_next(session=s, binome=binome, participant=mentee, programme=programme, now=NOW)
        due_mentor = rhythm.schedule_next(session=s, binome=binome, participant=mentor, programme=programme, now=NOW)
        assert due_mentee.due_at == datetime(2026, 9, 9, 22, 0, tzinfo=UTC)  # 18:00 in Montreal (EDT)
        assert due_mentor.due_at == datetime(2026, 9, 9, 16, 0, tzinfo=UTC)  # 18:00 in Brussels (CEST)
        assert due_mentee.period == "2026-W37" and due_mentee.status == CheckInStatus.SCHEDULED
        # Written once per period.
        assert rhythm.schedule_next(session=s, binome=binome, participant=mentor, programme=programme,
                                   now=NOW) is None
        # After the clocks change in Brussels (25 Oct), still 18:00 local: 17:00 UTC.
        later = rhythm.schedule_next(session=s, binome=binome, participant=mentor, programme=programme,
                                    now=datetime(2026, 10, 26, 0, 0, tzinfo=UTC))
        assert later.due_at == datetime(2026, 10, 28, 17, 0, tzinfo=UTC) and later.period == "2026-W44"


def test_a_due_time_in_quiet_hours_moves_to_the_morning(session):
    with session() as s:
        programme, mentor, mentee, binome = setup_pair(s, checkin_time="06:30")
        checkin = rhythm.schedule_next(session=s, binome=binome, participant=mentee, programme=programme, now=NOW)
        assert checkin.due_at == datetime(2026, 9, 9, 6, 0, tzinfo=UTC)  # 08:00 in Brussels


def test_near_a_meeting_a_check_in_still_goes_lighter_by_default(session):
    """Issue 18: skipping the check-in near a meeting left half the weeks without a sign; it now goes, with
    no action asked (the plan is for the meeting), unless the programme sets checkin_near_meeting "skip"."""
    with session() as s:
        programme, mentor, mentee, binome = setup_pair(s)
        checkin = rhythm.schedule_next(session=s, binome=binome, participant=mentee, programme=programme, now=NOW)
        s.add(Meeting(binome_id=binome.id, starts_at=checkin.due_at + timedelta(days=1), status=MeetingStatus.CONFIRMED,
                      proposed_by=mentor.id, created_at=NOW))
        s.add(PlanAction(binome_id=binome.id, title="CV", due_on=date(2026, 9, 10), created_by=mentee.id, created_at=NOW,
                         changed_at=NOW, status_changed_at=NOW))
        s.flush()
        assert rhythm.near_meeting(session=s, checkin=checkin, programme=programme)
        assert rhythm.skip_reason(session=s, checkin=checkin, participant=mentee, programme=programme,
                                  now=checkin.due_at) is None
        checkins_step.queue_due_work(s, checkin.due_at, scan=False)
        assert (checkin.status, checkin.action_ids, checkin.step) == (CheckInStatus.OPEN, "", "mood")


def test_skipped_near_a_meeting_when_away_or_paused(session):
    with session() as s:
        programme, mentor, mentee, binome = setup_pair(s, checkin_near_meeting="skip")
        checkin = rhythm.schedule_next(session=s, binome=binome, participant=mentee, programme=programme, now=NOW)
        due = checkin.due_at
        assert rhythm.skip_reason(session=s, checkin=checkin, participant=mentee, programme=programme, now=due) is None
        meeting = Meeting(binome_id=binome.id, starts_at=due + timedelta(days=1, hours=20),
                          status=MeetingStatus.CONFIRMED, proposed_by=mentor.id, created_at=NOW)
        s.add(meeting)
        s.flush()
        assert rhythm.skip_reason(session=s, checkin=checkin, participant=mentee, programme=programme,
                                 now=due) == "meeting"
        meeting.status = MeetingStatus.CANCELLED  # a cancelled meeting does not replace it
        s.flush()
        assert rhythm.skip_reason(session=s, checkin=checkin, participant=mentee, programme=programme, now=due) is None
        meeting.status, meeting.starts_at = MeetingStatus.CONFIRMED, due + timedelta(days=2, hours=1)
        s.flush()
        assert rhythm.skip_reason(session=s, checkin=checkin, participant=mentee, programme=programme, now=due) is None
        pause = rules.away_until(session=s, participant=mentee, until=date(2026, 9, 9), now=NOW)
        assert rhythm.skip_reason(session=s, checkin=checkin, participant=mentee, programme=programme,
                                 now=due) == "away"
        assert rules.end_away(session=s, participant=mentee, now=NOW) and pause.ended_at == NOW
        mentee.status = ParticipantStatus.PAUSED
        assert rhythm.skip_reason(session=s, checkin=checkin, participant=mentee, programme=programme,
                                 now=due) == "paused"
        mentee.status = ParticipantStatus.ACTIVE
        assert rhythm.skip_reason(session=s, checkin=checkin, participant=mentee, programme=programme,
                                 now=due + timedelta(hours=13)) == "stale"


def sent_checkin(s, programme, participant, binome, now=NOW, action_ids=()):
    checkin = rhythm.schedule_next(session=s, binome=binome, participant=participant, programme=programme, now=now)
    rhythm.mark_sent(session=s, checkin=checkin, action_ids=list(action_ids), now=checkin.due_at)
    return checkin


def test_reminder_then_missed_timing_and_a_snooze_moves_them(session):
    with session() as s:
        programme, mentor, mentee, binome = setup_pair(s, checkin_reminder_hours=12, checkin_missed_hours=6)
        options = rules.checkin_options(programme)
        checkin = sent_checkin(s, programme, mentee, binome)
        assert rhythm.reminder_due_at(checkin, options) == checkin.sent_at + timedelta(hours=12)
        until = checkin.sent_at + timedelta(hours=3)
        rhythm.snooze(session=s, checkin_id=checkin.id, participant_id=mentee.id, until=until, now=checkin.sent_at)
        assert rhythm.reminder_due_at(checkin, options) == until + timedelta(hours=12)
        rhythm.mark_reminded(session=s, checkin=checkin, now=until + timedelta(hours=12))
        assert rhythm.missed_due_at(checkin, options) == until + timedelta(hours=18)
        rhythm.mark_missed(session=s, checkin=checkin, now=until + timedelta(hours=18))
        assert checkin.status == CheckInStatus.MISSED


def test_answers_are_kept_the_last_counts_and_the_change_window_closes(session):
    with session() as s:
        programme, mentor, mentee, binome = setup_pair(s, checkin_change_minutes=30)
        options = rules.checkin_options(programme)
        checkin = sent_checkin(s, programme, mentee, binome)
        at = checkin.sent_at
        rules.answer_mood(session=s, checkin_id=checkin.id, participant_id=mentee.id, mood=2, now=at)
        with pytest.raises(rules.CheckinRefused):  # a double tap: the step is over
            rules.answer_mood(session=s, checkin_id=checkin.id, participant_id=mentee.id, mood=3, now=at)
        with pytest.raises(rules.CheckinRefused):  # not hers
            rules.answer_word(session=s, checkin_id=checkin.id, participant_id=mentor.id, word="x", now=at)
        rules.answer_word(session=s, checkin_id=checkin.id, participant_id=mentee.id, word="tired", now=at)
        rules.toggle_share(session=s, checkin_id=checkin.id, participant_id=mentee.id, what="word", now=at)
        rules.finish(session=s, checkin_id=checkin.id, participant_id=mentee.id, now=at)
        assert checkin.share_word_with_mentor and not checkin.share_with_mentor
        rules.reopen(session=s, checkin_id=checkin.id, participant_id=mentee.id, options=options,
                     now=at + timedelta(minutes=20))
        rules.answer_mood(session=s, checkin_id=checkin.id, participant_id=mentee.id, mood=5,
                          now=at + timedelta(minutes=21))
        assert checkin.mood == 5 and checkin.answered_at == at
        moods = [a.value for a in s.exec(select(CheckInAnswer).where(CheckInAnswer.question == "mood"))]
        assert moods == ["2", "5"]
        rules.answer_word(session=s, checkin_id=checkin.id, participant_id=mentee.id, word=None, now=at)
        rules.finish(session=s, checkin_id=checkin.id, participant_id=mentee.id, now=at + timedelta(minutes=22))
        with pytest.raises(rules.CheckinRefused) as refused:
            rules.reopen(session=s, checkin_id=checkin.id, participant_id=mentee.id, options=options,
                         now=at + timedelta(minutes=53))
        assert refused.value.refusal == rules.Refusal.CLOSED


def test_a_late_answer_is_marked_late_and_too_old_is_refused(session):
    with session() as s:
        programme, mentor, mentee, binome = setup_pair(s)
        first = sent_checkin(s, programme, mentor, binome)
        second = sent_checkin(s, programme, mentor, binome, now=first.due_at + timedelta(hours=1))
        rules.answer_fine(session=s, checkin_id=first.id, participant_id=mentor.id, concern=True, now=second.sent_at)
        assert first.late and first.concern and first.mood == 1
        rules.answer_fine(session=s, checkin_id=second.id, participant_id=mentor.id, concern=False,
                          now=second.sent_at)
        assert not second.late and not second.concern
        third = sent_checkin(s, programme, mentor, binome, now=second.due_at + timedelta(hours=1))
        assert third.period == "2026-W39"
        with pytest.raises(rules.CheckinRefused):  # two newer check-ins sent since: too old
            rules.answer_word(session=s, checkin_id=first.id, participant_id=mentor.id, word="x", now=third.sent_at)


def test_streak_counts_answered_in_a_row_and_ignores_skipped(session):
    with session() as s:
        programme, mentor, mentee, binome = setup_pair(s)
        now, made = NOW, []
        for index in range(5):
            checkin = sent_checkin(s, programme, mentee, binome, now=now)
            made.append(checkin)
            if index in (0, 2, 4):
                rules.answer_mood(session=s, checkin_id=checkin.id, participant_id=mentee.id, mood=3,
                                  now=checkin.sent_at)
            now = checkin.due_at + timedelta(hours=1)
        rhythm.mark_missed(session=s, checkin=made[1], now=now)
        rhythm.skip(session=s, checkin=made[3], reason="away", now=now)
        result = progress.streak(session=s, participant_id=mentee.id)
        assert (result.streak, result.answered, result.sent) == (2, 3, 4)
        assert s.exec(select(CheckIn).where(CheckIn.status == CheckInStatus.SKIPPED)).one().id == made[3].id
