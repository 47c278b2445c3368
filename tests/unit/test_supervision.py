"""Coverage from device health and presence, with an injected clock: every cause of DEGRADED
names itself, and coverage is OK again by itself when the cause is gone."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from app.core.facts import OfficeFacts, Period, Reception, Schedule
from app.core.office import NamedAssignment, Stance
from app.core.supervision import CoverageStatus, DeviceHealth, coverage, untested
from tests.unit.office_fixtures import T0, office, role

OFFICE = office(
    role("leader", NamedAssignment("lise", ("per",)), leader=True, stance=Stance.EXTERNAL_CONTACT)
)
FRESH = {d: DeviceHealth(d, last_seen=T0, online=True, battery=90) for d in ("desk-1", "worn-1")}


def cover(health: dict[str, DeviceHealth], present: frozenset[str], now=T0, o=OFFICE):  # type: ignore[no-untyped-def]
    return coverage(o, health, present, now, now)


def test_all_heard_from_and_someone_present_is_ok() -> None:
    assert cover(FRESH, frozenset({"lise"})).status is CoverageStatus.OK


def test_a_silent_button_degrades_coverage_within_its_interval_and_recovers() -> None:
    later = T0 + timedelta(minutes=16)
    c = cover(FRESH, frozenset({"lise"}), now=later)
    assert c.status is CoverageStatus.DEGRADED
    assert any("desk-1" in r and "not been heard" in r for r in c.reasons)
    heard = {**FRESH, **{d: replace(h, last_seen=later) for d, h in FRESH.items()}}
    assert cover(heard, frozenset({"lise"}), now=later).status is CoverageStatus.OK


def test_offline_low_battery_and_tamper_each_say_why() -> None:
    health = {
        "desk-1": replace(FRESH["desk-1"], online=False),
        "worn-1": replace(FRESH["worn-1"], battery=9, tamper=True),
    }
    reasons = " | ".join(cover(health, frozenset({"lise"})).reasons)
    assert "desk-1" in reasons and "offline" in reasons
    assert "battery is low (9 %)" in reasons and "tampering" in reasons


def test_a_required_role_with_nobody_present_degrades_coverage() -> None:
    c = cover(FRESH, frozenset({"kari"}))
    assert any("Leader" in r for r in c.reasons)
    assert cover(FRESH, frozenset({"per"})).status is CoverageStatus.OK  # the deputy is here


def test_a_reception_staffed_alone_needs_a_worn_trigger_and_a_present_responder() -> None:
    alone = Reception(staffed_alone=Schedule(periods=(Period(0, 24 * 60 - 1),)))
    o = replace(OFFICE, facts=OfficeFacts(reception=alone))
    assert cover(FRESH, frozenset({"lise"}), o=o).status is CoverageStatus.OK
    worn_dead = {**FRESH, "worn-1": replace(FRESH["worn-1"], online=False)}
    reasons = cover(worn_dead, frozenset({"lise"}), o=o).reasons
    assert any("no worn trigger" in r for r in reasons)
    reasons = cover(FRESH, frozenset({"kari"}), o=o).reasons
    assert any("no responder is present" in r for r in reasons)


def test_buttons_untested_for_too_long_are_listed() -> None:
    health = {
        "desk-1": replace(FRESH["desk-1"], last_tested=T0 - timedelta(days=3)),
        "worn-1": replace(FRESH["worn-1"], last_tested=T0 - timedelta(days=40)),
    }
    assert untested(OFFICE, health, T0, 30) == ["worn-1"]
