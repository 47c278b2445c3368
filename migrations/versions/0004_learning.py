"""Learning after alarms, so drills, debriefs and outreach are kept beside the alarm log.

Drills and their cadence, debriefs with after-care, incidents logged without an alarm, outreach
sessions, and per-office settings (free-text retention).

Revision ID: 0004
Revises: 0003
Create Date: 2025-04-01

Only new tables, so nothing existing is rebuilt on SQLite. No foreign keys (as in 0001): a debrief
names its alarm by id, and the alarm projection may be rebuilt from the event log.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)  # app.adapters.db.tables.UtcDateTime stores this


def upgrade() -> None:
    op.create_table(
        "drill",
        sa.Column("drill_id", sa.String(64), nullable=False),
        sa.Column("office_id", sa.String(128), nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("planned_end", UTC_DATETIME, nullable=False),
        sa.Column("ended_at", UTC_DATETIME, nullable=True),
        sa.Column("realism", sa.String(16), nullable=False),
        sa.Column("started_by", sa.String(200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("evaluation", sa.Text(), nullable=True),
        sa.Column("purged_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("drill_id", name="pk_drill"),
    )
    op.create_index("ix_drill_office_id_started_at", "drill", ["office_id", "started_at"])
    op.create_table(
        "drill_cadence",
        sa.Column("office_id", sa.String(128), nullable=False),
        sa.Column("every_months", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("office_id", name="pk_drill_cadence"),
    )
    op.create_table(
        "office_settings",
        sa.Column("office_id", sa.String(128), nullable=False),
        sa.Column("free_text_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("office_id", name="pk_office_settings"),
    )
    op.create_table(
        "debrief",
        sa.Column("debrief_id", sa.String(64), nullable=False),
        sa.Column("office_id", sa.String(128), nullable=False),
        sa.Column("alarm_id", sa.String(64), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("involved", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("what_happened", sa.Text(), nullable=False),
        sa.Column("what_we_learn", sa.Text(), nullable=False),
        sa.Column("what_we_change", sa.Text(), nullable=False),
        sa.Column("report_refs", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=True),
        sa.Column("closed_at", UTC_DATETIME, nullable=True),
        sa.Column("closed_by", sa.String(200), nullable=True),
        sa.Column("purged_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("debrief_id", name="pk_debrief"),
        sa.UniqueConstraint("alarm_id", name="uq_debrief_alarm_id"),
    )
    op.create_index("ix_debrief_office_id_created_at", "debrief", ["office_id", "created_at"])
    op.create_table(
        "aftercare",
        sa.Column("debrief_id", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(300), nullable=False),
        sa.Column("support", sa.String(32), nullable=False),
        sa.Column("offered_at", UTC_DATETIME, nullable=False),
        sa.Column("recorded_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("debrief_id", "person_id", "support", name="pk_aftercare"),
    )
    op.create_table(
        "incident",
        sa.Column("incident_id", sa.String(64), nullable=False),
        sa.Column("office_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("recorded_at", UTC_DATETIME, nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("location_id", sa.String(128), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("purged_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("incident_id", name="pk_incident"),
    )
    op.create_index("ix_incident_office_id_at", "incident", ["office_id", "at"])
    op.create_table(
        "outreach_session",
        sa.Column("session_id", sa.String(64), nullable=False),
        sa.Column("office_id", sa.String(128), nullable=False),
        sa.Column("person_id", sa.String(128), nullable=False),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("planned_end", UTC_DATETIME, nullable=False),
        sa.Column("grace_s", sa.Integer(), nullable=False),
        sa.Column("companions", sa.JSON(), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("last_checkin_at", UTC_DATETIME, nullable=True),
        sa.Column("checked_out_at", UTC_DATETIME, nullable=True),
        sa.Column("alarm_id", sa.String(64), nullable=True),
        sa.Column("alarm_reason", sa.String(16), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("purged_at", UTC_DATETIME, nullable=True),
        sa.PrimaryKeyConstraint("session_id", name="pk_outreach_session"),
    )
    op.create_index(
        "ix_outreach_session_office_id_started_at",
        "outreach_session",
        ["office_id", "started_at"],
    )
    op.create_index("ix_outreach_session_status", "outreach_session", ["status"])


def downgrade() -> None:
    op.drop_index("ix_outreach_session_status", table_name="outreach_session")
    op.drop_index("ix_outreach_session_office_id_started_at", table_name="outreach_session")
    op.drop_table("outreach_session")
    op.drop_index("ix_incident_office_id_at", table_name="incident")
    op.drop_table("incident")
    op.drop_table("aftercare")
    op.drop_index("ix_debrief_office_id_created_at", table_name="debrief")
    op.drop_table("debrief")
    op.drop_table("office_settings")
    op.drop_table("drill_cadence")
    op.drop_index("ix_drill_office_id_started_at", table_name="drill")
    op.drop_table("drill")
