"""Sealed, keyed timelines and the button's boot id, so tampering and counter restarts show.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

`alarm` gets the chain's recorded length, head and keyed seal (app.adapters.db.chain); alarms from
before stay unsealed and are reported so. `press` gets `boot` (protocol v1's optional boot id)
in its primary key, so a button whose counter restarted is not taken for a redelivery. Both are
batch operations: SQLite rebuilds the two tables, PostgreSQL alters them in place.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alarm") as batch:
        batch.add_column(sa.Column("chain_length", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("chain_head", sa.String(64), nullable=True))
        batch.add_column(sa.Column("chain_seal", sa.String(64), nullable=True))
    with op.batch_alter_table("press") as batch:
        batch.add_column(sa.Column("boot", sa.String(64), nullable=False, server_default=""))
        batch.drop_constraint("pk_press", type_="primary")
        batch.create_primary_key("pk_press", ["device_id", "seq", "device_ts", "boot"])


def downgrade() -> None:
    op.execute("DELETE FROM press WHERE boot <> ''")
    with op.batch_alter_table("press") as batch:
        batch.drop_constraint("pk_press", type_="primary")
        batch.create_primary_key("pk_press", ["device_id", "seq", "device_ts"])
        batch.drop_column("boot")
    with op.batch_alter_table("alarm") as batch:
        batch.drop_column("chain_seal")
        batch.drop_column("chain_head")
        batch.drop_column("chain_length")
