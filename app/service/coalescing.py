"""The dispatcher's memory for coalesced repeats and late presses (rules in app.core.repeats).

Held repeats are presses already durable as press keys whose timeline row is still to come; a
device's last closed alarm is kept (one per device) so that presses queued behind a flood, which
arrive after the all-clear, are recorded on it instead of raising a new alarm.
"""

from __future__ import annotations

from datetime import datetime

from app.core import effects as fx
from app.core.alarm import AlarmState, AlarmStatus
from app.core.draft import Decision
from app.core.repeats import DeviceTrail, Tally, follow, from_before_close
from app.service.counters import FAR_BELOW, REDELIVERY_WINDOW
from app.service.ports import PressKey


class Coalescer:
    def __init__(self) -> None:
        self._held: dict[str, Tally] = {}  # alarm → repeats taken, not yet on its timeline
        self._closed: dict[str, AlarmState] = {}  # device → its newest closed alarm
        self._closed_ids: dict[str, AlarmState] = {}  # those, and older ones still holding
        self._trails: dict[str, DeviceTrail] = {}  # device → what its presses said

    def holding(self) -> list[str]:
        """The alarms with repeats taken and not yet recorded."""
        return list(self._held)

    def held(self, alarm_id: str) -> Tally | None:
        return self._held.get(alarm_id)

    def take(self, alarm_id: str) -> Tally | None:
        return self._held.pop(alarm_id, None)

    def settle(self, alarm_id: str, decision: Decision) -> None:
        """After a press's decision: its tally is held on, or a row recorded it."""
        for effect in decision.effects:
            if isinstance(effect, fx.HoldRepeats):
                self._held[alarm_id] = effect.tally
                return
        self._held.pop(alarm_id, None)

    def arrived(self, key: PressKey, device_ts: datetime | None, now: datetime) -> None:
        self._trails[key.device_id] = follow(
            self._trails.get(key.device_id), key.seq, key.boot, device_ts, now
        )

    def remember(self, state: AlarmState) -> None:
        """A closed alarm is its device's newest, unless a newer one closed (its late presses
        still recorded); an older one is kept only while it holds repeats."""
        if state.status is AlarmStatus.OPEN or state.closed_at is None:
            return
        before = self._closed.get(state.device_id)
        newest = before is None or before.closed_at is None or before.closed_at <= state.closed_at
        if newest:
            self._closed[state.device_id] = state
            if before is not None and before.alarm_id != state.alarm_id:
                self._forget_unless_held(before.alarm_id)
            self._closed_ids[state.alarm_id] = state
        elif state.alarm_id in self._held:
            self._closed_ids[state.alarm_id] = state
        else:
            self._closed_ids.pop(state.alarm_id, None)

    def _forget_unless_held(self, alarm_id: str) -> None:
        if alarm_id not in self._held:
            self._closed_ids.pop(alarm_id, None)

    def restore(self, state: AlarmState, trail: DeviceTrail) -> None:
        """After a restart: a device's recently closed alarm and the trail its stored presses
        give (app.service.recovery.recently_closed), so its late presses are still late. The
        dispatcher then remembers the alarm as closed (`remember`, with its other memories)."""
        self._trails[state.device_id] = trail

    def closed_alarm(self, alarm_id: str) -> AlarmState | None:
        """A closed alarm with repeats to record: the newest of its device, or an older one
        whose held repeats are not recorded yet (a new alarm of the device closed meanwhile)."""
        return self._closed_ids.get(alarm_id)

    def late_for(
        self, key: PressKey, device_ts: datetime | None, now: datetime
    ) -> AlarmState | None:
        """The closed alarm this press was made before the close of, if any."""
        closed = self._closed.get(key.device_id)
        trail = self._trails.get(key.device_id)
        if closed is None or trail is None:
            return None
        made = (key.seq, key.boot, device_ts)
        if from_before_close(trail, closed, made, now, REDELIVERY_WINDOW, FAR_BELOW):
            return closed
        return None
