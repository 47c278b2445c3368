"""The AlarmStore port in memory: the simulator runs on it, and service tests that need no
database use it as FakeAlarmStore (it passes the same contract tests as the SQL store).

It keeps events as the same records and hash chain as the SQL store (`EventRow`, `chain_rows`),
so an event that would not survive the database does not survive the fake either.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from app.adapters.db.chain import (
    FREE_TEXT_FIELDS,
    GENESIS_HASH,
    EventRow,
    Seal,
    chain_rows,
    check_chain,
    stored_as_given,
)
from app.adapters.db.store import chain_intact, press_received_at, refuse_naive_times
from app.adapters.db.tables import as_utc
from app.core import events as ev
from app.core.alarm import AlarmStatus
from app.service.ports import (
    AlarmStore,
    AlarmSummary,
    ChainCheck,
    DuplicatePress,
    PressKey,
    PressRow,
    StoredEvent,
)


@dataclass(frozen=True)
class PressRecord:
    alarm_id: str | None
    received_at: datetime


class FakeAlarmStore:
    """Same behaviour as SqlAlchemyAlarmStore; `rows` is open so a test can tamper with it."""

    def __init__(self) -> None:
        self.rows: dict[str, list[EventRow]] = {}
        self.seals: dict[str, Seal] = {}  # what the SQL store keeps in the alarm row
        self.summaries: dict[str, AlarmSummary] = {}
        self.presses: dict[PressKey, PressRecord] = {}
        self.button_tests: dict[tuple[str, int], datetime] = {}
        self.reachable = True
        self.closed = False

    async def append(
        self,
        alarm: AlarmSummary,
        events: Sequence[ev.Event],
        press: PressKey | None = None,
    ) -> list[StoredEvent]:
        if press is not None and press in self.presses:
            raise DuplicatePress(press, self.presses[press].alarm_id)
        refuse_naive_times(alarm)
        rows = self._chain(alarm.alarm_id, events)
        if press is not None:
            self.presses[press] = PressRecord(alarm.alarm_id, as_utc(press_received_at(events)))
        self.rows.setdefault(alarm.alarm_id, []).extend(rows)
        self.seals[alarm.alarm_id] = Seal.of(None, alarm.alarm_id, self.rows[alarm.alarm_id])
        self.summaries[alarm.alarm_id] = alarm
        return stored_as_given(rows, events)

    async def events(self, alarm_id: str) -> list[StoredEvent]:
        return [row.stored() for row in self.rows.get(alarm_id, [])]

    async def verify_chain(self, alarm_id: str) -> bool:
        return chain_intact(self.rows.get(alarm_id, []))

    async def integrity(self, alarm_id: str) -> ChainCheck:
        rows = self.rows.get(alarm_id, [])
        return check_chain(alarm_id, rows, None, self.seals.get(alarm_id))

    async def redact_free_text(self, before: datetime, office_ids: Sequence[str]) -> int:
        before, done = as_utc(before), 0
        for alarm_id, rows in self.rows.items():
            summary = self.summaries.get(alarm_id)
            if summary is None or summary.office_id not in office_ids:
                continue
            for i, row in enumerate(rows):
                if row.type not in FREE_TEXT_FIELDS or as_utc(row.at) >= before:
                    continue
                redacted = row.redacted()
                if redacted is not None:
                    rows[i] = redacted
                    done += 1
        return done

    async def alarm(self, alarm_id: str) -> AlarmSummary | None:
        return self.summaries.get(alarm_id)

    async def alarms(self, office_ids: Sequence[str], limit: int = 100) -> list[AlarmSummary]:
        mine = [a for a in self.summaries.values() if a.office_id in office_ids]
        mine.sort(key=lambda a: (a.raised_at, a.alarm_id), reverse=True)
        return mine[:limit]

    async def open_alarm_ids(self) -> list[str]:
        live = [a for a in self.summaries.values() if a.status == AlarmStatus.OPEN.value]
        return [a.alarm_id for a in sorted(live, key=lambda a: (a.raised_at, a.alarm_id))]

    async def press_keys_since(self, since: datetime) -> dict[PressKey, str]:
        since = as_utc(since)
        return {
            key: rec.alarm_id
            for key, rec in self.presses.items()
            if rec.alarm_id is not None and rec.received_at >= since
        }

    async def presses_since(self, since: datetime) -> list[PressRow]:
        since = as_utc(since)
        return [
            PressRow(key, rec.alarm_id, rec.received_at)
            for key, rec in self.presses.items()
            if rec.alarm_id is not None and rec.received_at >= since
        ]

    async def closed_timelines_since(self, since: datetime) -> dict[str, list[StoredEvent]]:
        since = as_utc(since)
        return {
            a.alarm_id: await self.events(a.alarm_id)
            for a in self.summaries.values()
            if a.closed_at is not None and as_utc(a.closed_at) >= since
        }

    async def record_button_test(self, device_id: str, seq: int, at: datetime) -> None:
        self.button_tests.setdefault((device_id, seq), as_utc(at))

    async def last_button_tests(self) -> dict[str, datetime]:
        latest: dict[str, datetime] = {}
        for (device, _seq), at in self.button_tests.items():
            latest[device] = max(at, latest.get(device, at))
        return latest

    async def ping(self) -> None:
        if not self.reachable:
            raise ConnectionError("fake database unreachable")

    async def close(self) -> None:
        self.closed = True

    def _chain(self, alarm_id: str, events: Sequence[ev.Event]) -> list[EventRow]:
        known = self.rows.get(alarm_id, [])
        last_seq, last_hash = (known[-1].seq, known[-1].hash) if known else (0, GENESIS_HASH)
        rows = chain_rows(alarm_id, events, last_seq, last_hash)
        return [replace(r, data=json.loads(json.dumps(r.data))) for r in rows]


if TYPE_CHECKING:
    _implements_the_port: type[AlarmStore] = FakeAlarmStore
