"""Alarm state and `evolve`: the fold of timeline events into what is true now.

Keeping state a pure function of events means recovery after a restart is a replay, and a
debrief replay shows exactly what the dispatcher knew at each instant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import singledispatch
from typing import Any, TypeVar

from app.core import events as ev
from app.core.office import AlarmMode, Level

_T = TypeVar("_T")


def replace(obj: _T, **changes: Any) -> _T:
    """dataclasses.replace for these plain frozen dataclasses, without its generic overhead
    (it is on the press → offer path several times per alarm)."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    new.__dict__.update(changes)
    return new


class AlarmStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    CANCELLED = "cancelled"


class SlotStatus(StrEnum):
    WAITING = "waiting"  # a pool role not yet offered: an earlier pool role is still open
    OFFERED = "offered"
    ACCEPTED = "accepted"
    UNFILLED = "unfilled"  # escalation exhausted; live offers may still be accepted late
    INFORMED = "informed"  # an assembly role: people are told where to gather, not asked


class Stage(StrEnum):
    HOLDER = "holder"
    DEPUTY = "deputy"
    POOL = "pool"
    CLAIM = "claim"  # first to claim: the group's first acceptors take its roles in order
    RESPOND = "respond"  # all respond: every acceptance counts
    EVERYONE = "everyone"
    LEADER = "leader"  # nobody in the office took it: the leader is alerted
    EXTERNAL = "external"  # external contacts were alerted


@dataclass(frozen=True)
class RoleSlot:
    role_id: str
    status: SlotStatus = SlotStatus.WAITING
    stage: Stage | None = None
    chain_index: int = -1
    offer_no: int = 0
    due_at: datetime | None = None
    offered: frozenset[str] = frozenset()  # everyone with a live offer of this role
    pending: frozenset[str] = frozenset()  # those offered at the current stage, not yet answered
    asked: frozenset[str] = frozenset()  # everyone ever offered this role in this alarm
    holder_id: str | None = None
    steps_done: frozenset[int] = frozenset()
    responders: frozenset[str] = frozenset()  # an all-respond role: everyone who accepted
    reminded: bool = False

    @property
    def is_open(self) -> bool:
        return self.status in (SlotStatus.WAITING, SlotStatus.OFFERED, SlotStatus.UNFILLED)


@dataclass(frozen=True)
class AlarmState:
    alarm_id: str
    office_id: str
    device_id: str
    location_id: str
    level: Level
    mode: AlarmMode
    raised_at: datetime
    rolecard_version: str
    presser_id: str | None
    slots: tuple[RoleSlot, ...]
    status: AlarmStatus = AlarmStatus.OPEN
    closed_at: datetime | None = None
    lockdown: bool = False
    presser_via: str | None = None
    arrived: tuple[str, ...] = ()  # people who marked arrival, in order
    police_contacted_by: str | None = None
    repeats: int = 0  # presses after the first (app.core.repeats), late ones included
    first_repeat_at: datetime | None = None
    last_repeat_at: datetime | None = None
    press_row_at: datetime | None = None  # the newest press row; None: the raise

    def slot(self, role_id: str) -> RoleSlot:
        for s in self.slots:
            if s.role_id == role_id:
                return s
        raise KeyError(role_id)

    def role_held_by(self, person_id: str) -> RoleSlot | None:
        for s in self.slots:
            if s.status is SlotStatus.ACCEPTED and (
                s.holder_id == person_id or person_id in s.responders
            ):
                return s
        return None

    def live_offers(self, person_id: str) -> tuple[RoleSlot, ...]:
        """Roles this person may still accept (an all-respond role stays open to everyone)."""
        return tuple(
            s
            for s in self.slots
            if person_id in s.offered
            and (s.is_open or (s.status is SlotStatus.ACCEPTED and s.stage is Stage.RESPOND))
        )

    def with_slot(self, slot: RoleSlot) -> AlarmState:
        return replace(
            self, slots=tuple(slot if s.role_id == slot.role_id else s for s in self.slots)
        )


def evolve(state: AlarmState | None, event: ev.Event) -> AlarmState | None:
    """Apply one event. `AlarmRaised` starts a state; the press before it leaves none yet."""
    if isinstance(event, ev.AlarmRaised):
        return AlarmState(
            alarm_id=event.alarm_id,
            office_id=event.office_id,
            device_id=event.device_id,
            location_id=event.location_id,
            level=event.level,
            mode=event.mode,
            raised_at=event.at,
            rolecard_version=event.rolecard_version,
            presser_id=event.presser_id,
            presser_via=event.presser_via,
            slots=tuple(RoleSlot(role_id=r) for r in event.role_ids),
        )
    if state is None:
        if isinstance(event, ev.PressReceived):
            return None
        raise ValueError(f"{type(event).__name__} before AlarmRaised")
    return _apply(event, state)


def fold(events: Iterable[ev.Event], state: AlarmState | None = None) -> AlarmState | None:
    for event in events:
        state = evolve(state, event)
    return state


@singledispatch
def _apply(event: ev.Event, state: AlarmState) -> AlarmState:
    return state  # timeline-only events (press, repeat, help, refused cancel) change no state


@_apply.register
def _(event: ev.PressRepeated, state: AlarmState) -> AlarmState:
    return replace(
        state,
        repeats=state.repeats + event.count,
        first_repeat_at=state.first_repeat_at or event.first_at or event.at,
        last_repeat_at=event.last_at or event.at,
        press_row_at=event.at,
    )


@_apply.register
def _(event: ev.RoleOffered, state: AlarmState) -> AlarmState:
    s = state.slot(event.role_id)
    persons = frozenset(event.person_ids)
    joining = event.offer_no == s.offer_no  # someone joins the stage that is running
    return state.with_slot(
        replace(
            s,
            status=SlotStatus.OFFERED,
            stage=Stage(event.stage),
            chain_index=event.chain_index,
            offer_no=event.offer_no,
            due_at=event.due_at,
            offered=s.offered | persons,
            pending=(s.pending | persons) if joining else persons,
            asked=s.asked | persons,
        )
    )


@_apply.register
def _(event: ev.RoleAccepted, state: AlarmState) -> AlarmState:
    s = state.slot(event.role_id)
    if s.stage is Stage.RESPOND:  # all respond: the offer stays open for everyone else
        me = frozenset({event.person_id})
        return state.with_slot(
            replace(
                s,
                status=SlotStatus.ACCEPTED,
                holder_id=s.holder_id or event.person_id,
                responders=s.responders | me,
                offered=s.offered - me,
                pending=s.pending - me,
                due_at=None,
            )
        )
    return state.with_slot(
        replace(
            s,
            status=SlotStatus.ACCEPTED,
            holder_id=event.person_id,
            offered=frozenset(),
            pending=frozenset(),
            due_at=None,
        )
    )


@_apply.register
def _(event: ev.RoleDeclined, state: AlarmState) -> AlarmState:
    s = state.slot(event.role_id)
    gone = frozenset({event.person_id})
    return state.with_slot(replace(s, offered=s.offered - gone, pending=s.pending - gone))


@_apply.register
def _(event: ev.OfferNotDelivered, state: AlarmState) -> AlarmState:
    s = state.slot(event.role_id)
    return state.with_slot(replace(s, pending=s.pending - {event.person_id}))


@_apply.register
def _(event: ev.OfferWithdrawn, state: AlarmState) -> AlarmState:
    s = state.slot(event.role_id)
    gone = frozenset(event.person_ids)
    return state.with_slot(replace(s, offered=s.offered - gone, pending=s.pending - gone))


@_apply.register
def _(event: ev.OfferTimedOut, state: AlarmState) -> AlarmState:
    s = state.slot(event.role_id)
    return state.with_slot(replace(s, pending=frozenset(), due_at=None))


@_apply.register
def _(event: ev.RoleUnfilled, state: AlarmState) -> AlarmState:
    s = state.slot(event.role_id)
    return state.with_slot(replace(s, status=SlotStatus.UNFILLED, pending=frozenset(), due_at=None))


@_apply.register
def _(event: ev.AssemblyCalled, state: AlarmState) -> AlarmState:
    s = state.slot(event.role_id)
    told = frozenset(event.person_ids)
    return state.with_slot(replace(s, status=SlotStatus.INFORMED, asked=s.asked | told))


@_apply.register
def _(event: ev.LeaderAlerted, state: AlarmState) -> AlarmState:
    s = state.slot(event.role_id)
    return state.with_slot(
        replace(s, stage=Stage.LEADER, offer_no=event.offer_no, due_at=event.due_at)
    )


@_apply.register
def _(event: ev.ExternalAlerted, state: AlarmState) -> AlarmState:
    s = state.slot(event.role_id)
    return state.with_slot(replace(s, stage=Stage.EXTERNAL, due_at=None))


@_apply.register
def _(event: ev.ReminderSent, state: AlarmState) -> AlarmState:
    return state.with_slot(replace(state.slot(event.role_id), reminded=True))


@_apply.register
def _(event: ev.StepCompleted, state: AlarmState) -> AlarmState:
    s = state.slot(event.role_id)
    return state.with_slot(replace(s, steps_done=s.steps_done | {event.step}))


@_apply.register
def _(event: ev.CardExtended, state: AlarmState) -> AlarmState:
    known = {s.role_id: s for s in state.slots}
    slots = tuple(known.get(r) or RoleSlot(role_id=r) for r in event.role_ids)
    kept = tuple(s for s in state.slots if s.role_id not in event.role_ids)
    return replace(state, slots=slots + kept)


@_apply.register
def _(event: ev.LevelRaised, state: AlarmState) -> AlarmState:
    return replace(state, level=event.level)


@_apply.register
def _(event: ev.AllClearGiven, state: AlarmState) -> AlarmState:
    return replace(state, status=AlarmStatus.RESOLVED, closed_at=event.at)


@_apply.register
def _(event: ev.AlarmCancelled, state: AlarmState) -> AlarmState:
    return replace(state, status=AlarmStatus.CANCELLED, closed_at=event.at)


@_apply.register
def _(event: ev.ArrivalMarked, state: AlarmState) -> AlarmState:
    return replace(state, arrived=(*state.arrived, event.person_id))


@_apply.register
def _(event: ev.PoliceContacted, state: AlarmState) -> AlarmState:
    return replace(state, police_contacted_by=event.person_id)


@_apply.register
def _(event: ev.LockdownChanged, state: AlarmState) -> AlarmState:
    return replace(state, lockdown=event.on)
