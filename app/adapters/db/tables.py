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
    CheckConstraint,
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
    # the timeline's length and last hash, sealed with the chain key (app.adapters.db.chain)
    Column("chain_length", Integer, nullable=True),
    Column("chain_head", String(64), nullable=True),
    Column("chain_seal", String(64), nullable=True),
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
    Column("boot", String(64), nullable=False, server_default=""),
    PrimaryKeyConstraint("device_id", "seq", "device_ts", "boot"),
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

# Handsets a coordinator created and a phone paired by a one-time code. The code and the token
# are kept only as SHA-256 digests; the code's digest is cleared when it is used or revoked, so
# it works once. Both digests are unique (several NULLs are allowed on SQLite and PostgreSQL).
paired_handset = Table(
    "paired_handset",
    metadata,
    Column("office_id", String(128), nullable=False),
    Column("handset_id", String(64), nullable=False),
    Column("person_id", String(128), nullable=False),
    Column("token_sha256", String(64), nullable=True, unique=True),
    Column("pairing_code_sha256", String(64), nullable=True, unique=True),
    Column("code_expires_at", UtcDateTime(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("paired_at", UtcDateTime(), nullable=True),
    Column("revoked_at", UtcDateTime(), nullable=True),
    Column("revoked_by", String(200), nullable=True),
    PrimaryKeyConstraint("office_id", "handset_id"),
)

# Learning after alarms (migration 0004). Free text lives only in Text columns that the
# retention purge blanks (`purged_at` says when); staff appear as person ids, clients never.
drill = Table(
    "drill",
    metadata,
    Column("drill_id", String(64), primary_key=True),
    Column("office_id", String(128), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("planned_end", UtcDateTime(), nullable=False),
    Column("ended_at", UtcDateTime(), nullable=True),
    Column("realism", String(16), nullable=False),
    Column("started_by", String(200), nullable=False),
    Column("note", Text(), nullable=True),
    Column("evaluation", Text(), nullable=True),
    Column("purged_at", UtcDateTime(), nullable=True),
    Index("ix_drill_office_id_started_at", "office_id", "started_at"),
)

drill_cadence = Table(
    "drill_cadence",
    metadata,
    Column("office_id", String(128), primary_key=True),
    Column("every_months", Integer, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("updated_by", String(200), nullable=False),
)

office_settings = Table(
    "office_settings",
    metadata,
    Column("office_id", String(128), primary_key=True),
    Column("free_text_days", Integer, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("updated_by", String(200), nullable=False),
)

debrief = Table(
    "debrief",
    metadata,
    Column("debrief_id", String(64), primary_key=True),
    Column("office_id", String(128), nullable=False),
    Column("alarm_id", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("involved", JSON(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("what_happened", Text(), nullable=False),
    Column("what_we_learn", Text(), nullable=False),
    Column("what_we_change", Text(), nullable=False),
    Column("report_refs", JSON(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=True),
    Column("closed_at", UtcDateTime(), nullable=True),
    Column("closed_by", String(200), nullable=True),
    Column("purged_at", UtcDateTime(), nullable=True),
    Index("ix_debrief_office_id_created_at", "office_id", "created_at"),
)

aftercare = Table(
    "aftercare",
    metadata,
    Column("debrief_id", String(64), nullable=False),
    Column("person_id", String(300), nullable=False),
    Column("support", String(32), nullable=False),
    Column("offered_at", UtcDateTime(), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("debrief_id", "person_id", "support"),
)

incident = Table(
    "incident",
    metadata,
    Column("incident_id", String(64), primary_key=True),
    Column("office_id", String(128), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("location_id", String(128), nullable=True),
    Column("note", Text(), nullable=True),
    Column("purged_at", UtcDateTime(), nullable=True),
    Index("ix_incident_office_id_at", "office_id", "at"),
)

outreach_session = Table(
    "outreach_session",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("office_id", String(128), nullable=False),
    Column("person_id", String(128), nullable=False),
    Column("place", Text(), nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("planned_end", UtcDateTime(), nullable=False),
    Column("grace_s", Integer, nullable=False),
    Column("companions", JSON(), nullable=False),
    Column("checklist", JSON(), nullable=False),
    Column("status", String(16), nullable=False),
    Column("last_checkin_at", UtcDateTime(), nullable=True),
    Column("checked_out_at", UtcDateTime(), nullable=True),
    Column("alarm_id", String(64), nullable=True),
    Column("alarm_reason", String(16), nullable=True),
    Column("error", Text(), nullable=True),
    Column("note", Text(), nullable=True),
    Column("purged_at", UtcDateTime(), nullable=True),
    Index("ix_outreach_session_office_id_started_at", "office_id", "started_at"),
    Index("ix_outreach_session_status", "status"),
)

# Web Push subscriptions (migration 0006): one per handset, the keys its browser made for the
# message encryption, and when its service worker last confirmed a push (reachability).
push_subscription = Table(
    "push_subscription",
    metadata,
    Column("office_id", String(128), nullable=False),
    Column("handset_id", String(64), nullable=False),
    Column("person_id", String(128), nullable=False),
    Column("endpoint", Text(), nullable=False),
    Column("p256dh", String(200), nullable=False),
    Column("auth", String(100), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_receipt_at", UtcDateTime(), nullable=True),
    PrimaryKeyConstraint("office_id", "handset_id"),
)

# The chain key's fingerprint (migration 0009, app.adapters.db.chain_key_check): one row, an
# HMAC of a fixed text under the key, so a replica started with another key is noticed.
chain_key_check = Table(
    "chain_key_check",
    metadata,
    Column("id", Integer(), primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
)

# Where staff are (migration 0008): a person's check-in at a desk or room, and a worn trigger
# checked out to a person; each until its end, so a restart or a standby knows who pressed.
place_check_in = Table(
    "place_check_in",
    metadata,
    Column("office_id", String(128), nullable=False),
    Column("person_id", String(128), nullable=False),
    Column("location_id", String(128), nullable=False),
    Column("since", UtcDateTime(), nullable=False),
    Column("until", UtcDateTime(), nullable=True),
    PrimaryKeyConstraint("office_id", "person_id"),
)

trigger_carry = Table(
    "trigger_carry",
    metadata,
    Column("office_id", String(128), nullable=False),
    Column("device_id", String(128), nullable=False),
    Column("person_id", String(128), nullable=False),
    Column("location_id", String(128), nullable=True),
    Column("since", UtcDateTime(), nullable=False),
    Column("until", UtcDateTime(), nullable=True),
    PrimaryKeyConstraint("office_id", "device_id"),
)

# The leader's fencing epoch (migration 0007, issue 14): one row, incremented by each replica that
# wins the leader lock; every journal append on PostgreSQL checks it (app.adapters.db.leadership).
leadership = Table(
    "leadership",
    metadata,
    Column("id", Integer(), nullable=False),
    Column("epoch", BigInteger(), nullable=False),
    Column("replica", Text(), nullable=False),
    Column("since", UtcDateTime(), nullable=True),
    PrimaryKeyConstraint("id"),
    CheckConstraint("id = 1", name="single_row"),
)
