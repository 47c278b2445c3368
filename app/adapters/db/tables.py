"""Table definitions: the append-only event log, its alarm projection and the press keys.

Constraint names follow one convention so Alembic migrations name them the same on SQLite and
PostgreSQL. There are deliberately no foreign keys: `alarm` is a projection of `alarm_event` that
may be rebuilt from it, and SQLite batch migrations that recreate a referenced table are fragile.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    text,
)

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)


def as_utc(value: datetime) -> datetime:
    """The same instant in UTC; a naive datetime is refused, its zone would be the host's guess."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value!r}: give it a time zone")
    return value.astimezone(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC; comes back aware (UTC) on every backend, SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stored = as_utc(value)
        return stored.replace(tzinfo=None) if dialect.name == "sqlite" else stored

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


alarm = Table(
    "alarm",
    metadata,
    Column("alarm_id", String(64), primary_key=True),
    Column("office_id", String(128), nullable=False),
    Column("device_id", String(128), nullable=False),
    Column("location_id", String(128), nullable=False),
    Column("status", String(32), nullable=False),
    Column("level", String(32), nullable=False),
    Column("mode", String(32), nullable=False),
    Column("raised_at", UtcDateTime(), nullable=False),
    Column("closed_at", UtcDateTime(), nullable=True),
    Column("rolecard_version", String(128), nullable=False),
    Index("ix_alarm_office_id_raised_at", "office_id", "raised_at"),
    Index("ix_alarm_status", "status"),
)

alarm_event = Table(
    "alarm_event",
    metadata,
    Column("alarm_id", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("type", String(64), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("data", JSON(), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    PrimaryKeyConstraint("alarm_id", "seq"),
)

# The press key is the primary key: it is what makes a press unique (app.service.ports.PressKey).
# Device sequence numbers are 64-bit: families without a counter may derive one from a timestamp.
press = Table(
    "press",
    metadata,
    Column("device_id", String(128), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("device_ts", String(64), nullable=False, server_default=""),
    Column("alarm_id", String(64), nullable=True),
    Column("received_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("device_id", "seq", "device_ts"),
    Index("ix_press_received_at", "received_at"),
)

button_test = Table(
    "button_test",
    metadata,
    Column("device_id", String(128), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("device_id", "seq"),
)

# Role-card versions: each upload of an office file is kept as it was sent, numbered 1, 2, 3 …
# per office; at most one per office is `active` (the partial unique index says so to the
# database, so a race between two activations cannot leave two).
office_version = Table(
    "office_version",
    metadata,
    Column("office_id", String(128), nullable=False),
    Column("number", Integer, nullable=False),
    Column("label", String(200), nullable=False),
    Column("content", Text(), nullable=False),
    Column("uploaded_at", UtcDateTime(), nullable=False),
    Column("uploaded_by", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("activated_at", UtcDateTime(), nullable=True),
    Column("activated_by", String(200), nullable=True),
    Column("errors", Integer, nullable=False),
    Column("warnings", Integer, nullable=False),
    PrimaryKeyConstraint("office_id", "number"),
    Index(
        "uq_office_version_active",
        "office_id",
        unique=True,
        sqlite_where=text("status = 'active'"),
        postgresql_where=text("status = 'active'"),
    ),
)

# Who has acknowledged (read) which version of their office's card; staff count in a pool only
# once they have acknowledged the active one.
rolecard_ack = Table(
    "rolecard_ack",
    metadata,
    Column("office_id", String(128), nullable=False),
    Column("person_id", String(128), nullable=False),
    Column("number", Integer, nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("office_id", "person_id", "number"),
)
