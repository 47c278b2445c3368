"""Which alarm each recent press belongs to, and when a known press key is a new press.

A button without a clock sends only `seq`; when it restarts, its counter starts again and its
new presses reuse old keys (issue 12, fault C). A button that sends its own `ts` never collides
(it is in the key), so the same key again is the same press, however late (a broker's
redelivery after a lost PUBACK, the button repeating an unanswered press); one that sends a
`boot` id collides only when its seq is far below its newest. For a key of `seq` alone, a key
seen before is taken for a new press
from a restarted counter when the alarm it raised is closed and either the first press came more
than `REDELIVERY_WINDOW` ago (a broker or a device resends within seconds; an alarm closes in
minutes) or its seq is far below the device's newest one. Otherwise it is a redelivery, and gets
the feedback of the alarm it belongs to (never silence).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from app.service.ports import PressKey

REDELIVERY_WINDOW = timedelta(seconds=30)
FAR_BELOW = 100  # a restarted counter is near 0; a late resend is near the newest seq
RESTART_BOOT_PREFIX = "restart-"
LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class _Seen:
    alarm_id: str
    at: datetime
    key: PressKey  # the key it was recorded under (with a restart's boot id)


class PressCounters:
    def __init__(self) -> None:
        self._seen: dict[PressKey, _Seen] = {}
        self._newest: dict[str, int] = {}  # device → the highest seq it has sent

    def load(self, keys: Mapping[PressKey, str]) -> None:
        """Press keys recovered from the store; a restart's key counts for the key it renamed."""
        for key, alarm_id in sorted(keys.items(), key=lambda kv: kv[0].boot):
            self._note(self._base(key), _Seen(alarm_id, LONG_AGO, key))

    def remember(self, key: PressKey, alarm_id: str, at: datetime) -> None:
        self._note(self._base(key), _Seen(alarm_id, at, key))

    def alarm_of(self, key: PressKey) -> str | None:
        seen = self._seen.get(self._base(key))
        return None if seen is None else seen.alarm_id

    def newest_key(self, key: PressKey) -> PressKey:
        """The key a press was last recorded under (a restart's, if it was renamed)."""
        seen = self._seen.get(self._base(key))
        return key if seen is None else seen.key

    def restart_key(
        self, key: PressKey, now: datetime, is_open: Callable[[str], bool]
    ) -> PressKey | None:
        """A fresh key when this known key is a new press of a restarted counter, else None."""
        if key.device_ts:
            return None  # the device's own time makes a key unique: seen before, sent before
        seen = self._seen.get(self._base(key))
        if seen is None or is_open(seen.alarm_id):
            return None
        far_below = key.seq + FAR_BELOW <= self._newest.get(key.device_id, key.seq)
        late = now - seen.at >= REDELIVERY_WINDOW  # only a key of seq alone: a boot id is unique
        if not far_below and (key.boot or not late):
            return None
        return replace(key, boot=f"{RESTART_BOOT_PREFIX}{int(now.timestamp() * 1000)}")

    def _note(self, base: PressKey, seen: _Seen) -> None:
        self._seen[base] = seen
        newest = self._newest.get(base.device_id, base.seq)
        restarted = seen.key.boot.startswith(RESTART_BOOT_PREFIX)
        self._newest[base.device_id] = base.seq if restarted else max(newest, base.seq)

    @staticmethod
    def _base(key: PressKey) -> PressKey:
        if key.boot.startswith(RESTART_BOOT_PREFIX):
            return replace(key, boot="")
        return key
