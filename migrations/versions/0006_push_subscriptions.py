"""Web Push subscriptions, so offers reach a phone whose page is suspended (issue 17).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07

Only a new table; nothing existing is rebuilt.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)  # app.adapters.db.tables.UtcDateTime stores this


def upgrade() -> None:
    op.create_table(
        "push_subscription",
        sa.Column("office_id", sa.String(128), nullable=False),
        sa.Column("handset_id", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(128), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("p256dh", sa.String(200), nullable=False),
        sa.Column("auth", sa.String(100), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("last_receipt_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("office_id", "handset_id", name="pk_push_subscription"),
    )


def downgrade() -> None:
    op.drop_table("push_subscription")
