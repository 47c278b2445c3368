"""Rules on who is asked: deputies, pools, handsets and the assignment modes that go together."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from app.config.rules.base import Finding, all_roles, chained, count, error, warning
from app.config.rules.references import references
from app.config.rules.scenarios import Card, cards
from app.config.schema import (
    AllRespondSpec,
    AssembleSpec,
    AssessorSpec,
    FirstToClaimSpec,
    GuardModeSpec,
    Loc,
    NamedSpec,
    OfficeFile,
    PoolDeclSpec,
    PoolSpec,
    pool_members,
    pool_size,
)
from app.core.office import Stance


def rule_deputies(f: OfficeFile) -> Iterator[Finding]:
    for loc, _role, a in chained(f):
        holder = a.holder if isinstance(a, NamedSpec | AssessorSpec) else None
        seen: set[str] = set()
        for j, deputy in enumerate(a.deputies):
            if deputy == holder:
                yield error(
                    (*loc, "deputies", j),
                    f"{deputy!r} is the holder: a holder cannot be their own deputy",
                )
            elif deputy in seen:
                yield error((*loc, "deputies", j), f"{deputy!r} is listed twice as deputy")
            seen.add(deputy)


def rule_deputy_for_required(f: OfficeFile) -> Iterator[Finding]:
    """Warn: a required role held by a named person (or the guard) with nobody to take over."""
    for loc, role, a in chained(f):
        if not role.required or a.deputies:
            continue
        if isinstance(a, GuardModeSpec):
            message = "when no guard is on duty (or the guard does not accept) it goes"
        elif a.holder is None:
            continue  # an assessor without a holder is first to claim: everyone is asked
        else:
            message = "if the holder is absent the role goes"
        yield warning(
            (*loc, "deputies"),
            f"required role {role.id!r} has no deputy (vara): "
            f"{message} straight to everyone present",
        )


def rule_pool_size(f: OfficeFile) -> Iterator[Finding]:
    drawing = Counter(
        r.assignment.pool for _, r in all_roles(f) if isinstance(r.assignment, PoolSpec)
    )
    drawing_base = Counter(
        r.assignment.pool for r in f.rolecard.roles if isinstance(r.assignment, PoolSpec)
    )
    for name, entry in f.pools.items():
        members = pool_members(entry)
        prefix = ("pools", name, "members") if isinstance(entry, PoolDeclSpec) else ("pools", name)
        for j, member in enumerate(members):
            if member in members[:j]:
                yield error((*prefix, j), f"{member!r} is listed twice in pool {name!r}")
        size = pool_size(entry)
        if size is not None and size < 1:
            yield error(("pools", name, "size"), f"pool {name!r} has size {size}: at least 1")
        needed = max(size or 0, drawing_base[name])
        if len(set(members)) < needed or len(set(members)) < drawing[name]:
            roles = max(drawing[name], drawing_base[name])
            what = (
                f"size {size}" if size and size > roles else f"{count(roles, 'role')} draw from it"
            )
            yield warning(
                ("pools", name),
                f"pool {name!r} has {count(len(set(members)), 'member')} but {what}: "
                "at least one role will go to everyone present",
            )
        elif size is not None and size != drawing_base[name]:
            yield warning(
                ("pools", name, "size"),
                f"pool {name!r} has size {size} but {count(drawing_base[name], 'role')} draw "
                "from it: the first N present to accept take the pool's roles in order",
            )


def rule_holders_have_handsets(f: OfficeFile) -> Iterator[Finding]:
    with_handset = {h.person for h in f.handsets}
    people = {p.id for p in f.people}
    for loc, kind, person in references(f):
        asked = loc[0] in ("rolecard", "pools", "guard") or loc[-1] == "to_person"
        if kind != "person" or not asked:
            continue
        if person in people and person not in with_handset:
            what = (
                "the offers of the person they act for" if loc[0] == "delegations" else "this role"
            )
            yield warning(loc, f"{person!r} has no handset, so can never be offered {what}")


def rule_first_to_claim(f: OfficeFile) -> Iterator[Finding]:
    for loc, role in all_roles(f):
        a = role.assignment
        if not isinstance(a, FirstToClaimSpec):
            continue
        if a.among is not None and a.pool is not None:
            yield error(
                (*loc, "assignment"),
                f"role {role.id!r}: give `among` (people) or `pool`, not both",
            )
        elif a.among is not None and not a.among:
            yield error(
                (*loc, "assignment", "among"),
                "`among` is empty: list the people who may claim it, or leave it out for anyone",
            )


def rule_guard_mode(f: OfficeFile) -> Iterator[Finding]:
    for loc, role in all_roles(f):
        if isinstance(role.assignment, GuardModeSpec) and (f.guard is None or not f.guard.people):
            yield error(
                (*loc, "assignment"),
                f"role {role.id!r} is held by the guard, but the file names no guard: add "
                "`guard:` with the company, `on_duty` and the guards' `people`",
            )


def rule_assessor_and_assembly(f: OfficeFile) -> Iterator[Finding]:
    """One assessor while everyone else assembles: both halves, once, and not with all-respond.

    Checked on the base card and on every variant; a role a variant inherits is reported once.
    """
    reported: set[Loc] = set()
    for card in cards(f):
        for finding in _assessor_findings(card):
            if finding.loc not in reported:
                reported.add(finding.loc)
                yield finding


def _assessor_findings(card: Card) -> Iterator[Finding]:
    assessors = [x for x in card.roles if isinstance(x.role.assignment, AssessorSpec)]
    assemble = [x for x in card.roles if isinstance(x.role.assignment, AssembleSpec)]
    all_out = [x for x in card.roles if isinstance(x.role.assignment, AllRespondSpec)]
    for x in assessors[1:] + assemble[1:]:
        yield error(
            (*x.loc, "assignment"),
            f"{card.name}: only one role may use `mode: {x.role.assignment.mode}`",
        )
    if assessors and not assemble:
        yield error(
            (*assessors[0].loc, "assignment"),
            f"{card.name}: one assessor needs everyone else told where to gather: "
            "add a role with `mode: assemble` and stance assemble_at",
        )
    if assessors and all_out:
        yield error(
            (*all_out[0].loc, "assignment"),
            f"{card.name}: choose one: a single assessor while the rest assemble, or "
            "everyone responds ('alle ut i mottak'), not both",
        )
    for x in assemble:
        if x.role.stance in (Stance.APPROACH, Stance.ASSESS_FROM_DOOR):
            yield error(
                (*x.loc, "stance"),
                f"role {x.id!r} gathers everyone without another role; it cannot "
                f"{x.role.stance.value.replace('_', ' ')} (that would send everyone in): "
                "use assemble_at or withdraw_to, or `mode: all_respond`",
            )
