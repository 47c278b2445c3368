"""YAML read into plain data that remembers the line and column where every path starts."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import yaml
from yaml.composer import Composer
from yaml.error import Mark
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from app.config.problems import OfficeFileError, Problem
from app.config.rules.base import Severity, format_loc
from app.config.spec_base import FORMAT, Loc

MAX_NODES = 20_000  # an office file has hundreds; more means an alias bomb or the wrong file
MAX_DEPTH = 24


class _Resolver(BaseResolver):
    """YAML 1.2-style plain scalars: `no`, `on` and `2026-11-01` stay text (the Norway problem).

    A scalar's tag is remembered by its text: office files repeat the same values (ids, names,
    `true`), and resolving each one by regular expressions was a fifth of loading them."""

    _scalar_tags: dict[tuple[str, tuple[bool, bool]], str] = {}  # noqa: RUF012 (a cache)

    def resolve(self, kind: type, value: object, implicit: tuple[bool, bool]) -> str:
        if kind is not ScalarNode or not isinstance(value, str) or len(value) > 64:
            return str(super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]
        key = (value, implicit)
        tag = self._scalar_tags.get(key)
        if tag is None:
            if len(self._scalar_tags) > 100_000:
                self._scalar_tags.clear()
            tag = str(super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]
            self._scalar_tags[key] = tag
        return tag


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


def _compose(text: str) -> Node | None:
    """The document's nodes, with their marks. libyaml's parser where PyYAML was built with it
    (measured: about 30 times faster than the pure-Python one, which was nearly all of loading
    500 office files at start); a file libyaml refuses is parsed again by the pure-Python
    parser, whose error messages (and their line and column) are the ones users see."""
    if _CNodeLoader is not None:
        try:
            node: Node | None = _CNodeLoader(text).get_single_node()
            return node
        except yaml.YAMLError:
            pass
    return _NodeLoader(text).get_single_node()


def _events(text: str) -> Any:
    """A YAML event stream: libyaml's where PyYAML has it (the fast start), else PyYAML's."""
    if _CNodeLoader is not None:
        from yaml._yaml import CParser

        return CParser(text)
    return _NodeLoader(text)


_CNodeLoader: type | None
try:
    from yaml._yaml import CParser

    class _CNodeLoaderImpl(CParser, _Resolver):
        def __init__(self, text: str) -> None:
            CParser.__init__(self, text)
            _Resolver.__init__(self)

    _CNodeLoader = _CNodeLoaderImpl
except ImportError:  # PyYAML without libyaml
    _CNodeLoader = None


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
class Tree:
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
            self.check_nesting(text)
            root = _compose(text)
        except yaml.YAMLError as exc:
            raise OfficeFileError([_yaml_problem(exc, self.source)]) from None
        if root is None:
            raise OfficeFileError([self.problem(Severity.ERROR, (), f"empty file: {START}")])
        try:
            data = self.build(root, ())
        except _TooBig:
            self.problems = [self.problem(Severity.ERROR, (), f"too large or nested: {_LIMITS}")]
        if self.problems:
            raise OfficeFileError(self.problems)
        return data

    def check_nesting(self, text: str) -> None:
        """Bound the nesting before composing: PyYAML's composer recurses once per level, so a
        50,000-deep list would end in a RecursionError (a 500, thousands of log lines); its
        parser does not, so the events are counted first (issue 12, hole 6). libyaml counts
        them where PyYAML has it; a text it refuses is counted again by PyYAML's parser, whose
        syntax errors are the ones users see."""
        try:
            self._count_depth(_events(text))
        except yaml.YAMLError:
            self._count_depth(_NodeLoader(text))

    def _count_depth(self, events: Any) -> None:
        depth = 0
        while events.check_event():
            event = events.get_event()
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH + 1:
                    message = f"too deeply nested: {_LIMITS}"
                    mark = cast(Mark | None, event.start_mark)
                    raise OfficeFileError([self.problem_at(mark, Severity.ERROR, (), message)])
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1


START = f"an office file starts with `format: {FORMAT}`"
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


def nesting_problem(text: str, source: str = "<office>") -> Problem | None:
    """The problem when `text` nests deeper than an office file can (checked without
    composing, so without recursion); None otherwise, syntax errors included (parsing reports
    those)."""
    try:
        Tree(source).check_nesting(text)
    except OfficeFileError as err:
        return err.problems[0]
    except yaml.YAMLError:
        return None
    return None
