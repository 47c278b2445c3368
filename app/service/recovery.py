"""Recovery of one open alarm after a restart: its timeline folded, its card rebuilt.

Split from the dispatcher, which remembers what this returns and re-arms its deadlines.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import structlog

from app.core import events as ev
from app.core.alarm import AlarmState
from app.core.office import Gesture, Office
from app.core.repeats import Tally, parse_seqs
from app.service.cards import AlarmCards
from app.service.offices import OfficeDirectory
from app.service.ports import AlarmStore, PressKey
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
