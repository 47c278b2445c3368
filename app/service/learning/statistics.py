"""Statistics per office and period, computed from the alarms' own timelines, never per person.

The timelines are the record, so statistics are a fold over them (app.core.learning) and agree
with the debrief and the replay; the office file only says which roles were required.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from app.core import debrief as db
from app.core.learning.figures import AlarmFigures, figures
from app.core.learning.statistics import OfficeStatistics, office_statistics
from app.core.office import Office, Role
from app.service.clock import Clock
from app.service.learning.ports import LearningStore
from app.service.offices import OfficeDirectory
from app.service.ports import AlarmStore, AlarmSummary


def card_roles(office: Office | None) -> dict[str, Role]:
    """Every role the office's card can dispatch: base roles, then roles only variants add."""
    if office is None:
        return {}
    found = {r.id: r for r in office.rolecard.roles}
    for variant in office.rolecard.variants:
        for role in variant.roles:
            found.setdefault(role.id, role)
    return found


def dispatched_office(offices: OfficeDirectory, summary: AlarmSummary) -> Office | None:
    """The office as the alarm's card version had it; None for an office no longer served."""
    try:
        return offices.office_version(summary.office_id, summary.rolecard_version)
    except KeyError:
        return None


def required_roles(office: Office | None, role_ids: Iterable[str]) -> tuple[str, ...]:
    """The alarm's roles the card marks required; a role the card does not know counts."""
    known = card_roles(office)
    return tuple(r for r in role_ids if r not in known or known[r].required)


def leader_roles(office: Office | None, role_ids: Iterable[str]) -> tuple[str, ...]:
    known = card_roles(office)
    return tuple(r for r in role_ids if r in known and known[r].leader)


class Statistics:
    def __init__(
        self, store: LearningStore, alarms: AlarmStore, offices: OfficeDirectory, clock: Clock
    ) -> None:
        self._store = store
        self._alarms = alarms
        self._offices = offices
        self._clock = clock

    async def figures(self, office_id: str, start: datetime, end: datetime) -> list[AlarmFigures]:
        """The figures of every alarm of the office raised in [start, end), oldest first."""
        found: list[AlarmFigures] = []
        for summary in await self._store.alarms_between(office_id, start, end):
            events = [s.event for s in await self._alarms.events(summary.alarm_id)]
            office = dispatched_office(self._offices, summary)
            required = required_roles(office, db.role_ids(events))
            alarm = figures(summary.alarm_id, events, required)
            if alarm is not None:
                found.append(alarm)
        return found

    async def office(self, office_id: str, start: datetime, end: datetime) -> OfficeStatistics:
        alarms = await self.figures(office_id, start, end)
        incidents = await self._store.incidents(office_id, start, end)
        return office_statistics(alarms, (i.kind for i in incidents), start, end)
