"""Rules on ids and names: every id is well-formed and unique, every reference resolves."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Sequence

from app.config.rules.base import (
    Finding,
    HasId,
    all_roles,
    base_roles,
    chained,
    error,
    format_loc,
)
from app.config.schema import (
    AssessorSpec,
    ConditionSpec,
    FirstToClaimSpec,
    Loc,
    NamedSpec,
    OfficeFile,
    PoolDeclSpec,
    PoolSpec,
    PresserSpec,
    pool_members,
)
from app.core.facts import AFTER_HOURS
from app.core.office import TriggerKind

ID_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,64}")
SECTIONS = {
    "person": "people",
    "location": "locations",
    "pool": "pools",
    "agency": "agencies",
    "site": "sites",
    "window": "time_windows",
    "role": "rolecard.roles",
}


def _declared_ids(f: OfficeFile) -> Iterator[tuple[str, Loc, str]]:
    """(kind, loc of the id, id) for everything the file defines; a variant's roles are their
    own namespace (`role in variant 'x'`), since they may replace a base role of the same id."""
    yield "office", ("office", "id"), f.office.id
    sections: tuple[tuple[str, Loc, Sequence[HasId]], ...] = (
        ("location", ("locations",), f.locations),
        ("person", ("people",), f.people),
        ("handset", ("handsets",), f.handsets),
        ("device", ("devices",), f.devices),
        ("agency", ("agencies",), f.agencies),
        ("site", ("sites",), f.sites),
        ("variant", ("rolecard", "variants"), f.rolecard.variants),
    )
    for kind, prefix, items in sections:
        for i, item in enumerate(items):
            yield kind, (*prefix, i, "id"), item.id
    for name in f.pools:
        yield "pool", ("pools", name), name
    for loc, role in base_roles(f):
        yield "role", (*loc, "id"), role.id
    for i, variant in enumerate(f.rolecard.variants):
        kind = f"role in variant {variant.id!r}"
        for j, role in enumerate(variant.roles):
            yield kind, ("rolecard", "variants", i, "roles", j, "id"), role.id


def rule_id_format(f: OfficeFile) -> Iterator[Finding]:
    for kind, loc, value in _declared_ids(f):
        if not ID_PATTERN.fullmatch(value):
            yield error(
                loc,
                f"{kind.split()[0]} id {value[:70]!r} is not valid: use 1-64 letters A-Z, digits, "
                "'_', '.' or '-' (no spaces); put the readable name in `name`",
            )


def rule_unique_ids(f: OfficeFile) -> Iterator[Finding]:
    first: dict[tuple[str, str], Loc] = {}
    for kind, loc, value in _declared_ids(f):
        if (kind, value) in first:
            noun, _, scope = kind.partition(" ")
            where = f" {scope}" if scope else ""
            also = format_loc(first[kind, value])
            yield error(loc, f"duplicate {noun} id {value!r}{where}: also {also}")
        first.setdefault((kind, value), loc)


# --- references --------------------------------------------------------------------------------


def _condition_refs(loc: Loc, when: ConditionSpec | None) -> Iterator[tuple[Loc, str, str]]:
    if when is None:
        return
    for field, kind in (("locations", "location"), ("sites", "site"), ("windows", "window")):
        for j, value in enumerate(getattr(when, field)):
            yield (*loc, field, j), kind, value


def _pool_refs(f: OfficeFile) -> Iterator[tuple[Loc, str, str]]:
    for name, entry in f.pools.items():
        prefix: Loc = (
            ("pools", name, "members") if isinstance(entry, PoolDeclSpec) else ("pools", name)
        )
        for j, member in enumerate(pool_members(entry)):
            yield (*prefix, j), "person", member


def _facts_refs(f: OfficeFile) -> Iterator[tuple[Loc, str, str]]:
    for i, loc_spec in enumerate(f.locations):
        if loc_spec.site is not None:
            yield ("locations", i, "site"), "site", loc_spec.site
    if f.guard is not None:
        for j, person in enumerate(f.guard.people):
            yield ("guard", "people", j), "person", person
        if not isinstance(f.guard.on_duty, str):
            for j, item in enumerate(f.guard.on_duty):
                if isinstance(item, str):
                    yield ("guard", "on_duty", j), "window", item
    for j, item in enumerate(f.reception.staffed_alone if f.reception else []):
        if isinstance(item, str):
            yield ("reception", "staffed_alone", j), "window", item
    for i, d in enumerate(f.delegations):
        yield ("delegations", i, "from_person"), "person", d.from_person
        yield ("delegations", i, "to_person"), "person", d.to_person


def _role_refs(f: OfficeFile) -> Iterator[tuple[Loc, str, str]]:
    for loc, role in all_roles(f):
        a = role.assignment
        if isinstance(a, PoolSpec | FirstToClaimSpec) and a.pool is not None:
            yield (*loc, "assignment", "pool"), "pool", a.pool
        if isinstance(a, FirstToClaimSpec):
            for j, person in enumerate(a.among or []):
                yield (*loc, "assignment", "among", j), "person", person
        if role.at is not None:
            yield (*loc, "at"), "location", role.at
        for j, agency in enumerate(role.agencies):
            yield (*loc, "agencies", j), "agency", agency
        yield from _condition_refs((*loc, "applies_to"), role.applies_to)
    for loc, _role, a in chained(f):
        holder = a.holder if isinstance(a, NamedSpec | AssessorSpec) else None
        if holder is not None:
            yield (*loc, "holder"), "person", holder
        for j, deputy in enumerate(a.deputies):
            yield (*loc, "deputies", j), "person", deputy


def _card_refs(f: OfficeFile) -> Iterator[tuple[Loc, str, str]]:
    card = f.rolecard
    pressers: list[tuple[Loc, PresserSpec | None]] = [(("rolecard", "presser"), card.presser)]
    for i, variant in enumerate(card.variants):
        loc: Loc = ("rolecard", "variants", i)
        yield from _condition_refs((*loc, "when"), variant.when)
        for j, role_id in enumerate(variant.drop):
            yield (*loc, "drop", j), "role", role_id
        pressers.append(((*loc, "presser"), variant.presser))
    for loc, presser in pressers:
        if presser is None:
            continue
        if presser.at is not None:
            yield (*loc, "at"), "location", presser.at
        for j, o in enumerate(presser.overrides):
            yield from _condition_refs((*loc, "overrides", j, "when"), o.when)
            if o.at is not None:
                yield (*loc, "overrides", j, "at"), "location", o.at


def references(f: OfficeFile) -> Iterator[tuple[Loc, str, str]]:
    """(loc, kind, id) for every place the file names something defined elsewhere."""
    for i, h in enumerate(f.handsets):
        yield ("handsets", i, "person"), "person", h.person
    for i, d in enumerate(f.devices):
        yield ("devices", i, "location"), "location", d.location
        if d.holder is not None:
            yield ("devices", i, "holder"), "person", d.holder
    for i, x in enumerate(f.locations):
        for j, r in enumerate(x.staffed_by):
            yield ("locations", i, "staffed_by", j, "person"), "person", r.person
    yield from _pool_refs(f)
    yield from _role_refs(f)
    yield from _card_refs(f)
    yield from _facts_refs(f)


def _known(f: OfficeFile) -> dict[str, list[str]]:
    windows = list(f.time_windows)
    return {
        "person": [p.id for p in f.people],
        "location": [x.id for x in f.locations],
        "pool": list(f.pools),
        "agency": [a.id for a in f.agencies],
        "site": [s.id for s in f.sites],
        "window": windows + ([AFTER_HOURS] if windows and AFTER_HOURS not in windows else []),
        "role": [r.id for r in f.rolecard.roles],
    }


def _unknown(kind: str, value: str, known: list[str]) -> str:
    section = SECTIONS[kind]
    close = difflib.get_close_matches(value, known, n=1)
    if close:
        hint = f"did you mean {close[0]!r}?"
    else:
        hint = f"{section} has: {', '.join(known[:10])}" if known else f"{section} is empty"
    return f"unknown {kind} {value!r}: not defined under `{section}` ({hint})"


def rule_references_resolve(f: OfficeFile) -> Iterator[Finding]:
    known = _known(f)
    for loc, kind, value in references(f):
        if value not in known[kind]:
            yield error(loc, _unknown(kind, value, known[kind]))


def rule_api_tokens_this_office(f: OfficeFile) -> Iterator[Finding]:
    for i, token in enumerate(f.api_tokens):
        for j, office in enumerate(token.offices):
            if office != f.office.id:
                yield error(
                    ("api_tokens", i, "offices", j),
                    f"this file configures office {f.office.id!r}; "
                    f"a token here cannot grant access to {office!r}",
                )


def rule_trigger_holder(f: OfficeFile) -> Iterator[Finding]:
    for i, d in enumerate(f.devices):
        if d.kind is TriggerKind.WORN and d.holder is None:
            yield error(
                ("devices", i), f"worn trigger {d.id!r} needs a `holder`: the person wearing it"
            )
        if d.kind is TriggerKind.FIXED and d.holder is not None:
            yield error(
                ("devices", i, "holder"),
                f"fixed trigger {d.id!r} belongs to its location, not a person: remove `holder` "
                "(or make it kind: worn)",
            )
