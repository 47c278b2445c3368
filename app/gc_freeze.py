"""Full garbage collections that scan only what is new: what survives one is frozen.

Why (measured, issue 13, docs/performance.md): CPython's cycle collector stops the whole process
while it scans every object it tracks. With 20,000 handsets connected that is millions of objects
(each handset's socket, protocol, tasks and session), and one full collection took 1.0–1.7 s.
One came every 20–30 s at rest and nine during a reconnect storm; a press arriving during one
waited for it (a 500-office burst: offers at p50 2.4 s instead of 0.8 s).

What: after every full collection, what survived it is frozen (`gc.freeze`: the collector no
longer scans it), so the next full collection scans only what came since. Reference counting
still frees frozen objects as before; only garbage in reference cycles among frozen objects (a
handset that left may leave some) waits for the re-scan: every `rescan_s`, at a moment no alarm
is open (at the latest `rescan_s` later still), everything is unfrozen and collected once.

And the youngest generation is collected every 10,000 new objects instead of 700 (`YOUNG`):
an object alive at two young collections moves to the oldest generation, which only a full
collection scans. At 700, anything alive for a few milliseconds of a busy loop got there (a
ping waiting for its pong, a frame in a handset's queue): about 400,000 objects a second at
rest, so full collections came every 20-30 s, and one or two of 0.2-0.7 s stopped the process
inside a 500-office burst. At 10,000 such objects die young; with 20,000 handsets the burst had
no full collection in six runs of six (at 700: one in each of two, 0.19 and 0.23 s). The
cost: each young collection frees more cyclic garbage at once (0.29 s each, four a minute, at
rest in a 30-minute soak), so this moves the stops more than it removes them.

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
YOUNG = (10_000, 10, 10)  # gc.set_threshold: CPython's default is (700, 10, 10)
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
        self._thresholds = gc.get_threshold()  # what `uninstall` gives back
        self.pauses = {generation: _Pauses() for generation in range(_OLDEST + 1)}

    def install(self) -> None:
        gc.callbacks.append(self._observe)
        if self._freeze:
            gc.set_threshold(*YOUNG)
            self.rescan()  # start-up's objects (offices, modules) are scanned once, here

    def uninstall(self) -> None:
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self._observe)
        if self._freeze:
            gc.set_threshold(*self._thresholds)
            gc.unfreeze()

    def rescan(self) -> float:
        """Unfreeze everything and collect it all once (frozen again by `_observe`)."""
        began = time.perf_counter()
        gc.unfreeze()
        gc.collect()
        if self._freeze:
            gc.freeze()  # the callback did already, unless it is not installed
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
            log.info("gc re-scan", seconds=round(took, 3), frozen=gc.get_freeze_count())

    def _observe(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
            return
        took = time.perf_counter() - self._began
        pauses = self.pauses[info["generation"]]
        pauses.count += 1
        pauses.seconds += took
        pauses.longest = max(pauses.longest, took)
        if self._freeze and info["generation"] == _OLDEST:
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
            "rollekort_gc_frozen_objects", "Objects the collector no longer scans"
        )
        frozen.add_metric([], gc.get_freeze_count())
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
