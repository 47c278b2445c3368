"""Collections that scan only what is new: what survives any collection is frozen.

Why (measured, issue 13, docs/performance.md): CPython's cycle collector stops the whole process
while it scans the objects of the generations it collects. With 20,000 handsets connected:
- A full collection scans millions of objects (each handset's socket, protocol, tasks and
  session) and took 1.0-1.7 s; one came every 20-30 s at rest.
- A young one is not small either. Each message a handset sends (a pong every ping interval)
  ends the chain of coroutines, futures and frames its session was waiting on and starts a new
  one: a dozen objects, freed and made again, so the collector's count of new objects hardly
  moves while the youngest generation fills with every handset's live chain. At rest a young
  collection found 330,000 such objects and took 0.24-0.37 s; the middle generation, which
  holds the survivors of ten young ones, took 0.15-0.47 s, in a 500-office burst too.

What: after every collection, of any generation, what survived it is frozen (`gc.freeze`,
which only moves a list: the collector no longer scans it), so each collection scans only
what came since the last one, and every object is scanned at most once while it lives.
Reference counting still frees frozen objects as before; only garbage in reference cycles among
frozen objects (a handset that left may leave some) waits for the re-scan: every `rescan_s`, at
a moment no alarm is open (at the latest `rescan_s` later still), everything is unfrozen and
collected once. CPython's own thresholds are kept: more frequent young collections are shorter
ones.

Every collection's pause is counted for /metrics (`rollekort_gc_*`), frozen or not. The
callback runs inside the collector, on whichever thread allocated: it only adds to plain
numbers (a metric's lock taken there could be the one its own thread already holds).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

import structlog
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import CollectorRegistry

log = structlog.get_logger(__name__)

RESCAN_S = 3600.0
QUIET_POLL_S = 10.0
_OLDEST = 2  # the generation of a full collection


@dataclass
class _Pauses:
    count: int = 0
    seconds: float = 0.0
    longest: float = 0.0


class FrozenCollections:
    """`install()` once, `uninstall()` at shutdown; `keep()` runs the re-scans."""

    def __init__(self, *, freeze: bool, rescan_s: float = RESCAN_S) -> None:
        self._freeze = freeze
        self._rescan_s = rescan_s
        self._began = 0.0  # perf_counter at the running collection's start
        self.live_at_rescan = 0  # tracked objects the last re-scan found alive (all frozen)
        self.pauses = {generation: _Pauses() for generation in range(_OLDEST + 1)}

    def install(self) -> None:
        gc.callbacks.append(self._observe)
        if self._freeze:
            self.rescan()  # start-up's objects (offices, modules) are scanned once, here

    def uninstall(self) -> None:
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self._observe)
        if self._freeze:
            gc.unfreeze()

    def rescan(self) -> float:
        """Unfreeze everything and collect it all once (frozen again by `_observe`)."""
        began = time.perf_counter()
        gc.unfreeze()
        gc.collect()
        if self._freeze:
            gc.freeze()  # the callback did already, unless it is not installed
            # counted here, in the pause the re-scan makes anyway: counting walks every frozen
            # object (20 ms for the 3 million of 20,000 handsets), a stop at every scrape else
            self.live_at_rescan = gc.get_freeze_count()
        return time.perf_counter() - began

    async def keep(self, quiet: Callable[[], bool]) -> None:
        """Every `rescan_s`, once `quiet()` (no alarm open) or `rescan_s` later regardless."""
        while True:
            await asyncio.sleep(self._rescan_s)
            waited = 0.0
            while not quiet() and waited < self._rescan_s:
                await asyncio.sleep(QUIET_POLL_S)
                waited += QUIET_POLL_S
            took = self.rescan()
            log.info("gc re-scan", seconds=round(took, 3), frozen=self.live_at_rescan)

    def _observe(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
            return
        took = time.perf_counter() - self._began
        pauses = self.pauses[info["generation"]]
        pauses.count += 1
        pauses.seconds += took
        pauses.longest = max(pauses.longest, took)
        if self._freeze:
            gc.freeze()

    def collect(self) -> Iterator[Metric]:
        """For a Prometheus registry: read at scrape time, never from inside the collector."""
        count = CounterMetricFamily(
            "rollekort_gc_pauses", "Garbage collections (the process stops)", labels=["generation"]
        )
        seconds = CounterMetricFamily(
            "rollekort_gc_pause_seconds", "Time stopped for collections", labels=["generation"]
        )
        longest = GaugeMetricFamily(
            "rollekort_gc_pause_longest_seconds",
            "The longest collection since start",
            labels=["generation"],
        )
        for generation, pauses in self.pauses.items():
            label = [str(generation)]
            count.add_metric(label, pauses.count)
            seconds.add_metric(label, pauses.seconds)
            longest.add_metric(label, pauses.longest)
        frozen = GaugeMetricFamily(
            "rollekort_gc_frozen_objects",
            "Tracked objects alive at the last re-scan, then frozen (hourly; a leak grows it)",
        )
        frozen.add_metric([], self.live_at_rescan)
        yield from (count, seconds, longest, frozen)


@contextlib.asynccontextmanager
async def frozen_collections(
    freeze: bool, registry: CollectorRegistry, quiet: Callable[[], bool]
) -> AsyncIterator[FrozenCollections]:
    """Installed for the service's life: pauses counted, and with `freeze` kept short."""
    keeper = FrozenCollections(freeze=freeze)
    keeper.install()
    registry.register(keeper)
    task = asyncio.create_task(keeper.keep(quiet)) if freeze else None
    try:
        yield keeper
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        registry.unregister(keeper)
        keeper.uninstall()
