"""The tables. One module, so the whole data model reads in one place.

Every future act (a message to send, later a check-in or a reminder) is a row with a due time:
the database, not memory, holds the schedule. Times are stored as UTC.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from enum import StrEnum
from typing import Any

from sqlalchemy import (JSON, BigInteger, Boolean, Column, DateTime, Index, SmallInteger, String, TypeDecorator,
                        UniqueConstraint, false, text, true)
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


def utc_column(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def json_column() -> Any:
    return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Role(StrEnum):
    MENTEE = "mentee"
    MENTOR = "mentor"
    COORDINATOR = "coordinator"
    REFERENT = "referent"  # the school's or training centre's partner referent (storage.referents)


class ParticipantStatus(StrEnum):
    INVITED = "invited"  # imported, has not tapped an invitation yet
    ACTIVE = "active"
    PAUSED = "paused"  # said /stop: no messages until /start
    UNREACHABLE = "unreachable"  # Telegram refuses delivery (blocked bot, deleted account)
    DECLINED = "declined"  # refused consent: nothing of theirs kept beyond the refusal
    LEFT = "left"


class BinomeStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


class Programme(SQLModel, table=True):
    __tablename__ = "programme"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=120)
    timezone: str = Field(default="Europe/Paris", max_length=64)
    language: str = Field(default="fr", max_length=8)
    # Programmes in workplace tutoring say "tuteur / tutoré" instead of "mentor / mentoré".
    vocabulary: str = Field(default="mentor", max_length=16)
    duration_months: int = Field(default=6)
    meetings_per_month: int = Field(default=2)
    # Thresholds and schedules that later features read, with their defaults in code.
    options: dict = json_column()
    created_at: datetime = utc_column(nullable=False)


class Participant(SQLModel, table=True):
    __tablename__ = "participant"
    __table_args__ = (UniqueConstraint("programme_id", "import_key", name="uq_participant_import_key"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    role: Role = Field(sa_type=String(16))
    first_name: str = Field(max_length=80)
    last_name: str = Field(default="", max_length=80)
    language: str | None = Field(default=None, max_length=8)
    timezone: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    employer: str | None = Field(default=None, max_length=200)
    # Optional, never required (the import's `gender` column): "f", "m", "x", or None when not given. Only
    # counted in the programme's indicators (storage.indicators), and never shown under the anonymity floor.
    gender: str | None = Field(default=None, max_length=1)
    # A minor (the import's `minor` or `birth year` column; only the flag is kept): the consent text fits their
    # age, their mentor needs a background check, and the coordinator records that the legal guardian was told.
    minor: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    guardian_informed_on: date | None = None
    # What makes a spreadsheet row "the same person" on a second import.
    import_key: str = Field(max_length=300)
    status: ParticipantStatus = Field(default=ParticipantStatus.INVITED, sa_type=String(16))
    telegram_user_id: int | None = Field(
        default=None, sa_column=Column(BigInteger, unique=True, nullable=True, index=True)
    )
    telegram_chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    consent_at: datetime | None = utc_column()
    consent_refused_at: datetime | None = utc_column()
    linked_at: datetime | None = utc_column()
    onboarded_at: datetime | None = utc_column()
    paused_at: datetime | None = utc_column()
    unreachable_since: datetime | None = utc_column()
    created_at: datetime = utc_column(nullable=False)
    # Their rights over their data (storage.privacy): when the coordinators were told that retention would
    # erase them in a week, and when their personal data was erased (the row stays, anonymous, for the figures).
    retention_notice_at: datetime | None = utc_column()
    erased_at: datetime | None = utc_column(index=True)
    # A mentor's background check ("honorabilité", storage.background_checks): when it was verified, until
    # when it holds, who verified it (as the coordinator typed it), and when its expiry was announced.
    check_on: date | None = None
    check_expires_on: date | None = None
    check_by: str | None = Field(default=None, max_length=120)
    check_warned_on: date | None = None

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Binome(SQLModel, table=True):
    __tablename__ = "binome"
    __table_args__ = (
        UniqueConstraint("programme_id", "label", name="uq_binome_label"),
        Index("ix_binome_signals_due", "status", "signals_due_at"),
        Index("ix_binome_programme_status_end", "programme_id", "status", "planned_end_on"),  # storage.ending
        Index("ix_binome_signals_dirty", "id", sqlite_where=text("signals_dirty"),
              postgresql_where=text("signals_dirty")),
    )

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    label: str = Field(max_length=80)  # the "pair" column of the coordinator's spreadsheet
    mentor_id: int = Field(foreign_key="participant.id", index=True)
    mentee_id: int = Field(foreign_key="participant.id", index=True)
    status: BinomeStatus = Field(default=BinomeStatus.ACTIVE, sa_type=String(16))
    started_on: date
    planned_end_on: date
    closed_on: date | None = None
    outcome: str | None = Field(default=None, max_length=40)
    created_at: datetime = utc_column(nullable=False)
    # The scan looks only at binômes whose facts changed (`signals_dirty`, set with the change) or whose
    # warning signs can change with time alone by now (`signals_due_at`, computed at the last evaluation).
    signals_dirty: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, server_default=true()))
    signals_due_at: datetime | None = utc_column()
    # A pause (storage.pauses): since when, until when (None: until a coordinator resumes it), and why
    # (a code: holidays, illness, abroad, other). Cleared when it resumes; the audit log keeps the history.
    paused_on: date | None = None
    resume_on: date | None = None
    pause_reason: str | None = Field(default=None, max_length=16)
    # The end (storage.closures): `closed_on` is the outcome's date, `outcome` a code of the programme's
    # outcome list, `closed_at` when it was recorded. A mentor's proposal waits for a coordinator's word.
    closed_at: datetime | None = utc_column()
    proposed_outcome: str | None = Field(default=None, max_length=40)
    proposed_by: int | None = Field(default=None, foreign_key="participant.id")
    proposed_at: datetime | None = utc_column()
    # The substitute tutor ("suppléance", storage.substitutes): another mentor of the programme who stands in
    # while the mentor is away (MentorAway), named by the CLI.
    substitute_id: int | None = Field(default=None, foreign_key="participant.id")


class Invitation(SQLModel, table=True):
    """A single-use link. Only the SHA-256 of the token is kept, never the token itself."""

    __tablename__ = "invitation"

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = utc_column(nullable=False)
    expires_at: datetime = utc_column(nullable=False)
    used_at: datetime | None = utc_column()
    # Between /start and the consent answer the Telegram account is held here, and nowhere else:
    # a refusal clears it.
    pending_user_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    pending_since: datetime | None = utc_column()


class OutboundMessage(SQLModel, table=True):
    """A message the bot sends on its own: written with the change that causes it, sent later.

    The text is rendered at send time from `kind` and `params`, in the recipient's language.
    """

    __tablename__ = "outbound_message"
    __table_args__ = (
        # What is still to send, in the order it goes: the due-rows query walks only these.
        Index("ix_outbound_message_pending", "priority", "due_at", "id",
              sqlite_where=text("sent_at IS NULL AND dropped_at IS NULL"),
              postgresql_where=text("sent_at IS NULL AND dropped_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    kind: str = Field(max_length=60)
    params: dict = json_column()
    idempotency_key: str = Field(max_length=200, unique=True)
    due_at: datetime = utc_column(nullable=False, index=True)
    # After this moment the message is no longer useful and is dropped with a record.
    stale_after: datetime | None = utc_column()
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = utc_column()
    sent_at: datetime | None = utc_column()
    dropped_at: datetime | None = utc_column()
    error: str | None = Field(default=None, max_length=200)
    telegram_message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    created_at: datetime = utc_column(nullable=False)
    # 0 urgent (absence warnings, help requests, alerts), 1 normal, 2 bulk (check-ins, nudges): from the kind.
    priority: int = Field(default=1, sa_column=Column(SmallInteger, nullable=False, server_default="1"))
    # A sender that took the row for sending, until when: another sender skips it meanwhile.
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = utc_column()
    # An edit: this row rewrites the message of that earlier row (editMessageText) instead of sending a new
    # one; sent, it holds the same Telegram id (or a new one if the edit failed and it went as a new message).
    edits_id: int | None = Field(default=None, foreign_key="outbound_message.id")


class AuditLog(SQLModel, table=True):
    """Who changed what, when. `details` holds ids and categories, never what people wrote."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = utc_column(nullable=False, index=True)
    programme_id: int | None = Field(default=None, foreign_key="programme.id", index=True)
    actor: str = Field(max_length=60)  # "participant:12", "cli", "system"
    action: str = Field(max_length=60)
    subject: str = Field(default="", max_length=60)
    details: dict = json_column()


class ProcessedUpdate(SQLModel, table=True):
    """Telegram update ids already handled, so a re-delivered update changes nothing."""

    __tablename__ = "processed_update"

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    at: datetime = utc_column(nullable=False, index=True)


class MeetingStatus(StrEnum):
    DRAFT = "draft"  # being planned by buttons, not yet shown to the other side
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    HELD = "held"
    MENTEE_ABSENT = "mentee_absent"
    MENTOR_ABSENT = "mentor_absent"
    CANCELLED = "cancelled"
    POSTPONED = "postponed"
    UNCONFIRMED = "unconfirmed"  # the mentor never said how it went


class PlaceKind(StrEnum):
    WORKPLACE = "workplace"  # the mentor's workplace, the default in the source programmes
    VIDEO = "video"
    OTHER = "other"


class MeetingSeries(SQLModel, table=True):
    """A rhythm set once ("every other Thursday at 17:00") instead of planning each meeting."""

    __tablename__ = "meeting_series"

    id: int | None = Field(default=None, primary_key=True)
    binome_id: int = Field(foreign_key="binome.id", index=True)
    weekday: int  # 0 = Monday
    local_time: str = Field(max_length=5)  # "17:00", in the programme's timezone
    every_weeks: int = Field(default=2)
    anchor: date  # the local date of the first occurrence
    place_kind: PlaceKind = Field(default=PlaceKind.WORKPLACE, sa_type=String(16))
    place_detail: str | None = Field(default=None, max_length=300)
    active: bool = Field(default=True)
    created_by: int = Field(foreign_key="participant.id")
    created_at: datetime = utc_column(nullable=False)


class Meeting(SQLModel, table=True):
    __tablename__ = "meeting"
    # The tick's cadence query asks, pair by pair, for a meeting planned ahead or one held lately (0007).
    __table_args__ = (Index("ix_meeting_binome_status_start", "binome_id", "status", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    binome_id: int = Field(foreign_key="binome.id", index=True)
    starts_at: datetime | None = utc_column(index=True)  # None while a draft has no time yet
    duration_minutes: int = Field(default=90)
    place_kind: PlaceKind = Field(default=PlaceKind.WORKPLACE, sa_type=String(16))
    place_detail: str | None = Field(default=None, max_length=300)
    awaiting_place_detail: bool = Field(default=False)  # the next text from the proposer is the link/address
    purpose: str | None = Field(default=None, max_length=16)  # "closing": the closing interview (storage.closures)
    status: MeetingStatus = Field(default=MeetingStatus.DRAFT, sa_type=String(16), index=True)
    proposed_by: int = Field(foreign_key="participant.id")
    proposed_at: datetime | None = utc_column()
    confirmed_at: datetime | None = utc_column()
    outcome_at: datetime | None = utc_column()
    outcome_by: int | None = Field(default=None, foreign_key="participant.id")
    series_id: int | None = Field(default=None, foreign_key="meeting_series.id")
    replaces_id: int | None = Field(default=None, foreign_key="meeting.id")  # rescheduled from
    sequence: int = Field(default=0)  # the calendar file's SEQUENCE: bumped on each change
    created_at: datetime = utc_column(nullable=False)


class AbsenceReason(StrEnum):
    ILL = "ill"
    JOB_INTERVIEW = "job_interview"
    TRANSPORT = "transport"
    SCHOOL = "school"  # school or training
    FAMILY = "family"
    OTHER = "other"


class Absence(SQLModel, table=True):
    """Someone will not come (or did not come). Announced before the start, it is excused."""

    __tablename__ = "absence"
    __table_args__ = (UniqueConstraint("meeting_id", "participant_id", name="uq_absence_once"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    reason: AbsenceReason | None = Field(default=None, sa_type=String(16))
    announced_at: datetime = utc_column(nullable=False)
    announced_by: int = Field(foreign_key="participant.id")  # themselves, or a coordinator
    excused: bool = Field(default=True)
    # The talk after an unexcused absence (storage.absence_talks): when the mentor was asked, and what they
    # said by button ("held" or "not_possible"), when and who. Nothing of what was said.
    talk_asked_at: datetime | None = utc_column()
    talk_result: str | None = Field(default=None, max_length=16)
    talk_at: datetime | None = utc_column()
    talk_by: int | None = Field(default=None, foreign_key="participant.id")


# ---------------------------------------------------------------- the action plan (between meetings)

class ActionStatus(StrEnum):
    TO_DO = "todo"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    DONE = "done"
    DROPPED = "dropped"


class PlanAction(SQLModel, table=True):
    """One action of a binôme's action plan ("plan d'actions"), added by the mentor or the mentee.

    `category` is one of the programme's categories (storage.plans.categories_for); `blocked_note` is
    what the mentee wrote about what blocks it: shown to the pair, never to coordinators.
    """

    __tablename__ = "plan_action"

    id: int | None = Field(default=None, primary_key=True)
    binome_id: int = Field(foreign_key="binome.id", index=True)
    title: str = Field(max_length=200)
    category: str | None = Field(default=None, max_length=32)
    due_on: date | None = None
    status: ActionStatus = Field(default=ActionStatus.TO_DO, sa_type=String(16), index=True)
    blocked_note: str | None = Field(default=None, max_length=500)
    created_by: int = Field(foreign_key="participant.id")
    created_at: datetime = utc_column(nullable=False)
    changed_at: datetime = utc_column(nullable=False)  # the last change of any field
    status_changed_at: datetime = utc_column(nullable=False)


class PlanActionChange(SQLModel, table=True):
    """The history of an action: who changed which field, from what to what, when."""

    __tablename__ = "plan_action_change"

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(foreign_key="plan_action.id", index=True)
    at: datetime = utc_column(nullable=False, index=True)
    by: int = Field(foreign_key="participant.id")
    field: str = Field(max_length=16)  # "created", "title", "due_on", "category", "status"
    old: str | None = Field(default=None, max_length=200)
    new: str | None = Field(default=None, max_length=200)


# ---------------------------------------------------------------- check-ins

class CheckInStatus(StrEnum):
    SCHEDULED = "scheduled"  # row written, not sent yet
    OPEN = "open"  # sent, waiting for answers
    ANSWERED = "answered"  # at least the first question answered
    MISSED = "missed"  # no answer after the reminder's delay
    SKIPPED = "skipped"  # a meeting within two days, away, or paused: not sent


class CheckIn(SQLModel, table=True):
    """One scheduled check-in of one participant (mentee or mentor) for one period of the rhythm.

    `step` is where the conversation stands, so a restart continues where it was. `mood` and `word`
    are private to the writer unless they ticked sharing; coordinators see only the facts.
    """

    __tablename__ = "checkin"
    # One per binôme: a mentor with two mentees has one for each (migration 0005).
    # The tick asks which members have no check-in written ahead, and which were missed lately (0007).
    __table_args__ = (UniqueConstraint("participant_id", "binome_id", "period", name="uq_checkin_period"),
                      Index("ix_checkin_scheduled", "binome_id", "participant_id", "due_at",
                            sqlite_where=text("status = 'scheduled'"), postgresql_where=text("status = 'scheduled'")),
                      Index("ix_checkin_status_missed_at", "status", "missed_at"))

    id: int | None = Field(default=None, primary_key=True)
    binome_id: int = Field(foreign_key="binome.id", index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    role: Role = Field(sa_type=String(16))
    period: str = Field(max_length=16)  # e.g. "2026-W37": one check-in per participant, binôme and period
    due_at: datetime = utc_column(nullable=False, index=True)
    status: CheckInStatus = Field(default=CheckInStatus.SCHEDULED, sa_type=String(16), index=True)
    skipped_reason: str | None = Field(default=None, max_length=32)
    sent_at: datetime | None = utc_column()
    snoozed_until: datetime | None = utc_column()
    reminded_at: datetime | None = utc_column()
    answered_at: datetime | None = utc_column()  # the first answer
    completed_at: datetime | None = utc_column()  # the last step reached
    missed_at: datetime | None = utc_column()
    late: bool = Field(default=False)  # answered after the next check-in had started
    step: str = Field(default="", max_length=32)  # "mood", "action:<id>", "word", "done", …
    mood: int | None = None  # mentee: 1–5; mentor: 1 (concern) or 5 (all fine)
    concern: bool = Field(default=False)  # the mentor has a concern
    word: str | None = Field(default=None, max_length=1000)
    share_with_mentor: bool = Field(default=False)  # mentee: the mood is shared with the mentor
    share_word_with_mentor: bool = Field(default=False)  # mentee: the word is shared with the mentor
    share_with_coordinator: bool = Field(default=False)  # mentor: the word is for the coordinator
    action_ids: str = Field(default="", max_length=100)  # mentee: the actions asked about, "12,15"
    created_at: datetime = utc_column(nullable=False)


class CheckInAnswer(SQLModel, table=True):
    """Every answer given, in order: the last one for a question counts, the earlier ones stay."""

    __tablename__ = "checkin_answer"

    id: int | None = Field(default=None, primary_key=True)
    checkin_id: int = Field(foreign_key="checkin.id", index=True)
    at: datetime = utc_column(nullable=False)
    question: str = Field(max_length=32)  # "mood", "action:<id>", "fine", "share", …
    value: str = Field(max_length=32)


class CheckInPause(SQLModel, table=True):
    """"I'm away until…": no check-in for this participant until `until` (a local date, inclusive)."""

    __tablename__ = "checkin_pause"

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    until: date
    created_at: datetime = utc_column(nullable=False)
    ended_at: datetime | None = utc_column()  # ended early by the participant
    starts_on: date | None = None  # a tutor away from a later day (storage.substitutes); None: from when it was said


class AwaitedText(SQLModel, table=True):
    """The next free text from this participant answers a question (an action's title, a check-in's
    word, what blocks an action…). One row per participant: asking something else replaces it."""

    __tablename__ = "awaited_text"

    participant_id: int = Field(foreign_key="participant.id", primary_key=True)
    purpose: str = Field(max_length=32)
    ref_id: int | None = None
    since: datetime = utc_column(nullable=False)


# ---------------------------------------------------------------- warning signs and alerts

class SupportKind(StrEnum):
    HELP = "help"  # "I need help"
    STOP = "stop"  # "I want to stop"


class SupportRequest(SQLModel, table=True):
    """A mentor or mentee asked, by button, for the coordinator's help or to stop the mentoring."""

    __tablename__ = "support_request"

    id: int | None = Field(default=None, primary_key=True)
    binome_id: int | None = Field(default=None, foreign_key="binome.id", index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    kind: SupportKind = Field(sa_type=String(8))
    at: datetime = utc_column(nullable=False)


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"  # "I'm on it"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"  # by a coordinator, with an outcome
    CLEARED = "cleared"  # the signal went away by itself


class Alert(SQLModel, table=True):
    """A warning sign about a binôme, for the coordinators of its programme.

    `facts` holds counts, dates and categories only, never what the pair wrote; `level` grows when the
    same signal gets worse, which is the only way the same signal alerts again before it clears.
    """

    __tablename__ = "alert"

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    binome_id: int = Field(foreign_key="binome.id", index=True)
    about_id: int | None = Field(default=None, foreign_key="participant.id")  # the person concerned, if one
    signal: str = Field(max_length=40, index=True)
    severity: str = Field(max_length=16)  # "low", "medium", "high"
    level: int = Field(default=1)
    facts: dict = json_column()
    status: AlertStatus = Field(default=AlertStatus.OPEN, sa_type=String(16), index=True)
    opened_at: datetime = utc_column(nullable=False)
    notified_at: datetime | None = utc_column()
    renotified_at: datetime | None = utc_column()
    escalated_at: datetime | None = utc_column()  # sent on to the backup coordinator
    acknowledged_at: datetime | None = utc_column()
    acknowledged_by: int | None = Field(default=None, foreign_key="participant.id")
    snoozed_until: datetime | None = utc_column()
    resolved_at: datetime | None = utc_column()
    resolved_by: int | None = Field(default=None, foreign_key="participant.id")
    outcome: str | None = Field(default=None, max_length=32)
    cleared_at: datetime | None = utc_column()


# ---------------------------------------------------------------- the end of a binôme

class EndingAnswer(SQLModel, table=True):
    """Before the planned end, each of the pair is asked: ready to close, or would like to extend?

    One row per person and planned end (an extension moves the end, and the question comes again before
    the new one). `word` is what the writer added; the coordinator reads it only if `word_shared`."""

    __tablename__ = "ending_answer"
    __table_args__ = (UniqueConstraint("binome_id", "participant_id", "planned_end_on", name="uq_ending_answer"),)

    id: int | None = Field(default=None, primary_key=True)
    binome_id: int = Field(foreign_key="binome.id", index=True)
    participant_id: int = Field(foreign_key="participant.id")
    planned_end_on: date
    asked_at: datetime = utc_column(nullable=False)
    answer: str | None = Field(default=None, max_length=16)  # "close" or "extend"
    answered_at: datetime | None = utc_column()
    word: str | None = Field(default=None, max_length=1000)
    word_shared: bool = Field(default=False)


class Evaluation(SQLModel, table=True):
    """The short evaluation each of the pair gets after the closure.

    While it is being answered it points at its person (`participant_id`, `binome_id`); once finished or
    expired those are emptied, so the answers are anonymous: what stays is the programme, the role, the
    closure's date and the scores. Coordinators only ever see aggregates, and none below the floor."""

    __tablename__ = "evaluation"

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    binome_id: int | None = Field(default=None, foreign_key="binome.id", index=True)
    participant_id: int | None = Field(default=None, foreign_key="participant.id", index=True)
    role: Role = Field(sa_type=String(16))
    closed_on: date  # the binôme's closure: the period an aggregate is over
    status: str = Field(default="open", max_length=16, index=True)  # open, done, expired
    sent_at: datetime = utc_column(nullable=False)
    reminded_at: datetime | None = utc_column()
    finished_at: datetime | None = utc_column()
    scores: dict = json_column()  # question code → 1..5
    word: str | None = Field(default=None, max_length=1000)
    word_shared: bool = Field(default=False)


class WebLogin(SQLModel, table=True):
    """A one-time link into the coordinator's page for a desktop browser (/web): single use, ten minutes.
    Only the SHA-256 of the token is kept, never the token itself."""

    __tablename__ = "web_login"

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = utc_column(nullable=False)
    expires_at: datetime = utc_column(nullable=False)
    used_at: datetime | None = utc_column()


# ---------------------------------------------------------------- workplace tutoring (issue 16)

class MentorAway(SQLModel, table=True):
    """The mentor is away from `starts_on` to `ends_on` (local dates of the programme, inclusive) for this
    binôme: `substitute_id` stands in meanwhile (None: the binôme is uncovered and the coordinators were told).
    `ended_at`: the mentor came back early (ends_on is then moved to that day). Dates and ids only."""

    __tablename__ = "mentor_away"
    __table_args__ = (Index("ix_mentor_away_binome_dates", "binome_id", "starts_on", "ends_on"),)

    id: int | None = Field(default=None, primary_key=True)
    binome_id: int = Field(foreign_key="binome.id")
    mentor_id: int = Field(foreign_key="participant.id", index=True)
    substitute_id: int | None = Field(default=None, foreign_key="participant.id")
    starts_on: date
    ends_on: date
    created_at: datetime = utc_column(nullable=False)
    ended_at: datetime | None = utc_column()


class Competence(SQLModel, table=True):
    """One competence of a programme's framework ("référentiel"), imported from a CSV file (code, label,
    optional group). A competence left out of a later import is kept but no longer asked (`active`)."""

    __tablename__ = "competence"
    __table_args__ = (UniqueConstraint("programme_id", "code", name="uq_competence_code"),)

    id: int | None = Field(default=None, primary_key=True)
    programme_id: int = Field(foreign_key="programme.id", index=True)
    code: str = Field(max_length=32)
    label: str = Field(max_length=200)
    group: str | None = Field(default=None, max_length=80)
    position: int = Field(default=0)
    active: bool = Field(default=True)


class SelfEvaluation(SQLModel, table=True):
    """One round of the mentee's self-evaluation ("autoévaluation") against the framework, then the mentor's
    view (storage.self_evaluations). `status`: mentee (being answered by the mentee), mentor, done."""

    __tablename__ = "self_evaluation"
    __table_args__ = (UniqueConstraint("binome_id", "round", name="uq_self_evaluation_round"),)

    id: int | None = Field(default=None, primary_key=True)
    binome_id: int = Field(foreign_key="binome.id", index=True)
    round: int
    status: str = Field(default="mentee", max_length=16)
    opened_at: datetime = utc_column(nullable=False)
    mentee_done_at: datetime | None = utc_column()
    mentor_done_at: datetime | None = utc_column()


class CompetenceRating(SQLModel, table=True):
    """A rating on the 4-step scale (1 not yet, 2 with help, 3 on my own, 4 I could teach it), by the mentee or
    the mentor, in one round. Seen by the pair only; coordinators get counts."""

    __tablename__ = "competence_rating"
    __table_args__ = (UniqueConstraint("evaluation_id", "competence_id", "role", name="uq_competence_rating"),)

    id: int | None = Field(default=None, primary_key=True)
    evaluation_id: int = Field(foreign_key="self_evaluation.id", index=True)
    competence_id: int = Field(foreign_key="competence.id")
    role: Role = Field(sa_type=String(16))
    level: int
    at: datetime = utc_column(nullable=False)


class BinomeReferent(SQLModel, table=True):
    """A partner referent (teacher, trainer, "maître de stage") attached to a binôme by the import: they get the
    facts a coordinator gets for this binôme only, none of what the pair writes (storage.referents)."""

    __tablename__ = "binome_referent"
    __table_args__ = (UniqueConstraint("binome_id", "participant_id", name="uq_binome_referent"),)

    id: int | None = Field(default=None, primary_key=True)
    binome_id: int = Field(foreign_key="binome.id", index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    created_at: datetime = utc_column(nullable=False)
