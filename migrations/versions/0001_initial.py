"""Initial schema: alarm projection, append-only alarm_event log, press keys, button tests.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)  # app.adapters.db.tables.UtcDateTime stores this


def upgrade() -> None:
    op.create_table(
        "alarm",
        sa.Column("alarm_id", sa.String(64), nullable=False),
        sa.Column("office_id", sa.String(128), nullable=False),
        sa.Column("device_id", sa.String(128), nullable=False),
        sa.Column("location_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("mode", sa.String(32), nullable=False),
        sa.Column("raised_at", UTC_DATETIME, nullable=False),
        sa.Column("closed_at", UTC_DATETIME, nullable=True),
        sa.Column("rolecard_version", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("alarm_id", name="pk_alarm"),
    )
    op.create_index("ix_alarm_office_id_raised_at", "alarm", ["office_id", "raised_at"])
    op.create_index("ix_alarm_status", "alarm", ["status"])
    op.create_table(
        "alarm_event",
        sa.Column("alarm_id", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("alarm_id", "seq", name="pk_alarm_event"),
    )
    op.create_table(
        "press",
        sa.Column("device_id", sa.String(128), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("device_ts", sa.String(64), server_default="", nullable=False),
        sa.Column("alarm_id", sa.String(64), nullable=True),
        sa.Column("received_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("device_id", "seq", "device_ts", name="pk_press"),
    )
    op.create_index("ix_press_received_at", "press", ["received_at"])
    op.create_table(
        "button_test",
        sa.Column("device_id", sa.String(128), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("device_id", "seq", name="pk_button_test"),
    )


def downgrade() -> None:
    op.drop_table("button_test")
    op.drop_index("ix_press_received_at", table_name="press")
    op.drop_table("press")
    op.drop_table("alarm_event")
    op.drop_index("ix_alarm_status", table_name="alarm")
    op.drop_index("ix_alarm_office_id_raised_at", table_name="alarm")
    op.drop_table("alarm")
