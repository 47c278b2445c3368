"""`rollekort bench failover`, tiny: Mosquitto, a fresh PostgreSQL database, HAProxy with the
shipped configuration and three replicas as processes. Two leaders are SIGKILLed; each time the
press made right after the kill is offered on the handset, which reconnected through HAProxy, and
afterwards every press is exactly one alarm, resolved, with a chain that verifies."""

from __future__ import annotations

import asyncio

import pytest

from bench.failover import WARMUP, FailoverConfig, run
from bench.failover_procs import HAProxy
from simulator.prove.procs import Mosquitto
from tests.conftest import require_postgres

pytestmark = pytest.mark.postgres


@pytest.mark.timeout(600)  # five processes, three starts after kills: minutes on a shared machine
async def test_a_killed_leader_costs_no_press_and_the_next_press_is_offered() -> None:
    require_postgres()
    if not HAProxy.available():
        pytest.skip("haproxy missing (Debian package haproxy)")
    if not Mosquitto.available():
        pytest.skip("mosquitto missing")
    outcome = await asyncio.to_thread(run, FailoverConfig(presses=3, kills=2, replicas=3))
    assert outcome["held"], outcome["checked"]
    checked = outcome["checked"]
    assert checked["pressed"] == checked["alarms"] == checked["resolved"] == 2 * (3 + WARMUP) + 2
    assert checked["not offered"] == 0
    gap = outcome["gaps"]["failover gap (kill → offer)"]
    assert gap.count == 2 and gap.max_ms < 60_000
    assert outcome["one"].count == outcome["many"].count == 3
    cpu = outcome["cpu"]
    assert "replicas, 3 replicas: standbys" in cpu  # measured, and printed
    # an idle standby may spend less than one clock tick (10 ms) during three presses
    assert all(spent > 0 for who, spent in cpu.items() if not who.endswith("standbys")), cpu
