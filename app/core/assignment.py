"""Who may be offered a role next: the escalation chain, presence-aware and pure.

A chain role (named holder, assessor, guard) goes to its people in order, each replaced by
whoever acts for them today, skipping anyone absent without waiting for a timeout; then to
everyone present. A group role (a pool, or first to claim) goes to the group's present members,
the first to accept taking the group's roles in card order; then to everyone present. An
all-respond role goes to everyone present at once. Nobody is offered a role while holding
another in the same alarm, and the person who pressed is never asked to respond.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from app.core.alarm import AlarmState, RoleSlot, Stage
from app.core.facts import split_guest
from app.core.office import (
    AllRespondAssignment,
    AssembleAssignment,
    AssessorAssignment,
    FirstToClaimAssignment,
    GuardAssignment,
    NamedAssignment,
    Office,
    PoolAssignment,
    Role,
    RoleCard,
)
from app.core.variants import ChainLink, effective_chain
from app.core.whereabouts import NOWHERE, Whereabouts


@dataclass(frozen=True)
class DispatchContext:
    """What the dispatcher knows beside the alarm: the office with the card that dispatched it,
    who is present, the office-local date (for acting leaders), whether the guard is on duty,
    who has acknowledged the active card (None when acknowledgement is not enforced), and who
    is busy responding to another alarm (never pulled away from it)."""

    office: Office
    present: frozenset[str]
    today: date | None = None
    guard_on_duty: bool = False
    acknowledged: frozenset[str] | None = None
    busy: frozenset[str] = frozenset()  # holding a role in another open alarm of the office
    whereabouts: Whereabouts = NOWHERE  # check-ins and checked-out worn triggers
    local: datetime | None = None  # office-local time, for the roster of a fixed place


@dataclass(frozen=True)
class Candidates:
    stage: Stage
    person_ids: tuple[str, ...]
    chain_index: int = -1
    acting_for: str | None = None


def is_eligible(person_id: str, state: AlarmState, ctx: DispatchContext) -> bool:
    return (
        is_available(person_id, state, ctx)
        and is_briefed(person_id, ctx)
        and state.role_held_by(person_id) is None
    )


def is_available(person_id: str, state: AlarmState, ctx: DispatchContext) -> bool:
    """Present, not the presser and not busy in another alarm: may at least be told to assemble."""
    return person_id in ctx.present and person_id != state.presser_id and person_id not in ctx.busy


def is_briefed(person_id: str, ctx: DispatchContext) -> bool:
    """Acknowledged the card version in force (req. 33), unless the card or the service does not
    ask for it; staff of another office sharing a role are briefed on their own office's card."""
    if ctx.acknowledged is None or not ctx.office.rolecard.briefed_only:
        return True
    return person_id in ctx.acknowledged or split_guest(person_id) is not None


# -- what kind of role ------------------------------------------------------------------------


def group_key(role: Role) -> str | None:
    """Roles with the same key are taken in card order by the first of the group to accept."""
    a = role.assignment
    if isinstance(a, PoolAssignment):
        return f"pool:{a.pool_id}"
    if isinstance(a, FirstToClaimAssignment):
        return f"claim:{a.pool_id or ','.join(a.among) or '*'}"
    if isinstance(a, AssessorAssignment) and not a.chain:
        return "claim:*"
    return None


def group_roles(card: RoleCard, key: str) -> tuple[Role, ...]:
    return tuple(r for r in card.roles if group_key(r) == key)


def is_all_respond(role: Role) -> bool:
    return isinstance(role.assignment, AllRespondAssignment)


def is_assembly(role: Role) -> bool:
    return isinstance(role.assignment, AssembleAssignment)


def chain_of(role: Role, ctx: DispatchContext) -> tuple[ChainLink, ...]:
    """The people a chain role goes to, in order, with today's acting persons in place."""
    a = role.assignment
    if isinstance(a, NamedAssignment | AssessorAssignment):
        people: tuple[str, ...] = a.chain
    elif isinstance(a, GuardAssignment):
        guards = ctx.office.facts.guard.people if ctx.office.facts.guard else ()
        people = (*(guards if ctx.guard_on_duty else ()), *a.deputy_ids)
    else:
        return ()
    if ctx.today is None:
        return tuple(ChainLink(p) for p in people)
    return effective_chain(ctx.office, people, ctx.today)


# -- the stages -------------------------------------------------------------------------------


def first_candidates(
    role: Role, slot: RoleSlot, state: AlarmState, ctx: DispatchContext
) -> Candidates | None:
    """The first stage of a role's chain that has anyone to ask."""
    if is_all_respond(role):
        return everyone(slot, state, ctx, Stage.RESPOND)
    key = group_key(role)
    if key is not None:
        return group(key, slot, state, ctx) or everyone(slot, state, ctx)
    return chain_from(0, role, slot, state, ctx) or everyone(slot, state, ctx)


def next_candidates(
    role: Role, slot: RoleSlot, state: AlarmState, ctx: DispatchContext
) -> Candidates | None:
    """The stage after the current one; None when the office has nobody left to ask."""
    if slot.stage in (Stage.HOLDER, Stage.DEPUTY):
        return chain_from(slot.chain_index + 1, role, slot, state, ctx) or everyone(
            slot, state, ctx
        )
    if slot.stage in (Stage.POOL, Stage.CLAIM):
        return everyone(slot, state, ctx)
    return None


def everyone(
    slot: RoleSlot, state: AlarmState, ctx: DispatchContext, stage: Stage = Stage.EVERYONE
) -> Candidates | None:
    people = sorted(ctx.office.people)
    if ctx.office.rolecard.receivers_only:  # Case 6: only those who carry a role respond
        named = {p for r in ctx.office.rolecard.roles for p in ctx.office.named_for(r)}
        people = [p for p in people if p in named]
    persons = tuple(
        p
        for p in people
        if p not in slot.asked and is_eligible(p, state, ctx) and split_guest(p) is None
    )
    return Candidates(stage, persons) if persons else None


def group(key: str, slot: RoleSlot, state: AlarmState, ctx: DispatchContext) -> Candidates | None:
    members = group_members(key, slot, state, ctx)
    if not members:
        return None
    return Candidates(Stage.POOL if key.startswith("pool:") else Stage.CLAIM, members)


def group_members(
    key: str, slot: RoleSlot, state: AlarmState, ctx: DispatchContext
) -> tuple[str, ...]:
    """Present, eligible members of a group; a pool counts only staff who acknowledged the card."""
    kind, _, name = key.partition(":")
    if kind == "pool":
        people = ctx.office.pools.get(name, ())
        if ctx.acknowledged is not None:
            people = tuple(p for p in people if p in ctx.acknowledged)
    elif name == "*":
        people = tuple(sorted(ctx.office.people))
    elif name in ctx.office.pools:
        people = ctx.office.pools[name]
    else:
        people = tuple(name.split(","))
    return tuple(p for p in people if p not in slot.asked and is_eligible(p, state, ctx))


def chain_from(
    start: int, role: Role, slot: RoleSlot, state: AlarmState, ctx: DispatchContext
) -> Candidates | None:
    links = chain_of(role, ctx)
    for index in range(start, len(links)):
        link = links[index]
        if link.person_id not in slot.asked and is_eligible(link.person_id, state, ctx):
            stage = Stage.HOLDER if index == 0 else Stage.DEPUTY
            return Candidates(stage, (link.person_id,), index, link.acting_for)
    return None


def chain_position(role: Role, person_id: str, ctx: DispatchContext) -> int | None:
    for index, link in enumerate(chain_of(role, ctx)):
        if link.person_id == person_id:
            return index
    return None
