"""Group commit: the journal writes entries pending across offices in one transaction, keeps each
office's order, reports a redelivered press per entry, and lets one entry the database refuses
hold back only its own office. On SQLite and PostgreSQL, through the real store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from app.adapters.db.engine import make_engine, upgrade_async
from app.adapters.db.store import SqlAlchemyAlarmStore
from app.core import events as ev
from app.core.office import AlarmMode, Gesture, Level
from app.service.journal import Journal
from app.service.ports import AlarmSummary, Append, DuplicatePress, PressKey, StoredEvent
from tests.conftest import fresh_postgres

T0 = datetime(2026, 11, 26, 9, 14, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def store(
    request: pytest.FixtureRequest, sqlite_url: str
) -> AsyncIterator[SqlAlchemyAlarmStore]:
    if request.param == "sqlite":
        await upgrade_async(sqlite_url)
        engine_store = SqlAlchemyAlarmStore(make_engine(sqlite_url), chain_key=b"k" * 32)
        yield engine_store
        await engine_store.close()
        return
    async with fresh_postgres() as url:
        await upgrade_async(url)
        engine_store = SqlAlchemyAlarmStore(make_engine(url), chain_key=b"k" * 32)
        yield engine_store
        await engine_store.close()


def summary(alarm_id: str, office_id: str) -> AlarmSummary:
    return AlarmSummary(
        alarm_id=alarm_id,
        office_id=office_id,
        device_id=f"{office_id}-desk",
        location_id="front-desk",
        status="open",
        level=Level.ACUTE.value,
        mode=AlarmMode.REAL.value,
        raised_at=T0,
        closed_at=None,
        rolecard_version="1:rc",
    )


def step(office_id: str, n: int) -> ev.Event:
    at = T0 + timedelta(seconds=n)
    return ev.PressRepeated(
        at=at,
        actor=ev.device_actor(f"{office_id}-desk"),
        device_id=f"{office_id}-desk",
        seq=n,
        gesture=Gesture.SINGLE,
        level=Level.ACUTE,
    )


def key(office_id: str, seq: int) -> PressKey:
    return PressKey(f"{office_id}-desk", seq)


class Counting:
    """The real store, counting its transactions; entries of a poisoned alarm fail."""

    def __init__(self, inner: SqlAlchemyAlarmStore) -> None:
        self.inner = inner
        self.batches: list[int] = []
        self.singles = 0
        self.poisoned: set[str] = set()

    async def append_many(
        self, entries: Sequence[Append]
    ) -> list[list[StoredEvent] | DuplicatePress]:
        self.batches.append(len(entries))
        if any(alarm.alarm_id in self.poisoned for alarm, _, _ in entries):
            raise RuntimeError("refused")
        return await self.inner.append_many(entries)

    async def append(
        self, alarm: AlarmSummary, events: Sequence[ev.Event], press: PressKey | None = None
    ) -> list[StoredEvent]:
        self.singles += 1
        if alarm.alarm_id in self.poisoned:
            raise RuntimeError("refused")
        return await self.inner.append(alarm, events, press)


async def test_a_burst_is_written_in_few_transactions_in_each_offices_order(
    store: SqlAlchemyAlarmStore,
) -> None:
    counting = Counting(store)
    journal = Journal(counting)  # type: ignore[arg-type]
    done = []
    for n in range(1, 6):
        for office in range(40):
            oid = f"o{office}"
            press = key(oid, n) if n == 1 else None
            done.append(journal.submit(summary(f"a-{oid}", oid), [step(oid, n)], press))
    await asyncio.wait_for(asyncio.gather(*done), 30)
    assert sum(counting.batches) == 200 and len(counting.batches) <= 5
    for office in range(40):
        stored = await store.events(f"a-o{office}")
        assert [s.event.seq for s in stored] == [1, 2, 3, 4, 5]  # type: ignore[attr-defined]
        assert (await store.integrity(f"a-o{office}")).state == "ok"
    await journal.close()


async def test_a_redelivered_press_in_a_batch_rolls_back_only_its_own_entry(
    store: SqlAlchemyAlarmStore,
) -> None:
    await store.append(summary("a-first", "o1"), [step("o1", 1)], key("o1", 1))
    entries: list[Append] = [
        (summary("a-again", "o1"), [step("o1", 1)], key("o1", 1)),
        (summary("a-other", "o2"), [step("o2", 1)], key("o2", 1)),
    ]
    results = await store.append_many(entries)
    assert isinstance(results[0], DuplicatePress) and results[0].alarm_id == "a-first"
    assert isinstance(results[1], list) and len(results[1]) == 1
    assert await store.events("a-again") == []
    assert await store.alarm("a-again") is None
    assert [s.seq for s in await store.events("a-other")] == [1]
    with pytest.raises(DuplicatePress):
        await store.append(summary("a-third", "o1"), [step("o1", 1)], key("o1", 1))


async def test_an_entry_the_database_refuses_holds_back_only_its_own_office(
    store: SqlAlchemyAlarmStore,
) -> None:
    counting = Counting(store)
    counting.poisoned.add("a-bad")
    journal = Journal(counting)  # type: ignore[arg-type]
    bad = journal.submit(summary("a-bad", "bad"), [step("bad", 1)])
    behind = journal.submit(summary("a-bad2", "bad"), [step("bad", 2)])
    good = [journal.submit(summary(f"a-{o}", o), [step(o, 1)]) for o in ("g1", "g2", "g3")]
    await asyncio.wait_for(asyncio.gather(*good), 10)
    await asyncio.sleep(0.3)
    assert not bad.done() and not behind.done()
    assert await store.events("a-bad2") == []  # never written ahead of the refused one
    counting.poisoned.clear()
    await asyncio.wait_for(asyncio.gather(bad, behind), 10)
    assert [s.seq for s in await store.events("a-bad")] == [1]
    assert journal.failures >= 1 and journal.backlog == 0
    await journal.close()


async def test_a_lone_append_is_unchanged(store: SqlAlchemyAlarmStore) -> None:
    first = replace(summary("a-1", "o1"), status="open")
    stored = await store.append(first, [step("o1", 1)], key("o1", 1))
    assert [s.seq for s in stored] == [1]
    with pytest.raises(DuplicatePress) as dup:
        await store.append(summary("a-2", "o1"), [step("o1", 1)], key("o1", 1))
    assert dup.value.alarm_id == "a-1"
