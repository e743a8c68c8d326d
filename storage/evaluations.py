"""The evaluation after a binôme's closure (docs/closure.md, "Evaluation"): rules and aggregates, no Telegram.

When a binôme is closed (storage.closures), `open_for` gives each of the pair who is on Telegram an
`Evaluation` and queues its message (kind `evaluation`) an hour after the closure, out of quiet hours. The
person answers the questions of their role in order, 1 to 5 by buttons (`answer`), then may add one word
(`give_word`) and choose whether the coordinator may read it; `finish` ends it. One reminder 3 days after it
was sent, closed unanswered ("expired") after 14 days (storage.scheduled.evaluations).

Once finished or expired a row forgets its person: `participant_id` and `binome_id` are emptied, its times
are cut to the day, and the messages that carried its id lose it, so what stays is the programme, the role,
the closure's date and the scores. Coordinators and the report only ever see `aggregate`: done evaluations
of a period, nothing at all below ANONYMITY_FLOOR answers, and the words only their writers chose to share.
An expired evaluation keeps no scores and no word: a person's partial answers are never shown nor counted.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from sqlmodel import Session, col, select

from storage import outbox
from storage.alerts import after_quiet_hours
from storage.audit import record
from storage.models import AwaitedText, Binome, BinomeStatus, Evaluation, OutboundMessage, Participant, Role
from storage.text import clean_text

QUESTIONS: dict[Role, tuple[str, ...]] = {
    Role.MENTEE: ("usefulness", "relationship", "progress", "confidence", "support", "recommend"),
    Role.MENTOR: ("relationship", "progress", "support", "again"),
}
ALL_QUESTIONS = tuple(dict.fromkeys(QUESTIONS[Role.MENTEE] + QUESTIONS[Role.MENTOR]))  # report order
SCORES = range(1, 6)
ANONYMITY_FLOOR = 5  # fewer done evaluations (or answers to a question) than this: nothing is shown
SEND_DELAY = timedelta(hours=1)  # after the closure's own goodbye message
REMIND_AFTER = timedelta(days=3)
EXPIRE_AFTER = timedelta(days=14)
MAX_WORD = 1000
WORD_PURPOSE = "evaluation_word"  # the free text awaited at the word step (conversations.awaited)
OPEN, DONE, EXPIRED = "open", "done", "expired"


class Refusal(StrEnum):
    NOT_YOURS = "not_yours"  # no such evaluation, someone else's, or already anonymous
    DONE = "done"  # finished: already answered
    EXPIRED = "expired"  # closed unanswered after EXPIRE_AFTER
    STALE = "stale"  # that step is behind: already answered (a doubled or old press)
    NOT_YET = "not_yet"  # that step is not reached yet, or not one of this role's (a forged press)
    BAD_SCORE = "bad_score"
    EMPTY = "empty"  # a word with nothing readable in it


class EvaluationRefused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


def questions_of(evaluation: Evaluation) -> tuple[str, ...]:
    return QUESTIONS[Role(evaluation.role)]


def next_question(evaluation: Evaluation) -> str | None:
    """The first question not answered yet; None once every score is in."""
    return next((code for code in questions_of(evaluation) if code not in (evaluation.scores or {})), None)


def step(evaluation: Evaluation) -> str:
    """Where the person stands: a question's code, "word" (anything to add?), "share" (a word was typed:
    may the coordinator read it?), or the status once it is over ("done", "expired")."""
    if evaluation.status != OPEN:
        return evaluation.status
    question = next_question(evaluation)
    if question is not None:
        return question
    return "word" if evaluation.word is None else "share"


# ---------------------------------------------------------------- opening, on the closure

def _key(kind: str, binome_id: int, participant_id: int) -> str:
    # No evaluation id in the key: once the row is anonymous nothing left on the outbox points at it.
    return f"{kind}:{binome_id}:{participant_id}"


def _still_open(session: Session, message: OutboundMessage) -> bool:
    evaluation_id = (message.params or {}).get("evaluation_id")
    evaluation = session.get(Evaluation, evaluation_id) if isinstance(evaluation_id, int) else None
    return evaluation is not None and evaluation.status == OPEN


outbox.declare("evaluation", priority=outbox.NORMAL, max_delay=REMIND_AFTER, relevant=_still_open, after_closure=True)
outbox.declare("evaluation_reminder", priority=outbox.NORMAL, max_delay=timedelta(days=2), relevant=_still_open,
               after_closure=True)


def open_for(*, session: Session, binome: Binome, now: datetime) -> list[Evaluation]:
    """One evaluation for each of the closed binôme's pair who has a Telegram chat, its message queued
    SEND_DELAY later, out of the person's quiet hours. Called again (the same closure) it does nothing:
    the message's key says it was already opened. Returns the evaluations it opened."""
    if binome.status != BinomeStatus.CLOSED or binome.closed_on is None:
        raise ValueError(f"binôme {binome.id} is not closed")
    opened = []
    for person_id in (binome.mentee_id, binome.mentor_id):
        person = session.get(Participant, person_id)
        if person is None or person.telegram_chat_id is None:
            continue
        key = _key("evaluation", binome.id, person.id)
        if session.exec(select(OutboundMessage.id).where(OutboundMessage.idempotency_key == key)).first():
            continue
        due = after_quiet_hours(session=session, participant=person, now=now + SEND_DELAY)
        evaluation = Evaluation(programme_id=binome.programme_id, binome_id=binome.id, participant_id=person.id,
                                role=Role(person.role), closed_on=binome.closed_on, status=OPEN, sent_at=due,
                                scores={})
        session.add(evaluation)
        session.flush()
        outbox.enqueue(session=session, participant_id=person.id, kind="evaluation", key=key, due_at=due, now=now,
                       params={"evaluation_id": evaluation.id})
        opened.append(evaluation)
    if opened:
        record(session=session, at=now, programme_id=binome.programme_id, actor="system", action="evaluation.opened",
               subject=f"binome:{binome.id}", details={"roles": sorted(e.role.value for e in opened)})
    return opened


# ---------------------------------------------------------------- answering

def _own_open(session: Session, evaluation_id: int, participant: Participant) -> Evaluation:
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None:
        raise EvaluationRefused(Refusal.NOT_YOURS)
    if evaluation.status == DONE:
        raise EvaluationRefused(Refusal.DONE)
    if evaluation.status == EXPIRED:
        raise EvaluationRefused(Refusal.EXPIRED)
    if evaluation.participant_id != participant.id:
        raise EvaluationRefused(Refusal.NOT_YOURS)
    return evaluation


def _audit(session: Session, evaluation: Evaluation, now: datetime, action: str, actor: str, **details) -> None:
    # The subject is the binôme, never the evaluation: the log must not lead from a person to their scores.
    record(session=session, at=now, programme_id=evaluation.programme_id, actor=actor, action=action,
           subject=f"binome:{evaluation.binome_id}", details={"role": Role(evaluation.role).value, **details})


def answer(*, session: Session, evaluation_id: int, participant: Participant, question: str, score: int,
           now: datetime) -> Evaluation:
    """Record the score of the question that is next; anything else (someone else's evaluation, a question
    already answered or not yet asked, a score outside 1..5) raises EvaluationRefused and changes nothing."""
    evaluation = _own_open(session, evaluation_id, participant)
    if question != next_question(evaluation):
        raise EvaluationRefused(Refusal.STALE if question in (evaluation.scores or {}) else Refusal.NOT_YET)
    if score not in SCORES:
        raise EvaluationRefused(Refusal.BAD_SCORE)
    evaluation.scores = {**(evaluation.scores or {}), question: score}  # a new dict: the JSON column sees it
    session.add(evaluation)
    _audit(session, evaluation, now, "evaluation.answered", f"participant:{participant.id}", question=question)
    return evaluation


def _word(text: str | None) -> str:
    return clean_text(clean_text(text, multiline=True)[:MAX_WORD], multiline=True)


def give_word(*, session: Session, evaluation_id: int, participant: Participant, word: str,
              now: datetime) -> Evaluation:
    """The optional word, typed at the word step; the share question comes next."""
    evaluation = _own_open(session, evaluation_id, participant)
    at = step(evaluation)
    if at != "word":
        raise EvaluationRefused(Refusal.STALE if at == "share" else Refusal.NOT_YET)
    cleaned = _word(word)
    if not cleaned:
        raise EvaluationRefused(Refusal.EMPTY)
    evaluation.word = cleaned
    session.add(evaluation)
    _audit(session, evaluation, now, "evaluation.word_given", f"participant:{participant.id}")
    return evaluation


def finish(*, session: Session, evaluation_id: int, participant: Participant, now: datetime,
           word: str | None = None, shared: bool | None = None) -> Evaluation:
    """End the evaluation once every score is in, and make it anonymous.

    At the word step: `shared` None is "nothing to add"; a `word` given here is kept (shared if `shared`).
    At the share step (a word was typed): `shared` True or False is the writer's choice. A press made for
    the other step is stale."""
    evaluation = _own_open(session, evaluation_id, participant)
    at = step(evaluation)
    if at not in ("word", "share"):
        raise EvaluationRefused(Refusal.NOT_YET)
    if word is not None:
        if at != "word":
            raise EvaluationRefused(Refusal.STALE)
        evaluation.word = _word(word) or None
    elif shared is None and at == "share":
        raise EvaluationRefused(Refusal.STALE)  # "nothing to add" pressed after a word was typed
    elif shared is not None and at == "word":
        raise EvaluationRefused(Refusal.NOT_YET)  # a share answer with no word typed
    evaluation.word_shared = bool(shared) and evaluation.word is not None
    evaluation.status, evaluation.finished_at = DONE, now
    _audit(session, evaluation, now, "evaluation.finished", f"participant:{participant.id}")
    _forget_person(session, evaluation, now, "evaluation_finished")
    return evaluation


def _day(moment: datetime | None) -> datetime | None:
    return None if moment is None else datetime.combine(moment.date(), time(0), tzinfo=moment.tzinfo)


def _forget_person(session: Session, evaluation: Evaluation, now: datetime, reason: str) -> None:
    """Cut every link from the row to its person: the pending reminder goes, the sent messages lose the
    evaluation's id, the awaited word is forgotten, the times are kept to the day only."""
    binome_id, participant_id = evaluation.binome_id, evaluation.participant_id
    if binome_id is not None and participant_id is not None:
        keys = [_key(kind, binome_id, participant_id) for kind in ("evaluation", "evaluation_reminder")]
        for message in session.exec(select(OutboundMessage).where(col(OutboundMessage.idempotency_key).in_(keys))):
            if message.sent_at is None and message.dropped_at is None:
                outbox.drop(message, now, reason)
            message.params = {}
            session.add(message)
    if participant_id is not None:
        awaited = session.get(AwaitedText, participant_id)
        if awaited is not None and awaited.purpose == WORD_PURPOSE and awaited.ref_id == evaluation.id:
            session.delete(awaited)
    evaluation.participant_id = evaluation.binome_id = None
    evaluation.sent_at, evaluation.reminded_at, evaluation.finished_at = \
        _day(evaluation.sent_at), _day(evaluation.reminded_at), _day(evaluation.finished_at)
    session.add(evaluation)


def midflow(*, session: Session, participant_id: int, now: datetime) -> Evaluation | None:
    """The person's open evaluation whose message has gone out (the latest), if any: for text typed
    while no word is awaited."""
    return session.exec(select(Evaluation).where(Evaluation.status == OPEN, Evaluation.participant_id == participant_id,
                                                 Evaluation.sent_at <= now)
                        .order_by(col(Evaluation.sent_at).desc(), col(Evaluation.id).desc())).first()


# ---------------------------------------------------------------- the tick: one reminder, then expiry

def _open_since(session: Session, before: datetime, *extra) -> list[Evaluation]:
    """Open evaluations sent before `before`: by the status index, so only open rows (the last 14 days'
    closures) are read, never the programme's history."""
    return list(session.exec(select(Evaluation).where(Evaluation.status == OPEN, Evaluation.sent_at <= before, *extra)
                             .order_by(Evaluation.id)).all())


def remind_due(*, session: Session, now: datetime) -> int:
    """Queue the one reminder of each open evaluation sent REMIND_AFTER ago and not finished."""
    reminded = 0
    for evaluation in _open_since(session, now - REMIND_AFTER, col(Evaluation.reminded_at).is_(None)):
        if evaluation.sent_at <= now - EXPIRE_AFTER:
            continue  # expires in this same tick
        person = session.get(Participant, evaluation.participant_id)
        due = after_quiet_hours(session=session, participant=person, now=now)
        outbox.enqueue(session=session, participant_id=person.id, kind="evaluation_reminder", now=now, due_at=due,
                       key=_key("evaluation_reminder", evaluation.binome_id, person.id),
                       params={"evaluation_id": evaluation.id})
        evaluation.reminded_at = due
        session.add(evaluation)
        _audit(session, evaluation, now, "evaluation.reminded", "system")
        reminded += 1
    return reminded


def expire_due(*, session: Session, now: datetime) -> int:
    """Close the evaluations still open EXPIRE_AFTER after they were sent: no scores and no word are kept,
    and the row forgets its person like a finished one."""
    expired = 0
    for evaluation in _open_since(session, now - EXPIRE_AFTER):
        _audit(session, evaluation, now, "evaluation.expired", "system", answered=len(evaluation.scores or {}))
        evaluation.status, evaluation.scores, evaluation.word, evaluation.word_shared = EXPIRED, {}, None, False
        _forget_person(session, evaluation, now, "evaluation_expired")
        expired += 1
    return expired


# ---------------------------------------------------------------- aggregates

@dataclass(frozen=True)
class QuestionStats:
    answers: int
    mean: float
    distribution: tuple[int, ...]  # how many gave 1, 2, 3, 4, 5


@dataclass(frozen=True)
class Aggregate:
    answers: int  # done evaluations in the period (at least ANONYMITY_FLOOR)
    questions: dict[str, QuestionStats]  # in ALL_QUESTIONS order; a question under the floor is left out
    words: list[str]  # the shared words, in alphabetical order: their order tells nothing


def aggregate(*, session: Session, programme_id: int, since: date, until: date,
              role: Role | None = None) -> Aggregate | None:
    """The done evaluations of the programme whose binôme closed between `since` and `until` (both
    included), of one role or all: per question the number of answers, the mean and the distribution,
    and the words shared with the coordinator. None when fewer than ANONYMITY_FLOOR are done."""
    query = select(Evaluation.scores, Evaluation.word, Evaluation.word_shared).where(
        Evaluation.programme_id == programme_id, Evaluation.status == DONE,
        Evaluation.closed_on >= since, Evaluation.closed_on <= until)
    if role is not None:
        query = query.where(Evaluation.role == Role(role))
    rows = session.exec(query).all()
    if len(rows) < ANONYMITY_FLOOR:
        return None
    questions = {}
    for code in ALL_QUESTIONS:
        given = [scores[code] for scores, _, _ in rows if isinstance((scores or {}).get(code), int)]
        if len(given) >= ANONYMITY_FLOOR:
            questions[code] = QuestionStats(len(given), sum(given) / len(given),
                                            tuple(given.count(score) for score in SCORES))
    words = sorted((word for _, word, shared in rows if shared and word), key=str.casefold)
    return Aggregate(len(rows), questions, words)
