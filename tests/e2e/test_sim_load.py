"""`rollekort sim load` against a real service process: nothing lost, exit 0, so CI can gate."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from app.cli import cli
from app.config.loader import load_office_file
from simulator.load import generate


def test_generated_offices_are_valid_and_share_no_ids(tmp_path: Path) -> None:
    offices = generate(tmp_path, 3, 5)
    loaded = [load_office_file(p).office for p in sorted(tmp_path.glob("*.yaml"))]
    assert [o.id for o in loaded] == [o.office_id for o in offices]
    devices = [d for o in loaded for d in o.triggers]
    assert len(devices) == len(set(devices)) == 6
    tokens = [t for o in offices for t in (o.leader_token, *o.other_tokens, o.api_token)]
    assert len(tokens) == len(set(tokens)) == 3 * 6


def test_a_small_load_loses_nothing_and_exits_0() -> None:
    run = CliRunner().invoke(
        cli, ["sim", "load", "--offices", "2", "--presses", "10", "--concurrency", "2"]
    )
    assert run.exit_code == 0, run.output
    assert "presses sent" in run.output and "p99 ms" in run.output
    lost = next(line for line in run.output.splitlines() if "lost" in line)
    assert lost.split("│")[2].strip() == "0", run.output


def test_load_refuses_a_service_off_loopback() -> None:
    run = CliRunner().invoke(cli, ["sim", "load", "--url", "http://10.0.0.5:8080"])
    assert run.exit_code == 2
    assert "loopback only" in run.output
