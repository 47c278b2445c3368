"""Who may be offered a role next: the escalation chain, presence-aware and pure.

Order for a named role: holder, then deputies in order, skipping anyone absent without waiting
for a timeout; then everyone present. A pool role goes to the present pool members, then to
everyone present. Nobody is offered a role while holding another in the same alarm, and the
person who pressed is never asked to respond to their own alarm.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.core.alarm import AlarmState, RoleSlot, Stage
from app.core.office import NamedAssignment, Office, PoolAssignment, Role


@dataclass(frozen=True)
class DispatchContext:
    """What the dispatcher knows beside the alarm: the office as configured, who is present."""

    office: Office
    present: frozenset[str]


@dataclass(frozen=True)
class Candidates:
    stage: Stage
    person_ids: tuple[str, ...]
    chain_index: int = -1


def is_eligible(person_id: str, state: AlarmState, ctx: DispatchContext) -> bool:
    return (
        person_id in ctx.present
        and person_id != state.presser_id
        and state.role_held_by(person_id) is None
    )


def first_candidates(
    role: Role, slot: RoleSlot, state: AlarmState, ctx: DispatchContext
) -> Candidates | None:
    """The first stage of a role's chain that has anyone to ask."""
    a = role.assignment
    if isinstance(a, NamedAssignment):
        return _named_from(0, a, slot, state, ctx) or everyone(slot, state, ctx)
    if isinstance(a, PoolAssignment):
        return _pool(a, slot, state, ctx) or everyone(slot, state, ctx)
    return everyone(slot, state, ctx)


def next_candidates(
    role: Role, slot: RoleSlot, state: AlarmState, ctx: DispatchContext
) -> Candidates | None:
    """The stage after the current one; None when the office has nobody left to ask."""
    a = role.assignment
    if slot.stage in (Stage.HOLDER, Stage.DEPUTY) and isinstance(a, NamedAssignment):
        return _named_from(slot.chain_index + 1, a, slot, state, ctx) or everyone(slot, state, ctx)
    if slot.stage is Stage.POOL:
        return everyone(slot, state, ctx)
    return None


def everyone(slot: RoleSlot, state: AlarmState, ctx: DispatchContext) -> Candidates | None:
    persons = tuple(
        p for p in sorted(ctx.office.people) if p not in slot.asked and is_eligible(p, state, ctx)
    )
    return Candidates(Stage.EVERYONE, persons) if persons else None


def pool_members(
    pool_id: str, slot: RoleSlot, state: AlarmState, ctx: DispatchContext
) -> tuple[str, ...]:
    return tuple(
        p
        for p in ctx.office.pools.get(pool_id, ())
        if p not in slot.asked and is_eligible(p, state, ctx)
    )


def _named_from(
    start: int, a: NamedAssignment, slot: RoleSlot, state: AlarmState, ctx: DispatchContext
) -> Candidates | None:
    for index in range(start, len(a.chain)):
        person = a.chain[index]
        if person not in slot.asked and is_eligible(person, state, ctx):
            stage = Stage.HOLDER if index == 0 else Stage.DEPUTY
            return Candidates(stage, (person,), index)
    return None


def _pool(
    a: PoolAssignment, slot: RoleSlot, state: AlarmState, ctx: DispatchContext
) -> Candidates | None:
    persons = pool_members(a.pool_id, slot, state, ctx)
    return Candidates(Stage.POOL, persons) if persons else None
