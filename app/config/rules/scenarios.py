"""Every card an alarm can get: the base card and each variant, and every alarm situation.

The safety rules use this to check a card "for every variant that can apply": each trigger, at
each level, in each combination of time windows the week has, with the guard on duty or not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from app.config.schema import (
    DeviceSpec,
    Loc,
    OfficeFile,
    PresserSpec,
    RoleSpec,
    VariantSpec,
)
from app.core.facts import Period
from app.core.office import Level, Stance, TriggerKind
from app.core.schedule import schedule_holds, week_boundaries, windows_at
from app.core.variants import Situation, first_match, matches, merge_roles


@dataclass(frozen=True)
class Located:
    """A role and where it is written, so a finding can point at it."""

    loc: Loc
    role: RoleSpec

    @property
    def id(self) -> str:
        return self.role.id


@dataclass(frozen=True)
class Card:
    """The base card or a variant applied to it, before `applies_to` filtering."""

    loc: Loc  # ("rolecard", "roles") for the base card, ("rolecard", "variants", i) for a variant
    variant: VariantSpec | None
    roles: tuple[Located, ...]
    presser: PresserSpec | None

    @property
    def name(self) -> str:
        if self.variant is None:
            return "the role card"
        return f"variant {self.variant.id!r}" + (
            f" ({self.variant.name})" if self.variant.name else ""
        )


def base_card(f: OfficeFile) -> Card:
    roles = tuple(Located(("rolecard", "roles", i), r) for i, r in enumerate(f.rolecard.roles))
    return Card(("rolecard", "roles"), None, roles, f.rolecard.presser)


def variant_cards(f: OfficeFile) -> list[Card]:
    base = base_card(f)
    out = []
    for i, v in enumerate(f.rolecard.variants):
        loc: Loc = ("rolecard", "variants", i)
        own = [Located((*loc, "roles", j), r) for j, r in enumerate(v.roles)]
        presser = v.presser if v.presser is not None else base.presser
        out.append(Card(loc, v, merge_roles(base.roles, own, set(v.drop)), presser))
    return out


def cards(f: OfficeFile) -> list[Card]:
    return [base_card(f), *variant_cards(f)]


@dataclass(frozen=True)
class Alarm:
    """One situation an alarm from `device` can happen in, and the card it then gets."""

    index: int
    device: DeviceSpec
    situation: Situation
    card: Card
    roles: tuple[Located, ...]  # the roles that apply here
    presser_stance: Stance
    place: str  # the name of the trigger's location

    @property
    def where(self) -> str:
        if self.device.kind is TriggerKind.WORN:
            return f"worn trigger {self.device.id!r} ({self.device.holder or 'no holder'})"
        return f"fixed trigger {self.device.id!r} in {self.place}"


class Scenarios:
    """Every (trigger, level, time-window set, guard) an alarm can happen in, resolved."""

    def __init__(self, f: OfficeFile) -> None:
        self.f = f
        self.cards = cards(f)
        self.conditions = [v.when.to_core() for v in f.rolecard.variants]
        self.places = {x.id: x for x in f.locations}

    @cached_property
    def week_states(self) -> frozenset[tuple[frozenset[str], bool]]:
        """(active windows, guard on duty) for every state the office's week can be in."""
        f = self.f
        windows = {k: tuple(p.to_core() for p in v) for k, v in f.time_windows.items()}
        guard = f.guard.to_core() if f.guard is not None else None
        periods: list[Period] = [p for ps in windows.values() for p in ps]
        periods += list(guard.on_duty.periods) if guard else []
        states: set[tuple[frozenset[str], bool]] = set()
        for day, minute in week_boundaries(iter(periods)):
            active = windows_at(windows, day, minute)
            on_duty = guard is not None and schedule_holds(guard.on_duty, windows, day, minute)
            states.update({(active, on_duty), (active, False)})  # a guard may also be absent
        return frozenset(states)

    def alarms(self) -> Iterator[Alarm]:
        for i, device in enumerate(self.f.devices):
            place = self.places.get(device.location)
            if place is None:
                continue  # reported by the reference rule
            zone, site = place.zone.value, place.site
            for level in Level:
                for windows, guard in sorted(self.week_states, key=_state_order):
                    s = Situation(device.location, zone, site, device.kind, level, windows, guard)
                    yield self.resolve(i, device, s)

    def describe(self, s: Situation) -> str:
        """`acute alarms, drop_in, no guard on duty`: the situation in a coordinator's words."""
        parts = [f"{s.level.value} alarms"]
        if self.f.time_windows:
            parts.append("/".join(sorted(s.windows)))
        if self.f.guard is not None:
            parts.append("guard on duty" if s.guard_on_duty else "no guard on duty")
        return ", ".join(parts)

    def resolve(self, i: int, device: DeviceSpec, s: Situation) -> Alarm:
        index = first_match(self.conditions, s)
        card = self.cards[0 if index is None else index + 1]
        roles = tuple(
            x
            for x in card.roles
            if x.role.applies_to is None or matches(x.role.applies_to.to_core(), s)
        )
        place = self.places[device.location].name
        return Alarm(i, device, s, card, roles, presser_stance(card.presser, s), place)


def presser_stance(presser: PresserSpec | None, s: Situation) -> Stance:
    """The presser's stance here; with no `presser` on the card they withdraw (self first)."""
    if presser is None:
        return Stance.WITHDRAW_TO
    index = first_match([o.when.to_core() for o in presser.overrides], s)
    return presser.stance if index is None else presser.overrides[index].stance


def _state_order(state: tuple[frozenset[str], bool]) -> tuple[list[str], bool]:
    return sorted(state[0]), not state[1]
