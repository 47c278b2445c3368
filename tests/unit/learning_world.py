"""A learning World for service tests: the demo office (with an `outreach` device unless told
otherwise), in-memory stores, a manual clock and a recording `raise_alarm`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from app.config.loader import LoadedOffice, load_office_file
from app.core import events as ev
from app.service.learning.bundle import Learning
from app.service.offices import OfficeDirectory
from tests.conftest import DEMO_OFFICE
from tests.fakes.clock import ManualClock
from tests.fakes.learning import FakeLearningStore
from tests.fakes.store import FakeAlarmStore
from tests.unit.learning_timelines import summary_of

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def demo_with_outreach(tmp: Path, outreach: bool = True) -> LoadedOffice:
    data = yaml.safe_load(DEMO_OFFICE.read_text())
    if outreach:
        data["devices"].append(
            {"id": "outreach", "family": "native", "kind": "worn", "location": "back-office",
             "holder": "kari"}
        )  # fmt: skip
    path = tmp / "office.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return load_office_file(path)


class World:
    def __init__(self, tmp: Path, outreach: bool = True) -> None:
        self.clock = ManualClock(T0)
        self.alarms = FakeAlarmStore()
        self.store = FakeLearningStore(self.alarms)
        self.offices = OfficeDirectory([demo_with_outreach(tmp, outreach)])
        self.raised: list[tuple[str, str, str]] = []
        self.fail_raise = False
        self.learning = Learning.build(
            self.store, self.alarms, self.offices, self.clock, self.raise_alarm
        )

    async def raise_alarm(
        self, office_id: str, device_id: str, key: str, person_id: str = ""
    ) -> str | None:
        if self.fail_raise:
            raise ConnectionError("database down")
        self.raised.append((office_id, device_id, key))
        return f"a-{len(self.raised)}"

    async def alarm(self, events: Sequence[ev.Event]) -> str:
        summary = summary_of(list(events))
        await self.alarms.append(summary, events)
        return summary.alarm_id
