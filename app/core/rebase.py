"""A raise decided ahead, for a press that has not happened yet, and moved onto the real press.

`decide` for a new alarm reads the press only to copy it: the alarm id, seq, gesture, device
time and battery are written into events and effects (the gesture is read once more, for the
level it raises), and every time is `now` or `now` plus a duration.
So a decision made earlier for a template press (a placeholder id, seq 0, no device time, no
battery) becomes the real press's decision by putting the real values in and shifting every time
by the same amount. That is what lets the dispatcher offer roles without deciding on the press's
path; the dispatcher still checks each rebased decision against a fresh one (once the alarm is
durable) and stops using prepared decisions if they ever differ.

Only a press that does not look like a replay can be rebased: a far-off device time adds an event
the template does not have.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from app.core import commands as cmd
from app.core import effects as fx
from app.core import events as ev
from app.core.alarm import AlarmState, RoleSlot, replace
from app.core.draft import Decision
from app.core.office import AlarmMode, Gesture

TEMPLATE_ALARM_ID = "\x00prepared"
"""Cannot collide with an id from a file or a press: those are printable."""
TEMPLATE_SEQ = 0
REPLAY_SKEW = timedelta(minutes=5)

_T = TypeVar("_T")


def possible_replay(now: datetime, device_ts: datetime | None) -> bool:
    """A device time far from ours: the press may be a recording sent again."""
    return device_ts is not None and abs(now - device_ts) > REPLAY_SKEW


def template_press(device_id: str, gesture: Gesture, mode: AlarmMode) -> cmd.RaiseAlarm:
    return cmd.RaiseAlarm(
        alarm_id=TEMPLATE_ALARM_ID,
        device_id=device_id,
        seq=TEMPLATE_SEQ,
        gesture=gesture,
        device_ts=None,
        battery=None,
        mode=mode,
    )


@dataclass(frozen=True)
class _Patch:
    """Which fields of one flat record hold the placeholder id, and which hold a time."""

    ids: tuple[str, ...] = ()
    times: tuple[str, ...] = ()

    def apply(self, record: _T, alarm_id: str, shift: timedelta) -> _T:
        if not (self.ids or self.times):
            return record
        changes: dict[str, object] = dict.fromkeys(self.ids, alarm_id)
        changes.update((name, getattr(record, name) + shift) for name in self.times)
        return replace(record, **changes)


@dataclass(frozen=True)
class PreparedDecision:
    """A template press's decision with, worked out ahead, where the press's values go: the
    press then costs one copy of each record that changes, and no search through them."""

    decided_at: datetime
    events: tuple[tuple[ev.Event, _Patch], ...]
    effects: tuple[tuple[fx.Effect, _Patch], ...]
    state: tuple[AlarmState, _Patch]
    slots: tuple[tuple[RoleSlot, _Patch], ...]
    offers: tuple[tuple[str, str], ...]  # (person, role) of each PushOffer, in order

    @classmethod
    def of(cls, decision: Decision, decided_at: datetime) -> PreparedDecision:
        """ValueError when the decision holds something this cannot move (a nested record)."""
        state = decision.state
        if state is None:
            raise ValueError("a raise decision has a state")
        return cls(
            decided_at=decided_at,
            events=tuple((e, _patch_for(e)) for e in decision.events),
            effects=tuple((e, _patch_for(e)) for e in decision.effects),
            state=(state, _patch_for(state, nested="slots")),
            slots=tuple((s, _patch_for(s)) for s in state.slots),
            offers=tuple(
                (e.person_id, e.role_id) for e in decision.effects if isinstance(e, fx.PushOffer)
            ),
        )


def moved_state(prepared: PreparedDecision, *, now: datetime, alarm_id: str) -> AlarmState:
    """The alarm's state after this press: all its offers need, so they can go out before
    the rest of the decision is moved."""
    shift = now - prepared.decided_at
    slots = tuple(patch.apply(s, alarm_id, shift) for s, patch in prepared.slots)
    state, patch = prepared.state
    return replace(patch.apply(state, alarm_id, shift), slots=slots)


def rebase(
    prepared: PreparedDecision,
    *,
    now: datetime,
    alarm_id: str,
    seq: int,
    gesture: Gesture,
    device_ts: datetime | None,
    battery: int | None,
    state: AlarmState | None = None,
) -> Decision:
    """The template decision as the decision for this press at `now`. The caller has checked
    that `possible_replay` is false, that nothing else it was decided from has changed, and
    that the press's gesture raises the same level as the template's. `state`, when given, is
    `moved_state` for the same press."""
    shift = now - prepared.decided_at
    events = [patch.apply(e, alarm_id, shift) for e, patch in prepared.events]
    press = events[0]
    if isinstance(press, ev.PressReceived):
        events[0] = replace(press, seq=seq, gesture=gesture, device_ts=device_ts, battery=battery)
    return Decision(
        events=tuple(events),
        effects=tuple(patch.apply(e, alarm_id, shift) for e, patch in prepared.effects),
        state=moved_state(prepared, now=now, alarm_id=alarm_id) if state is None else state,
    )


def _patch_for(record: object, nested: str = "") -> _Patch:
    ids: list[str] = []
    times: list[str] = []
    for name in _fields(record):
        value = getattr(record, name)
        if name == nested:
            continue
        if isinstance(value, datetime):
            times.append(name)
        elif isinstance(value, str) and value == TEMPLATE_ALARM_ID:
            ids.append(name)
        elif is_dataclass(value) or (isinstance(value, tuple) and any(map(is_dataclass, value))):
            raise ValueError(f"{type(record).__name__}.{name} holds a record")
    return _Patch(tuple(ids), tuple(times))


def _fields(record: object) -> tuple[str, ...]:
    if not is_dataclass(record):
        raise ValueError(f"{type(record).__name__} is not a record")
    return tuple(f.name for f in fields(record))
