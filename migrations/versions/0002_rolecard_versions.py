"""Role-card versions and acknowledgements, so a card can be uploaded, activated and audited.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01

Only new tables: nothing existing is altered, so SQLite needs no table rebuild (batch mode
stays available through migrations/env.py). The partial unique index keeps one active version
per office on both SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)  # app.adapters.db.tables.UtcDateTime stores this
ACTIVE = sa.text("status = 'active'")


def upgrade() -> None:
    op.create_table(
        "office_version",
        sa.Column("office_id", sa.String(128), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("uploaded_at", UTC_DATETIME, nullable=False),
        sa.Column("uploaded_by", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("activated_at", UTC_DATETIME, nullable=True),
        sa.Column("activated_by", sa.String(200), nullable=True),
        sa.Column("errors", sa.Integer(), nullable=False),
        sa.Column("warnings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("office_id", "number", name="pk_office_version"),
    )
    op.create_index(
        "uq_office_version_active",
        "office_version",
        ["office_id"],
        unique=True,
        sqlite_where=ACTIVE,
        postgresql_where=ACTIVE,
    )
    op.create_table(
        "rolecard_ack",
        sa.Column("office_id", sa.String(128), nullable=False),
        sa.Column("person_id", sa.String(128), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("office_id", "person_id", "number", name="pk_rolecard_ack"),
    )


def downgrade() -> None:
    op.drop_table("rolecard_ack")
    op.drop_index("uq_office_version_active", table_name="office_version")
    op.drop_table("office_version")
