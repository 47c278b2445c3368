"""Frozen collections (app.gc_freeze): a full collection scans only what came since the last one,
cyclic garbage among frozen objects is freed by the re-scan, and every pause is counted."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from app import gc_freeze
from app.gc_freeze import FrozenCollections, frozen_collections


class Node:
    """Half of a reference cycle: only the cycle collector can free it."""

    def __init__(self) -> None:
        self.other: Node | None = None


def cycle() -> weakref.ref[Node]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


@pytest.fixture
def keeper() -> Iterator[FrozenCollections]:
    keeper = FrozenCollections(freeze=True)
    keeper.install()
    yield keeper
    keeper.uninstall()


def test_survivors_of_a_full_collection_are_not_scanned_again(keeper: FrozenCollections) -> None:
    assert gc.get_freeze_count() > 0, "start-up's objects are frozen at install"
    frozen_before = gc.get_freeze_count()
    kept = [[i] for i in range(50_000)]  # long-lived: survives the next full collection
    full_before = keeper.pauses[2].count
    gc.collect()
    assert keeper.pauses[2].count == full_before + 1
    assert gc.get_freeze_count() >= frozen_before + len(kept), "the survivors were frozen"
    assert keeper.pauses[2].longest > 0


def test_survivors_of_a_young_collection_are_frozen_too(keeper: FrozenCollections) -> None:
    """Each handset's live chain of coroutines and futures is made again at every message it
    sends: a young collection must scan it once, not again at every later collection."""
    frozen_before = gc.get_freeze_count()
    chains = [[{"future": i}] for i in range(50_000)]  # alive at the next young collection
    young_before = keeper.pauses[0].count
    gc.collect(0)
    assert keeper.pauses[0].count == young_before + 1
    assert gc.get_freeze_count() >= frozen_before + len(chains), "the survivors were frozen"
    still_scanned = sum(len(gc.get_objects(generation)) for generation in range(3))
    assert still_scanned < 1_000, "the next collection scans only what came since"


def test_garbage_that_dies_young_is_freed_by_the_next_young_collection(
    keeper: FrozenCollections,
) -> None:
    dead = cycle()
    gc.collect(0)
    assert dead() is None


def test_uninstall_unfreezes_everything() -> None:
    keeper = FrozenCollections(freeze=True)
    keeper.install()
    gc.collect(0)
    assert gc.get_freeze_count() > 0
    keeper.uninstall()
    assert gc.get_freeze_count() == 0


def test_cyclic_garbage_among_frozen_objects_waits_for_the_rescan(
    keeper: FrozenCollections,
) -> None:
    dead = cycle()  # garbage already: the next full collection frees it, as always
    pair = [Node(), Node()]
    pair[0].other, pair[1].other = pair[1], pair[0]
    later = weakref.ref(pair[0])
    gc.collect()  # the pair is alive: it survives and is frozen
    assert dead() is None
    del pair  # a cycle that dies after it was frozen (a handset that left)
    gc.collect()
    assert later() is not None, "frozen: the collector does not look at it"
    keeper.rescan()
    assert later() is None, "the re-scan frees it"


def test_without_freezing_pauses_are_counted_and_nothing_is_frozen() -> None:
    keeper = FrozenCollections(freeze=False)
    keeper.install()
    try:
        ref = cycle()
        gc.collect()
        assert ref() is None
        assert gc.get_freeze_count() == 0
        assert keeper.pauses[2].count >= 1
    finally:
        keeper.uninstall()


async def test_rescan_waits_for_a_quiet_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gc_freeze, "QUIET_POLL_S", 0.01)
    keeper = FrozenCollections(freeze=True, rescan_s=0.05)
    rescans: list[float] = []
    monkeypatch.setattr(keeper, "rescan", lambda: rescans.append(1.0) or 0.0)
    alarm_open = True
    task = asyncio.create_task(keeper.keep(lambda: not alarm_open))
    try:
        await asyncio.sleep(0.08)
        assert rescans == [], "an alarm is open: the long pause waits"
        alarm_open = False
        await asyncio.sleep(0.05)
        assert len(rescans) >= 1
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_rescan_comes_at_the_latest_one_period_later(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gc_freeze, "QUIET_POLL_S", 0.01)
    keeper = FrozenCollections(freeze=True, rescan_s=0.05)
    rescans: list[float] = []
    monkeypatch.setattr(keeper, "rescan", lambda: rescans.append(1.0) or 0.0)
    task = asyncio.create_task(keeper.keep(lambda: False))  # never quiet
    try:
        await asyncio.sleep(0.3)
        assert rescans, "garbage cannot wait for ever"
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_pauses_and_frozen_objects_on_metrics() -> None:
    registry = CollectorRegistry()
    async with frozen_collections(True, registry, lambda: True):
        gc.collect()
        text = generate_latest(registry).decode()
        assert 'rollekort_gc_pauses_total{generation="2"}' in text
        frozen = [line for line in text.splitlines() if line.startswith("rollekort_gc_frozen")]
        assert frozen and float(frozen[0].split()[-1]) > 0
    assert gc.get_freeze_count() == 0, "unfrozen when the service stops"
    assert "rollekort_gc" not in generate_latest(registry).decode()
