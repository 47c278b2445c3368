"""What a press is: the alarm id it names, its raise command, and the answer to a duplicate.

Split from the dispatcher so its press path reads as steps; these pieces hold no lock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from app.core import commands as cmd
from app.core.alarm import AlarmState
from app.core.draft import Decision
from app.core.office import AlarmMode, Gesture, Office
from app.core.repeats import Tally
from app.service.counters import PressCounters
from app.service.effects import EffectRunner
from app.service.ports import AlarmStore, PressKey


def alarm_id_for(key: PressKey) -> str:
    """The same press always names the same alarm, so a redelivery cannot raise a second one."""
    boot = f"|{key.boot}" if key.boot else ""  # keys without a boot id keep their old ids
    digest = hashlib.sha256(f"{key.device_id}|{key.seq}|{key.device_ts}{boot}".encode()).hexdigest()
    return f"a-{digest[:20]}"


@dataclass(frozen=True)
class Press:
    office: Office
    key: PressKey
    gesture: Gesture
    device_ts: datetime | None
    battery: int | None
    mode: AlarmMode
    started: float  # perf_counter at arrival, for the dispatch and commit histograms
    presser_id: str | None = None  # an outreach session's worker: her own alarm, never a repeat


@dataclass(frozen=True)
class Raised:
    press: Press
    office: Office
    state: AlarmState
    decision: Decision


def raise_command(press: Press, alarm_id: str, held: Tally | None = None) -> cmd.RaiseAlarm:
    return cmd.RaiseAlarm(
        alarm_id=alarm_id,
        device_id=press.key.device_id,
        seq=press.key.seq,
        gesture=press.gesture,
        device_ts=press.device_ts,
        battery=press.battery,
        mode=press.mode,
        presser_id=press.presser_id,
        held=held,
    )


class DuplicateAnswers:
    """A duplicate is never answered with silence: the button gets its alarm's state."""

    def __init__(self, store: AlarmStore, counters: PressCounters, effects: EffectRunner) -> None:
        self._store = store
        self._counters = counters
        self._effects = effects
        self._closed_status: dict[str, str] = {}  # for a late duplicate's feedback

    def closed(self, alarm_id: str, status: str) -> None:
        """Remember how an alarm closed, so a late duplicate is answered without a read."""
        self._closed_status[alarm_id] = status

    async def answer(self, key: PressKey, open_alarms: Mapping[str, AlarmState]) -> None:
        alarm_id = self._counters.alarm_of(key)
        if alarm_id is None:
            return
        state = open_alarms.get(alarm_id)
        if state is not None:
            accepted = any(s.holder_id is not None for s in state.slots)
            status = "accepted" if accepted else "received"
        elif alarm_id in self._closed_status:  # no database round trip on the press's path
            status = self._closed_status[alarm_id]
        else:  # closed before this process started
            summary = await self._store.alarm(alarm_id)
            status = summary.status if summary is not None else "received"
        self._effects.feedback(key.device_id, {"alarm_id": alarm_id, "state": status})
