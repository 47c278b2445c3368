"""Where people are, as their handsets said: check-in at a desk or room (until check-out, off
duty, a check-in elsewhere or the shift's end) and worn triggers checked out to a person.

Decisions read a snapshot at the press, as they read presence, so the register answers from
memory; every change is also written to the `PlaceStore` (the handset endpoint awaits `persist`
before it answers), and the dispatch loads what is stored when it starts, so a restart or a
standby that takes over still knows who sits at the desk (docs/protocol.md, Places). Without a
store (the simulator, unit tests) it is memory only. The office file's roster answers for a
fixed place nobody checked in at.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from app.core.whereabouts import Carry, CheckIn, Whereabouts
from app.service.ports import PlaceStore

#: A check-in without a shift end lasts this long at most (a forgotten check-out expires).
DEFAULT_SHIFT = timedelta(hours=12)

Write = Callable[[PlaceStore], Awaitable[None]]


def _minute(at: datetime) -> datetime:
    """Ends fall on whole minutes, so a decision made a little ahead sees the same answer."""
    return at.replace(second=0, microsecond=0)


class Places:
    def __init__(self, store: PlaceStore | None = None) -> None:
        self._check_ins: defaultdict[str, dict[str, CheckIn]] = defaultdict(dict)
        self._carried: defaultdict[str, dict[str, Carry]] = defaultdict(dict)
        self._store = store
        self._pending: list[Write] = []
        self._writing = asyncio.Lock()

    async def load(self, now: datetime) -> int:
        """Take what the store holds (once, as the dispatch starts); the number of entries."""
        if self._store is None:
            return 0
        stored = await self._store.current(now)
        for office_id, where in stored.items():
            self._check_ins[office_id] = {c.person_id: c for c in where.check_ins}
            self._carried[office_id] = {c.device_id: c for c in where.carried}
        return sum(len(w.check_ins) + len(w.carried) for w in stored.values())

    async def persist(self) -> None:
        """Write the changes made since the last call, in the order they were made."""
        async with self._writing:
            while self._pending and self._store is not None:
                await self._pending[0](self._store)
                self._pending.pop(0)
            if self._store is None:
                self._pending.clear()

    def _later(self, write: Write) -> None:
        if self._store is not None:
            self._pending.append(write)

    def check_in(
        self,
        office_id: str,
        person_id: str,
        location_id: str,
        now: datetime,
        until: datetime | None,
    ) -> CheckIn:
        end = _minute(until if until is not None and until > now else now + DEFAULT_SHIFT)
        entry = CheckIn(person_id, location_id, now, end)
        self._check_ins[office_id][person_id] = entry
        self._later(lambda s: s.put_check_in(office_id, entry))
        return entry

    def check_out(self, office_id: str, person_id: str) -> bool:
        """Off duty or the end of a shift checks out too; True when there was a check-in."""
        if self._check_ins[office_id].pop(person_id, None) is None:
            return False
        self._later(lambda s: s.drop_check_in(office_id, person_id))
        return True

    def carry(
        self,
        office_id: str,
        device_id: str,
        person_id: str,
        location_id: str | None,
        now: datetime,
        until: datetime | None,
    ) -> Carry:
        end = _minute(until if until is not None and until > now else now + DEFAULT_SHIFT)
        entry = Carry(device_id, person_id, location_id, now, end)
        self._carried[office_id][device_id] = entry
        self._later(lambda s: s.put_carry(office_id, entry))
        return entry

    def give_back(self, office_id: str, device_id: str) -> bool:
        if self._carried[office_id].pop(device_id, None) is None:
            return False
        self._later(lambda s: s.drop_carry(office_id, device_id))
        return True

    def snapshot(self, office_id: str, now: datetime) -> Whereabouts:
        """What holds now: entries whose end has passed are left out (and forgotten; the store
        drops them when it is next loaded)."""
        ins = self._check_ins.get(office_id, {})
        carried = self._carried.get(office_id, {})
        for table in (ins, carried):
            for key in [k for k, v in table.items() if v.until is not None and v.until <= now]:
                del table[key]
        return Whereabouts(tuple(ins.values()), tuple(carried.values()))
