"""Who has been briefed on the card in force, and which required roles the briefed cannot fill
(req. 33, 31): with `briefed_only`, an unbriefed person is offered no role, so a required role
whose people have none briefed among them is a role nobody can take today. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from app.core.office import Office


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
