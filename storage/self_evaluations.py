"""Self-evaluation against the programme's competence framework (004: "l'autoévaluation régulière du
tuteuré", "formaliser régulièrement la progression"; docs/tutoring.md).

Every `self_evaluation_every_weeks` weeks (storage.scheduled.self_evaluations) a round opens: the mentee rates
each competence on a 4-step scale by buttons, BATCH at a time (the next ones come the next day), then the
mentor gives their own view, then both are told that /progress shows the two side by side with the change
since the round before. The ratings are the pair's: coordinators see counts only (rounds done, competences
reached). A press must be the round's expected step, by the person whose turn it is; anything else is refused.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Session, col, func, select

from storage import outbox
from storage.alerts import after_quiet_hours
from storage.audit import record
from storage.competences import framework
from storage.models import (Binome, BinomeStatus, Competence, CompetenceRating, OutboundMessage, Participant, Role,
                            SelfEvaluation)

LEVELS = (1, 2, 3, 4)  # not yet, with help, on my own, I could teach it
REACHED = 3  # "on my own" or more
BATCH = 4  # competences asked in one sitting
MENTEE, MENTOR, DONE = "mentee", "mentor", "done"


class RatingRefusal(StrEnum):
    GONE = "gone"  # no such round, or not this person's turn
    ANSWERED = "answered"  # that competence is already rated (a doubled or old press)


class RatingRefused(Exception):
    def __init__(self, refusal: RatingRefusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


def _turn(session: Session, message: OutboundMessage) -> bool:
    evaluation = session.get(SelfEvaluation, message.params["evaluation_id"])
    return evaluation is not None and evaluation.status == message.params["role"]


outbox.declare("self_eval", max_delay=timedelta(days=7), relevant=_turn)
outbox.declare("self_eval_done", max_delay=timedelta(days=7))


def _ask(session: Session, evaluation: SelfEvaluation, person: Participant, role: str, now: datetime,
         sitting: int = 0, due: datetime | None = None) -> None:
    outbox.enqueue(session=session, participant_id=person.id, kind="self_eval", now=now,
                   key=f"selfeval:{evaluation.id}:{role}:{sitting}",
                   due_at=after_quiet_hours(session=session, participant=person, now=due or now),
                   params={"evaluation_id": evaluation.id, "role": role})


def open_round(*, session: Session, binome: Binome, now: datetime) -> SelfEvaluation | None:
    """The next round for this binôme, asked to the mentee; None without a framework."""
    if not framework(session=session, programme_id=binome.programme_id):
        return None
    last = session.exec(select(func.max(SelfEvaluation.round)).where(SelfEvaluation.binome_id == binome.id)).one()
    evaluation = SelfEvaluation(binome_id=binome.id, round=(last or 0) + 1, opened_at=now)
    session.add(evaluation)
    session.flush()
    _ask(session, evaluation, session.get(Participant, binome.mentee_id), MENTEE, now)
    record(session=session, at=now, programme_id=binome.programme_id, actor="system", action="self_eval.opened",
           subject=f"binome:{binome.id}", details={"round": evaluation.round})
    return evaluation


def turn_of(*, session: Session, evaluation_id: int, participant_id: int) -> tuple[SelfEvaluation, Binome]:
    """The round, if it is this person's turn in it (the mentee first, then the mentor)."""
    evaluation = session.get(SelfEvaluation, evaluation_id)
    binome = session.get(Binome, evaluation.binome_id) if evaluation is not None else None
    if binome is None or binome.status == BinomeStatus.CLOSED:
        raise RatingRefused(RatingRefusal.GONE)
    expected = {MENTEE: binome.mentee_id, MENTOR: binome.mentor_id}.get(evaluation.status)
    if expected != participant_id:
        rated = participant_id in (binome.mentee_id, binome.mentor_id)
        raise RatingRefused(RatingRefusal.ANSWERED if rated and evaluation.status != MENTEE else RatingRefusal.GONE)
    return evaluation, binome


def next_competence(*, session: Session, evaluation: SelfEvaluation) -> tuple[Competence | None, int, int]:
    """The next competence to rate in this turn, with how many are rated and how many in all."""
    role = evaluation.status
    rated = set(session.exec(select(CompetenceRating.competence_id).where(
        CompetenceRating.evaluation_id == evaluation.id, CompetenceRating.role == role)).all())
    competences = framework(session=session, programme_id=session.get(Binome, evaluation.binome_id).programme_id)
    left = [c for c in competences if c.id not in rated]
    return (left[0] if left else None), len(competences) - len(left), len(competences)


@dataclass
class Rated:
    evaluation: SelfEvaluation
    next: Competence | None  # None: this turn is over, or the sitting is (`pause`)
    done: int
    total: int
    pause: bool = False  # BATCH rated in this sitting: the next ones come tomorrow


def rate(*, session: Session, evaluation_id: int, participant_id: int, competence_id: int, level: int,
         now: datetime) -> Rated:
    """One rating, for the competence the round expects next; the turn passes on when all are rated."""
    if level not in LEVELS:
        raise ValueError(level)
    evaluation, binome = turn_of(session=session, evaluation_id=evaluation_id, participant_id=participant_id)
    expected, done, total = next_competence(session=session, evaluation=evaluation)
    if expected is None or expected.id != competence_id:
        raise RatingRefused(RatingRefusal.ANSWERED)
    role = evaluation.status
    session.add(CompetenceRating(evaluation_id=evaluation.id, competence_id=competence_id, role=Role(role),
                                 level=level, at=now))
    session.flush()
    following, done, total = next_competence(session=session, evaluation=evaluation)
    if following is not None:
        if done % BATCH == 0:
            _ask(session, evaluation, session.get(Participant, participant_id), role, now, sitting=done,
                 due=now + timedelta(days=1))
            return Rated(evaluation, None, done, total, pause=True)
        return Rated(evaluation, following, done, total)
    if role == MENTEE:
        evaluation.status, evaluation.mentee_done_at = MENTOR, now
        _ask(session, evaluation, session.get(Participant, binome.mentor_id), MENTOR, now)
    else:
        evaluation.status, evaluation.mentor_done_at = DONE, now
        for person_id in (binome.mentee_id, binome.mentor_id):
            outbox.enqueue(session=session, participant_id=person_id, kind="self_eval_done", now=now,
                           key=f"selfeval:{evaluation.id}:done:{person_id}", params={"evaluation_id": evaluation.id},
                           due_at=after_quiet_hours(session=session, participant=session.get(Participant, person_id),
                                                    now=now))
    session.add(evaluation)
    record(session=session, at=now, programme_id=binome.programme_id, actor=f"participant:{participant_id}",
           action="self_eval.rated", subject=f"binome:{binome.id}", details={"round": evaluation.round, "role": role})
    return Rated(evaluation, None, done, total)


# ---------------------------------------------------------------- what the pair sees, what a coordinator counts

@dataclass
class Line:
    competence: Competence
    mentee: int | None
    mentor: int | None
    mentee_before: int | None
    mentor_before: int | None


@dataclass
class Progress:
    round: SelfEvaluation | None  # the latest round the mentee finished
    before: SelfEvaluation | None
    lines: list[Line]
    history: list[tuple[int, datetime, int, int | None]]  # (round, opened, mentee's reached, mentor's reached)


def _ratings(session: Session, evaluation: SelfEvaluation | None) -> dict[tuple[str, int], int]:
    if evaluation is None:
        return {}
    return {(str(r.role), r.competence_id): r.level for r in session.exec(select(CompetenceRating).where(
        CompetenceRating.evaluation_id == evaluation.id)).all()}


def progress(*, session: Session, binome: Binome) -> Progress:
    """The latest finished round beside the one before it, competence by competence, and every round's count
    of competences reached (by the mentee's view and the mentor's) for the chart."""
    rounds = list(session.exec(select(SelfEvaluation).where(SelfEvaluation.binome_id == binome.id,
                                                           col(SelfEvaluation.mentee_done_at).is_not(None))
                               .order_by(SelfEvaluation.round)).all())
    latest, before = (rounds[-1] if rounds else None), (rounds[-2] if len(rounds) > 1 else None)
    now_r, before_r = _ratings(session, latest), _ratings(session, before)
    lines = [Line(c, now_r.get(("mentee", c.id)), now_r.get(("mentor", c.id)), before_r.get(("mentee", c.id)),
                  before_r.get(("mentor", c.id))) for c in framework(session=session, programme_id=binome.programme_id)]
    history = []
    for evaluation in rounds:
        ratings = _ratings(session, evaluation)
        reached = {role: sum(1 for (r, _), level in ratings.items() if r == role and level >= REACHED)
                   for role in (MENTEE, MENTOR)}
        history.append((evaluation.round, evaluation.opened_at, reached[MENTEE],
                        reached[MENTOR] if evaluation.mentor_done_at else None))
    return Progress(latest, before, lines, history)


def counts(*, session: Session, binome: Binome) -> tuple[int, int | None, int]:
    """For a coordinator: rounds finished by both, competences reached in the mentor's latest view (None before
    any), and the framework's size. Never a rating."""
    done = list(session.exec(select(SelfEvaluation).where(SelfEvaluation.binome_id == binome.id,
                                                         SelfEvaluation.status == DONE)
                             .order_by(SelfEvaluation.round)).all())
    total = len(framework(session=session, programme_id=binome.programme_id))
    if not done:
        return 0, None, total
    reached = session.exec(select(func.count()).select_from(CompetenceRating).where(
        CompetenceRating.evaluation_id == done[-1].id, CompetenceRating.role == Role.MENTOR,
        CompetenceRating.level >= REACHED)).one()
    return len(done), reached, total


def due_binomes(*, session: Session, programme_id: int, every_weeks: int, now: datetime) -> list[Binome]:
    """Active binômes due a round: the first a week after the start, then every `every_weeks` weeks after the
    last opened, once the last is finished by the mentee."""
    due = []
    for binome in session.exec(select(Binome).where(Binome.programme_id == programme_id,
                                                    Binome.status == BinomeStatus.ACTIVE)).all():
        last = session.exec(select(SelfEvaluation).where(SelfEvaluation.binome_id == binome.id)
                            .order_by(col(SelfEvaluation.round).desc())).first()
        if last is None:
            if datetime.combine(binome.started_on, datetime.min.time(), now.tzinfo) + timedelta(days=7) <= now:
                due.append(binome)
        elif last.status != MENTEE and last.opened_at + timedelta(weeks=every_weeks) <= now:
            due.append(binome)
    return due
