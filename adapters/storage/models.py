"""SQLAlchemy 2 tables. Migrations are generated from this metadata (Alembic autogenerate)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from adapters.storage.crypto import Cipher, KeyMismatch, is_encrypted

OPEN_STATES_SQL = "state IN ('SCHEDULED', 'IN_PROGRESS')"


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware in Python, UTC in the database (SQLite keeps no zone of its own)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


def cipher_of(dialect: Dialect) -> Cipher | None:
    """The cipher of the engine this dialect belongs to (make_engine sets it), if any."""
    cipher = getattr(dialect, "exitbot_cipher", None)
    return cipher if isinstance(cipher, Cipher) else None


class EncryptedText(TypeDecorator[str]):
    """Text an employee wrote (or a model wrote about it): encrypted when the engine has a
    cipher. Encrypted text read without one is refused, never shown as it is."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        cipher = cipher_of(dialect)
        return cipher.encrypt(value) if cipher is not None and value is not None else value

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or not is_encrypted(value):
            return value
        cipher = cipher_of(dialect)
        if cipher is None:
            raise KeyMismatch("the database holds encrypted text: set EXITBOT_ENCRYPTION_KEY")
        return cipher.decrypt(value)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document that carries employee words, stored as (encrypted) text."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return ENCRYPTED_TEXT.process_bind_param(json.dumps(value), dialect)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        text = ENCRYPTED_TEXT.process_result_value(value, dialect)
        return json.loads(text) if text is not None else None


ENCRYPTED_TEXT = EncryptedText()


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[str]: JSON()}  # noqa: RUF012


class PersonRow(Base):
    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("platform", "user_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    timezone: Mapped[str | None] = mapped_column(String(64))
    department: Mapped[str | None] = mapped_column(String(200))
    manager: Mapped[str | None] = mapped_column(String(200))


class InterviewRow(Base):
    __tablename__ = "interviews"
    __table_args__ = (
        Index("ix_interviews_state_due_at", "state", "due_at"),
        # At most one open interview per person, whatever races between HR commands.
        Index(
            "uq_interviews_one_open_per_person",
            "person_id",
            unique=True,
            sqlite_where=text(OPEN_STATES_SQL),
            postgresql_where=text(OPEN_STATES_SQL),
        ),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(128))
    due_at: Mapped[datetime | None]
    exit_date: Mapped[date | None]
    # Derived from the transitions, stored so that period queries (digest, export) can index it.
    ended_at: Mapped[datetime | None] = mapped_column(index=True)
    pending_question: Mapped[str | None] = mapped_column(String(63))
    pending_followup: Mapped[str | None] = mapped_column(EncryptedText)
    followups_asked: Mapped[int] = mapped_column(Integer, default=0)
    paused_until: Mapped[datetime | None]
    last_activity_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    history: Mapped[list[str]] = mapped_column(default=list)
    analysis: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON)
    # The analysis's coded primary reason, in clear (a code, not words) so the digest counts
    # it in SQL however large the period.
    primary_reason: Mapped[str | None] = mapped_column(String(32))
    purged_at: Mapped[datetime | None]
    llm_calls: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    llm_tokens: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The interview's language code ("es"); NULL: the default language.
    language: Mapped[str | None] = mapped_column(String(8))
    # Optimistic lock: each write says which version it read; a stale write fails.
    version: Mapped[int] = mapped_column(Integer)


class AnswerRow(Base):
    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("interview_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    interview_id: Mapped[str] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(63))
    value: Mapped[str | None] = mapped_column(EncryptedText)
    # The number the answer stands for (a rating, a score), in clear for the digest's SQL.
    number: Mapped[int | None] = mapped_column(Integer)
    answered_at: Mapped[datetime]
    followup_question: Mapped[str | None] = mapped_column(EncryptedText)
    followup_answer: Mapped[str | None] = mapped_column(EncryptedText)


class TransitionRow(Base):
    __tablename__ = "interview_transitions"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    interview_id: Mapped[str] = mapped_column(
        ForeignKey("interviews.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    trigger: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)


class InboxRow(Base):
    """Every inbound platform event, stored before it is acknowledged and handled after.
    Its unique key drops a platform's retries; `processed_at` is set in the same transaction
    as the change the event caused, so each is handled exactly once. `body` (the verified
    request, with the employee's words) is kept only until then."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("platform", "event_id"),
        Index("ix_inbox_pending", "processed_at", "failed_at", "id"),
        # Has this person sent anything still unhandled? (asked as each request is stored)
        Index("ix_inbox_sender", "sender", "processed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(255))
    # Who sent it: one person's events are handled one at a time, in order.
    sender: Mapped[str | None] = mapped_column(String(128))
    content_type: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[str | None] = mapped_column(EncryptedText)
    received_at: Mapped[datetime] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    processed_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class OutboxRow(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        # What to send next: replies before bulk, oldest first within each.
        Index("ix_outbox_pending", "sent_at", "failed_at", "lane", "id"),
        # Is anything to this place still unsent? (asked by every commit that queues one)
        Index("ix_outbox_to", "address_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    # Messages carry employee words: they go when the interview is erased.
    interview_id: Mapped[str | None] = mapped_column(
        ForeignKey("interviews.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(String(16))
    address_kind: Mapped[str] = mapped_column(String(8))
    address_id: Mapped[str] = mapped_column(String(128))
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON)
    created_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    platform_ref: Mapped[str | None] = mapped_column(String(255))
    last_error: Mapped[str | None] = mapped_column(Text)
    # core.messages.Lane: 0 someone waits for it, 1 bulk.
    lane: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")


class DigestRow(Base):
    """A digest posted: its unique key is how replicas agree that one of them posted it."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("platform", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    day: Mapped[date]
    since: Mapped[datetime]
    until: Mapped[datetime]


class ConversationRefRow(Base):
    """Where a platform lets us write proactively (Teams conversation references): for a
    person (`user:<id>`) or a channel (`conversation:<id>`). Refreshed on every activity."""

    __tablename__ = "conversation_refs"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    reference: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]


class AuditRow(Base):
    """Every HR read (report, export) and erasure: who, what, when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(Text)


class ApiKeyRow(Base):
    """An HR system's key: only its digest is kept (the key is shown once, when made)."""

    __tablename__ = "api_keys"

    prefix: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    digest: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class IdempotentResponseRow(Base):
    """How a request with an Idempotency-Key was answered, sent again for a repeat within a
    day. The answer names people, so it is encrypted like their words and pruned after."""

    __tablename__ = "idempotent_responses"
    __table_args__ = (UniqueConstraint("key_prefix", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    key_prefix: Mapped[str] = mapped_column(String(32))
    idempotency_key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(EncryptedText)
    at: Mapped[datetime] = mapped_column(index=True)
