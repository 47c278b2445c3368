"""Reads an office file into the core's Office; every problem says file:line:col and the field."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from app.config.problems import OfficeFileError, Problem, sorted_problems
from app.config.schema import (
    ASSIGNMENT_MODES,
    DISCRIMINATOR,
    FORMAT,
    SHAPE_TAGS,
    ApiRole,
    Loc,
    OfficeFile,
    hash_token,
    known_fields,
)
from app.config.validator import Finding, Severity, check
from app.config.yamlpos import START, Tree
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
        if seg == "[key]" or is_tag or seg in SHAPE_TAGS:
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
        "date_from_datetime_parsing": "expected a date: write it as 2026-07-01",
        "date_parsing": "expected a date: write it as 2026-07-01",
        "date_type": "expected a date: write it as 2026-07-01",
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


def _validate_schema(data: object, tree: Tree) -> OfficeFile:
    if not isinstance(data, dict):
        raise OfficeFileError([tree.problem(Severity.ERROR, (), f"not a mapping: {START}")])
    if data.get("format") != FORMAT:
        found = data.get("format")
        message = f"unsupported format {found!r}: this version reads {FORMAT}" if found else START
        raise OfficeFileError([tree.problem(Severity.ERROR, ("format",), message)])
    try:
        return OfficeFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            loc = _clean_loc(err["loc"], data)
            problems.append(tree.problem(Severity.ERROR, loc, _schema_message(err, loc)))
        raise OfficeFileError(sorted_problems(problems)) from None


# --- the public API ----------------------------------------------------------------------------


def _loaded(model: OfficeFile, warnings: Sequence[Problem]) -> LoadedOffice:
    handset_tokens = {(h.token_sha256 or hash_token(h.token or "")): h.id for h in model.handsets}
    api_tokens = tuple(
        ApiToken(t.token_sha256 or hash_token(t.token or ""), t.role, tuple(t.offices))
        for t in model.api_tokens
    )
    return LoadedOffice(model.to_office(), handset_tokens, api_tokens, tuple(warnings))


def _problems(findings: Sequence[Finding], tree: Tree) -> list[Problem]:
    return sorted_problems([tree.problem(f.severity, f.loc, f.message) for f in findings])


_LOADED: dict[str, LoadedOffice] = {}
"""Offices loaded, by their text: `serve` checks every file before the service starts, which
loads them again and then once more as each office's stored role-card version (500 files at a
national start). A text loads the same whatever its source is called; only the name in its
warnings differs."""
_LOADED_MAX = 2000


def load_office_text(text: str, source_name: str = "<office>") -> LoadedOffice:
    """Parse, type-check and validate an office file given as text; raise OfficeFileError."""
    found = _LOADED.get(text)
    if found is None:
        found = _load_office_text(text, source_name)
        if len(_LOADED) >= _LOADED_MAX:
            _LOADED.clear()
        _LOADED[text] = found
    if any(w.source != source_name for w in found.warnings):
        warnings = tuple(replace(w, source=source_name) for w in found.warnings)
        return replace(found, warnings=warnings)
    return found


def remember(entries: Mapping[str, LoadedOffice]) -> None:
    """Offices loaded earlier (app.config.cache: the last start's), by their text."""
    _LOADED.update(entries)


def loaded(texts: Iterable[str]) -> dict[str, LoadedOffice]:
    """The offices these texts loaded into, for those that did."""
    return {text: _LOADED[text] for text in texts if text in _LOADED}


def _load_office_text(text: str, source_name: str) -> LoadedOffice:
    tree = Tree(source_name)
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


def office_files(path: str | os.PathLike[str]) -> list[Path]:
    """The office files a `--config` names: the file itself, or every *.yaml in a directory
    (one office per file, for offices that share a building and their alarms)."""
    given = Path(path)
    if given.is_dir():
        return sorted(p for p in given.iterdir() if p.suffix in (".yaml", ".yml"))
    return [given]
