"""The seven digest presets (req. 44) load and validate, except the northern office as it is."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.config.loader import OfficeFileError, load_office_file
from simulator.scenario import run_scenario
from simulator.scenario_load import ScenarioError, load_scenario
from tests.conftest import ROOT

PRESETS = ROOT / "examples" / "presets"
PASSING = sorted(p for p in PRESETS.glob("*.yaml") if p.stem != "northern-as-is")


def test_the_seven_presets_are_shipped() -> None:
    assert len(list(PRESETS.glob("*.yaml"))) == 7


@pytest.mark.parametrize("path", PASSING, ids=lambda p: str(p.stem))
def test_preset_office_validates_and_its_scenario_passes(path: Path) -> None:
    office = (path.parent / load_scenario(path).scenario.office).resolve()
    load_office_file(office)
    result = run_scenario(path)
    assert result.outcomes and result.ok, [o for o in result.outcomes if not o.met]


def test_the_northern_office_as_it_is_fails_reqs_4_and_23() -> None:
    with pytest.raises(ScenarioError):
        load_scenario(PRESETS / "northern-as-is.yaml")
    with pytest.raises(OfficeFileError) as err:
        load_office_file(ROOT / "examples" / "offices" / "northern-as-is.yaml")
    text = str(err.value)
    assert "rule_nobody_left_alone" in text or "alone" in text
    run = CliRunner().invoke(cli, ["sim", "preset", "northern-as-is"])
    assert run.exit_code == 1 and "not run" in run.output


def test_sim_preset_runs_a_preset_and_refuses_an_unknown_one() -> None:
    run = CliRunner().invoke(cli, ["sim", "preset", "outreach-unit"])
    assert run.exit_code == 0 and "PASS" in run.output, run.output
    run = CliRunner().invoke(cli, ["sim", "preset", "nope"])
    assert run.exit_code == 2 and "outreach-unit" in run.output
