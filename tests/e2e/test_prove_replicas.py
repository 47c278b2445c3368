"""`rollekort prove --replicas 3`, short (issue 12: the fault harness covers replicas): three
replicas on a PostgreSQL of the run's own behind HAProxy (the shipped configuration), the
leader SIGKILLed right after a press and started again as a standby, then a leader killed at
its first offer frame; every invariant I1–I5 checked afterwards."""

from __future__ import annotations

import pytest
from rich.console import Console

from simulator.prove.cluster import Haproxy
from simulator.prove.procs import Mosquitto, Postgres
from simulator.prove.replica_world import ReplicaOptions
from simulator.prove.run import Plan, prove

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not Mosquitto.available(), reason="the mosquitto binary is missing"),
    pytest.mark.skipif(not Haproxy.available(), reason="haproxy is not installed"),
    pytest.mark.skipif(not Postgres.available(), reason="PostgreSQL's server binaries are missing"),
]

FAULTS = ["replica-kill", "service-kill-mid-fanout"]


@pytest.mark.timeout(300)
def test_every_invariant_holds_when_the_leading_replica_is_killed() -> None:
    console = Console(width=120)
    options = ReplicaOptions(
        offices=2, handsets=3, postgres=True, burst_size=50, pause_s=1.0, replicas=3
    )
    outcome = prove(Plan(FAULTS), options, console)
    assert [w.name for w in outcome.windows] == FAULTS
    assert "served through HAProxy" in outcome.windows[0].detail
    assert outcome.alarms > 0 and outcome.acknowledged > 0
    assert outcome.service_starts >= 3 + 2  # each replica once, each killed leader again
    broken = {v.name: v.violations[:5] for v in outcome.verdicts if not v.held}
    assert not broken, broken
