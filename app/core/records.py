"""Events to plain records and back, so the store can keep them as JSON without knowing them.

Pure: only dataclass introspection and ISO timestamps. `from_record(to_record(e)) == e`.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from datetime import datetime
from enum import Enum
from typing import Any

from app.core import events as ev

JsonValue = Any


def to_record(event: ev.Event) -> tuple[str, dict[str, JsonValue]]:
    """The event's type name and its fields except `at` and `actor`, JSON-safe."""
    data = {
        f.name: _dump(getattr(event, f.name))
        for f in dataclasses.fields(event)
        if f.name not in ("at", "actor")
    }
    return type(event).__name__, data


def from_record(type_name: str, at: datetime, actor: str, data: dict[str, JsonValue]) -> ev.Event:
    cls = ev.EVENT_TYPES.get(type_name)
    if cls is None:
        raise ValueError(f"unknown event type {type_name!r}")
    kwargs = {name: _load(hint, data[name]) for name, hint in _fields(type_name) if name in data}
    return cls(at=at, actor=actor, **kwargs)


@functools.cache
def _fields(type_name: str) -> tuple[tuple[str, Any], ...]:
    """Each field's name and resolved type, once per event type: resolving the annotations
    (strings under `from __future__ import annotations`) is most of the cost of reading a
    timeline, which every closing alarm's debrief does."""
    cls = ev.EVENT_TYPES[type_name]
    hints = typing.get_type_hints(cls)
    return tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))


def _dump(value: Any) -> JsonValue:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_dump(v) for v in value]
    return value


def _load(hint: Any, value: JsonValue) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _load(inner[0], value)
    if origin is tuple:
        (item, _ellipsis) = typing.get_args(hint)
        return tuple(_load(item, v) for v in value)
    if hint is datetime:
        return datetime.fromisoformat(value)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(value)
    return value
