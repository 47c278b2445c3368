"""Repeated presses, coalesced: a flood of presses is a count on the timeline, not a row each.

A button held down or hammered sends thousands of presses; each is still taken, acknowledged and
answered, but the timeline gets at most one `PressRepeated` row per `ROW_EVERY` and alarm. The
first repeat after a quiet second is recorded at once; the ones after it are *held*: counted in
a `Tally` the dispatcher keeps, recorded as one row (with their count, the seqs they stand for,
the first and the last press time) when the second is over, or before the alarm closes. A repeat
that raises the level is never held: it is decided at once, after the held ones.

A press from before the alarm closed that arrives after it (queued in the broker behind a
flood) is a late repeat of the closed alarm (`from_before_close`), never a new alarm. After a
restart (or a standby's promotion) the device's trail is rebuilt from its stored press keys
(`trail_of`), so such a press, queued in the broker while the service was down, is one too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.core import events as ev
from app.core.alarm import AlarmState
from app.core.office import Gesture, Level

__all__ = [
    "BURST_GAP",
    "ROW_EVERY",
    "DeviceTrail",
    "Tally",
    "follow",
    "from_before_close",
    "is_held",
    "parse_seqs",
    "row_of",
    "trail_of",
]

ROW_EVERY = timedelta(seconds=1)  # at most one repeat row (and one update) per alarm this often
BURST_GAP = timedelta(milliseconds=250)  # closer than this, a press continues the one before
TS_SLACK = timedelta(minutes=5)  # a queued press's device time before the raise, at most


@dataclass(frozen=True)
class Tally:
    """Repeats taken but not yet on the timeline (each is already durable as a press key)."""

    device_id: str
    gesture: Gesture
    level: Level
    first_at: datetime
    last_at: datetime
    last_seq: int
    count: int = 1
    ranges: tuple[tuple[int, int], ...] = ()  # the seqs, as inclusive runs in arrival order

    @classmethod
    def start(cls, device_id: str, seq: int, gesture: Gesture, level: Level, at: datetime) -> Tally:
        return cls(device_id, gesture, level, at, at, seq, 1, ((seq, seq),))

    def add(self, seq: int, at: datetime) -> Tally:
        runs = list(self.ranges)
        low, high = runs[-1]
        if seq == high + 1:
            runs[-1] = (low, seq)
        elif not low <= seq <= high:
            runs.append((seq, seq))
        return Tally(
            self.device_id,
            self.gesture,
            self.level,
            self.first_at,
            max(self.last_at, at),
            seq,
            self.count + 1,
            tuple(runs),
        )


def seqs_text(ranges: tuple[tuple[int, int], ...]) -> str:
    """`1-4000,4002`: the seqs a row stands for, compact for a run of presses."""
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in ranges)


def parse_seqs(text: str) -> list[int]:
    """The seqs named by `seqs_text` (checkers count each of them as recorded)."""
    found: list[int] = []
    for part in filter(None, text.split(",")):
        low, _, high = part.partition("-")
        found.extend(range(int(low), int(high or low) + 1))
    return found


def row_of(tally: Tally, now: datetime, late: bool = False) -> ev.PressRepeated:
    """The one row that records every held repeat."""
    return ev.PressRepeated(
        at=now,
        actor=ev.device_actor(tally.device_id),
        device_id=tally.device_id,
        seq=tally.last_seq,
        gesture=tally.gesture,
        level=tally.level,
        count=tally.count,
        seqs=seqs_text(tally.ranges),
        first_at=tally.first_at,
        last_at=tally.last_at,
        late=late,
    )


def is_held(alarm: AlarmState, level: Level, now: datetime) -> bool:
    """A repeat is held when a press row is less than `ROW_EVERY` old and the level stays. A row
    from the future (the service's clock went back, e.g. after a restart) holds nothing: its
    second would end when that clock catches up, long after anyone reads the timeline."""
    if level.rank > alarm.level.rank:
        return False
    last = alarm.press_row_at or alarm.raised_at
    return timedelta(0) <= now - last < ROW_EVERY


@dataclass(frozen=True)
class DeviceTrail:
    """What the service saw of a device's presses, to place a press against an alarm's close."""

    last_arrival: datetime  # the service clock when its latest press arrived
    newest_seq: int  # the highest seq of its current counter (boot)
    boot: str
    clock_lead: timedelta | None = None  # min(arrival − device ts): its clock plus the fastest hop
    flooding: bool = False  # its latest press came within `BURST_GAP` of the one before


def from_before_close(
    trail: DeviceTrail,
    closed: AlarmState,
    key: tuple[int, str, datetime | None],
    now: datetime,
    seq_window: timedelta,
    far_below: int,
) -> bool:
    """Was this press (`key`: seq, boot, device time), arriving after its device's alarm closed,
    made before the close?

    With a device time: yes when it lies within the alarm on the device's own clock (after the
    raise less `TS_SLACK`, before the close), the clock estimated from the fastest press seen, so
    the estimate errs towards a new alarm, never against one; a clock far off is no match.
    Without one, only within `seq_window` of the close and for the same counter (a restarted
    counter is a new press): yes when the seq is below one already seen, but not `far_below`
    it (pressed before it), or when the device is flooding (its last two presses came within
    `BURST_GAP`) and this one follows within `BURST_GAP` too: nobody reacts to an all-clear that
    fast, it is the queue of a flood draining. A single press answered at once and pressed again
    at once is a new alarm.
    """
    seq, boot, device_ts = key
    closed_at = closed.closed_at
    if closed_at is None:
        return False
    if device_ts is not None and trail.clock_lead is not None:
        lead = trail.clock_lead
        return closed.raised_at - TS_SLACK - lead <= device_ts <= closed_at - lead
    if boot != trail.boot or now - closed_at >= seq_window:
        return False
    below = seq < trail.newest_seq and seq + far_below > trail.newest_seq
    return below or (trail.flooding and now - trail.last_arrival < BURST_GAP)


def follow(
    trail: DeviceTrail | None, seq: int, boot: str, device_ts: datetime | None, now: datetime
) -> DeviceTrail:
    """The trail after a press arrived."""
    lead = None if device_ts is None else now - device_ts
    if trail is None or boot != trail.boot:
        return DeviceTrail(now, seq, boot, lead)
    if lead is None or (trail.clock_lead is not None and trail.clock_lead < lead):
        lead = trail.clock_lead
    flooding = now - trail.last_arrival < BURST_GAP
    return DeviceTrail(now, max(seq, trail.newest_seq), boot, lead, flooding)


StoredPress = tuple[int, str, datetime | None, datetime]
"""A stored press key as the trail needs it: seq, boot, device time (if sent), received at."""


def trail_of(presses: Iterable[StoredPress]) -> DeviceTrail | None:
    """A device's trail rebuilt from its stored press keys after a restart: the same `follow`,
    over its presses in the order they arrived (seq breaks a tie: a flood's keys share a time).
    None without a press. The newest boot's counter wins, as it did when they arrived."""
    trail = None
    for seq, boot, device_ts, received in sorted(presses, key=lambda p: (p[3], p[0])):
        trail = follow(trail, seq, boot, device_ts, received)
    return trail
