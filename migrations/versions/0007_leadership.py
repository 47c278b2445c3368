"""The leader's fencing epoch, so several replicas can share one PostgreSQL (issue 14).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

One row: the epoch a replica took when it won the leader lock, who it is and since when. A new
leader increments it; every journal append checks it in its own transaction, so a replica that
lost the lock without noticing cannot write (app.adapters.db.leadership). Only a new table.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)  # app.adapters.db.tables.UtcDateTime stores this


def upgrade() -> None:
    leadership = op.create_table(
        "leadership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.Column("replica", sa.Text(), nullable=False),
        sa.Column("since", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_leadership"),
        sa.CheckConstraint("id = 1", name="ck_leadership_single_row"),
    )
    op.bulk_insert(leadership, [{"id": 1, "epoch": 0, "replica": "", "since": None}])


def downgrade() -> None:
    op.drop_table("leadership")
