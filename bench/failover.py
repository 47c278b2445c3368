"""`rollekort bench failover`: what replicas cost and what they buy (issue 14).

The topology of compose.yaml as processes on loopback: a Mosquitto of its own (the shipped
configuration), a fresh PostgreSQL database, HAProxy with the shipped configuration, and
replicas of `rollekort serve`. A handset of the demo office connects through HAProxy, a button
publishes to the broker.

1. Press → offer through HAProxy with one replica, then with three (two hot standbys), `n`
   presses each in the same run: the medians, p99 and the ratio.
2. The failover gap, `kills` times: SIGKILL the leader, press at once, and time until the offer
   reaches the handset, which reconnects through HAProxy to whichever replica leads next. The
   killed replica is started again as a standby before the next kill.

Afterwards, through the API: every press is one alarm, resolved, with a chain that verifies.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
import urllib.request
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from app.shipped import demo_office
from bench.failover_handset import Handset
from bench.failover_procs import Cluster, Replica, Role
from bench.stats import Summary
from simulator.service import mqtt_client

POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432"
BUTTON = "desk-1"
WARMUP = 5
SETTLE_S = 0.02
"""Before each press, so the previous alarm's after-work does not compete with it."""
STANDBY_SETTLE_S = 1.0
"""Before each kill: every standby has started and waits on the leader lock."""
OFFER_TIMEOUT_S = 60.0
LISTED = 500
console = Console(highlight=False)


@dataclass(frozen=True)
class FailoverConfig:
    presses: int = 200
    kills: int = 20
    replicas: int = 3
    postgres: str = POSTGRES
    keep: Path | None = None
    page_backoff: bool = True  # the handset reconnects as the page does; False: every 50 ms


@dataclass
class Run:
    """What the run saw, for the report and the final check against the API."""

    alarms: list[str] = field(default_factory=list)
    pressed: int = 0
    unplanned_exits: list[str] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)
    service_cpu: dict[str, float] = field(default_factory=dict)  # the replicas, per phase


def run(config: FailoverConfig) -> dict[str, Any]:
    return asyncio.run(_run(config))


async def _run(config: FailoverConfig) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(config.postgres) as db_url:
            cluster = Cluster(Path(tmp), db_url, config.replicas, demo_office())
            try:
                return await _measure(cluster, config)
            finally:
                await asyncio.to_thread(cluster.stop)
                if config.keep is not None:
                    _keep(Path(tmp), config.keep)


async def _measure(cluster: Cluster, config: FailoverConfig) -> dict[str, Any]:
    await asyncio.to_thread(cluster.start, 1)
    console.print(
        f"broker {cluster.broker.url}, HAProxy {cluster.http}, database {config.postgres}; "
        f"{config.presses} presses per topology after {WARMUP} warm-up, {config.kills} kills; "
        f"the handset reconnects {'as the page does' if config.page_backoff else 'every 50 ms'}"
    )
    seen = Run()
    button = mqtt_client(cluster.broker.url, "bench-failover-button")
    ws_url = cluster.http.replace("http://", "ws://") + "/ws/handset"
    handset = Handset(ws_url, "demo-leader", config.page_backoff)
    try:
        await handset.connect(OFFER_TIMEOUT_S)
        one = await _press_to_offer(cluster, handset, button, config.presses, seen, "1 replica")
        await asyncio.to_thread(cluster.grow, config.replicas)
        many = await _press_to_offer(
            cluster, handset, button, config.presses, seen, f"{config.replicas} replicas"
        )
        gaps = await _failovers(cluster, handset, button, config.kills, seen)
    finally:
        await handset.close()
        button.disconnect()
        button.loop_stop()
    checked = await asyncio.to_thread(_check, cluster.http, seen)
    from bench.failover_report import report

    return report(console, one, many, gaps, checked, seen.cpu | seen.service_cpu)


@asynccontextmanager
async def fresh_database(postgres: str) -> AsyncIterator[str]:
    """A fresh database on the PostgreSQL server, dropped afterwards."""
    import asyncpg

    name = f"rollekort_failover_{uuid.uuid4().hex[:10]}"
    admin = postgres.replace("+asyncpg", "") + "/postgres"
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    try:
        yield f"{postgres}/{name}"
    finally:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


def _press(button: Any, seen: Run) -> None:
    seen.pressed += 1
    body = {"event": "press", "seq": time.time_ns() // 1000, "gesture": "single", "ts": _now_iso()}
    button.publish(f"rollekort/v1/trigger/{BUTTON}", json.dumps(body).encode(), qos=1)


async def _press_to_offer(
    cluster: Cluster, handset: Handset, button: Any, count: int, seen: Run, name: str
) -> Summary:
    samples: list[int] = []
    leader = await asyncio.to_thread(cluster.leader)
    replicas0 = {r.name: r.cpu_s() for r in cluster.replicas if r.running}
    cpu0 = time.process_time()
    for i in range(count + WARMUP):
        await asyncio.sleep(SETTLE_S)
        sent = time.monotonic()
        _press(button, seen)
        offer, arrived, _ = await handset.new_offer(OFFER_TIMEOUT_S)
        seen.alarms.append(offer["alarm_id"])
        if i >= WARMUP:
            samples.append(round((arrived - sent) * 1e9))
        await handset.close_alarm(offer)
    seen.cpu[f"load generator, {name}"] = time.process_time() - cpu0
    spent = {r.name: r.cpu_s() - replicas0[r.name] for r in cluster.replicas if r.name in replicas0}
    seen.service_cpu[f"replicas, {name}: leader"] = spent.pop(leader.name)
    if spent:
        seen.service_cpu[f"replicas, {name}: standbys"] = sum(spent.values())
    return Summary.of(f"press → offer, {name}", samples)


async def _failovers(
    cluster: Cluster, handset: Handset, button: Any, kills: int, seen: Run
) -> dict[str, Summary]:
    gaps: list[int] = []
    welcomes: list[int] = []
    promoted: list[int] = []
    cpu0 = time.process_time()
    for _ in range(kills):
        leader = await _steady(cluster, seen)
        killed = time.monotonic()
        leader.kill()
        _press(button, seen)
        alone = not any(r.running for r in cluster.replicas)
        if alone:  # one replica: its supervisor starts it again at once (the baseline)
            leader.start()
        leading = asyncio.create_task(asyncio.to_thread(_next_leader, cluster))
        offer, arrived, welcomed = await handset.new_offer(OFFER_TIMEOUT_S)
        promoted.append(round((await leading - killed) * 1e9))
        seen.alarms.append(offer["alarm_id"])
        gaps.append(round((arrived - killed) * 1e9))
        if welcomed is not None:
            welcomes.append(round((welcomed - killed) * 1e9))
        await handset.close_alarm(offer)
        if not alone:
            leader.start()  # back as a standby; `_steady` waits for it before the next kill
    seen.cpu["load generator, failovers"] = time.process_time() - cpu0
    found = {"failover gap (kill → offer)": Summary.of("failover gap (kill → offer)", gaps)}
    found["kill → next leader's /readyz 200"] = Summary.of("kill → /readyz 200", promoted)
    if len(welcomes) >= 2:
        found["handset back (kill → welcome)"] = Summary.of("kill → welcome", welcomes)
    return found


def _next_leader(cluster: Cluster) -> float:
    """When a replica next answers /readyz 200 (polled every 20 ms, read from outside)."""
    deadline = time.monotonic() + OFFER_TIMEOUT_S
    while time.monotonic() < deadline:
        if any(r.running and r.role() == Role.LEADER for r in cluster.replicas):
            return time.monotonic()
        time.sleep(0.02)
    raise TimeoutError("no replica leads")


async def _steady(cluster: Cluster, seen: Run) -> Replica:
    """Every replica up (one leads, the others stand by); the leader. A replica that exited by
    itself (a leader that lost its lock exits with 75) is counted, and started again as its
    supervisor would."""
    for replica in cluster.replicas:
        if replica.proc is None:
            continue
        if not replica.running:
            seen.unplanned_exits.append(f"{replica.name} exited with {replica.proc.returncode}")
            replica.start()
        await asyncio.to_thread(replica.wait_up)
    await asyncio.sleep(STANDBY_SETTLE_S)
    return await asyncio.to_thread(cluster.leader)


def _check(http: str, seen: Run) -> dict[str, int]:
    """Through HAProxy (the leader), as an operator would: the presses against the alarms (the
    newest `LISTED` of them: the API's page limit)."""
    listed = _get(f"{http}/api/v1/alarms?office_id=demo&limit={LISTED}")
    ids = {a["alarm_id"] for a in listed}
    resolved = sum(a["status"] == "resolved" for a in listed)
    chains = [_get(f"{http}/api/v1/alarms/{a}")["chain"]["state"] for a in seen.alarms[-20:]]
    return {
        "pressed": min(seen.pressed, LISTED),
        "offered": min(len(set(seen.alarms)), LISTED),
        "alarms": len(ids),
        "resolved": resolved,
        "not offered": len(ids - set(seen.alarms)),  # raised twice, or by another press
        "chains checked": len(chains),
        "chains ok": chains.count("ok"),
        "replicas that exited by themselves": len(seen.unplanned_exits),
    }


def _get(url: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": "Bearer demo-coordinator"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def _keep(tmp: Path, keep: Path) -> None:
    import shutil

    keep.mkdir(parents=True, exist_ok=True)
    for log in tmp.glob("*.log"):
        shutil.copy(log, keep / log.name)
    console.print(f"logs kept in {keep}")


def _now_iso() -> str:
    """The press's time, as a button with a clock sends it (`ts`): a press made right after an
    all-clear is told by it from one queued before the all-clear (docs/devices.md)."""
    return datetime.now(UTC).isoformat()
