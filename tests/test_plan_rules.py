"""The action plan's rules, without Telegram: adding, editing, statuses with history, order, due soon."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from storage import plans
from storage.models import ActionStatus, AuditLog, BinomeStatus, PlanAction
from tests.conftest import START
from tests.factories import make_pair, make_programme


@pytest.fixture
def pair(session):
    with session() as s:
        programme = make_programme(s, START)
        mentor, mentee, binome = make_pair(s, programme, START)
        other_mentor, other_mentee, other = make_pair(s, programme, START, mentor="Paul", mentee="Lina", label="B02")
        return {"mentor": mentor.id, "mentee": mentee.id, "binome": binome.id, "programme": programme.id,
                "stranger": other_mentee.id, "other_binome": other.id}


def test_categories_default_and_per_programme(session):
    with session() as s:
        programme = make_programme(s, START)
        assert plans.categories_for(programme) == list(plans.DEFAULT_CATEGORIES)
        programme.options = {"action_categories": ["training", "bogus", "language", "training"]}
        assert plans.categories_for(programme) == ["training", "language"]
        programme.options = {"action_categories": ["bogus"]}
        assert plans.categories_for(programme) == list(plans.DEFAULT_CATEGORIES)


def test_add_trims_the_title_keeps_a_history_row_and_audits_without_the_text(session, pair):
    with session() as s:
        action = plans.add_action(session=s, binome_id=pair["binome"], participant_id=pair["mentee"],
                                  title="  Send   three applications ", now=START, category="job_search",
                                  due_on=date(2026, 9, 14))
        assert action.title == "Send three applications" and action.status == ActionStatus.TO_DO
        history = plans.history_of(s, action.id)
        assert [(h.field, h.by, h.new) for h in history] == [("created", pair["mentee"], "todo")]
        audit = s.exec(select(AuditLog).where(AuditLog.action == "plan.added")).one()
        assert audit.details == {"binome_id": pair["binome"], "category": "job_search", "due": True}
        assert "applications" not in str(audit.details)


@pytest.mark.parametrize("title", ["", "   ", "x" * 201])
def test_a_title_empty_or_too_long_is_refused(session, pair, title):
    with session() as s:
        with pytest.raises(plans.PlanRefused) as refused:
            plans.add_action(session=s, binome_id=pair["binome"], participant_id=pair["mentor"], title=title,
                             now=START)
        assert refused.value.refusal == plans.PlanRefusal.INVALID


def test_strangers_unknown_categories_and_closed_binomes_are_refused(session, pair):
    with session() as s:
        with pytest.raises(plans.PlanRefused) as refused:
            plans.add_action(session=s, binome_id=pair["binome"], participant_id=pair["stranger"], title="Hi",
                             now=START)
        assert refused.value.refusal == plans.PlanRefusal.NOT_YOURS
        with pytest.raises(plans.PlanRefused):
            plans.add_action(session=s, binome_id=pair["binome"], participant_id=pair["mentor"], title="Hi",
                             now=START, category="astrology")
        action = plans.add_action(session=s, binome_id=pair["binome"], participant_id=pair["mentor"], title="Hi",
                                  now=START)
        with pytest.raises(plans.PlanRefused):
            plans.set_status(session=s, action_id=action.id, participant_id=pair["stranger"],
                             status=ActionStatus.DONE, now=START)
        with pytest.raises(plans.PlanRefused):
            plans.member_action(s, 9999, pair["mentor"])
        from storage.models import Binome
        s.get(Binome, pair["binome"]).status = BinomeStatus.CLOSED
        s.flush()
        with pytest.raises(plans.PlanRefused) as refused:
            plans.edit_action(session=s, action_id=action.id, participant_id=pair["mentor"], now=START, title="Ho")
        assert refused.value.refusal == plans.PlanRefusal.GONE
        assert s.get(PlanAction, action.id).title == "Hi"


def test_edit_records_one_change_per_field_that_really_changed(session, pair):
    later = START + timedelta(hours=1)
    with session() as s:
        action = plans.add_action(session=s, binome_id=pair["binome"], participant_id=pair["mentor"],
                                  title="Update the CV", now=START)
        plans.edit_action(session=s, action_id=action.id, participant_id=pair["mentee"], now=later,
                          title="Update the CV", due_on=date(2026, 9, 20), category="cv_letters")
        plans.edit_action(session=s, action_id=action.id, participant_id=pair["mentee"], now=later,
                          title="Update the CV", due_on=date(2026, 9, 20))  # nothing new
        history = plans.history_of(s, action.id)
        assert [(h.field, h.old, h.new) for h in history] == [
            ("created", None, "todo"), ("due_on", None, "2026-09-20"), ("category", None, "cv_letters")]
        assert action.changed_at == later
        audits = s.exec(select(AuditLog).where(AuditLog.action == "plan.edited")).all()
        assert len(audits) == 1 and audits[0].details["fields"] == ["due_on", "category"]


def test_status_changes_are_kept_and_a_repeat_is_a_no_op(session, pair):
    with session() as s:
        action = plans.add_action(session=s, binome_id=pair["binome"], participant_id=pair["mentee"],
                                  title="Call the job centre", now=START)
        plans.set_status(session=s, action_id=action.id, participant_id=pair["mentee"],
                         status=ActionStatus.BLOCKED, now=START + timedelta(minutes=1))
        plans.set_blocked_note(session=s, action_id=action.id, participant_id=pair["mentee"], note="No phone credit",
                               now=START + timedelta(minutes=2))
        assert action.blocked_note == "No phone credit"
        plans.set_status(session=s, action_id=action.id, participant_id=pair["mentor"], status=ActionStatus.DONE,
                         now=START + timedelta(minutes=3))
        plans.set_status(session=s, action_id=action.id, participant_id=pair["mentor"], status=ActionStatus.DONE,
                         now=START + timedelta(minutes=4))
        assert action.blocked_note is None  # leaving "blocked" clears what blocked it
        assert action.status_changed_at == START + timedelta(minutes=3)
        statuses = [(h.by, h.old, h.new) for h in plans.history_of(s, action.id) if h.field == "status"]
        assert statuses == [(pair["mentee"], "todo", "blocked"), (pair["mentor"], "blocked", "done")]
        audit = [a.details for a in s.exec(select(AuditLog).where(AuditLog.action.in_(
            ["plan.status", "plan.blocked_note"])))]
        assert "No phone credit" not in str(audit)
        with pytest.raises(plans.PlanRefused):  # no longer blocked: no note
            plans.set_blocked_note(session=s, action_id=action.id, participant_id=pair["mentee"], note="x", now=START)


def test_the_plan_is_ordered_by_due_date_undated_last_and_due_soon_keeps_open_ones(session, pair):
    today = date(2026, 9, 7)
    with session() as s:
        def add(title, due=None, minutes=0):
            return plans.add_action(session=s, binome_id=pair["binome"], participant_id=pair["mentor"], title=title,
                                    due_on=due, now=START + timedelta(minutes=minutes))
        undated = add("Undated", None, 0)
        late = add("Late", today - timedelta(days=2), 1)
        far = add("Far", today + timedelta(days=30), 2)
        soon = add("Soon", today + timedelta(days=3), 3)
        week = add("In a week", today + timedelta(days=7), 4)
        done = add("Done already", today + timedelta(days=1), 5)
        plans.set_status(session=s, action_id=done.id, participant_id=pair["mentee"], status=ActionStatus.DONE,
                         now=START)
        add("Other pair", today, 6).binome_id = pair["other_binome"]
        s.flush()
        assert [a.title for a in plans.plan_of(session=s, binome_id=pair["binome"])] == [
            "Late", "Soon", "In a week", "Far", "Undated"]
        assert [a.title for a in plans.plan_of(session=s, binome_id=pair["binome"], include_closed=True)] == [
            "Late", "Done already", "Soon", "In a week", "Far", "Undated"]
        assert plans.due_soon(session=s, binome_id=pair["binome"], today=today) == [late, soon, week]
        assert plans.due_soon(session=s, binome_id=pair["binome"], today=today, within_days=3, limit=1) == [late]
        assert undated not in plans.due_soon(session=s, binome_id=pair["binome"], today=today, limit=10)
        assert far not in plans.due_soon(session=s, binome_id=pair["binome"], today=today, limit=10)


def test_done_since_reports_only_what_is_still_done(session, pair):
    with session() as s:
        first = plans.add_action(session=s, binome_id=pair["binome"], participant_id=pair["mentee"], title="A",
                                 now=START)
        second = plans.add_action(session=s, binome_id=pair["binome"], participant_id=pair["mentee"], title="B",
                                  now=START)
        for action in (first, second):
            plans.set_status(session=s, action_id=action.id, participant_id=pair["mentee"], status=ActionStatus.DONE,
                             now=START + timedelta(hours=1))
        plans.set_status(session=s, action_id=second.id, participant_id=pair["mentee"],
                         status=ActionStatus.IN_PROGRESS, now=START + timedelta(hours=2))
        assert plans.done_since(session=s, binome_id=pair["binome"], by=pair["mentee"], since=None) == [first]
        assert plans.done_since(session=s, binome_id=pair["binome"], by=pair["mentee"],
                                since=START + timedelta(hours=1)) == []
        assert plans.done_since(session=s, binome_id=pair["binome"], by=pair["mentor"], since=None) == []
