"""What a rule returns and how it walks the file: findings located by their path in the file."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from app.config.schema import (
    AssessorSpec,
    GuardModeSpec,
    Loc,
    NamedSpec,
    OfficeFile,
    RoleSpec,
)


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


def base_roles(f: OfficeFile) -> Iterator[tuple[Loc, RoleSpec]]:
    for i, role in enumerate(f.rolecard.roles):
        yield ("rolecard", "roles", i), role


def all_roles(f: OfficeFile) -> Iterator[tuple[Loc, RoleSpec]]:
    """Every role written in the file: the base card's, then each variant's."""
    yield from base_roles(f)
    for i, variant in enumerate(f.rolecard.variants):
        for j, role in enumerate(variant.roles):
            yield ("rolecard", "variants", i, "roles", j), role


ChainSpec = NamedSpec | AssessorSpec | GuardModeSpec


def chained(f: OfficeFile) -> Iterator[tuple[Loc, RoleSpec, ChainSpec]]:
    """Roles with a deputy list (named, assessor, guard), with the loc of their assignment."""
    for loc, role in all_roles(f):
        if isinstance(role.assignment, NamedSpec | AssessorSpec | GuardModeSpec):
            yield (*loc, "assignment"), role, role.assignment


def count(n: int, noun: str) -> str:
    return f"no {noun}s" if n == 0 else f"{n} {noun}" + ("" if n == 1 else "s")
