"""Frames as JSON text: encoded once, stamped with each handset's `event_seq` by splicing, and
offer frames filled into a template encoded once per role and trigger.

Why: an offer frame carries the role's steps, names and places, which are the same for every
alarm from one trigger; only the alarm's id and times differ. Encoding the whole frame on every
press was about a fifth of the service's part of a press's way to the first offer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from app.adapters.ws import outbound
from app.core.alarm import AlarmState
from app.core.office import Location, Office, Role, Trigger

Frame = outbound.Frame


@dataclass(frozen=True)
class Encoded:
    """A frame as JSON text, without `event_seq`."""

    text: str


def encode(frame: Frame) -> Encoded:
    return Encoded(json.dumps(frame, separators=(",", ":")))


def stamped(frame: Encoded, event_seq: int) -> str:
    """The frame with its `event_seq` as the last member (a frame is a JSON object)."""
    text = frame.text
    comma = "," if text != "{}" else ""
    return f'{text[:-1]}{comma}"event_seq":{event_seq}}}'


_ALARM_ID, _RAISED_AT, _DUE_AT = "\x00alarm_id", "\x00raised_at", "\x00due_at"


@dataclass(frozen=True)
class _Template:
    """An offer frame's text cut where the alarm's id, raised_at and due_at go, in that order,
    with what it was encoded from (compared by identity: office objects are immutable)."""

    role: Role
    location: Location
    trigger: Trigger | None
    names: tuple[str, ...]  # office and people names the frame shows
    parts: tuple[str, str, str, str]


class OfferTexts:
    def __init__(self) -> None:
        self._templates: dict[tuple[str, ...], _Template] = {}

    def encoded(self, state: AlarmState, office: Office, role_id: str) -> Encoded:
        """`encode(outbound.offer_frame(state, office, role_id))`, from a cached template."""
        key = (
            state.office_id,
            role_id,
            state.location_id,
            state.device_id,
            state.level.value,
            state.mode.value,
        )
        template = self._templates.get(key)
        if template is None or not _still(template, office, role_id, state):
            found = _template(state, office, role_id)
            if found is None:
                return encode(outbound.offer_frame(state, office, role_id))
            self._templates[key] = template = found
        due_at = state.slot(role_id).due_at
        p = template.parts
        return Encoded(
            f"{p[0]}{json.dumps(state.alarm_id)}{p[1]}{_time(state.raised_at)}"
            f"{p[2]}{_time(due_at) if due_at else 'null'}{p[3]}"
        )


def _sources(
    state: AlarmState, office: Office, role_id: str
) -> tuple[Role, Location, Trigger | None, tuple[str, ...]]:
    trigger = office.triggers.get(state.device_id)
    holder = office.people.get(trigger.holder_id or "") if trigger else None
    names = (office.name, holder.name if holder else "")
    return (
        office.rolecard.role(role_id),
        office.locations[state.location_id],
        trigger,
        names,
    )


def _still(template: _Template, office: Office, role_id: str, state: AlarmState) -> bool:
    role, location, trigger, names = _sources(state, office, role_id)
    return (
        template.role is role
        and template.location is location
        and template.trigger is trigger
        and template.names == names
    )


def _template(state: AlarmState, office: Office, role_id: str) -> _Template | None:
    """None if the frame cannot be cut (a placeholder not found exactly once)."""
    frame = outbound.offer_frame(state, office, role_id)
    frame["alarm_id"], frame["raised_at"] = _ALARM_ID, _RAISED_AT
    frame["offer"] = {**frame["offer"], "due_at": _DUE_AT}
    text = encode(frame).text
    cuts = [json.dumps(placeholder) for placeholder in (_ALARM_ID, _RAISED_AT, _DUE_AT)]
    if any(text.count(cut) != 1 for cut in cuts):
        return None
    head, rest = text.split(cuts[0])
    middle, rest = rest.split(cuts[1])
    if cuts[2] not in rest:
        return None  # due_at comes last, inside the offer
    tail_head, tail = rest.split(cuts[2])
    role, location, trigger, names = _sources(state, office, role_id)
    return _Template(role, location, trigger, names, (head, middle, tail_head, tail))


def _time(value: datetime) -> str:
    return f'"{value.isoformat()}"'
