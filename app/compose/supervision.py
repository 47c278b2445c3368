"""Supervision: device health and coverage, told to the office's handsets when it changes."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from app.compose.handsets import Handsets
from app.compose.storage import Storage
from app.core.office import Office
from app.core.supervision import Problem
from app.service.acting import ActingWatch
from app.service.clock import Clock
from app.service.metrics import Metrics
from app.service.supervision import Supervision
from app.service.whereabouts import Places


async def start_supervision(
    storage: Storage,
    handsets: Handsets,
    metrics: Metrics,
    clock: Clock,
    stack: contextlib.AsyncExitStack,
    places: Places,
    more: Callable[[Office], list[Problem]],
) -> Supervision:
    """`places`: who is checked in where (the dispatcher's), for lone reception and sites;
    `more`: further coverage problems (phones that do not confirm pushes)."""
    supervision = Supervision(
        storage.offices,
        handsets.presence,
        clock,
        handsets.hub.coverage,
        metrics.coverage_degraded,
        places=places,
        more=more,
    )
    supervision.start(await storage.store.last_button_tests())
    stack.callback(supervision.close)
    acting = ActingWatch(storage.offices, clock, handsets.hub.roles_changed)  # req. 5
    acting.start()
    stack.callback(acting.close)
    return supervision
