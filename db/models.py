"""Core tables shared by every feature: people, audit, update dedupe, outbox, clock items.

Feature tables live in their own modules (db/catalogue.py, db/cases.py, ...); db/schema.py
imports them all so that Alembic and tests see the whole metadata.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, MetaData
from sqlmodel import Field, SQLModel

# Stable constraint names on SQLite and PostgreSQL alike (Alembic batch mode needs them).
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
METADATA: MetaData = SQLModel.metadata


def utcnow() -> datetime:
    return datetime.now(UTC)


class Role(StrEnum):
    OFFICER = "officer"
    COORDINATOR = "coordinator"
    LEGAL = "legal"
    ADMIN = "admin"


class Person(SQLModel, table=True):
    """One roster entry: the only door into the bot."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    phone: str = Field(max_length=11, unique=True, index=True)
    role: str = Field(max_length=16, default=Role.OFFICER)
    street: str | None = Field(default=None, max_length=16)
    zone: str | None = Field(default=None, max_length=8, index=True)
    department: str | None = Field(default=None, max_length=64)
    certificate_no: str | None = Field(default=None, max_length=64)
    certificate_expires: date | None = None
    telegram_id: int | None = Field(default=None, sa_column=Column(BigInteger, unique=True, index=True))
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    # first time this person wrote to the bot (or a message to them went through): before that an
    # imported telegram_id cannot receive anything, Telegram answers 403 (migration 0010_delivery)
    activated_at: datetime | None = None


class Invite(SQLModel, table=True):
    """One-time deep-link token that binds a Telegram account to a roster phone."""

    token: str = Field(primary_key=True, max_length=32)
    phone: str = Field(max_length=11)
    created_by: int | None = Field(default=None, foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None
    used_by_telegram_id: int | None = Field(default=None, sa_column=Column(BigInteger))


class AuditEntry(SQLModel, table=True):
    """Append-only record of every state change (三项制度: 全过程记录). Triggers forbid edits."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_person_id: int | None = Field(default=None, index=True)
    actor_telegram_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    action: str = Field(max_length=64)
    entity_type: str = Field(max_length=32, index=True)
    entity_id: str = Field(max_length=64, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class ProcessedUpdate(SQLModel, table=True):
    """Telegram update ids already handled, so a re-delivered update is handled once."""

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    at: datetime = Field(default_factory=utcnow, index=True)


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class OutboxMessage(SQLModel, table=True):
    """One outgoing notice to one chat, committed before anything is sent (at-least-once)."""

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    method: str = Field(default="send_message", max_length=32)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    ref_type: str | None = Field(default=None, max_length=32, index=True)
    ref_id: str | None = Field(default=None, max_length=64, index=True)
    dedupe_key: str | None = Field(default=None, max_length=128, unique=True)
    status: str = Field(default=OutboxStatus.PENDING, max_length=16, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    claimed_at: datetime | None = None
    claimed_by: str | None = Field(default=None, max_length=64)  # worker id (migration 0006_dispatch)
    sent_at: datetime | None = None
    telegram_message_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    last_error: str | None = Field(default=None, max_length=300)
    retry_after: float | None = None
    # the version of the thing announced (e.g. a joint action's time and place); the worker drops
    # the row if that changed before it went out (migration 0010_delivery)
    ref_version: int | None = None


class ClockItem(SQLModel, table=True):
    """Something that must happen at a time: a reminder, a nudge, a deadline.

    The database is the source of truth for time; the JobQueue only wakes the clock up.
    `kind` selects the handler registered in jobs/clock.py; `event_at` (optional) is when the
    thing reminded about starts, used for the catch-up policy after downtime.
    """

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32, index=True)
    due_at: datetime = Field(index=True)
    event_at: datetime | None = None
    ref_type: str | None = Field(default=None, max_length=32, index=True)
    ref_id: str | None = Field(default=None, max_length=64, index=True)
    person_id: int | None = Field(default=None, foreign_key="person.id")
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    done_at: datetime | None = Field(default=None, index=True)
    outcome: str | None = Field(default=None, max_length=16)  # sent / late / missed / cancelled / skipped
    created_at: datetime = Field(default_factory=utcnow)
