"""The fault a replica run adds (`rollekort prove --replicas N`, issue 12: "its harness should
cover replicas"): `replica-kill` SIGKILLs the replica that leads right after a press, while the
handsets are connected to it through HAProxy, and starts it again a few seconds later as a
standby. The press must still become exactly one alarm, offered and closable (I1–I5), through
whichever standby takes over. In a single-process run it does nothing and says so.

`default_faults(replicas)` is what `--faults all` means for each kind of run: a replica run adds
`replica-kill` and leaves out `clock-skew` (it restarts one process under libfaketime, which a
cluster's supervisor would undo).
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import TYPE_CHECKING

from simulator.prove.replica_world import ClusterService

if TYPE_CHECKING:
    from simulator.prove.world import World

DOWN_S = (2.0, 5.0)  # how long the killed leader stays dead before it comes back as a standby
SINGLE_ONLY = ("clock-skew",)


async def replica_kill(world: World, rng: random.Random) -> str:
    service = world.service
    if not isinstance(service, ClusterService):
        return "skipped: one process (run with --replicas N)"
    office = rng.choice(world.offices)
    leader = await asyncio.to_thread(service.leader_now)
    world.press(office)
    await asyncio.sleep(rng.uniform(0.0, 0.2))  # before, during or after its fan-out
    service.held.add(leader)
    killed_at = time.monotonic()
    await asyncio.to_thread(service.cluster.kill, leader)
    await asyncio.to_thread(service.wait_served)
    served_s = time.monotonic() - killed_at
    successor = await asyncio.to_thread(service.leader_now)
    await asyncio.sleep(rng.uniform(*DOWN_S))
    await asyncio.to_thread(service.restart, leader)  # it joins as a standby while the run goes on
    return (
        f"SIGKILL of the leader r{leader} after a press of {office.office_id}; r{successor} "
        f"served through HAProxy {served_s:.2f} s later; r{leader} started again (a standby)"
    )


REPLICA_FAULTS = {"replica-kill": replica_kill}


def default_faults(known: list[str], replicas: int) -> list[str]:
    """`--faults all`: every fault that means something for this kind of run."""
    if replicas:
        return [f for f in known if f not in SINGLE_ONLY]
    return [f for f in known if f not in REPLICA_FAULTS]
