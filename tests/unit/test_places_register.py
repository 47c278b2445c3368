"""The register of who sits where writes every change through to its store, in order; a write
the store refused is retried with the next change, and the register answers from memory
meanwhile (a press is still read right)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.core.whereabouts import Carry, CheckIn, Whereabouts
from app.service.whereabouts import Places

T0 = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


class FlakyStore:
    """A PlaceStore in memory that refuses writes while `down`."""

    def __init__(self) -> None:
        self.down = False
        self.check_ins: dict[tuple[str, str], CheckIn] = {}
        self.carried: dict[tuple[str, str], Carry] = {}

    def _up(self) -> None:
        if self.down:
            raise ConnectionError("database unavailable")

    async def put_check_in(self, office_id: str, entry: CheckIn) -> None:
        self._up()
        self.check_ins[(office_id, entry.person_id)] = entry

    async def drop_check_in(self, office_id: str, person_id: str) -> None:
        self._up()
        self.check_ins.pop((office_id, person_id), None)

    async def put_carry(self, office_id: str, entry: Carry) -> None:
        self._up()
        self.carried[(office_id, entry.device_id)] = entry

    async def drop_carry(self, office_id: str, device_id: str) -> None:
        self._up()
        self.carried.pop((office_id, device_id), None)

    async def current(self, now: datetime) -> dict[str, Whereabouts]:
        offices = {o for o, _ in self.check_ins} | {o for o, _ in self.carried}
        return {
            o: Whereabouts(
                tuple(c for (oo, _), c in self.check_ins.items() if oo == o),
                tuple(c for (oo, _), c in self.carried.items() if oo == o),
            )
            for o in offices
        }


async def test_a_refused_write_is_retried_with_the_next_change_and_memory_answers_meanwhile() -> (
    None
):
    store = FlakyStore()
    places = Places(store)
    store.down = True
    places.check_in("demo", "lise", "reception", T0, None)
    with pytest.raises(ConnectionError):
        await places.persist()
    assert places.snapshot("demo", T0).at("reception") == ("lise",)  # a press reads it right
    store.down = False
    places.carry("demo", "worn-1", "lise", "meeting-1", T0 + timedelta(minutes=1), None)
    places.check_out("demo", "lise")
    await places.persist()
    assert store.check_ins == {}  # the check-in was written, then the check-out, in order
    assert [c.device_id for c in store.carried.values()] == ["worn-1"]

    restarted = Places(store)
    assert await restarted.load(T0 + timedelta(minutes=2)) == 1
    carry = restarted.snapshot("demo", T0 + timedelta(minutes=2)).carry_of("worn-1")
    assert carry is not None and carry.location_id == "meeting-1"


async def test_without_a_store_the_register_is_memory_only() -> None:
    places = Places()
    places.check_in("demo", "lise", "reception", T0, None)
    await places.persist()  # nothing to write to, nothing kept for later
    assert await places.load(T0) == 0
    assert places.snapshot("demo", T0).at("reception") == ("lise",)
