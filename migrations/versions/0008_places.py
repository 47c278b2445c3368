"""Where staff are: check-ins at a desk or room and worn triggers checked out to a person
(issue 15), so a restart or a standby that takes over still knows who pressed a fixed button.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

Two new tables of staff data only (office, person, place or device, since, until); nothing
existing is rebuilt. Written against 0006; the integrator chains it after 0007.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)  # app.adapters.db.tables.UtcDateTime stores this


def upgrade() -> None:
    op.create_table(
        "place_check_in",
        sa.Column("office_id", sa.String(128), nullable=False),
        sa.Column("person_id", sa.String(128), nullable=False),
        sa.Column("location_id", sa.String(128), nullable=False),
        sa.Column("since", UTC_DATETIME, nullable=False),
        sa.Column("until", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("office_id", "person_id", name="pk_place_check_in"),
    )
    op.create_table(
        "trigger_carry",
        sa.Column("office_id", sa.String(128), nullable=False),
        sa.Column("device_id", sa.String(128), nullable=False),
        sa.Column("person_id", sa.String(128), nullable=False),
        sa.Column("location_id", sa.String(128), nullable=True),
        sa.Column("since", UTC_DATETIME, nullable=False),
        sa.Column("until", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("office_id", "device_id", name="pk_trigger_carry"),
    )


def downgrade() -> None:
    op.drop_table("trigger_carry")
    op.drop_table("place_check_in")
