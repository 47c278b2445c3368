"""The learning store as a Protocol over plain rows, so the SQL store and the fake are alike.

It holds drills, debriefs, incidents, outreach sessions and office settings.

Rows are whole records: services read one, change it with `dataclasses.replace`, save it back.
Staff appear only as person ids from the office file; no row has a field for a client.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from app.core.learning.terms import (
    AlarmReason,
    DebriefStatus,
    IncidentKind,
    Realism,
    ReferenceKind,
    ReportingLine,
    SessionStatus,
    Support,
)
from app.service.ports import AlarmSummary


@dataclass(frozen=True)
class DrillRow:
    drill_id: str
    office_id: str
    started_at: datetime
    planned_end: datetime
    realism: Realism
    started_by: str  # the API token's short id, not a person
    ended_at: datetime | None = None
    note: str | None = None
    evaluation: str | None = None  # the self-evaluation after the drill
    purged_at: datetime | None = None


@dataclass(frozen=True)
class Reference:
    kind: ReferenceKind
    ref: str  # e.g. "Avvik 2026-113": the other system's reference, nothing more
    reporting_line: ReportingLine


@dataclass(frozen=True)
class DebriefRow:
    debrief_id: str
    office_id: str
    alarm_id: str
    created_at: datetime
    involved: tuple[str, ...]  # person ids owed after-care (app.core.learning.aftercare)
    status: DebriefStatus = DebriefStatus.OPEN
    what_happened: str = ""
    what_we_learn: str = ""
    what_we_change: str = ""
    report_refs: tuple[Reference, ...] = ()
    updated_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    purged_at: datetime | None = None


@dataclass(frozen=True)
class AftercareRow:
    """Support offered to one person after an alarm, and when: never how they are."""

    debrief_id: str
    person_id: str
    support: Support
    offered_at: datetime
    recorded_at: datetime


@dataclass(frozen=True)
class IncidentRow:
    incident_id: str
    office_id: str
    kind: IncidentKind
    at: datetime
    recorded_at: datetime
    recorded_by: str  # a token's short id or "handset:<id>", not a name
    location_id: str | None = None
    note: str | None = None
    purged_at: datetime | None = None


@dataclass(frozen=True)
class OutreachRow:
    session_id: str
    office_id: str
    person_id: str
    place: str  # where the visit is (the API's `where`): free text, purged with the rest
    started_at: datetime
    planned_end: datetime
    grace_s: int
    companions: tuple[str, ...] = ()
    checklist: dict[str, bool] = field(default_factory=dict)
    status: SessionStatus = SessionStatus.ACTIVE
    last_checkin_at: datetime | None = None
    checked_out_at: datetime | None = None
    alarm_id: str | None = None
    alarm_reason: AlarmReason | None = None
    error: str | None = None  # why an alarm could not be raised, for the console
    note: str | None = None  # the short evaluation after the visit
    purged_at: datetime | None = None


@dataclass(frozen=True)
class PurgeCounts:
    debriefs: int = 0
    incidents: int = 0
    outreach: int = 0
    drills: int = 0

    @property
    def total(self) -> int:
        return self.debriefs + self.incidents + self.outreach + self.drills


class LearningStore(Protocol):
    # drills and cadence
    async def add_drill(self, row: DrillRow) -> None: ...
    async def save_drill(self, row: DrillRow) -> None: ...
    async def drill(self, drill_id: str) -> DrillRow | None: ...
    async def drills(self, office_id: str) -> list[DrillRow]:
        """Oldest first."""
        ...

    async def unended_drills(self) -> list[DrillRow]:
        """Every office's drills without `ended_at` (their window may have run out)."""
        ...

    async def set_cadence(
        self, office_id: str, every_months: int, at: datetime, by: str
    ) -> None: ...

    async def cadence(self, office_id: str) -> int | None: ...

    # office settings
    async def set_retention(self, office_id: str, days: int, at: datetime, by: str) -> None: ...
    async def retention(self) -> dict[str, int]:
        """Every office that set its free-text retention, in days."""
        ...

    # debriefs and after-care
    async def add_debrief(self, row: DebriefRow) -> bool:
        """False (and nothing changes) if the alarm has a debrief already."""
        ...

    async def save_debrief(self, row: DebriefRow) -> None: ...
    async def debrief(self, debrief_id: str) -> DebriefRow | None: ...
    async def debriefs(self, office_id: str) -> list[DebriefRow]: ...
    async def add_aftercare(self, row: AftercareRow) -> None:
        """One entry per debrief, person and support; a second one updates `offered_at`."""
        ...

    async def aftercare(self, debrief_id: str) -> list[AftercareRow]: ...
    async def closed_real_alarms_without_debrief(self, office_id: str) -> list[str]: ...

    # incidents
    async def add_incident(self, row: IncidentRow) -> None: ...
    async def incidents(self, office_id: str, start: datetime, end: datetime) -> list[IncidentRow]:
        """Logged `at` in [start, end), oldest first."""
        ...

    # outreach
    async def add_session(self, row: OutreachRow) -> None: ...
    async def save_session(self, row: OutreachRow) -> None: ...
    async def session(self, session_id: str) -> OutreachRow | None: ...
    async def sessions(self, office_id: str, limit: int = 100) -> list[OutreachRow]:
        """Newest first."""
        ...

    async def active_sessions(self) -> list[OutreachRow]: ...

    # the alarm projection, read only
    async def alarms_between(
        self, office_id: str, start: datetime, end: datetime
    ) -> list[AlarmSummary]:
        """Raised in [start, end), oldest first."""
        ...

    # retention
    async def office_ids(self) -> set[str]:
        """Every office with a learning row, so a purge reaches offices no longer configured."""
        ...

    async def purge_free_text(self, office_id: str, before: datetime, at: datetime) -> PurgeCounts:
        """Blank the free text of the office's rows written before `before`, mark them purged."""
        ...


class LearningError(Exception):
    """A request the learning services refuse; `code` is what the API's error body says."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class NotFound(LearningError):
    def __init__(self, what: str) -> None:
        super().__init__("not_found", f"{what} not found")


class Conflict(LearningError):
    """The request is well formed but the record's state does not allow it (409)."""


class Invalid(LearningError):
    """A value the office's data does not allow (422)."""


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"
