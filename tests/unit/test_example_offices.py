"""The example offices from the digest load cleanly; the northern office "as it is" is refused."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest

from app.config.loader import OfficeFileError, load_office_file
from app.config.rules import RULES, Severity
from app.config.schema import OfficeFile
from app.config.yamlpos import Tree
from app.core.office import Level, Stance
from app.core.variants import effective_chain, guard_on_duty_at, resolve_rolecard

OFFICES = Path(__file__).resolve().parents[2] / "examples" / "offices"
AS_IS = OFFICES / "northern-as-is.yaml"
PASSING = sorted(p for p in OFFICES.glob("*.yaml") if p != AS_IS)
MONDAY_11 = datetime(2026, 11, 23, 11, 0)


def test_the_four_digest_offices_are_shipped() -> None:
    assert [p.name for p in PASSING] == [
        "a-small-rural.yaml",
        "b-city-with-guard.yaml",
        "c-shared-foyer.yaml",
        "d-safe-zone-pool.yaml",
    ]


@pytest.mark.parametrize("path", PASSING, ids=lambda p: p.stem)
def test_example_passes_without_warnings(path: Path) -> None:
    loaded = load_office_file(path)
    assert loaded.warnings == ()
    facts = loaded.office.facts
    assert facts.intervention_policy is not None and facts.intervention_policy.text
    assert facts.police is not None
    for role in loaded.office.rolecard.roles:
        assert 1 <= len(role.steps) <= 5


@pytest.mark.parametrize("path", [*PASSING, AS_IS], ids=lambda p: p.stem)
def test_every_assumed_timing_is_marked(path: Path) -> None:
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if re.match(r"\s*(accept_within_s|cancel_window_s):", line):
            assert "# assumption" in line, f"{path.name}:{n}: {line.strip()}"


def _failing_rules(path: Path) -> set[str]:
    model = OfficeFile.model_validate(Tree(str(path)).parse(path.read_text(encoding="utf-8")))
    return {
        rule.__name__ for rule in RULES if any(f.severity is Severity.ERROR for f in rule(model))
    }


def test_northern_as_is_fails_the_rules_the_digest_names() -> None:
    assert _failing_rules(AS_IS) == {
        "rule_nobody_left_alone",  # req. 4
        "rule_help_when_police_far",  # req. 23
        "rule_leader_role",
        "rule_stance",
        "rule_discretionary_only",
        "rule_bystanders",
        "rule_intervention_policy",
    }


def test_northern_as_is_points_at_every_marked_line_and_nothing_else() -> None:
    lines = AS_IS.read_text(encoding="utf-8").splitlines()
    marked = {n: line for n, line in enumerate(lines, 1) if "# FAILS:" in line}
    with pytest.raises(OfficeFileError) as info:
        load_office_file(AS_IS)
    errors = info.value.errors
    assert {p.line for p in errors} == set(marked)
    assert all(p.severity is Severity.ERROR for p in info.value.problems)
    messages = "\n".join(str(p) for p in errors)
    for fragment in (
        "someone would be left alone (alenearbeid)",
        "no police-contact role (politikontakt)",
        "no local-help role",
        "only says to use discretion ('Consider whether to go into the situation.')",
        "has no stance",
        "no leader role",
        "no role protects bystanders",
        "the intervention policy text is empty",
    ):
        assert fragment in messages


def test_card_a_uses_one_assessor_while_everyone_else_assembles() -> None:
    office = load_office_file(OFFICES / "a-small-rural.yaml").office
    card = resolve_rolecard(office, office.triggers["pendant-1"], Level.ACUTE, MONDAY_11, False)
    modes = {r.id: type(r.assignment).__name__ for r in card.roles}
    assert modes["assessor"] == "AssessorAssignment"
    assert modes["assembly"] == "AssembleAssignment"
    assert card.presser.stance is Stance.WITHDRAW_TO
    assert office.facts.police is not None and office.facts.police.far
    chain = effective_chain(office, ("ingrid", "per"), date(2026, 7, 10))
    assert chain[0].person_id == "per" and chain[0].acting_for == "ingrid"


def test_card_b_without_the_guard_sends_two_leaders() -> None:
    office = load_office_file(OFFICES / "b-city-with-guard.yaml").office
    assert guard_on_duty_at(office, MONDAY_11)
    desk = office.triggers["desk-1"]
    with_guard = resolve_rolecard(office, desk, Level.ACUTE, MONDAY_11, guard_on_duty=True)
    assert with_guard.variant_id is None and with_guard.roles[0].id == "guard"
    without = resolve_rolecard(office, desk, Level.ACUTE, MONDAY_11, guard_on_duty=False)
    assert without.variant_id == "no-guard"
    approach = [r.id for r in without.roles if r.stance is Stance.APPROACH]
    assert approach == ["leader-a", "leader-d"]


def test_card_c_come_by_is_a_single_press_in_a_conversation_room() -> None:
    office = load_office_file(OFFICES / "c-shared-foyer.yaml").office
    room = office.triggers["room-1-button"]
    come_by = resolve_rolecard(office, room, Level.ASSIST, MONDAY_11, False)
    assert come_by.variant_id == "come-by"
    assert [r.id for r in come_by.roles] == ["assessor", "leader"]
    full = resolve_rolecard(office, room, Level.ACUTE, MONDAY_11, False)
    assert full.variant_id is None and len(full.roles) == 5


def test_card_d_draws_three_from_the_back_office_pool() -> None:
    office = load_office_file(OFFICES / "d-safe-zone-pool.yaml").office
    assert office.pool_sizes == {"back-office": 3}
    assert [r.id for r in office.rolecard.pool_roles("back-office")] == [
        "responder-1",
        "responder-2",
        "responder-3",
    ]
    room = resolve_rolecard(office, office.triggers["room-1-button"], Level.ACUTE, MONDAY_11, False)
    assert "floor-partner" not in [r.id for r in room.roles]  # only on the public floor
    floor = resolve_rolecard(office, office.triggers["worn-tone"], Level.ACUTE, MONDAY_11, False)
    assert floor.roles[0].id == "floor-partner"
