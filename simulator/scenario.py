"""Runs the real Dispatcher on a manual clock with virtual handsets, to prove role cards."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path

from app.compose.dispatch import dispatcher_for
from app.core import commands as cmd
from app.core import events as ev
from app.core.alarm import AlarmState
from app.core.draft import InvalidTransition
from app.core.office import Office
from app.service.dispatcher import alarm_id_for
from app.service.metrics import Metrics
from app.service.offices import ApiTokenLike, OfficeDirectory
from app.service.ports import PressKey
from app.service.presence import Presence
from simulator.fakes import (
    Callback,
    ManualClock,
    MemoryAlarmStore,
    RecordingExternal,
    RecordingFeedback,
    RecordingNotifier,
    Timer,
    settle,
)
from simulator.report import AlarmReport, Outcome, alarm_report, evaluate
from simulator.scenario_load import LoadedScenario, load_scenario
from simulator.scenario_model import Action, Behaviour, PersonSpec, Press

Progress = Callable[[float, Sequence[AlarmState]], None]


@dataclass(frozen=True)
class Note:
    """Something the run did that is not on an alarm's timeline (a refused command)."""

    at_s: float
    person: str
    text: str


@dataclass
class ScenarioRun:
    loaded: LoadedScenario
    alarms: list[AlarmReport]
    outcomes: list[Outcome]
    notes: list[Note]
    timelines: list[list[ev.Event]]  # each alarm's events as stored, in the order raised
    faults: list[Note] = field(default_factory=list)  # what the scenario's faults did

    @property
    def ok(self) -> bool:
        return all(o.met for o in self.outcomes)


@dataclass(frozen=True)
class _Loaded:
    """The OfficeDirectory's view of an office: no tokens are needed in a simulation."""

    office: Office
    handset_tokens: Mapping[str, str] = field(default_factory=dict)
    api_tokens: Sequence[ApiTokenLike] = ()


@dataclass
class _Handset:
    person: str
    handset_id: str
    spec: PersonSpec
    connected: bool = False
    offers: list[tuple[str, str]] = field(default_factory=list)  # (alarm, role), push order
    reaction: Timer | None = None

    @property
    def behaviour(self) -> Behaviour:
        return self.spec.behaviour


class _Run:
    def __init__(self, loaded: LoadedScenario) -> None:
        self.loaded = loaded
        self.s = loaded.scenario
        self.office = loaded.office
        self.clock = ManualClock(self.s.start)
        self.store = MemoryAlarmStore()
        self.presence = Presence()
        self.notifier = RecordingNotifier(self._offered)
        self.external = RecordingExternal()
        acked = None if self.s.acknowledged is None else frozenset(self.s.acknowledged)
        self.dispatcher = dispatcher_for(
            offices=OfficeDirectory([_Loaded(self.office)]),
            store=self.store,
            clock=self.clock,
            presence=self.presence,
            notifier=self.notifier,
            feedback=RecordingFeedback(),
            metrics=Metrics(),
            external=self.external,
            acknowledged=None if acked is None else (lambda _office_id: acked),
        )
        self.handsets = {
            p: _Handset(p, hs[0].id, self.s.person(p))
            for p in sorted(self.office.people)
            if (hs := self.office.handsets_of(p))
        }
        self.alarm_ids: list[str] = []
        self.busy: set[tuple[str, str]] = set()  # (alarm, person): pressed it, does not answer
        self.notes: list[Note] = []
        self.fault_log: list[Note] = []

    # -- scheduling the scenario --------------------------------------------------------

    def _at(self, seconds: float, action: Callback) -> None:
        self.clock.call_at(self.s.start + timedelta(seconds=seconds), action)

    def _elapsed(self) -> float:
        return (self.clock.now() - self.s.start).total_seconds()

    def _schedule(self) -> None:
        for h in self.handsets.values():
            if h.spec.at_start:
                self._connect(h)
            if h.spec.arrives_after_s is not None:
                self._at(h.spec.arrives_after_s, partial(self._arrive, h))
            if h.spec.drops_after_s is not None:
                self._at(h.spec.drops_after_s, partial(self._drop, h))
            if h.spec.back_after_s is not None:
                self._at(h.spec.back_after_s, partial(self._arrive, h))
        for seq, press in enumerate(self.s.presses, start=1):
            if (delivered := self._delivered_at(press)) is not None:
                self._at(delivered, partial(self._press, press, seq))
        for action in self.s.then:
            self._at(action.at_s, partial(self._act, action))

    def _delivered_at(self, press: Press) -> float | None:
        """When a press reaches the dispatcher: never from a dead button; after a broker restart
        when it was published during one (in publish order)."""
        for f in self.s.faults:
            if f.kind == "dead_button" and f.device == press.device and press.at_s >= f.at_s:
                text = f"{press.event} not delivered: dead button since {f.at_s:g} s"
                text += " (silent to supervision)"
                self.fault_log.append(Note(press.at_s, press.device, text))
                return None
        at = press.at_s
        for f in sorted(self.s.faults, key=lambda f: f.at_s):
            if f.kind == "broker_restart" and f.at_s <= at < f.at_s + (f.for_s or 0):
                at = f.at_s + (f.for_s or 0)
        if at != press.at_s:
            text = f"{press.event} delivered at {at:g} s, after the broker restart"
            self.fault_log.append(Note(press.at_s, press.device, text))
        return at

    async def run(self, progress: Progress | None) -> ScenarioRun:
        self._schedule()
        steps = math.ceil(self.s.run_for_s)
        for step in range(1, steps + 1):
            at = min(float(step), self.s.run_for_s)
            await self.clock.run_until(self.s.start + timedelta(seconds=at))
            if progress is not None:
                progress(at, self.dispatcher.open_alarms(self.office.id))
        await settle()
        timelines = [[s.event for s in await self.store.events(a)] for a in self.alarm_ids]
        alarms = [alarm_report(events, self.office.rolecard) for events in timelines]
        for a in self.alarm_ids:
            if not await self.store.verify_chain(a):
                self.notes.append(Note(self._elapsed(), "-", f"timeline of {a} does not verify"))
        await self.dispatcher.close()
        outcomes = [o for e in self.s.expect for o in evaluate(e, alarms)]
        return ScenarioRun(self.loaded, alarms, outcomes, self.notes, timelines, self.fault_log)

    # -- devices and people -------------------------------------------------------------

    async def _press(self, press: Press, seq: int) -> None:
        key = PressKey(press.device, seq)
        if press.event == "cancel":
            await self.dispatcher.cancel(self.office, key)
            return
        if press.by is not None:
            self.busy.add((alarm_id_for(key), press.by))  # before the offers go out
        alarm_id = await self.dispatcher.press(self.office, key, press.gesture)
        if alarm_id is not None and alarm_id not in self.alarm_ids:
            self.alarm_ids.append(alarm_id)
        if alarm_id is not None and press.by is not None:
            self.busy.add((alarm_id, press.by))  # a repeat press belongs to the open alarm

    def _connect(self, h: _Handset) -> None:
        h.connected = True
        self.presence.arrived(self.office.id, h.person, h.handset_id)
        if h.spec.checked_in is not None:  # the handset says where its person sits
            now = self.clock.now()
            self.dispatcher.places.check_in(self.office.id, h.person, h.spec.checked_in, now, None)

    async def _arrive(self, h: _Handset) -> None:
        self._connect(h)
        await self.dispatcher.person_arrived(self.office, h.person)
        self._plan(h)  # offers still live from before a dropped connection

    def _drop(self, h: _Handset) -> None:
        h.connected = False
        self.presence.left(self.office.id, h.person, h.handset_id)
        if h.reaction is not None:
            h.reaction.cancel()
            h.reaction = None

    async def _act(self, a: Action) -> None:
        if a.alarm > len(self.alarm_ids):
            self.notes.append(Note(self._elapsed(), a.person, f"{a.action}: no alarm {a.alarm}"))
            return
        alarm_id = self.alarm_ids[a.alarm - 1]
        command: cmd.Command
        if a.action == "step_done":
            state = self.dispatcher.open_alarm(alarm_id)
            held = state.role_held_by(a.person) if state else None
            role = a.role or (held.role_id if held else "")
            command = cmd.CompleteStep(person_id=a.person, role_id=role, step=a.step or 1)
        elif a.action == "all_clear":
            command = cmd.GiveAllClear(person_id=a.person)
        elif a.action == "need_help":
            command = cmd.RequestHelp(person_id=a.person)
        elif a.action == "arrived":
            command = cmd.MarkArrived(person_id=a.person)
        elif a.action == "police_contacted":
            command = cmd.MarkPoliceContacted(person_id=a.person)
        else:
            command = cmd.SetLockdown(person_id=a.person, on=True)
        await self._command(a.person, alarm_id, command, a.action)

    async def _command(self, person: str, alarm_id: str, command: cmd.Command, what: str) -> bool:
        try:
            await self.dispatcher.handle(self.office, alarm_id, command)
        except InvalidTransition as err:
            self.notes.append(Note(self._elapsed(), person, f"{what} refused: {err.message}"))
            return False
        return True

    # -- the virtual handsets -----------------------------------------------------------

    def _offered(self, state: AlarmState, person: str, role: str) -> None:
        h = self.handsets.get(person)
        if h is None or not h.connected:
            return
        h.offers.append((state.alarm_id, role))
        self._plan(h)

    def _live(self, h: _Handset) -> list[tuple[str, str]]:
        """The person's offers they can still answer, in the order they appeared."""
        live: list[tuple[str, str]] = []
        for alarm_id, role in dict.fromkeys(h.offers):
            if (alarm_id, h.person) in self.busy:
                continue
            state = self.dispatcher.open_alarm(alarm_id)
            if state is not None and any(s.role_id == role for s in state.live_offers(h.person)):
                live.append((alarm_id, role))
        wanted = h.behaviour.accept_role
        return [o for o in live if wanted is None or o[1] == wanted]

    def _plan(self, h: _Handset) -> None:
        """Answer `delay` seconds after an offer appears (once for everything on the screen)."""
        delay = h.behaviour.delay_s
        if h.reaction is not None or not h.connected or delay is None or not self._live(h):
            return
        when = self.clock.now() + timedelta(seconds=delay)
        h.reaction = self.clock.call_at(when, partial(self._react, h))

    async def _react(self, h: _Handset) -> None:
        h.reaction = None
        live = self._live(h)
        if h.behaviour.accept_after is not None:
            for alarm_id, role in live[:1]:
                accept = cmd.AcceptRole(person_id=h.person, role_id=role)
                if not await self._command(h.person, alarm_id, accept, f"accept {role}"):
                    h.offers = [o for o in h.offers if o != (alarm_id, role)]
        else:
            for alarm_id, role in live:
                decline = cmd.DeclineRole(person_id=h.person, role_id=role)
                await self._command(h.person, alarm_id, decline, f"decline {role}")
        self._plan(h)


async def run_loaded(loaded: LoadedScenario, progress: Progress | None = None) -> ScenarioRun:
    """Run a checked scenario to its end and report on it."""
    return await _Run(loaded).run(progress)


def run_scenario(path: str | Path, progress: Progress | None = None) -> ScenarioRun:
    """Load, run and report one scenario file (raises ScenarioError for an invalid file)."""
    return asyncio.run(run_loaded(load_scenario(path), progress))
