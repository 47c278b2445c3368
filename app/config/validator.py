"""Safety rules over a parsed office file: pure functions, one per rule, so adding one is easy."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from app.config.schema import Loc, NamedSpec, OfficeFile, PoolSpec, RoleSpec, hash_token
from app.core.office import Stance, TriggerKind

ID_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,64}")
MAX_STEPS = 5
MAX_STEP_CHARS = 200
ACCEPT_WITHIN_S = (5, 600)
CANCEL_WINDOW_S = (0, 120)
DEMO_TOKEN_PREFIX = "demo-"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Finding:
    """One broken rule, located by its path in the file; the loader adds line and column."""

    severity: Severity
    loc: Loc
    message: str


Rule = Callable[[OfficeFile], Iterable[Finding]]


class HasId(Protocol):
    @property
    def id(self) -> str: ...


def error(loc: Loc, message: str) -> Finding:
    return Finding(Severity.ERROR, loc, message)


def warning(loc: Loc, message: str) -> Finding:
    return Finding(Severity.WARNING, loc, message)


def format_loc(loc: Loc) -> str:
    """`rolecard.roles[0].steps[2]`: the path a coordinator reads beside the line number."""
    out = ""
    for seg in loc:
        out += f"[{seg}]" if isinstance(seg, int) else (f".{seg}" if out else seg)
    return out


def _roles(f: OfficeFile) -> Iterator[tuple[Loc, RoleSpec]]:
    for i, role in enumerate(f.rolecard.roles):
        yield ("rolecard", "roles", i), role


def _named(f: OfficeFile) -> Iterator[tuple[Loc, RoleSpec, NamedSpec]]:
    for loc, role in _roles(f):
        if isinstance(role.assignment, NamedSpec):
            yield (*loc, "assignment"), role, role.assignment


# --- ids ---------------------------------------------------------------------------------------


def _declared_ids(f: OfficeFile) -> Iterator[tuple[str, Loc, str]]:
    """(kind, loc of the id, id) for everything the file defines."""
    yield "office", ("office", "id"), f.office.id
    sections: tuple[tuple[str, str, Sequence[HasId]], ...] = (
        ("location", "locations", f.locations),
        ("person", "people", f.people),
        ("handset", "handsets", f.handsets),
        ("device", "devices", f.devices),
    )
    for kind, section, items in sections:
        for i, item in enumerate(items):
            yield kind, (section, i, "id"), item.id
    for name in f.pools:
        yield "pool", ("pools", name), name
    for loc, role in _roles(f):
        yield "role", (*loc, "id"), role.id


def rule_id_format(f: OfficeFile) -> Iterator[Finding]:
    for kind, loc, value in _declared_ids(f):
        if not ID_PATTERN.fullmatch(value):
            yield error(
                loc,
                f"{kind} id {value[:70]!r} is not valid: use 1-64 letters A-Z, digits, '_', '.' "
                "or '-' (no spaces); put the readable name in `name`",
            )


def rule_unique_ids(f: OfficeFile) -> Iterator[Finding]:
    first: dict[tuple[str, str], Loc] = {}
    for kind, loc, value in _declared_ids(f):
        if (kind, value) in first:
            yield error(
                loc, f"duplicate {kind} id {value!r}: also {format_loc(first[kind, value])}"
            )
        first.setdefault((kind, value), loc)


# --- references --------------------------------------------------------------------------------


def _references(f: OfficeFile) -> Iterator[tuple[Loc, str, str]]:
    """(loc, kind, id) for every place the file names something defined elsewhere."""
    for i, h in enumerate(f.handsets):
        yield ("handsets", i, "person"), "person", h.person
    for i, d in enumerate(f.devices):
        yield ("devices", i, "location"), "location", d.location
        if d.holder is not None:
            yield ("devices", i, "holder"), "person", d.holder
    for name, members in f.pools.items():
        for j, member in enumerate(members):
            yield ("pools", name, j), "person", member
    for loc, role in _roles(f):
        a = role.assignment
        if isinstance(a, PoolSpec):
            yield (*loc, "assignment", "pool"), "pool", a.pool
        else:
            yield (*loc, "assignment", "holder"), "person", a.holder
            for j, deputy in enumerate(a.deputies):
                yield (*loc, "assignment", "deputies", j), "person", deputy


def _known(f: OfficeFile) -> dict[str, list[str]]:
    return {
        "person": [p.id for p in f.people],
        "location": [x.id for x in f.locations],
        "pool": list(f.pools),
    }


def _unknown(kind: str, value: str, known: list[str]) -> str:
    section = {"person": "people", "location": "locations", "pool": "pools"}[kind]
    close = difflib.get_close_matches(value, known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"{section} has: {', '.join(known[:10])}"
    return f"unknown {kind} {value!r}: not defined under `{section}` ({hint})"


def rule_references_resolve(f: OfficeFile) -> Iterator[Finding]:
    known = _known(f)
    for loc, kind, value in _references(f):
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


# --- the role card -----------------------------------------------------------------------------


def rule_leader_role(f: OfficeFile) -> Iterator[Finding]:
    if not any(role.leader for role in f.rolecard.roles):
        yield error(
            ("rolecard", "roles"),
            "no leader role: someone must be able to give the all-clear "
            "(set `leader: true` on one role)",
        )


def rule_stance(f: OfficeFile) -> Iterator[Finding]:
    choices = ", ".join(s.value for s in Stance)
    for loc, role in _roles(f):
        if role.stance is None:
            yield error(
                (*loc, "stance"),
                f"role {role.id!r} has no stance: say what its holder does with their body "
                f"(one of: {choices})",
            )


def _step_findings(loc: Loc, steps: Sequence[str]) -> Iterator[Finding]:
    if not steps:
        yield error(loc, f"no steps: give 1 to {MAX_STEPS} short numbered steps")
    if len(steps) > MAX_STEPS:
        yield error(
            (*loc, MAX_STEPS),
            f"{len(steps)} steps: at most {MAX_STEPS}, nobody reads more in the moment",
        )
    for j, text in enumerate(steps):
        if not text.strip():
            yield error((*loc, j), "empty step: write what to do, or remove it")
        elif len(text) > MAX_STEP_CHARS:
            yield error(
                (*loc, j),
                f"step is {len(text)} characters: keep it under {MAX_STEP_CHARS} "
                "so it fits a handset screen",
            )


def rule_steps(f: OfficeFile) -> Iterator[Finding]:
    for loc, role in _roles(f):
        yield from _step_findings((*loc, "steps"), role.steps)


def rule_accept_within(f: OfficeFile) -> Iterator[Finding]:
    low, high = ACCEPT_WITHIN_S
    for loc, role in _roles(f):
        if not low <= role.accept_within_s <= high:
            yield error(
                (*loc, "accept_within_s"),
                f"{role.accept_within_s} s: the accept deadline must be between {low} and "
                f"{high} seconds; after it the role goes to the next person",
            )


def rule_cancel_window(f: OfficeFile) -> Iterator[Finding]:
    low, high = CANCEL_WINDOW_S
    if not low <= f.office.cancel_window_s <= high:
        yield error(
            ("office", "cancel_window_s"),
            f"{f.office.cancel_window_s} s: the cancel window must be between {low} and {high} "
            "seconds",
        )


def rule_deputies(f: OfficeFile) -> Iterator[Finding]:
    for loc, _role, a in _named(f):
        seen: set[str] = set()
        for j, deputy in enumerate(a.deputies):
            if deputy == a.holder:
                yield error(
                    (*loc, "deputies", j),
                    f"{deputy!r} is the holder: a holder cannot be their own deputy",
                )
            elif deputy in seen:
                yield error((*loc, "deputies", j), f"{deputy!r} is listed twice as deputy")
            seen.add(deputy)


def rule_deputy_for_required(f: OfficeFile) -> Iterator[Finding]:
    for loc, role, a in _named(f):
        if role.required and not a.deputies:
            yield warning(
                (*loc, "deputies"),
                f"required role {role.id!r} has no deputy: "
                "if the holder is absent the role goes straight to everyone present",
            )


def rule_pool_size(f: OfficeFile) -> Iterator[Finding]:
    drawing = Counter(
        r.assignment.pool for r in f.rolecard.roles if isinstance(r.assignment, PoolSpec)
    )
    for name, members in f.pools.items():
        for j, member in enumerate(members):
            if member in members[:j]:
                yield error(("pools", name, j), f"{member!r} is listed twice in pool {name!r}")
        if len(set(members)) < drawing[name]:
            yield warning(
                ("pools", name),
                f"pool {name!r} has {_count(len(set(members)), 'member')} but "
                f"{_count(drawing[name], 'role')} draw from it: "
                "at least one role will go to everyone present",
            )


def _count(n: int, noun: str) -> str:
    return f"no {noun}s" if n == 0 else f"{n} {noun}" + ("" if n == 1 else "s")


def rule_holders_have_handsets(f: OfficeFile) -> Iterator[Finding]:
    with_handset = {h.person for h in f.handsets}
    people = {p.id for p in f.people}
    for loc, kind, person in _references(f):
        if kind != "person" or loc[0] not in ("rolecard", "pools"):
            continue
        if person in people and person not in with_handset:
            yield warning(loc, f"{person!r} has no handset, so can never be offered this role")


# --- tokens ------------------------------------------------------------------------------------


def _tokens(f: OfficeFile) -> Iterator[tuple[Loc, str | None, str | None]]:
    for i, h in enumerate(f.handsets):
        yield ("handsets", i), h.token, h.token_sha256
    for i, t in enumerate(f.api_tokens):
        yield ("api_tokens", i), t.token, t.token_sha256


def rule_token_form(f: OfficeFile) -> Iterator[Finding]:
    for loc, plain, hashed in _tokens(f):
        if (plain is None) == (hashed is None):
            yield error(loc, "give exactly one of `token_sha256` or `token` (demo files only)")
        if plain is not None and not f.demo:
            yield error(
                (*loc, "token"),
                "plaintext tokens are allowed only in demo files (demo: true); "
                "store `token_sha256` instead (printf %s 'TOKEN' | sha256sum)",
            )
        if plain is not None and not f.demo and plain.startswith(DEMO_TOKEN_PREFIX):
            yield error(
                (*loc, "token"),
                f"tokens starting with {DEMO_TOKEN_PREFIX!r} are published demo tokens: "
                "never use them outside a demo file",
            )


def rule_tokens_unique(f: OfficeFile) -> Iterator[Finding]:
    first: dict[str, Loc] = {}
    for loc, plain, hashed in _tokens(f):
        digest = hashed if plain is None else hash_token(plain)
        if digest is None:
            continue
        if digest in first:
            yield error(loc, f"same token as {format_loc(first[digest])}: each needs its own")
        first.setdefault(digest, loc)


# --- devices -----------------------------------------------------------------------------------


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


RULES: tuple[Rule, ...] = (
    rule_id_format,
    rule_unique_ids,
    rule_references_resolve,
    rule_api_tokens_this_office,
    rule_leader_role,
    rule_stance,
    rule_steps,
    rule_accept_within,
    rule_cancel_window,
    rule_deputies,
    rule_deputy_for_required,
    rule_pool_size,
    rule_holders_have_handsets,
    rule_token_form,
    rule_tokens_unique,
    rule_trigger_holder,
)


def check(f: OfficeFile, rules: Sequence[Rule] = RULES) -> list[Finding]:
    """Every finding of every rule, in rule order; the file is usable if none is an error."""
    return [finding for rule in rules for finding in rule(f)]
