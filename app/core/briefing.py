"""Readiness of a card beyond its file: who has been briefed on the card in force, which
required roles the briefed cannot fill (req. 33, 31: with `briefed_only`, an unbriefed person is
offered no role), and how many people one alarm pulls from work (req. 45). Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.core.office import (
    AllRespondAssignment,
    AssembleAssignment,
    Office,
    PoolAssignment,
    Role,
)


@dataclass(frozen=True)
class Briefing:
    unbriefed: tuple[str, ...]  # people of the office who have not acknowledged this version
    gaps: tuple[str, ...]  # one sentence per required role the briefed staff cannot fill


def briefing(office: Office, acknowledged: Iterable[str]) -> Briefing:
    acked = frozenset(acknowledged)
    unbriefed = tuple(p for p in sorted(office.people) if p not in acked)
    if not office.rolecard.briefed_only:
        return Briefing(unbriefed, ())
    gaps = []
    for role in office.rolecard.roles:
        named = office.named_for(role)
        if role.required and named and not any(p in acked for p in named):
            gaps.append(
                f"required role {role.title!r}: none of its people has acknowledged the card "
                "in force, so nobody can be offered it"
            )
    return Briefing(unbriefed, tuple(gaps))


@dataclass(frozen=True)
class PeoplePerAlarm:
    """How many people one alarm on the base card pulls from work (req. 45, «fire ledere»)."""

    required: int  # the required roles: what the office maximum is checked against
    with_optional: int  # and the optional roles, when someone takes them too


def people_per_alarm(office: Office) -> PeoplePerAlarm:
    """A role counts one; pool roles count the pool's declared size once (else each role); an
    all-respond role counts everyone with a handset; assembling staff count nothing."""

    def count(roles: tuple[Role, ...]) -> int:
        if any(isinstance(r.assignment, AllRespondAssignment) for r in roles):
            return len({h.person_id for h in office.handsets.values()})
        pools: dict[str, int] = {}
        total = 0
        for r in roles:
            a = r.assignment
            if isinstance(a, PoolAssignment):
                pools[a.pool_id] = pools.get(a.pool_id, 0) + 1
            elif not isinstance(a, AssembleAssignment):
                total += 1
        return total + sum(office.pool_sizes.get(p) or n for p, n in pools.items())

    roles = office.rolecard.roles
    return PeoplePerAlarm(count(tuple(r for r in roles if r.required)), count(roles))
