"""Which card an alarm gets (variant by place, kind, time, level, guard) and who acts for whom.

Pure functions over the core office: dispatch calls `resolve_rolecard` once per alarm and
`effective_chain` for named chains; the validator uses the same matching to try every variant.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Protocol, TypeVar

from app.core.facts import Delegation
from app.core.office import (
    AssessorAssignment,
    Condition,
    Level,
    NamedAssignment,
    Office,
    Presser,
    Role,
    RoleCard,
    Trigger,
    TriggerKind,
    Variant,
)
from app.core.schedule import active_windows, schedule_holds_at


@dataclass(frozen=True)
class Situation:
    """Everything a variant may depend on, for one alarm."""

    location_id: str
    zone: str
    site: str | None
    trigger_kind: TriggerKind
    level: Level
    windows: frozenset[str]
    guard_on_duty: bool


def matches(when: Condition, s: Situation) -> bool:
    """True when every field given in `when` matches the situation."""
    checks = (
        (when.locations, s.location_id),
        (when.zones, s.zone),
        (when.sites, s.site),
        (when.trigger_kinds, s.trigger_kind),
        (when.levels, s.level),
    )
    if any(wanted and value not in wanted for wanted, value in checks):
        return False
    if when.windows and not when.windows & s.windows:
        return False
    return when.guard_on_duty is None or when.guard_on_duty is s.guard_on_duty


class _Identified(Protocol):
    @property
    def id(self) -> str: ...


R = TypeVar("R", bound=_Identified)


def merge_roles(base: Sequence[R], variant: Sequence[R], drop: Collection[str]) -> tuple[R, ...]:
    """Base roles in order, a variant role replacing the one with its id; new ones at the end."""
    by_id = {r.id: r for r in variant}
    merged = [by_id.get(r.id, r) for r in base if r.id not in drop]
    known = {r.id for r in base}
    return (*merged, *(r for r in variant if r.id not in known))


def first_match(conditions: Sequence[Condition], s: Situation) -> int | None:
    """Index of the first condition that matches, if any: variants are tried in file order."""
    return next((i for i, when in enumerate(conditions) if matches(when, s)), None)


def situation_for(
    office: Office, trigger: Trigger, level: Level, local_time: datetime, guard_on_duty: bool
) -> Situation:
    location = office.locations.get(trigger.location_id)
    return Situation(
        location_id=trigger.location_id,
        zone=location.zone if location else "",
        site=location.site if location else None,
        trigger_kind=trigger.kind,
        level=level,
        windows=active_windows(office.facts.time_windows, local_time),
        guard_on_duty=guard_on_duty,
    )


def guard_on_duty_at(office: Office, local_time: datetime) -> bool:
    """Whether the guard is scheduled on duty then (presence is the dispatcher's business)."""
    guard = office.facts.guard
    if guard is None:
        return False
    return schedule_holds_at(guard.on_duty, office.facts.time_windows, local_time)


def resolve_presser(presser: Presser, s: Situation) -> Presser:
    """The presser's instruction for this place and alarm, overrides already applied."""
    index = first_match([o.when for o in presser.overrides], s)
    if index is None:
        return replace(presser, overrides=())
    o = presser.overrides[index]
    return Presser(stance=o.stance, steps=o.steps or presser.steps, at=o.at or presser.at)


def resolve_in(card: RoleCard, s: Situation) -> RoleCard:
    """The card for this situation: first matching variant (else the base), roles that apply."""
    index = first_match([v.when for v in card.variants], s)
    variant: Variant | None = None if index is None else card.variants[index]
    roles = card.roles if variant is None else merge_roles(card.roles, variant.roles, variant.drop)
    presser = card.presser if variant is None or variant.presser is None else variant.presser
    return replace(  # the card's own settings (briefed only, ...) carry over
        card,
        roles=tuple(r for r in roles if _applies(r, s)),
        presser=resolve_presser(presser, s),
        variants=(),
        variant_id=None if variant is None else variant.id,
    )


def resolve_rolecard(
    office: Office, trigger: Trigger, level: Level, local_time: datetime, guard_on_duty: bool
) -> RoleCard:
    """The card for this alarm. `local_time` is office-local wall-clock time."""
    return resolve_in(
        office.rolecard, situation_for(office, trigger, level, local_time, guard_on_duty)
    )


def _applies(role: Role, s: Situation) -> bool:
    return role.applies_to is None or matches(role.applies_to, s)


# --- acting leaders ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainLink:
    """One person to offer a named role to; `acting_for` is set when they stand in for someone."""

    person_id: str
    acting_for: str | None = None


def _active(delegations: Sequence[Delegation], today: date) -> list[Delegation]:
    return [d for d in delegations if d.active_on(today)]


def _covers(office: Office, today: date) -> dict[str, str]:
    """Today's delegations, from person to stand-in."""
    return {d.from_person: d.to_person for d in _active(office.delegations, today)}


def stand_in(office: Office, person_id: str, today: date) -> str | None:
    """Who acts for `person_id` today, following cover of cover; None if nobody does."""
    return _stand_in(_covers(office, today), person_id)


def _stand_in(active: dict[str, str], person_id: str) -> str | None:
    seen = {person_id}
    current = active.get(person_id)
    while current is not None and current in active and current not in seen:
        seen.add(current)
        current = active[current]
    return None if current == person_id else current


def acting_for(office: Office, person_id: str, today: date) -> str | None:
    """Whom `person_id` is acting for today (the timeline says "acting for"), if anyone."""
    for d in _active(office.delegations, today):
        if stand_in(office, d.from_person, today) == person_id:
            return d.from_person
    return None


def effective_chain(office: Office, chain: Sequence[str], today: date) -> tuple[ChainLink, ...]:
    """A named chain with each delegating person replaced by whoever acts for them today.

    The acting person takes the absent person's place (and so their offers); a person already
    earlier in the chain is not asked twice.
    """
    active = _covers(office, today)  # once per chain: this runs on every offer of every press
    links: list[ChainLink] = []
    for person in chain:
        cover = _stand_in(active, person)
        link = ChainLink(person) if cover is None else ChainLink(cover, acting_for=person)
        if all(link.person_id != seen.person_id for seen in links):
            links.append(link)
    return tuple(links)


@dataclass(frozen=True)
class Standing:
    """A role a person holds when an alarm comes, and whom she acts for in it today (if anyone)."""

    role: Role
    acting_for: str | None = None


def standing_on(office: Office, person_id: str, today: date) -> tuple[Standing, ...]:
    """The roles shown on a person's idle receiver today: a named chain with today's acting
    persons in place (the stand-in gets the role "acting for", the absent person loses it),
    and the pools, groups and guard roles she is in."""
    found: list[Standing] = []
    for role in office.rolecard.roles:
        a = role.assignment
        if not isinstance(a, NamedAssignment | AssessorAssignment):
            if person_id in office.named_for(role):
                found.append(Standing(role))
            continue
        for link in effective_chain(office, a.chain, today):
            if link.person_id == person_id:
                found.append(Standing(role, link.acting_for))
    return tuple(found)


def delegations_on(office: Office, today: date) -> frozenset[tuple[str, str]]:
    """Who acts for whom today; when this changes, idle receivers must show it."""
    return frozenset(_covers(office, today).items())


def card_from_record(
    card: RoleCard,
    variant_id: str | None,
    role_ids: Sequence[str],
    earlier: Sequence[str | None] = (),
) -> RoleCard:
    """The card an alarm was dispatched with, rebuilt from what its AlarmRaised (and any
    CardExtended) event recorded: after a restart the time of day may no longer pick the same
    variant. `earlier` are variants the alarm ran on before its last extension."""
    by_id: dict[str, Role] = {}
    for vid in (*earlier, variant_id):
        variant = next((v for v in card.variants if v.id == vid), None)
        roles = card.roles if variant is None else merge_roles(card.roles, variant.roles, ())
        by_id = {**{r.id: r for r in roles}, **by_id}  # the first card to name a role keeps it
    variant = next((v for v in card.variants if v.id == variant_id), None)
    presser = card.presser if variant is None or variant.presser is None else variant.presser
    return replace(
        card,
        roles=tuple(by_id[r] for r in role_ids if r in by_id),
        presser=presser,
        variants=(),
        variant_id=variant_id,
    )
