"""The `rollekort` command as a coordinator uses it: validation messages point into the file,
and `serve` refuses an office file with errors before it starts anything."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from app.cli import _banner, cli
from app.settings import Settings
from tests.conftest import DEMO_OFFICE, ROOT

runner = CliRunner()
NORTHERN = ROOT / "examples" / "offices" / "northern-as-is.yaml"


def test_validate_accepts_the_demo_office() -> None:
    result = runner.invoke(cli, ["rolecard", "validate", str(DEMO_OFFICE)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output


def test_validate_points_at_each_problem_in_the_northern_office() -> None:
    result = runner.invoke(cli, ["rolecard", "validate", str(NORTHERN)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith(str(NORTHERN))]
    places = [line.split(":")[1:3] for line in lines if ": " in line]
    assert any(row and row[0].isdigit() for row in places), result.output
    assert "not valid" in result.output


def test_serve_refuses_an_invalid_office_before_starting(tmp_path: object) -> None:
    result = runner.invoke(
        cli, ["serve", "--config", str(NORTHERN), "--db", "sqlite+aiosqlite:///:memory:"]
    )
    assert result.exit_code == 2
    assert "not valid" in result.output


def test_bench_lists_every_benchmark_and_refuses_an_unknown_database() -> None:
    listed = runner.invoke(cli, ["bench", "--help"])
    assert listed.exit_code == 0
    for name in ("scale", "latency", "failover", "push"):
        assert name in listed.output
    refused = runner.invoke(cli, ["bench", "scale", "--db", "mysql"])
    assert refused.exit_code == 2
    assert "--db is sqlite or postgres" in refused.output


def test_the_banner_names_demo_tokens_only_when_the_demo_office_is_served(tmp_path: Path) -> None:
    """An operator serving their own offices is not told to try tokens that do not exist."""
    assert "token=demo-leader" in _banner(Settings())
    own = _banner(Settings(config=tmp_path / "offices"))
    assert "demo-" not in own and "desk-1" not in own
    assert str(tmp_path / "offices") in own
