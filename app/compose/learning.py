"""Learning after alarms: debriefs (built before the dispatcher, whose closing hook opens them),
then drills, incidents, outreach, statistics and retention (after it: outreach raises alarms)."""

from __future__ import annotations

import contextlib

from app.adapters.ws.hub import HandsetHub
from app.compose.storage import Storage
from app.service.clock import Clock
from app.service.dispatcher import Dispatcher
from app.service.learning.bundle import Learning
from app.service.learning.debriefs import Debriefs
from app.service.learning.outreach import dispatcher_raiser
from app.service.offices import OfficeDirectory


def build_debriefs(storage: Storage, clock: Clock) -> Debriefs:
    """Its `on_alarm_closed` is the dispatcher's closing hook."""
    return Debriefs(storage.learning, storage.store, storage.offices, clock)


async def start_learning(
    storage: Storage,
    dispatcher: Dispatcher,
    debriefs: Debriefs,
    clock: Clock,
    stack: contextlib.AsyncExitStack,
) -> Learning:
    """Drill windows loaded and outreach timers armed before the intake takes presses (the
    intake's `mode_for` is `learning.drills.mode_for`)."""
    raise_alarm = dispatcher_raiser(storage.offices, dispatcher)
    learning = Learning.build(
        storage.learning,
        storage.store,
        storage.offices,
        clock,
        raise_alarm,
        debriefs=debriefs,
    )
    await learning.start()
    stack.push_async_callback(learning.close)
    return learning


def tell_handsets(learning: Learning, hub: HandsetHub, offices: OfficeDirectory) -> None:
    """What learning tells the handsets: a drill is announced to the offices that see the
    drilling office's alarms, before its first drill alarm (req. 12); an outreach alarm's
    worker and planned place go to the office's handsets (req. 36)."""
    learning.drills.on_started = lambda office_id, until: hub.drill_started(
        offices.office(office_id), until
    )
    learning.outreach.on_raised = lambda office_id, alarm_id, person_id, where: hub.visit(
        offices.office(office_id), alarm_id, person_id, where
    )
