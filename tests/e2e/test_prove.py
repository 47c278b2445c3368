"""`rollekort prove`, short: real processes (its own Mosquitto, the service, a database of its own),
faults injected from outside, every invariant checked afterwards."""

from __future__ import annotations

import pytest
from rich.console import Console

from simulator.prove.procs import Mosquitto, Postgres
from simulator.prove.run import Plan, prove
from simulator.prove.world import Options

pytestmark = pytest.mark.skipif(
    not Mosquitto.available(), reason="the mosquitto binary is not installed"
)

SQLITE_FAULTS = [
    "service-kill-mid-fanout",
    "broker-kill",
    "cut-service-broker",
    "cut-handsets",
    "slow-handset",
    "burst",
    "replay",
    "database",
    "clock-skew",
]
POSTGRES_FAULTS = ["service-kill-before-commit", "service-kill-after-commit", "database"]


def run(faults: list[str], postgres: bool) -> None:
    console = Console(width=120)
    outcome = prove(Plan(faults), Options(2, 4, postgres, True, 100, pause_s=1.0), console)
    assert len(outcome.windows) == len(faults)
    assert outcome.alarms > 0 and outcome.acknowledged > 0
    broken = {v.name: v.violations[:5] for v in outcome.verdicts if not v.held}
    assert not broken, broken


@pytest.mark.timeout(600)
def test_every_invariant_holds_through_the_faults_on_sqlite() -> None:
    run(SQLITE_FAULTS, postgres=False)


@pytest.mark.timeout(600)
@pytest.mark.skipif(not Postgres.available(), reason="PostgreSQL's server binaries are missing")
def test_every_invariant_holds_through_the_faults_on_postgres() -> None:
    run(POSTGRES_FAULTS, postgres=True)
