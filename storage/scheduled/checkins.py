"""What the tick does for check-ins: write the next ones (when it scans every binôme), send those due
(or skip them), remind the unanswered once, record them missed after that (storage.checkin_rhythm)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from storage import checkin_rhythm as rhythm
from storage.checkins import local_day
from storage.models import (Binome, BinomeStatus, CheckIn, CheckInStatus, Participant, ParticipantStatus, Programme,
                            Role)
from storage.options import checkin_options
from storage.participants import timezone_of
from storage.plans import due_soon

DUE_SOON_DAYS = 10  # the mentee's check-in asks about up to three open actions due within this many days


def queue_due_work(session: Session, now: datetime, *, scan: bool) -> None:
    """Run by the tick: check-ins to schedule (when `scan`), to send, to remind, to record as missed."""
    if scan:
        _schedule_all(session, now)
    for checkin in rhythm.due_to_send(session=session, now=now):
        participant = session.get(Participant, checkin.participant_id)
        programme = session.get(Programme, participant.programme_id)
        reason = rhythm.skip_reason(session=session, checkin=checkin, participant=participant, programme=programme,
                                    now=now)
        if reason is not None:
            rhythm.skip(session=session, checkin=checkin, reason=reason, now=now)
            continue
        ids = []
        if checkin.role == Role.MENTEE and not rhythm.near_meeting(session=session, checkin=checkin,
                                                                   programme=programme):
            today = local_day(now, timezone_of(participant, programme))
            ids = [a.id for a in due_soon(session=session, binome_id=checkin.binome_id, today=today,
                                          within_days=DUE_SOON_DAYS, limit=3)]
        rhythm.send(session=session, checkin=checkin, action_ids=ids, now=now)
    for checkin, participant, programme in rhythm.unanswered_open(session=session):
        if participant.status == ParticipantStatus.PAUSED:
            rhythm.skip(session=session, checkin=checkin, reason="paused", now=now)
            continue
        if checkin.snoozed_until is not None and checkin.snoozed_until > now:
            continue
        options = checkin_options(programme)
        if checkin.reminded_at is None:
            if now >= rhythm.reminder_due_at(checkin, options):
                rhythm.remind(session=session, checkin=checkin, participant=participant, now=now)
        elif now >= rhythm.missed_due_at(checkin, options):
            rhythm.mark_missed(session=session, checkin=checkin, now=now)


def _schedule_all(session: Session, now: datetime) -> None:
    """Next check-ins for the active binômes whose members are both onboarded and active and where one of
    them has none written ahead (SCHEDULED, due after now): one set query, so the work grows with the
    check-ins to write (after a fan-out), not with the number of binômes."""
    mentor, mentee = aliased(Participant), aliased(Participant)

    def written_ahead(member):
        return select(CheckIn.id).where(CheckIn.binome_id == Binome.id, CheckIn.participant_id == member.id,
                                        CheckIn.status == CheckInStatus.SCHEDULED, CheckIn.due_at > now).exists()

    ready = [cond for member in (mentor, mentee)
             for cond in (col(member.onboarded_at).is_not(None), member.status == ParticipantStatus.ACTIVE)]
    rows = session.exec(select(Binome, Programme, mentee, mentor).join(Programme, Programme.id == Binome.programme_id)
                        .join(mentor, mentor.id == Binome.mentor_id).join(mentee, mentee.id == Binome.mentee_id)
                        .where(Binome.status == BinomeStatus.ACTIVE, *ready,
                               or_(~written_ahead(mentor), ~written_ahead(mentee)))
                        .order_by(Binome.id)).all()
    for binome, programme, *members in rows:
        for member in members:
            rhythm.schedule_next(session=session, binome=binome, participant=member, programme=programme, now=now)
