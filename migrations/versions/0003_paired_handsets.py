"""Paired handsets, so a coordinator can hand a phone out with a one-time code, not a file edit.

Revision ID: 0003
Revises: 0002
Create Date: 2025-03-01

Only a new table: on SQLite it is created in batch mode (migrations/env.py renders batch there),
which for a new table is a plain CREATE TABLE; nothing existing is rebuilt. The two unique
constraints allow many NULLs on both SQLite and PostgreSQL (unpaired handsets, used codes).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)  # app.adapters.db.tables.UtcDateTime stores this


def upgrade() -> None:
    op.create_table(
        "paired_handset",
        sa.Column("office_id", sa.String(128), nullable=False),
        sa.Column("handset_id", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(128), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=True),
        sa.Column("pairing_code_sha256", sa.String(64), nullable=True),
        sa.Column("code_expires_at", UTC_DATETIME, nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("paired_at", UTC_DATETIME, nullable=True),
        sa.Column("revoked_at", UTC_DATETIME, nullable=True),
        sa.Column("revoked_by", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("office_id", "handset_id", name="pk_paired_handset"),
        sa.UniqueConstraint("token_sha256", name="uq_paired_handset_token_sha256"),
        sa.UniqueConstraint("pairing_code_sha256", name="uq_paired_handset_pairing_code_sha256"),
    )


def downgrade() -> None:
    op.drop_table("paired_handset")
