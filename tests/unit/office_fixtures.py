"""Small offices built in code for core tests, so each test shows the card it relies on."""

from __future__ import annotations

from datetime import UTC, datetime

from app.core.office import (
    Handset,
    Location,
    NamedAssignment,
    Office,
    Person,
    PoolAssignment,
    Role,
    RoleCard,
    Stance,
    Step,
    Trigger,
    TriggerKind,
)

T0 = datetime(2026, 11, 26, 9, 0, 0, tzinfo=UTC)


def role(
    role_id: str,
    assignment: NamedAssignment | PoolAssignment,
    *,
    leader: bool = False,
    within: int = 20,
    stance: Stance = Stance.APPROACH,
) -> Role:
    return Role(
        id=role_id,
        title=role_id.title(),
        stance=stance,
        steps=(Step(1, "Go"), Step(2, "Look"), Step(3, "Report")),
        accept_within_s=within,
        assignment=assignment,
        leader=leader,
    )


def office(
    *roles: Role, people: tuple[str, ...] = (), pools: dict[str, tuple[str, ...]] | None = None
) -> Office:
    everyone = set(people)
    for r in roles:
        a = r.assignment
        if isinstance(a, NamedAssignment):
            everyone.update(a.chain)
    for members in (pools or {}).values():
        everyone.update(members)
    everyone.add("kari")
    return Office(
        id="o1",
        name="Office",
        rolecard=RoleCard(version="v1", roles=roles),
        locations={"reception": Location("reception", "Mottak", "public")},
        people={p: Person(p, p.title()) for p in sorted(everyone)},
        handsets={f"hs-{p}": Handset(f"hs-{p}", p) for p in sorted(everyone) if p != "kari"},
        triggers={
            "desk-1": Trigger("desk-1", TriggerKind.FIXED, "reception"),
            "worn-1": Trigger("worn-1", TriggerKind.WORN, "reception", holder_id="kari"),
        },
        pools=pools or {},
        cancel_window_s=30,
    )
