"""Recovery of one open alarm after a restart: its timeline folded, its card rebuilt.

Split from the dispatcher, which remembers what this returns and re-arms its deadlines.
"""

from __future__ import annotations

import structlog

from app.core import events as ev
from app.core.alarm import AlarmState
from app.core.office import Office
from app.service.cards import AlarmCards
from app.service.offices import OfficeDirectory
from app.service.ports import AlarmStore
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
