"""Reads an office file into the core's Office; every problem says file:line:col and the field."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from yaml.composer import Composer
from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from app.config.schema import (
    ASSIGNMENT_MODES,
    DISCRIMINATOR,
    FORMAT,
    ApiRole,
    Loc,
    OfficeFile,
    hash_token,
    known_fields,
)
from app.config.validator import Finding, Severity, check, format_loc
from app.core.office import Office

__all__ = [
    "ApiToken",
    "LoadedOffice",
    "OfficeFileError",
    "Problem",
    "Severity",
    "hash_token",
    "load_office_file",
    "load_office_text",
]

MAX_NODES = 20_000  # an office file has hundreds; more means an alias bomb or the wrong file
MAX_DEPTH = 24


@dataclass(frozen=True)
class Problem:
    severity: Severity
    path: str
    line: int | None
    column: int | None
    message: str
    source: str = "<office>"

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}:{self.column}" if self.column is not None else f":{self.line}"
        parts = [where, self.path, "warning" if self.severity is Severity.WARNING else ""]
        return ": ".join([p for p in parts if p] + [self.message])


class OfficeFileError(Exception):
    """The office file cannot be used; `problems` lists every error (and warning) found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        n = len(self.errors)
        head = f"{n} error{'s' if n != 1 else ''} in the office file"
        super().__init__("\n".join([head, *map(str, self.problems)]))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]


@dataclass(frozen=True)
class ApiToken:
    token_sha256: str
    role: ApiRole
    offices: tuple[str, ...]


@dataclass(frozen=True)
class LoadedOffice:
    office: Office
    handset_tokens: Mapping[str, str]  # sha256 hex of the token -> handset id
    api_tokens: tuple[ApiToken, ...]
    warnings: tuple[Problem, ...]


# --- YAML with positions -----------------------------------------------------------------------


class _Resolver(BaseResolver):
    """YAML 1.2-style plain scalars: `no`, `on` and `2026-11-01` stay text (the Norway problem)."""


_IMPLICIT = (
    ("bool", r"true|True|TRUE|false|False|FALSE", "tTfF"),
    ("int", r"[-+]?[0-9]+", "-+0123456789"),
    ("float", r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?", "-+0123456789."),
    ("null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
)
for _name, _pattern, _first in _IMPLICIT:
    _Resolver.add_implicit_resolver(
        f"tag:yaml.org,2002:{_name}", re.compile(f"^(?:{_pattern})$"), list(_first)
    )


class _NodeLoader(Reader, Scanner, Parser, Composer, _Resolver):
    """Only the node-building half of a YAML loader: we construct values ourselves."""

    def __init__(self, text: str) -> None:
        Reader.__init__(self, text)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _Resolver.__init__(self)


def _to_bool(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise ValueError(text)
    return text.lower() == "true"


_TAG = "tag:yaml.org,2002:"
_SCALARS: dict[str, Callable[[str], object]] = {
    f"{_TAG}str": str,
    f"{_TAG}int": int,
    f"{_TAG}float": float,
    f"{_TAG}bool": _to_bool,
    f"{_TAG}null": lambda _text: None,
}


class _TooBig(Exception):
    pass


@dataclass
class _Tree:
    """Plain data from YAML nodes, remembering where each path starts in the text."""

    source: str
    marks: dict[Loc, Mark] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    nodes: int = 0

    def problem(self, severity: Severity, loc: Loc, message: str) -> Problem:
        return self.problem_at(self._mark(loc), severity, loc, message)

    def problem_at(self, mark: Mark | None, severity: Severity, loc: Loc, message: str) -> Problem:
        line, col = (mark.line + 1, mark.column + 1) if mark else (None, None)
        return Problem(severity, format_loc(loc), line, col, message, self.source)

    def fail(self, loc: Loc, message: str, mark: Mark | None = None) -> None:
        self.problems.append(self.problem_at(mark or self._mark(loc), Severity.ERROR, loc, message))

    def _mark(self, loc: Loc) -> Mark | None:
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.marks:
                return self.marks[loc[:end]]
        return None

    def build(self, node: Node, loc: Loc) -> object:
        self.nodes += 1
        if self.nodes > MAX_NODES or len(loc) > MAX_DEPTH:
            raise _TooBig
        self.marks.setdefault(loc, node.start_mark)
        if isinstance(node, MappingNode):
            return self._mapping(node, loc)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*loc, i)) for i, item in enumerate(node.value)]
        return self._scalar(node, loc)

    def _mapping(self, node: MappingNode, loc: Loc) -> dict[str, object]:
        out: dict[str, object] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode) or key_node.tag == f"{_TAG}merge":
                message = "keys must be plain names (no merge keys `<<`, lists or mappings)"
                self.fail(loc, message, key_node.start_mark)
                continue
            key = str(key_node.value)
            if key in out:
                first = self.marks[(*loc, key)].line + 1
                message = f"duplicate key {key!r} (first on line {first})"
                self.fail((*loc, key), message, key_node.start_mark)
                continue
            self.marks[(*loc, key)] = key_node.start_mark
            out[key] = self.build(value_node, (*loc, key))
        return out

    def _scalar(self, node: Node, loc: Loc) -> object:
        convert = _SCALARS.get(node.tag)
        if convert is None:
            self.fail(loc, f"unsupported YAML tag {node.tag!r}: write a plain value")
            return None
        try:
            return convert(str(node.value))
        except ValueError:
            self.fail(loc, f"{node.value!r} is not a valid {node.tag.removeprefix(_TAG)}")
            return None

    def parse(self, text: str) -> object:
        try:
            root = _NodeLoader(text).get_single_node()
        except yaml.YAMLError as exc:
            raise OfficeFileError([_yaml_problem(exc, self.source)]) from None
        if root is None:
            raise OfficeFileError([self.problem(Severity.ERROR, (), f"empty file: {_START}")])
        try:
            data = self.build(root, ())
        except _TooBig:
            self.problems = [self.problem(Severity.ERROR, (), f"too large or nested: {_LIMITS}")]
        if self.problems:
            raise OfficeFileError(self.problems)
        return data


_START = f"an office file starts with `format: {FORMAT}`"
_LIMITS = f"at most {MAX_NODES} values, nested at most {MAX_DEPTH} deep (check anchors `*`)"


def _yaml_problem(exc: yaml.YAMLError, source: str) -> Problem:
    if not isinstance(exc, yaml.MarkedYAMLError) or exc.problem_mark is None:
        return Problem(Severity.ERROR, "", None, None, f"YAML: {exc}", source)
    mark, message = exc.problem_mark, f"YAML syntax: {exc.problem}"
    if exc.context and exc.context_mark is not None:
        message += f" ({exc.context} on line {exc.context_mark.line + 1})"
    if "\\t" in message:
        message += "; indent with spaces, not tabs"
    return Problem(Severity.ERROR, "", mark.line + 1, mark.column + 1, message, source)


# --- schema errors -----------------------------------------------------------------------------


def _child(node: object, seg: str | int) -> object:
    if isinstance(node, dict):
        return node.get(seg)
    if isinstance(node, list) and isinstance(seg, int) and 0 <= seg < len(node):
        return node[seg]
    return None


def _clean_loc(loc: tuple[str | int, ...], data: object) -> Loc:
    """Pydantic's loc without the `[key]` marker and the union tag, so it matches the file."""
    out: list[str | int] = []
    node = data
    for seg in loc:
        is_tag = isinstance(node, dict) and seg not in node and node.get(DISCRIMINATOR) == seg
        if seg == "[key]" or is_tag:
            continue
        out.append(seg)
        node = _child(node, seg)
    return tuple(out)


def _unknown_field(loc: Loc) -> str:
    allowed = known_fields(loc[:-1])
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(allowed)}"
    return f"unknown field {loc[-1]!r} ({hint})"


def _type_message(kind: str, given: object) -> str | None:
    if given is None and kind.endswith("_type"):
        return "empty: give a value"
    return {
        "string_type": "expected text: put the value in quotes",
        "int_type": "expected a whole number (no quotes)",
        "bool_type": "expected true or false",
        "list_type": "expected a list (`- item` lines, or [a, b])",
        "dict_type": "expected a mapping of `key: value` lines",
        "model_type": "expected a mapping of `key: value` lines",
    }.get(kind)


def _schema_message(err: ErrorDetails, loc: Loc) -> str:
    message = _message_for(err, loc)
    return f"not a valid key: {message}" if err["loc"][-1:] == ("[key]",) else message


def _message_for(err: ErrorDetails, loc: Loc) -> str:
    kind, ctx, given = err["type"], err.get("ctx") or {}, err["input"]
    modes = ", ".join(ASSIGNMENT_MODES)
    if kind == "missing":
        return f"missing required field {loc[-1]!r}"
    if kind == "extra_forbidden":
        return _unknown_field(loc)
    if kind == "union_tag_not_found":
        return f"missing `{DISCRIMINATOR}`: one of {modes}"
    if kind == "union_tag_invalid":
        return f"unknown {DISCRIMINATOR} {ctx.get('tag')!r}: one of {modes}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    if kind in ("enum", "literal_error") and isinstance(given, str):
        return f"{given!r} is not allowed here: use {ctx.get('expected')}"
    return _type_message(kind, given) or err["msg"]


def _validate_schema(data: object, tree: _Tree) -> OfficeFile:
    if not isinstance(data, dict):
        raise OfficeFileError([tree.problem(Severity.ERROR, (), f"not a mapping: {_START}")])
    if data.get("format") != FORMAT:
        found = data.get("format")
        message = f"unsupported format {found!r}: this version reads {FORMAT}" if found else _START
        raise OfficeFileError([tree.problem(Severity.ERROR, ("format",), message)])
    try:
        return OfficeFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = _clean_loc(err["loc"], data)
            problems.append(tree.problem(Severity.ERROR, loc, _schema_message(err, loc)))
        raise OfficeFileError(_sorted(problems)) from None


# --- the public API ----------------------------------------------------------------------------


def _sorted(problems: Sequence[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line is None, p.line or 0, p.column or 0))


def _loaded(model: OfficeFile, warnings: Sequence[Problem]) -> LoadedOffice:
    handset_tokens = {(h.token_sha256 or hash_token(h.token or "")): h.id for h in model.handsets}
    api_tokens = tuple(
        ApiToken(t.token_sha256 or hash_token(t.token or ""), t.role, tuple(t.offices))
        for t in model.api_tokens
    )
    return LoadedOffice(model.to_office(), handset_tokens, api_tokens, tuple(warnings))


def _problems(findings: Sequence[Finding], tree: _Tree) -> list[Problem]:
    return _sorted([tree.problem(f.severity, f.loc, f.message) for f in findings])


def load_office_text(text: str, source_name: str = "<office>") -> LoadedOffice:
    """Parse, type-check and validate an office file given as text; raise OfficeFileError."""
    tree = _Tree(source_name)
    model = _validate_schema(tree.parse(text), tree)
    problems = _problems(check(model), tree)
    if any(p.severity is Severity.ERROR for p in problems):
        raise OfficeFileError(problems)
    return _loaded(model, problems)


def load_office_file(path: str | os.PathLike[str]) -> LoadedOffice:
    """Read and load an office file (UTF-8); unreadable files are problems too, not tracebacks."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        message = f"cannot read the file: {exc.strerror or exc}"
        raise OfficeFileError([Problem(Severity.ERROR, "", None, None, message, source)]) from None
    except UnicodeDecodeError:
        message = "not UTF-8 text: save the file as UTF-8"
        raise OfficeFileError([Problem(Severity.ERROR, "", None, None, message, source)]) from None
    return load_office_text(text, source)
