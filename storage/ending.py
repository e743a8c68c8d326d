"""Before the planned end (docs/closure.md): the pair is asked, the coordinator extends.

`closure_warning_days` before a binôme's planned end (in its programme's timezone), mentor and mentee
are each asked: ready to close, or would like to extend? One `EndingAnswer` row per person and planned
end, written when the question is queued (storage.scheduled.ending); an extension moves the end, so the
question comes again before the new one. A person answers only their own row, for the binôme's current
planned end, while it is active; the last answer counts. An optional word goes with it, read by the
coordinator only if its writer shares it.

The coordinator's "end near" alert (signal closure_due) shows the answers; coordinators who already
received its card get a short notice when someone answers later (kind `ending_answered`), unless they
snoozed it: the card that comes back after the snooze carries the answers. Every change is audited with
codes, ids and dates, never the word.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import exists
from sqlmodel import Session, col, select

from storage import alerts, cards, outbox, signals
from storage.audit import record
from storage.checkins import local_day
from storage.models import (Alert, AlertStatus, Binome, BinomeStatus, EndingAnswer, OutboundMessage, Participant,
                            ParticipantStatus, Programme, Role)
from storage.programmes import add_months
from storage.text import clean_text

CHOICES = ("close", "extend")  # ready to close / would like to extend
MONTHS = (1, 2, 3)  # what an extension may add
MAX_WORD = 1000  # EndingAnswer.word
EXTENDABLE = (BinomeStatus.ACTIVE, BinomeStatus.PAUSED)


class EndingRefusal(StrEnum):
    NOT_YOURS = "not_yours"  # no such answer, someone else's, or not a coordinator of the programme
    NOT_ACTIVE = "not_active"  # the binôme is paused or closed (an answer), or closed (an extension)
    STALE = "stale"  # the planned end has moved since the question was asked
    ALREADY = "already"  # the same answer again (a double tap)
    NOT_ANSWERED = "not_answered"  # a word before any answer
    BAD_CHOICE = "bad_choice"  # not close/extend, not 1, 2 or 3 months


class EndingRefused(Exception):
    def __init__(self, refusal: EndingRefusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


@dataclass(frozen=True)
class AnswerFact:
    """What a coordinator may read of one person's answer: the choice, and the word only if shared."""

    person: Participant
    answer: str | None
    shared_word: str | None


# ---------------------------------------------------------------- asking

def due_questions(*, session: Session, now: datetime) -> list[tuple[Binome, Participant]]:
    """(binôme, person) to ask now: active binômes whose planned end is within the programme's
    `closure_warning_days` of today in its timezone, for a member on Telegram (active, with a chat) who
    has no row for that planned end yet. One set query per programme and role, on the index
    (programme_id, status, planned_end_on) and the answers' unique key (an anti-join)."""
    found = []
    for programme in session.exec(select(Programme).order_by(Programme.id)).all():
        bound = local_day(now, programme.timezone) + timedelta(days=signals.signal_options(programme).closure_warning_days)
        for member in (Binome.mentor_id, Binome.mentee_id):
            asked = exists().where(EndingAnswer.binome_id == Binome.id, EndingAnswer.participant_id == member,
                                   EndingAnswer.planned_end_on == Binome.planned_end_on)
            found += session.exec(
                select(Binome, Participant).join(Participant, Participant.id == member)
                .where(Binome.programme_id == programme.id, Binome.status == BinomeStatus.ACTIVE,
                       Binome.planned_end_on <= bound, ~asked, col(Participant.telegram_chat_id).is_not(None),
                       Participant.status == ParticipantStatus.ACTIVE)
                .order_by(Binome.id)).all()
    return found


def ask(*, session: Session, binome: Binome, person: Participant, now: datetime) -> EndingAnswer:
    """Write the person's row for the binôme's planned end and queue the question, out of quiet hours."""
    row = EndingAnswer(binome_id=binome.id, participant_id=person.id, planned_end_on=binome.planned_end_on,
                       asked_at=now)
    session.add(row)
    session.flush()
    outbox.enqueue(session=session, participant_id=person.id, kind="ending_question", now=now,
                   key=f"ending_question:{row.id}", params={"answer_id": row.id},
                   due_at=alerts.after_quiet_hours(session=session, participant=person, now=now))
    record(session=session, at=now, programme_id=binome.programme_id, actor="system", action="ending.asked",
           subject=f"binome:{binome.id}", details={"answer_id": row.id, "participant_id": person.id,
                                                    "planned_end_on": binome.planned_end_on.isoformat()})
    return row


# ---------------------------------------------------------------- answering

def own_current(*, session: Session, answer_id: int, participant: Participant) -> tuple[EndingAnswer, Binome]:
    """The row, if it is this person's, for the current planned end of an active binôme."""
    row = session.get(EndingAnswer, answer_id)
    if row is None or row.participant_id != participant.id:
        raise EndingRefused(EndingRefusal.NOT_YOURS)
    binome = session.get(Binome, row.binome_id)
    if binome.status != BinomeStatus.ACTIVE:
        raise EndingRefused(EndingRefusal.NOT_ACTIVE)
    if row.planned_end_on != binome.planned_end_on:
        raise EndingRefused(EndingRefusal.STALE)
    return row, binome


def answer(*, session: Session, answer_id: int, participant: Participant, choice: str, now: datetime) -> EndingAnswer:
    """Record "close" or "extend"; a changed mind replaces the answer (audited), the same one again is
    refused (ALREADY). The coordinators who already have the alert's card are told."""
    row, binome = own_current(session=session, answer_id=answer_id, participant=participant)
    if choice not in CHOICES:
        raise EndingRefused(EndingRefusal.BAD_CHOICE)
    if row.answer == choice:
        raise EndingRefused(EndingRefusal.ALREADY)
    before = row.answer
    row.answer, row.answered_at = choice, now
    session.add(row)
    record(session=session, at=now, programme_id=binome.programme_id, actor=f"participant:{participant.id}",
           action="ending.answered", subject=f"binome:{binome.id}",
           details={"answer_id": row.id, "choice": choice, "before": before})
    _tell_coordinators(session, binome, row, "answer", now)
    return row


def add_word(*, session: Session, answer_id: int, participant: Participant, word: str, now: datetime) -> EndingAnswer:
    """The optional word, cleaned and bounded; private until its writer shares it (`share`)."""
    row, binome = own_current(session=session, answer_id=answer_id, participant=participant)
    if row.answer is None:
        raise EndingRefused(EndingRefusal.NOT_ANSWERED)
    cleaned = clean_text(clean_text(word, multiline=True)[:MAX_WORD], multiline=True)
    if not cleaned:
        raise EndingRefused(EndingRefusal.BAD_CHOICE)
    row.word, row.word_shared = cleaned, False
    session.add(row)
    record(session=session, at=now, programme_id=binome.programme_id, actor=f"participant:{participant.id}",
           action="ending.word", subject=f"binome:{binome.id}", details={"answer_id": row.id, "length": len(cleaned)})
    return row


def share(*, session: Session, answer_id: int, participant: Participant, shared: bool, now: datetime) -> EndingAnswer:
    """Share the word with the coordinator, or keep it private (a word is private until shared, so keeping
    it private changes nothing, unless it was shared); sharing it again is ALREADY."""
    row, binome = own_current(session=session, answer_id=answer_id, participant=participant)
    if row.word is None:
        raise EndingRefused(EndingRefusal.NOT_ANSWERED)
    if row.word_shared == shared:
        if shared:
            raise EndingRefused(EndingRefusal.ALREADY)
        return row  # kept private, as it already was: nothing changes
    row.word_shared = shared
    session.add(row)
    record(session=session, at=now, programme_id=binome.programme_id, actor=f"participant:{participant.id}",
           action="ending.word_shared" if shared else "ending.word_private", subject=f"binome:{binome.id}",
           details={"answer_id": row.id})
    if shared:
        _tell_coordinators(session, binome, row, "word", now)
    return row


def answers(*, session: Session, binome: Binome) -> list[AnswerFact]:
    """Mentor's then mentee's answer for the current planned end, as a coordinator may read them."""
    rows = {r.participant_id: r for r in session.exec(select(EndingAnswer).where(
        EndingAnswer.binome_id == binome.id, EndingAnswer.planned_end_on == binome.planned_end_on)).all()}
    facts = []
    for person_id in (binome.mentor_id, binome.mentee_id):
        row = rows.get(person_id)
        facts.append(AnswerFact(session.get(Participant, person_id), row.answer if row else None,
                                row.word if row is not None and row.word_shared else None))
    return facts


# ---------------------------------------------------------------- extending

def extend(*, session: Session, binome: Binome, months: int, by: Participant | None, now: datetime) -> date:
    """Move the planned end by calendar months (a paused binôme too); both are told. `by` None is the
    operator's CLI. Returns the new planned end. The change marks the binôme for the next scan
    (storage.dirty), where "end near" clears by itself if the end is now far."""
    if by is not None and (by.role != Role.COORDINATOR or by.programme_id != binome.programme_id):
        raise EndingRefused(EndingRefusal.NOT_YOURS)
    if binome.status not in EXTENDABLE:
        raise EndingRefused(EndingRefusal.NOT_ACTIVE)
    if months not in MONTHS:
        raise EndingRefused(EndingRefusal.BAD_CHOICE)
    before = binome.planned_end_on
    binome.planned_end_on = add_months(before, months)
    session.add(binome)
    record(session=session, at=now, programme_id=binome.programme_id,
           actor=f"participant:{by.id}" if by is not None else "cli", action="binome.extended",
           subject=f"binome:{binome.id}", details={"from": before.isoformat(), "to": binome.planned_end_on.isoformat(),
                                                    "months": months})
    for person_id in (binome.mentor_id, binome.mentee_id):
        person = session.get(Participant, person_id)
        if person is None or person.telegram_chat_id is None:
            continue
        outbox.enqueue(session=session, participant_id=person.id, kind="binome_extended", now=now,
                       key=f"binome_extended:{binome.id}:{binome.planned_end_on.isoformat()}:{person.id}",
                       params={"binome_id": binome.id, "until": binome.planned_end_on.isoformat()},
                       due_at=alerts.after_quiet_hours(session=session, participant=person, now=now))
    return binome.planned_end_on


def closure_alert(*, session: Session, binome: Binome) -> Alert | None:
    """The binôme's live "end near" alert, if any."""
    return alerts.live_alert(session=session, binome_id=binome.id, signal=signals.CLOSURE_DUE, about=None)


def still_about_current_end(*, session: Session, alert: Alert) -> bool:
    """An "end near" alert's buttons act while the binôme's planned end is the one it was found for: once
    extended (until the next scan brings its facts up to date), or closed, they are stale."""
    binome = session.get(Binome, alert.binome_id)
    return (alert.signal == signals.CLOSURE_DUE and alert.status in alerts.LIVE and binome.status in EXTENDABLE
            and alert.facts.get("planned_end") == binome.planned_end_on.isoformat())


# ---------------------------------------------------------------- what it sends

def _current(session: Session, answer_id: int) -> tuple[EndingAnswer, Binome] | None:
    row = session.get(EndingAnswer, answer_id)
    binome = session.get(Binome, row.binome_id) if row is not None else None
    if binome is None or binome.status != BinomeStatus.ACTIVE or binome.planned_end_on != row.planned_end_on:
        return None
    return row, binome


def _question_open(session: Session, message: OutboundMessage) -> bool:
    found = _current(session, message.params["answer_id"])
    return found is not None and found[0].answer is None


def _answer_current(session: Session, message: OutboundMessage) -> bool:
    found = _current(session, message.params["answer_id"])
    if found is None or found[0].answer is None:
        return False
    row = found[0]
    if message.params.get("what") == "word":
        return row.word_shared
    return row.answered_at == datetime.fromisoformat(message.params["at"])  # a later change has its own notice


def _extension_current(session: Session, message: OutboundMessage) -> bool:
    binome = session.get(Binome, message.params["binome_id"])
    return (binome is not None and binome.status in EXTENDABLE
            and binome.planned_end_on.isoformat() == message.params["until"])


outbox.declare("ending_question", max_delay=timedelta(days=7), relevant=_question_open)
outbox.declare("ending_answered", max_delay=timedelta(days=2), relevant=_answer_current)
outbox.declare("binome_extended", max_delay=timedelta(days=3), relevant=_extension_current)


def _tell_coordinators(session: Session, binome: Binome, row: EndingAnswer, what: str, now: datetime) -> None:
    """A short notice to each coordinator who already received the "end near" card, while it is open or
    taken in hand (a snoozed one comes back with the answers on it)."""
    alert = closure_alert(session=session, binome=binome)
    if alert is None or alert.status == AlertStatus.SNOOZED:
        return
    told = {m.participant_id for m in cards.rows(session, binome.id) if m.sent_at is not None
            and alert.id in cards.alert_ids(m)}
    alerts.refresh_cards(session=session, alert=alert, now=now)  # the card shows the answers: a silent edit
    for coordinator_id in sorted(told):
        coordinator = session.get(Participant, coordinator_id)
        outbox.enqueue(session=session, participant_id=coordinator_id, kind="ending_answered", now=now,
                       key=f"ending_answered:{row.id}:{what}:{now:%Y%m%dT%H%M%S}:{coordinator_id}",
                       params={"answer_id": row.id, "what": what, "at": now.isoformat()},
                       due_at=alerts.after_quiet_hours(session=session, participant=coordinator, now=now))
