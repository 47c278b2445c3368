"""Supervision: device health and coverage, told to the office's handsets when it changes."""

from __future__ import annotations

import contextlib

from app.compose.handsets import Handsets
from app.compose.storage import Storage
from app.service.clock import Clock
from app.service.metrics import Metrics
from app.service.supervision import Supervision


async def start_supervision(
    storage: Storage,
    handsets: Handsets,
    metrics: Metrics,
    clock: Clock,
    stack: contextlib.AsyncExitStack,
) -> Supervision:
    supervision = Supervision(
        storage.offices, handsets.presence, clock, handsets.hub.coverage, metrics.coverage_degraded
    )
    supervision.start(await storage.store.last_button_tests())
    stack.callback(supervision.close)
    return supervision
