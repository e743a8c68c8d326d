"""The tables. One module, so the whole data model reads in one place.

Every future act (a message to send, later a check-in or a reminder) is a row with a due time:
the database, not memory, holds the schedule. Times are stored as UTC.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, String, TypeDecorator, UniqueConstraint
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

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Binome(SQLModel, table=True):
    __tablename__ = "binome"
    __table_args__ = (UniqueConstraint("programme_id", "label", name="uq_binome_label"),)

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
