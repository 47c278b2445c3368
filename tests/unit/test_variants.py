"""Which card an alarm gets, which time windows hold, and who acts for whom: pure core functions."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

import pytest

from app.core.facts import Delegation, GuardService, OfficeFacts, Period, Schedule
from app.core.office import (
    Condition,
    Level,
    NamedAssignment,
    Office,
    Presser,
    PresserOverride,
    Role,
    RoleCard,
    Stance,
    Step,
    Trigger,
    TriggerKind,
    Variant,
)
from app.core.schedule import active_windows, week_boundaries, windows_at
from app.core.variants import (
    ChainLink,
    Situation,
    acting_for,
    effective_chain,
    guard_on_duty_at,
    matches,
    merge_roles,
    resolve_in,
    resolve_rolecard,
    stand_in,
)
from tests.unit.office_fixtures import office, role

MON, WED, SAT = 0, 2, 5
DROP_IN = Period(10 * 60, 14 * 60, frozenset({0, 2, 4}))  # Mon/Wed/Fri 10-14
APPOINTMENTS = Period(8 * 60, 15 * 60, frozenset(range(5)))  # Mon-Fri 08-15
WINDOWS = {"drop_in": (DROP_IN,), "appointments": (APPOINTMENTS,)}
MONDAY_11 = datetime(2026, 11, 23, 11, 0)  # a Monday
MONDAY_1430 = datetime(2026, 11, 23, 14, 30)
SATURDAY_11 = datetime(2026, 11, 28, 11, 0)

GUARD = role("guard", NamedAssignment("gunn", ("per",)))
LEADER = role("leader", NamedAssignment("lise", ("per",)), leader=True)
POOL = role("reserve", NamedAssignment("ola"), stance=Stance.ASSESS_FROM_DOOR)
BYSTANDERS = role("bystanders", NamedAssignment("per"), stance=Stance.PROTECT_BYSTANDERS)


def situation(**changes: Any) -> Situation:
    s = Situation("reception", "public", None, TriggerKind.FIXED, Level.ACUTE, frozenset(), True)
    return replace(s, **changes)


def with_card(card: RoleCard, guard: GuardService | None = None) -> Office:
    o = office(*card.roles, people=("gunn", "ola"))
    return replace(o, rolecard=card, facts=OfficeFacts(time_windows=WINDOWS, guard=guard))


# --- conditions --------------------------------------------------------------------------------


def test_an_empty_condition_matches_everything() -> None:
    assert matches(Condition(), situation())
    assert matches(Condition(), situation(trigger_kind=TriggerKind.WORN, guard_on_duty=False))


@pytest.mark.parametrize(
    ("when", "hit"),
    [
        (Condition(locations=frozenset({"reception"})), True),
        (Condition(locations=frozenset({"room-1"})), False),
        (Condition(zones=frozenset({"public", "conversation_room"})), True),
        (Condition(sites=frozenset({"annex"})), False),
        (Condition(trigger_kinds=frozenset({TriggerKind.WORN})), False),
        (Condition(levels=frozenset({Level.ACUTE})), True),
        (Condition(windows=frozenset({"drop_in"})), True),
        (Condition(windows=frozenset({"after_hours"})), False),
        (Condition(guard_on_duty=False), False),
        (Condition(levels=frozenset({Level.ACUTE}), guard_on_duty=False), False),  # and
    ],
)
def test_every_given_field_must_match(when: Condition, hit: bool) -> None:
    assert matches(when, situation(windows=frozenset({"drop_in", "appointments"}))) is hit


# --- time windows ------------------------------------------------------------------------------


def test_windows_overlap_and_after_hours_is_the_rest() -> None:
    assert active_windows(WINDOWS, MONDAY_11) == {"drop_in", "appointments"}
    assert active_windows(WINDOWS, MONDAY_1430) == {"appointments"}
    assert active_windows(WINDOWS, SATURDAY_11) == {"after_hours"}
    assert windows_at(WINDOWS, WED, 14 * 60) == {"appointments"}  # `to` is exclusive
    assert windows_at(WINDOWS, WED, 10 * 60) == {"drop_in", "appointments"}


def test_no_windows_means_no_after_hours_either() -> None:
    assert windows_at({}, MON, 600) == frozenset()


def test_an_explicit_after_hours_window_is_used_as_written() -> None:
    evening = {"after_hours": (Period(18 * 60, 22 * 60),)}
    assert windows_at(evening, SAT, 19 * 60) == {"after_hours"}
    assert windows_at(evening, SAT, 23 * 60) == frozenset()


def test_a_period_past_midnight_belongs_to_the_day_it_starts() -> None:
    night = Period(22 * 60, 6 * 60, frozenset({4}))  # Friday 22:00 to Saturday 06:00
    assert night.contains(4, 23 * 60)
    assert night.contains(5, 5 * 60)
    assert not night.contains(5, 23 * 60)
    assert not night.contains(4, 5 * 60)


def test_week_boundaries_cover_every_change() -> None:
    points = week_boundaries(iter([DROP_IN]))
    assert (0, 0) in points and (MON, 600) in points and (MON, 840) in points
    assert (WED + 1, 0) in points  # the next day's midnight: a new weekday starts
    assert points == sorted(points)


def test_guard_on_duty_follows_the_schedule() -> None:
    card = RoleCard("v1", (LEADER,))
    on_windows = GuardService("Vakt AS", Schedule(windows=("drop_in",)))
    assert guard_on_duty_at(with_card(card, guard=on_windows), MONDAY_11)
    assert not guard_on_duty_at(with_card(card, guard=on_windows), MONDAY_1430)
    always = GuardService("Vakt AS", Schedule(always=True))
    assert guard_on_duty_at(with_card(card, guard=always), SATURDAY_11)
    never = GuardService("Vakt AS", Schedule())
    assert not guard_on_duty_at(with_card(card, guard=never), MONDAY_11)
    assert not guard_on_duty_at(with_card(card), MONDAY_11)  # no guard at all
    nights = GuardService("Vakt AS", Schedule(periods=(Period(22 * 60, 6 * 60),)))
    assert guard_on_duty_at(with_card(card, guard=nights), datetime(2026, 11, 24, 2, 0))


# --- resolving the card ------------------------------------------------------------------------


NO_GUARD = Variant(
    id="no-guard",
    when=Condition(guard_on_duty=False),
    drop=("guard",),
    roles=(replace(LEADER, stance=Stance.APPROACH, title="Leader goes in"), POOL),
)
AFTER_HOURS = Variant(
    id="after-hours",
    when=Condition(windows=frozenset({"after_hours"})),
    drop=("bystanders",),
    presser=Presser(Stance.WITHDRAW_TO, (Step(1, "Lock yourself in."),)),
)
CARD = RoleCard(
    "v1",
    (GUARD, LEADER, BYSTANDERS),
    presser=Presser(
        Stance.WITHDRAW_TO,
        (Step(1, "Take care of yourself first."),),
        overrides=(
            PresserOverride(
                Condition(zones=frozenset({"conversation_room"})),
                Stance.WITHDRAW_TO,
                at="second-exit",
            ),
        ),
    ),
    variants=(NO_GUARD, AFTER_HOURS),
)
DESK = Trigger("desk-1", TriggerKind.FIXED, "reception")


def test_the_base_card_when_no_variant_matches() -> None:
    card = resolve_rolecard(with_card(CARD), DESK, Level.ACUTE, MONDAY_11, guard_on_duty=True)
    assert card.variant_id is None
    assert [r.id for r in card.roles] == ["guard", "leader", "bystanders"]
    assert card.variants == ()
    assert card.presser.steps == (Step(1, "Take care of yourself first."),)
    assert card.presser.overrides == ()


def test_a_variant_drops_replaces_in_place_and_appends() -> None:
    card = resolve_rolecard(with_card(CARD), DESK, Level.ACUTE, MONDAY_11, guard_on_duty=False)
    assert card.variant_id == "no-guard"
    assert [r.id for r in card.roles] == ["leader", "bystanders", "reserve"]
    assert card.role("leader").title == "Leader goes in"
    assert card.version == "v1"


def test_the_first_matching_variant_wins() -> None:
    card = resolve_rolecard(with_card(CARD), DESK, Level.ASSIST, SATURDAY_11, guard_on_duty=False)
    assert card.variant_id == "no-guard"  # listed before after-hours
    card = resolve_rolecard(with_card(CARD), DESK, Level.ASSIST, SATURDAY_11, guard_on_duty=True)
    assert card.variant_id == "after-hours"
    assert [r.id for r in card.roles] == ["guard", "leader"]
    assert card.presser.steps[0].text == "Lock yourself in."


def test_a_presser_override_applies_by_place() -> None:
    o = with_card(CARD)
    o = replace(o, locations={**o.locations, "room-1": replace(o.locations["reception"],
                id="room-1", zone="conversation_room")})  # fmt: skip
    room = Trigger("room-1-button", TriggerKind.FIXED, "room-1")
    card = resolve_rolecard(o, room, Level.ACUTE, MONDAY_11, guard_on_duty=True)
    assert card.presser.at == "second-exit"
    assert card.presser.steps == (Step(1, "Take care of yourself first."),)  # kept


def test_roles_apply_only_where_their_condition_holds() -> None:
    worn_only = replace(POOL, applies_to=Condition(trigger_kinds=frozenset({TriggerKind.WORN})))
    card = RoleCard("v1", (LEADER, worn_only))
    worn = Trigger("worn-1", TriggerKind.WORN, "reception", holder_id="kari")
    o = with_card(card)
    assert [r.id for r in resolve_rolecard(o, DESK, Level.ACUTE, MONDAY_11, True).roles] == [
        "leader"
    ]
    assert [r.id for r in resolve_rolecard(o, worn, Level.ACUTE, MONDAY_11, True).roles] == [
        "leader",
        "reserve",
    ]


def test_an_unknown_location_resolves_without_a_zone() -> None:
    lost = Trigger("x", TriggerKind.FIXED, "nowhere")
    s = resolve_in(CARD, situation(location_id="nowhere", zone=""))
    assert s.variant_id is None
    card = resolve_rolecard(with_card(CARD), lost, Level.ACUTE, MONDAY_11, True)
    assert card.variant_id is None


def test_merge_roles_is_generic_over_ids() -> None:
    a, b, c = (replace(LEADER, id=x) for x in "abc")
    b2 = replace(b, title="new b")
    assert merge_roles([a, b], [b2, c], drop={"a"}) == (b2, c)


# --- acting leaders ----------------------------------------------------------------------------


SUMMER = Delegation("lise", "per", date(2026, 7, 1), date(2026, 7, 31))


def with_delegations(*delegations: Delegation) -> Office:
    return replace(office(LEADER, people=("ola", "gro")), delegations=delegations)


def test_delegation_holds_from_and_to_inclusive() -> None:
    o = with_delegations(SUMMER)
    assert stand_in(o, "lise", date(2026, 6, 30)) is None
    assert stand_in(o, "lise", date(2026, 7, 1)) == "per"
    assert stand_in(o, "lise", date(2026, 7, 31)) == "per"
    assert stand_in(o, "lise", date(2026, 8, 1)) is None


def test_acting_for_names_the_absent_person() -> None:
    o = with_delegations(SUMMER)
    assert acting_for(o, "per", date(2026, 7, 10)) == "lise"
    assert acting_for(o, "lise", date(2026, 7, 10)) is None
    assert acting_for(o, "per", date(2026, 8, 10)) is None


def test_cover_of_cover_is_followed_and_cycles_stop() -> None:
    per_away = Delegation("per", "ola", date(2026, 7, 20), date(2026, 7, 25))
    o = with_delegations(SUMMER, per_away)
    assert stand_in(o, "lise", date(2026, 7, 22)) == "ola"
    assert acting_for(o, "ola", date(2026, 7, 22)) == "lise"
    loop = with_delegations(SUMMER, Delegation("per", "lise", date(2026, 7, 1), date(2026, 7, 2)))
    assert stand_in(loop, "lise", date(2026, 7, 1)) is None


def test_effective_chain_puts_the_acting_leader_first() -> None:
    o = with_delegations(Delegation("lise", "ola", date(2026, 7, 1), date(2026, 7, 31)))
    chain = NamedAssignment("lise", ("per",)).chain
    assert effective_chain(o, chain, date(2026, 7, 5)) == (
        ChainLink("ola", acting_for="lise"),
        ChainLink("per"),
    )
    assert effective_chain(o, chain, date(2026, 8, 5)) == (ChainLink("lise"), ChainLink("per"))


def test_effective_chain_asks_nobody_twice() -> None:
    o = with_delegations(SUMMER)  # per acts for lise, and is lise's deputy anyway
    chain = NamedAssignment("lise", ("per", "ola")).chain
    assert effective_chain(o, chain, date(2026, 7, 5)) == (
        ChainLink("per", acting_for="lise"),
        ChainLink("ola"),
    )


def test_role_fixture_builds_plain_roles() -> None:
    assert isinstance(LEADER, Role) and LEADER.applies_to is None and LEADER.contact is None
