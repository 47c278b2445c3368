"""`rollekort prove --replicas N` (issues 12 and 14): the proof run's world with the service as N
replicas on its own PostgreSQL behind HAProxy (the shipped configuration,
`simulator.prove.cluster`), so that the faults and the invariants I1–I5 cover a failover.

The world is the single-process one (`simulator.prove.world.World`) with `ClusterService` in the
place of the service: the API and the handsets reach the cluster through the balancer (the
handsets through the run's handset proxy in front of it, so `cut-handsets` still cuts them);
"killing the service" SIGKILLs the replica that leads; a supervisor starts again any replica
that exited by itself (a deposed leader exits with 75, as compose's `restart: always` would),
except one a fault holds down (`replica-kill`, `simulator.prove.replica_faults`).
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from simulator.load import generate
from simulator.prove.clients import Buttons
from simulator.prove.cluster import Cluster
from simulator.prove.procs import Mosquitto, Postgres, Service
from simulator.prove.proxy import Proxy
from simulator.prove.world import Options, ProveOffice, World, world

SUPERVISE_S = 0.5  # how often the supervisor looks for replicas that exited
SERVED_TIMEOUT_S = 90.0  # a failover must put a leader behind the balancer within this


@dataclass
class ReplicaOptions(Options):
    """`Options` of a replica run: always PostgreSQL, `replicas` processes."""

    replicas: int = 3


class ClusterService(Service):
    """The cluster as the one service `World` and its faults know: its address is the
    balancer's; `kill` SIGKILLs the leader, `stop` stops it gracefully, and `start` brings
    back every replica that is down (as standbys) and waits until a leader serves."""

    def __init__(self, cluster: Cluster, log: Path) -> None:
        assert cluster.haproxy is not None
        super().__init__(cluster.env, log, port=cluster.haproxy.port)
        self.cluster = cluster
        self.held: set[int] = set()  # replicas a fault keeps down for now
        self.starts = len(cluster.replicas)

    def leader_now(self, timeout_s: float = SERVED_TIMEOUT_S) -> int:
        return self.cluster.wait_leader(timeout_s)

    def kill(self) -> None:
        self.cluster.kill(self.leader_now())

    def stop(self) -> None:
        self.cluster.replicas[self.leader_now()].stop()

    def start(self, wait: bool = True) -> None:
        for n in self.down():
            self.restart(n)
        if wait:
            self.wait_served()

    def restart(self, n: int) -> None:
        """Replica `n` again, as a standby while another leads."""
        self.held.discard(n)
        self.cluster.restart(n)
        self.starts += 1

    def down(self) -> list[int]:
        return [n for n, r in enumerate(self.cluster.replicas) if not r.running]

    def wait_served(self, timeout_s: float = SERVED_TIMEOUT_S) -> float:
        """Seconds until a leader answers through the balancer."""
        return self.cluster.wait_balanced(timeout_s)

    def wait_ready(self, timeout_s: float = SERVED_TIMEOUT_S) -> None:
        self.wait_served(timeout_s)

    @property
    def running(self) -> bool:
        return any(r.running for r in self.cluster.replicas)


async def supervise(service: ClusterService, stop: asyncio.Event) -> None:
    """Start again, as a standby, every replica that exited and no fault holds down."""
    while not stop.is_set():
        for n in service.down():
            if n not in service.held:
                await asyncio.to_thread(service.restart, n)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SUPERVISE_S)


@contextlib.asynccontextmanager
async def world_for(folder: Path, options: Options) -> AsyncIterator[World]:
    """The replica world for `ReplicaOptions`, the single-process one otherwise."""
    if isinstance(options, ReplicaOptions):
        async with replica_world(folder, options) as w:
            yield w
    else:
        async with world(folder, options) as w:
            yield w


@contextlib.asynccontextmanager
async def replica_world(folder: Path, options: ReplicaOptions) -> AsyncIterator[World]:
    """Broker, PostgreSQL, `options.replicas` replicas behind HAProxy, and the proxies, in
    `folder`; all stopped afterwards."""
    mosquitto = Mosquitto(folder / "mosquitto", shipped=options.shipped_broker_config)
    mosquitto.start()
    postgres = Postgres(folder / "pg" / "data")
    broker_proxy = Proxy(mosquitto.port)
    await broker_proxy.start()
    generated = generate(folder / "offices", options.offices, options.handsets)
    env = {
        "ROLLEKORT_CONFIG": str(folder / "offices"),
        "ROLLEKORT_BROKER": f"mqtt://127.0.0.1:{broker_proxy.port}",
        "ROLLEKORT_MQTT_CLIENT_ID": f"rollekort-prove-{uuid.uuid4().hex[:8]}",
        "ROLLEKORT_LOG_LEVEL": "WARNING",
        "ROLLEKORT_PING_INTERVAL_S": "2",
        "ROLLEKORT_CHAIN_KEY": secrets.token_hex(32),  # the same on every replica
        "ROLLEKORT_DATA_DIR": str(folder / "data"),
    }
    (folder / "data").mkdir(parents=True, exist_ok=True)
    cluster = Cluster(folder / "cluster", env, size=options.replicas)
    buttons = Buttons("127.0.0.1", mosquitto.port)
    handset_proxy: Proxy | None = None
    stop = asyncio.Event()
    supervisor: asyncio.Task[None] | None = None
    try:
        await asyncio.to_thread(postgres.start)
        env["ROLLEKORT_DB"] = postgres.url
        await asyncio.to_thread(cluster.start)
        service = ClusterService(cluster, folder / "cluster.log")
        handset_proxy = Proxy(service.port)
        await handset_proxy.start()
        supervisor = asyncio.create_task(supervise(service, stop))
        offices = [ProveOffice.of(o) for o in generated]
        w = World(
            folder, options, mosquitto, service, broker_proxy, handset_proxy, buttons, offices
        )
        w.postgres = postgres
        yield w
    finally:
        stop.set()
        if supervisor is not None:
            await asyncio.gather(supervisor, return_exceptions=True)
        buttons.close()
        if handset_proxy is not None:
            await handset_proxy.close()
        await broker_proxy.close()
        await asyncio.to_thread(cluster.stop)
        mosquitto.stop()
        postgres.stop()
