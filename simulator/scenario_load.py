"""Reads a scenario and checks every name against its office, so mistakes point at the field."""

from __future__ import annotations

import difflib
import types
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from app.config.loader import load_office_file
from app.config.problems import OfficeFileError, Problem, sorted_problems
from app.config.rules.base import Severity
from app.config.spec_base import Loc
from app.config.yamlpos import Tree
from app.core.facts import Delegation
from app.core.office import Office
from simulator.scenario_model import Scenario


class ScenarioError(Exception):
    """The scenario cannot run; `problems` says where and why."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass(frozen=True)
class LoadedScenario:
    path: Path
    scenario: Scenario
    office: Office  # with the scenario's delegations added

    @property
    def name(self) -> str:
        return self.scenario.name or self.path.stem


def load_scenario(path: str | Path) -> LoadedScenario:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([_problem(str(path), f"cannot read the file: {exc}")]) from None
    return load_scenario_text(text, path)


def load_scenario_text(text: str, path: Path) -> LoadedScenario:
    """Parse and check a scenario; `path` names it and anchors its relative office path."""
    tree = Tree(str(path))
    if not text.strip():
        raise ScenarioError([_problem(str(path), "empty file: a scenario starts with `office:`")])
    try:
        data = tree.parse(text)
    except OfficeFileError as err:
        raise ScenarioError(err.problems) from None
    if not isinstance(data, dict):
        raise ScenarioError([tree.problem(Severity.ERROR, (), "not a mapping of `key: value`")])
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [_schema_problem(err, data, tree) for err in exc.errors(include_url=False)]
        raise ScenarioError(sorted_problems(problems)) from None
    office_path = (path.parent / scenario.office).resolve()
    try:
        office = load_office_file(office_path).office
    except OfficeFileError as err:
        first = err.errors[0] if err.errors else err.problems[0]
        message = f"the office file cannot be used: {first}"
        raise ScenarioError([tree.problem(Severity.ERROR, ("office",), message)]) from None
    found = [tree.problem(Severity.ERROR, loc, msg) for loc, msg in cross_check(scenario, office)]
    if found:
        raise ScenarioError(sorted_problems(found))
    added = tuple(
        Delegation(d.from_person, d.to_person, d.start, d.end) for d in scenario.delegations
    )
    return LoadedScenario(path, scenario, replace(office, delegations=office.delegations + added))


def _problem(source: str, message: str) -> Problem:
    return Problem(Severity.ERROR, "", None, None, message, source)


# --- names against the office ------------------------------------------------------------------


def _unknown(kind: str, name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f"no {kind} {name!r} in the office" + (f" (did you mean {close[0]!r}?)" if close else "")


def cross_check(s: Scenario, office: Office) -> Iterator[tuple[Loc, str]]:
    """Every person, device and role a scenario names must exist in its office."""
    people = set(office.people)
    roles = {r.id for r in office.rolecard.roles} | {
        r.id for v in office.rolecard.variants for r in v.roles
    }

    def person(loc: Loc, name: str) -> Iterator[tuple[Loc, str]]:
        if name not in people:
            yield loc, _unknown("person", name, people)

    def role(loc: Loc, name: str | None) -> Iterator[tuple[Loc, str]]:
        if name is not None and name not in roles:
            yield loc, _unknown("role", name, roles)

    for pid, spec in s.people.items():
        yield from person(("people", pid), pid)
        comes = spec.present or spec.arrives_after_s is not None
        if pid in people and comes and not office.handsets_of(pid):
            yield ("people", pid), f"{pid!r} has no handset in the office, so cannot be present"
        yield from role(("people", pid, "behaviour", "accept_role"), spec.behaviour.accept_role)
        if spec.checked_in is not None and spec.checked_in not in office.locations:
            loc = ("people", pid, "checked_in")
            yield loc, _unknown("location", spec.checked_in, office.locations)
    for i, fault in enumerate(s.faults):
        if fault.device is not None and fault.device not in office.triggers:
            yield ("faults", i, "device"), _unknown("device", fault.device, office.triggers)
    for i, press in enumerate(s.presses):
        if press.device not in office.triggers:
            yield ("presses", i, "device"), _unknown("device", press.device, office.triggers)
        if press.by is not None:
            yield from person(("presses", i, "by"), press.by)
    for i, action in enumerate(s.then):
        yield from person(("then", i, "person"), action.person)
        yield from role(("then", i, "role"), action.role)
    for i, d in enumerate(s.delegations):
        yield from person(("delegations", i, "from_person"), d.from_person)
        yield from person(("delegations", i, "to_person"), d.to_person)
    for i, pid in enumerate(s.acknowledged or ()):
        yield from person(("acknowledged", i), pid)
    yield from _cross_check_expect(s, office, person, role)


def _cross_check_expect(
    s: Scenario,
    office: Office,
    person: Callable[[Loc, str], Iterator[tuple[Loc, str]]],
    role: Callable[[Loc, str | None], Iterator[tuple[Loc, str]]],
) -> Iterator[tuple[Loc, str]]:
    """The people, roles and card variants the scenario's expectations name."""
    variants = {v.id for v in office.rolecard.variants} | {"base"}
    for i, e in enumerate(s.expect):
        yield from role(("expect", i, "role"), e.role)
        if e.variant is not None and e.variant not in variants:
            yield ("expect", i, "variant"), _unknown("card variant", e.variant, variants)
        named = {"holder": [e.holder] if e.holder else []}
        for key in ("offered_to", "not_offered_to", "declined_by", "timed_out", "assembled"):
            named[key] = list(getattr(e, key) or [])
        named["offered_at_s"] = list(e.offered_at_s or {})
        for key, names in named.items():
            for j, name in enumerate(names):
                where: Loc = (
                    ("expect", i, key)
                    if key in ("holder", "offered_at_s")
                    else ("expect", i, key, j)
                )
                yield from person(where, name)
        if e.acting_for is not None:
            a = e.acting_for
            yield from person(("expect", i, "acting_for", "person"), a.person)
            yield from person(("expect", i, "acting_for", "for"), a.for_person)
            yield from role(("expect", i, "acting_for", "role"), a.role)


# --- pydantic errors as problems in the file ---------------------------------------------------


def _schema_problem(err: ErrorDetails, data: object, tree: Tree) -> Problem:
    loc = _clean_loc(err["loc"], data)
    return tree.problem(Severity.ERROR, loc, _message(err, loc))


def _clean_loc(loc: tuple[str | int, ...], data: object) -> Loc:
    """Pydantic's loc without the segments that are not in the file (union and model tags)."""
    out: list[str | int] = []
    node = data
    for i, seg in enumerate(loc):
        in_list = isinstance(node, list) and isinstance(seg, int) and 0 <= seg < len(node)
        if (isinstance(node, dict) and seg in node) or in_list:
            node = node[seg]  # type: ignore[index]
        elif not (isinstance(node, dict) and i == len(loc) - 1):
            continue  # a tag pydantic adds, not a place in the file
        out.append(seg)
    return tuple(out)


def _message(err: ErrorDetails, loc: Loc) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "missing":
        return f"missing required field {loc[-1]!r}" if loc else "missing a required field"
    if kind == "extra_forbidden":
        allowed = _fields_at(loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(allowed)}"
        return f"unknown field {loc[-1]!r} ({hint})"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    if kind in ("enum", "literal_error"):
        return f"{err['input']!r} is not allowed here: use {ctx.get('expected')}"
    return str(err["msg"])


def _fields_at(loc: Loc) -> list[str]:
    """The field names the model at `loc` allows (for a "did you mean" hint)."""
    annotation: Any = Scenario
    for seg in loc:
        annotation = _step(annotation, seg)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [f.alias or name for name, f in annotation.model_fields.items()]
    return []


def _step(annotation: Any, seg: str | int) -> Any:
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        inner = [a for a in get_args(annotation) if a is not type(None)]
        annotation, origin = inner[0], get_origin(inner[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        fields = {f.alias or name: f for name, f in annotation.model_fields.items()}
        return fields[str(seg)].annotation if str(seg) in fields else None
    if origin is dict:
        return get_args(annotation)[1]
    if origin is list:
        return get_args(annotation)[0]
    return None
