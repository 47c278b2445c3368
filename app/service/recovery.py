"""Recovery of one open alarm after a restart: its timeline folded, its card rebuilt.

Split from the dispatcher, which remembers what this returns and re-arms its deadlines. Also the
devices' recently closed alarms with the trail of their presses, so that a press made before an
all-clear and delivered after a restart is still a late repeat (app.core.repeats).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

import structlog

from app.core import events as ev
from app.core.alarm import AlarmState
from app.core.office import Gesture, Office
from app.core.repeats import DeviceTrail, StoredPress, Tally, parse_seqs, trail_of
from app.service.cards import AlarmCards
from app.service.offices import OfficeDirectory
from app.service.ports import AlarmStore, PressKey, PressRow
from app.service.timelines import TimelineProblems, UnreadableTimeline, fold_checked

log = structlog.get_logger(__name__)


async def read_open_alarm(
    store: AlarmStore,
    offices: OfficeDirectory,
    cards: AlarmCards,
    problems: TimelineProblems,
    alarm_id: str,
) -> tuple[AlarmState, Office] | None:
    """The alarm's state and the office with its card; None (reported) when unreadable."""
    events = [stored.event for stored in await store.events(alarm_id)]
    try:
        state = fold_checked(events)
    except UnreadableTimeline as err:  # reported, and the other alarms still recover
        problems.found(alarm_id, err.reason)
        return None
    variants: list[str | None] = [
        e.variant_id for e in events if isinstance(e, ev.AlarmRaised | ev.CardExtended)
    ]
    if state is None or state.office_id not in offices.offices:
        log.error("cannot recover alarm", alarm_id=alarm_id)
        return None
    dispatched = offices.office_version(state.office_id, state.rolecard_version)
    return state, cards.rebuild(state, dispatched, variants or [None])


RECOUNT_WINDOW = timedelta(minutes=10)  # held repeats are recorded within a second or two


async def uncounted_repeats(store: AlarmStore, since: datetime) -> list[tuple[AlarmState, Tally]]:
    """Presses durable as press keys (acknowledged, answered) whose coalesced row never made it
    to the timeline: the process died within the second they were held. Per alarm, as one tally
    to record now, so every acknowledged press is on its alarm's timeline after a restart."""
    by_alarm: dict[str, list[PressKey]] = defaultdict(list)
    for key, alarm_id in (await store.press_keys_since(since)).items():
        by_alarm[alarm_id].append(key)
    found = []
    for alarm_id, keys in sorted(by_alarm.items()):
        events = [stored.event for stored in await store.events(alarm_id)]
        try:
            state = fold_checked(events)
        except UnreadableTimeline:
            continue  # reported when the alarm is read
        covered = {pair for e in events for pair in _pressed(e)}
        missing = sorted((k for k in keys if (k.device_id, k.seq) not in covered), key=_order)
        if state is None or not missing:
            continue
        first, *rest = missing
        tally = Tally.start(first.device_id, first.seq, Gesture.SINGLE, state.level, since)
        for key in rest:
            tally = tally.add(key.seq, since)
        found.append((state, tally))
    return found


def _pressed(event: ev.Event) -> list[tuple[str, int]]:
    """The (device, seq) pairs a press row stands for."""
    if isinstance(event, ev.PressRepeated):
        return [(event.device_id, s) for s in parse_seqs(event.seqs) or [event.seq]]
    return [(event.device_id, event.seq)] if isinstance(event, ev.PressReceived) else []


def _order(key: PressKey) -> tuple[str, int]:
    return key.device_id, key.seq


LATE_WINDOW = timedelta(minutes=10)
"""How long after its all-clear a closed alarm is rebuilt at start-up for late presses. A press
with a device time has no window in the rule; a broker queues a flood for seconds to a minute,
so ten minutes (the held repeats' `RECOUNT_WINDOW` too) covers a restart or a standby's takeover
with room, and keeps the read small. A press without one only matches for `REDELIVERY_WINDOW`."""


async def recently_closed(
    store: AlarmStore, presses: Sequence[PressRow], now: datetime
) -> list[tuple[AlarmState, DeviceTrail]]:
    """Each device's newest alarm closed within `LATE_WINDOW`, with the trail its stored press
    keys give (one read for the timelines; `presses` were read already for de-duplication)."""
    newest: dict[str, AlarmState] = {}
    for stored in (await store.closed_timelines_since(now - LATE_WINDOW)).values():
        try:
            state = fold_checked([s.event for s in stored])
        except UnreadableTimeline:
            continue  # reported if it is ever read as an open alarm; no late presses for it
        if state is None or state.closed_at is None or state.closed_at > now:
            continue  # closed "in the future": another clock wrote it, its presses' times too
        before = newest.get(state.device_id)
        if before is None or before.closed_at is None or before.closed_at <= state.closed_at:
            newest[state.device_id] = state
    by_device: defaultdict[str, list[StoredPress]] = defaultdict(list)
    for row in presses:
        key = row.key
        if key.device_id in newest:
            made = (key.seq, key.boot, device_time(key.device_ts), row.received_at)
            by_device[key.device_id].append(made)
    found = []
    for device_id, state in sorted(newest.items()):
        trail = trail_of(by_device[device_id])
        if trail is not None:
            found.append((state, trail))
    return found


def device_time(stored: str) -> datetime | None:
    """The device time a press key holds: a native button's `ts` (ISO 8601, with its offset);
    another family's key, or none, is no time (the rule then goes by seq)."""
    try:
        at = datetime.fromisoformat(stored)
    except ValueError:
        return None
    return at if at.tzinfo is not None else None
