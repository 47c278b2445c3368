"""The faults a proof run injects. Each is bounded in time and leaves the world running again
(broker and service up, proxies healed) when it returns, so the next one starts from health."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from simulator.prove.clients import slow_handset

if TYPE_CHECKING:
    from simulator.prove.world import World

FAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
SKEW = "+90s"  # the service's wall clock runs 90 s ahead; its monotonic clock is untouched
OFFER_WAIT_S = 5.0


@dataclass
class Window:
    """When a fault was active, on the run's own clock, and what it did."""

    name: str
    start: float
    end: float
    detail: str = ""


Fault = Callable[["World", random.Random], Awaitable[str]]


async def service_kill_before_commit(world: World, rng: random.Random) -> str:
    office = rng.choice(world.offices)
    world.press(office)
    await world.kill_service()
    return f"SIGKILL right after a press of {office.office_id}"


async def service_kill_mid_fanout(world: World, rng: random.Random) -> str:
    office = rng.choice(world.offices)
    seen = world.frames_of(office)
    world.press(office)
    await world.until(lambda: world.frames_of(office) > seen, OFFER_WAIT_S)
    await world.kill_service()
    return f"SIGKILL at the first offer frame of {office.office_id}"


async def service_kill_after_commit(world: World, rng: random.Random) -> str:
    office = rng.choice(world.offices)
    seen = world.frames_of(office)
    world.press(office)
    await world.until(lambda: world.frames_of(office) > seen, OFFER_WAIT_S)
    await asyncio.sleep(0.5)
    await world.kill_service()
    return f"SIGKILL 0.5 s after the offers of {office.office_id}"


async def broker_kill(world: World, rng: random.Random) -> str:
    office = rng.choice(world.offices)
    world.press(office)
    await asyncio.sleep(rng.uniform(0.0, 0.3))
    await asyncio.to_thread(world.mosquitto.kill)
    await asyncio.sleep(1.0)
    await asyncio.to_thread(world.mosquitto.start)
    return "broker SIGKILL mid-alarm, back after 1 s"


async def cut_service_broker(world: World, rng: random.Random) -> str:
    world.broker_proxy.cut()
    for office in rng.sample(world.offices, min(2, len(world.offices))):
        world.press(office)
    await asyncio.sleep(3.0)
    world.broker_proxy.heal()
    return "service ↔ broker cut for 3 s with presses queued"


async def delay_service_broker(world: World, rng: random.Random) -> str:
    world.broker_proxy.delay_s = 0.2
    await asyncio.sleep(5.0)
    world.broker_proxy.delay_s = 0.0
    return "service ↔ broker delayed 200 ms per chunk for 5 s"


async def cut_handsets(world: World, rng: random.Random) -> str:
    world.handset_proxy.cut()
    await asyncio.sleep(2.0)
    world.handset_proxy.heal()
    return "handsets ↔ service cut for 2 s"


async def slow_reader(world: World, rng: random.Random) -> str:
    office = rng.choice(world.offices)
    hold = asyncio.create_task(slow_handset(world.ws_url, office.slow_token, 5.0))
    await asyncio.sleep(1.0)
    for _ in range(3):
        world.press(office)
        await asyncio.sleep(1.2)
    await hold
    return f"a handset of {office.office_id} read nothing for 5 s while its office pressed"


async def burst(world: World, rng: random.Random) -> str:
    n = world.burst_size
    for i in range(n):
        world.press(world.offices[i % len(world.offices)], device="worn", flood=True)
        if i % 500 == 499:
            await asyncio.sleep(0)
    return f"{n} presses from the worn buttons at once"


async def replay(world: World, rng: random.Random) -> str:
    acked = [p for p in world.buttons.presses if p.acked_at is not None and not p.replay]
    if not acked:
        return "nothing to replay yet"
    captured = rng.choice(acked)
    world.buttons.replay(captured)
    return f"replayed {captured.device_id} seq {captured.seq}"


async def database_locked(world: World, rng: random.Random) -> str:
    if world.sqlite is None:
        await asyncio.to_thread(world.postgres_restart)
        return "PostgreSQL stopped immediately and started again"
    world.press(rng.choice(world.offices))
    await asyncio.to_thread(_hold_sqlite, world.sqlite, 3.0)
    return "SQLite locked by another writer for 3 s"


async def clock_skew(world: World, rng: random.Random) -> str:
    if not await asyncio.to_thread(FAKETIME.exists):
        return "skipped: libfaketime is not installed (apt-get install faketime)"
    skew = {"LD_PRELOAD": str(FAKETIME), "FAKETIME": SKEW, "DONT_FAKE_MONOTONIC": "1"}
    await world.restart_service(extra_env=skew)
    for office in rng.sample(world.offices, min(2, len(world.offices))):
        world.press(office)
    await asyncio.sleep(5.0)
    await world.restart_service()
    return f"service clock {SKEW} for 5 s (restarted under libfaketime)"


def _hold_sqlite(path: Path, seconds: float) -> None:
    db = sqlite3.connect(path, timeout=10, isolation_level=None)
    try:
        db.execute("BEGIN EXCLUSIVE")
        time.sleep(seconds)
        db.execute("ROLLBACK")
    finally:
        db.close()


def _replica_faults() -> dict[str, Fault]:
    from simulator.prove.replica_faults import REPLICA_FAULTS

    return dict(REPLICA_FAULTS)


FAULTS: dict[str, Fault] = {
    "service-kill-before-commit": service_kill_before_commit,
    "service-kill-mid-fanout": service_kill_mid_fanout,
    "service-kill-after-commit": service_kill_after_commit,
    "broker-kill": broker_kill,
    "cut-service-broker": cut_service_broker,
    "delay-service-broker": delay_service_broker,
    "cut-handsets": cut_handsets,
    "slow-handset": slow_reader,
    "burst": burst,
    "replay": replay,
    "database": database_locked,
    "clock-skew": clock_skew,
}
FAULTS.update(_replica_faults())  # replica runs (simulator.prove.replica_faults)
