"""Example scenarios hold, and the engine reports and refuses well."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import cli
from simulator.report import alarm_report
from simulator.scenario import run_loaded, run_scenario
from simulator.scenario_load import ScenarioError, load_scenario
from tests.conftest import DEMO_OFFICE, ROOT

SCENARIOS = ROOT / "examples" / "scenarios"
EXAMPLES = sorted(SCENARIOS.glob("*.yaml"))


def _failures(path: Path) -> list[str]:
    result = run_scenario(path)
    return [f"{o.expected}: got {o.actual}" for o in result.outcomes if not o.met]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_scenario_meets_every_expectation(path: Path) -> None:
    result = run_scenario(path)
    assert result.outcomes, "a scenario should expect something"
    assert not result.notes, result.notes
    assert _failures(path) == []


def test_each_example_office_has_at_least_two_scenarios() -> None:
    offices = [*sorted((ROOT / "examples" / "offices").glob("[a-d]-*.yaml")), DEMO_OFFICE]
    used = [(p.parent / load_scenario(p).scenario.office).resolve() for p in EXAMPLES]
    for office in offices:
        assert used.count(office.resolve()) >= 2, office.name


def test_a_run_is_deterministic_and_its_report_is_a_fold_of_the_timeline() -> None:
    path = SCENARIOS / "demo-holder-silent.yaml"
    first, second = run_scenario(path), run_scenario(path)
    assert first.alarms == second.alarms and first.outcomes == second.outcomes
    leader = first.alarms[0].role("leader")
    assert leader is not None and [m.at_s for m in leader.offers] == [0.0, 20.0]


async def test_the_report_is_rebuilt_from_stored_events_alone() -> None:
    loaded = load_scenario(SCENARIOS / "demo-decline.yaml")
    seen: list[float] = []
    result = await run_loaded(loaded, progress=lambda at, _alarms: seen.append(at))
    assert seen == [float(s) for s in range(1, 61)]
    guard = result.alarms[0].role("guard")
    assert guard is not None and [m.people for m in guard.declined] == [("gro",)]
    assert alarm_report(result.timelines[0], loaded.office.rolecard) == result.alarms[0]


# --- the engine's own behaviour ----------------------------------------------------------------


def _write(tmp_path: Path, body: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    head = f'office: {DEMO_OFFICE}\nstart: "2026-11-26T10:30:00+01:00"\n'
    path.write_text(head + textwrap.dedent(body), encoding="utf-8")
    return path


WRONG = """\
people:
  lise: {behaviour: {accept_after: 3}}
  gro: {behaviour: {accept_after: 2}}
presses: [{device: desk-1}]
run_for_s: 30
expect:
  - {role: leader, holder: per}
  - {role: guard, holder: gro}
"""


def test_a_wrong_expectation_is_reported_not_met_and_the_exit_status_is_1(tmp_path: Path) -> None:
    path = _write(tmp_path, WRONG)
    result = run_scenario(path)
    assert [(o.expected, o.actual, o.met) for o in result.outcomes] == [
        ("leader: held by per", "lise at 3 s", False),
        ("guard: held by gro", "gro at 2 s", True),
    ]
    run = CliRunner().invoke(cli, ["sim", "scenario", str(path)])
    assert run.exit_code == 1, run.output
    assert "1/2 met" in run.output and "FAIL" in run.output


def test_the_cli_exits_0_when_everything_is_met_and_runs_a_folder(tmp_path: Path) -> None:
    _write(tmp_path, WRONG.replace("holder: per", "holder: lise"), "a.yaml")
    _write(tmp_path, WRONG.replace("holder: per", "accepted_by_s: 3"), "b.yaml")
    run = CliRunner().invoke(cli, ["sim", "scenario", "--all", str(tmp_path)])
    assert run.exit_code == 0, run.output
    assert "Scenarios" in run.output and run.output.count("PASS") >= 2


def test_an_invalid_file_is_not_run_and_fails_the_run(tmp_path: Path) -> None:
    path = _write(tmp_path, WRONG.replace("accept_after: 3", "accept_aftr: 3"))
    run = CliRunner().invoke(cli, ["sim", "scenario", str(path)])
    assert run.exit_code == 1
    assert "people.lise.behaviour.accept_aftr" in run.output and "not run" in run.output


MISTAKES = [
    ("accept_after: 3", "accept_aftr: 3", "s.yaml:4:", "did you mean 'accept_after'?"),
    ("  lise:", "  lsie:", "people.lsie", "no person 'lsie' in the office (did you mean 'lise'?)"),
    ("device: desk-1", "device: desk-9", "presses[0].device", "no device 'desk-9'"),
    ("role: leader", "role: leeder", "expect[0].role", "did you mean 'leader'?"),
    ("holder: per", "holder: pr", "expect[0].holder", "no person 'pr'"),
    ("holder: per", "holder: per, alarm: open", "expect[0]", "cannot be combined"),
    ("run_for_s: 30\n", "", "run_for_s", "missing required field 'run_for_s'"),
    ("{accept_after: 2}", "sleepy", "people.gro.behaviour", "unknown behaviour 'sleepy'"),
    ("role: guard, holder: gro", "role: guard", "expect[1]", "add a check"),
    ("{device: desk-1}", "{device: desk-1, gesture: wave}", "presses[0].gesture", "'wave' is not"),
]


@pytest.mark.parametrize(("old", "new", "where", "message"), MISTAKES)
def test_file_mistakes_point_at_the_field(
    tmp_path: Path, old: str, new: str, where: str, message: str
) -> None:
    assert old in WRONG
    path = _write(tmp_path, WRONG.replace(old, new, 1))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    assert where in text and message in text, text
    assert all(p.line is not None for p in err.value.problems), text


def test_a_naive_start_time_and_a_person_without_a_handset_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "naive.yaml"
    path.write_text(
        f'office: {DEMO_OFFICE}\nstart: "2026-11-26T10:30:00"\n'
        "people: {kari: {}}\npresses: [{device: desk-1}]\nrun_for_s: 10\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert "naive.yaml:2:1: start: needs a UTC offset" in str(err.value)
    path.write_text(path.read_text().replace("10:30:00", "10:30:00+01:00"), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert "people.kari: 'kari' has no handset in the office" in str(err.value)


# --- faults ------------------------------------------------------------------------------------

FAULTY = """\
people:
  lise: {behaviour: {accept_after: 3}}
presses:
  - {device: desk-1, at_s: 2}
  - {device: worn-1, at_s: 4}
run_for_s: 40
faults:
"""


def test_a_dead_button_delivers_nothing_after_it_dies_and_the_report_says_so(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, FAULTY + "  - {at_s: 3, kind: dead_button, device: worn-1}\n")
    result = run_scenario(path)
    assert [a.device_id for a in result.alarms] == ["desk-1"]  # it died after desk-1's press
    assert [(f.at_s, f.person) for f in result.faults] == [(4.0, "worn-1")]
    assert "dead button since 3 s" in result.faults[0].text
    assert not result.notes


def test_presses_during_a_broker_restart_arrive_when_it_is_back_in_order(tmp_path: Path) -> None:
    path = _write(tmp_path, FAULTY + "  - {at_s: 1, kind: broker_restart, for_s: 9}\n")
    result = run_scenario(path)
    assert [a.device_id for a in result.alarms] == ["desk-1", "worn-1"]
    start = load_scenario(path).scenario.start
    assert [(a.raised_at - start).total_seconds() for a in result.alarms] == [10.0, 10.0]
    assert [f.text for f in result.faults] == [
        "press delivered at 10 s, after the broker restart"
    ] * 2
    leader = result.alarms[0].role("leader")
    assert leader is not None and leader.accepted[0].at_s == 3.0  # counted from the delivery


def test_alarms_raised_is_checked(tmp_path: Path) -> None:
    body = FAULTY + "  - {at_s: 0, kind: dead_button, device: desk-1}\nexpect:\n"
    path = _write(tmp_path, body + "  - {alarms_raised: 2}\n")
    assert [(o.expected, o.actual, o.met) for o in run_scenario(path).outcomes] == [
        ("2 alarm(s) raised", "1", False)
    ]


@pytest.mark.parametrize(
    ("fault", "where", "message"),
    [
        ("{at_s: 0, kind: dead_button}", "faults[0]", "dead_button needs `device`"),
        ("{at_s: 0, kind: broker_restart}", "faults[0]", "broker_restart needs `for_s`"),
        ("{at_s: 0, kind: dead_button, device: desk-2}", "faults[0].device", "no device"),
        ("{at_s: 0, kind: flood}", "faults[0].kind", "flood"),
    ],
)
def test_fault_mistakes_point_at_the_field(
    tmp_path: Path, fault: str, where: str, message: str
) -> None:
    path = _write(tmp_path, FAULTY + f"  - {fault}\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert where in str(err.value) and message in str(err.value), str(err.value)


def test_the_simulator_says_the_police_are_not_called_until_someone_ticks_it(
    tmp_path: Path,
) -> None:
    body = WRONG.replace("holder: per", "holder: lise")
    silent = CliRunner().invoke(cli, ["sim", "scenario", str(_write(tmp_path, body, "a.yaml"))])
    assert "police NOT called by Rollekort: call 112" in silent.output
    ticked = body + "then:\n  - {at_s: 5, person: lise, action: police_contacted}\n"
    run = CliRunner().invoke(cli, ["sim", "scenario", str(_write(tmp_path, ticked, "b.yaml"))])
    assert "police contacted, ticked by lise at 5 s" in run.output, run.output
