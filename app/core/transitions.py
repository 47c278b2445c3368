"""`decide`: the alarm lifecycle as a transition table from (status, command) to a handler.

A handler reads the state, the office and `now`, and emits events and effects on a draft; each
emitted event is folded in at once so later rules see its consequences (who holds what).
Nothing here touches a clock, a socket or a database.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from app.core import commands as cmd
from app.core import delivery
from app.core import effects as fx
from app.core import events as ev
from app.core.alarm import AlarmState, AlarmStatus, RoleSlot, SlotStatus, Stage
from app.core.answers import accept, decline, expire
from app.core.arrival import arrival_step, mark_arrived, police_contacted, tell_presser
from app.core.assignment import (
    Candidates,
    DispatchContext,
    chain_position,
    group_key,
    group_members,
    is_eligible,
)
from app.core.draft import Decision, Draft, InvalidTransition
from app.core.facts import split_guest
from app.core.offering import assemble_idle, join_stage, leader_people, offer
from app.core.office import Role
from app.core.raising import (
    late_press,
    offer_to_guests,
    raise_alarm,
    record_repeats,
    repeat_press,
)

__all__ = ["TABLE", "Decision", "InvalidTransition", "decide"]

Handler = Callable[[Draft, Any], None]


def decide(
    state: AlarmState | None, command: cmd.Command, ctx: DispatchContext, now: Any
) -> Decision:
    status = state.status if state is not None else None
    handler = TABLE.get((status, type(command)))
    if handler is None:
        if status in (AlarmStatus.RESOLVED, AlarmStatus.CANCELLED):
            raise InvalidTransition("alarm_closed", "the alarm is already closed")
        raise InvalidTransition("invalid", f"{type(command).__name__} does not apply now")
    draft = Draft(state, ctx, now)
    handler(draft, command)
    return draft.decision()


# -- arrivals -------------------------------------------------------------------------------


def _join(d: Draft, c: cmd.JoinAlarm) -> None:
    """A person who arrives during an alarm is offered the open roles they could have been
    asked for: a role with nobody left to ask, a role offered to everyone present, or a role
    whose chain (at or before its current place) or group names them. They join the running
    stage and its deadline; with nothing to take, they are told where to assemble."""
    person = c.person_id
    if split_guest(person) is not None:
        offer_to_guests(d, only=person)
        if d.events:
            d.effect(fx.PushUpdate(d.alarm.alarm_id))
        return
    for slot in d.alarm.slots:
        role = d.role(slot.role_id)
        if slot.status not in (SlotStatus.OFFERED, SlotStatus.UNFILLED) or person in slot.asked:
            continue
        if not is_eligible(person, d.alarm, d.ctx) or not _may_join(role, slot, person, d):
            continue
        unfilled = slot.status is SlotStatus.UNFILLED and slot.stage is not Stage.LEADER
        if unfilled or slot.due_at is None:  # nobody left to ask, or gone to outside help:
            offer(d, role, Candidates(Stage.EVERYONE, (person,)))  # no stage runs to join
            continue
        join_stage(d, role, (person,))
    assemble_idle(d)
    if d.events:
        d.effect(fx.PushUpdate(d.alarm.alarm_id))


def _may_join(role: Role, slot: RoleSlot, person: str, d: Draft) -> bool:
    if slot.status is SlotStatus.UNFILLED or slot.stage in (Stage.EVERYONE, Stage.RESPOND):
        return True
    key = group_key(role)
    if slot.stage in (Stage.POOL, Stage.CLAIM) and key is not None:
        return person in group_members(key, slot, d.alarm, d.ctx)
    position = chain_position(role, person, d.ctx)
    return position is not None and position <= slot.chain_index  # never ahead of the chain


# -- during and after ---------------------------------------------------------------------


def _step(d: Draft, c: cmd.CompleteStep) -> None:
    role = d.role(c.role_id)
    slot = d.alarm.slot(role.id)
    holds = slot.holder_id == c.person_id or c.person_id in slot.responders
    if slot.status is not SlotStatus.ACCEPTED or not holds:
        raise InvalidTransition("not_holder", f"you do not hold the role {role.id!r}")
    if not 1 <= c.step <= len(role.steps):
        raise InvalidTransition("bad_step", f"{role.id!r} has steps 1 to {len(role.steps)}")
    if c.step in slot.steps_done:
        return
    d.emit(
        ev.StepCompleted(
            at=d.now,
            actor=ev.person_actor(c.person_id),
            role_id=role.id,
            person_id=c.person_id,
            step=c.step,
        )
    )
    arrival_step(d, role, c.person_id, c.step)
    d.effect(fx.PushUpdate(d.alarm.alarm_id))


def _help(d: Draft, c: cmd.RequestHelp) -> None:
    d.emit(
        ev.HelpRequested(
            at=d.now, actor=ev.person_actor(c.person_id), person_id=c.person_id, text=c.text
        )
    )
    d.effect(fx.PushUpdate(d.alarm.alarm_id))


def _remind(d: Draft, c: cmd.RemindLeader) -> None:
    slot = d.alarm.slot(d.role(c.role_id).id)
    if slot.reminded or slot.steps_done or d.alarm.police_contacted_by is not None:
        return  # police contacted (ticked, or a step of the role), or already reminded
    people = leader_people(d)
    d.emit(ev.ReminderSent(at=d.now, actor=ev.SYSTEM, role_id=c.role_id, person_ids=people))
    d.effect(fx.PushReminder(d.alarm.alarm_id, c.role_id, people, fx.ReminderKind.POLICE))


def _delivery(d: Draft, c: cmd.RecordDelivery) -> None:
    d.emit(
        ev.ExternalDeliveryReported(
            at=d.now, actor=ev.SYSTEM, role_id=c.role_id, delivered=c.delivered, failed=c.failed
        )
    )


def _leader_slot(d: Draft, person_id: str, what: str) -> str:
    held = d.alarm.role_held_by(person_id)
    if held is None or not d.role(held.role_id).leader:
        raise InvalidTransition("not_leader", f"only the person holding the leader role can {what}")
    return held.role_id


def _all_clear(d: Draft, c: cmd.GiveAllClear) -> None:
    role_id = _leader_slot(d, c.person_id, "give the all-clear")
    d.emit(
        ev.AllClearGiven(
            at=d.now,
            actor=ev.person_actor(c.person_id),
            person_id=c.person_id,
            role_id=role_id,
            note=c.note,
        )
    )
    d.effect(fx.PushClosed(d.alarm.alarm_id))
    tell_presser(d, fx.FeedbackState.RESOLVED)


def _lockdown(d: Draft, c: cmd.SetLockdown) -> None:
    _leader_slot(d, c.person_id, "send the lockdown notice")
    if d.alarm.lockdown == c.on:
        return
    d.emit(
        ev.LockdownChanged(
            at=d.now, actor=ev.person_actor(c.person_id), on=c.on, person_id=c.person_id
        )
    )
    d.effect(fx.PushLockdown(d.alarm.alarm_id, c.on))


def _cancel(d: Draft, c: cmd.CancelAlarm) -> None:
    actor = ev.device_actor(c.device_id)
    window = timedelta(seconds=d.ctx.office.cancel_window_s)
    if d.now - d.alarm.raised_at > window:
        d.emit(ev.CancelRefused(at=d.now, actor=actor, device_id=c.device_id, seq=c.seq))
        d.effect(fx.PushUpdate(d.alarm.alarm_id))
        return
    d.emit(ev.AlarmCancelled(at=d.now, actor=actor, device_id=c.device_id, seq=c.seq))
    d.effect(fx.PushClosed(d.alarm.alarm_id))
    tell_presser(d, fx.FeedbackState.CANCELLED)


def _stale(d: Draft, c: cmd.Command) -> None:
    """A deadline, reminder or delivery report after the alarm closed changes nothing."""


_OPEN = AlarmStatus.OPEN
_CLOSED = (AlarmStatus.RESOLVED, AlarmStatus.CANCELLED)
TABLE: dict[tuple[AlarmStatus | None, type[cmd.Command]], Handler] = {
    (None, cmd.RaiseAlarm): raise_alarm,
    (_OPEN, cmd.RaiseAlarm): repeat_press,
    (_OPEN, cmd.RecordRepeats): record_repeats,
    (_OPEN, cmd.CancelAlarm): _cancel,
    (_OPEN, cmd.AcceptRole): accept,
    (_OPEN, cmd.DeclineRole): decline,
    (_OPEN, cmd.ExpireOffer): expire,
    (_OPEN, cmd.CompleteStep): _step,
    (_OPEN, cmd.RequestHelp): _help,
    (_OPEN, cmd.GiveAllClear): _all_clear,
    (_OPEN, cmd.SetLockdown): _lockdown,
    (_OPEN, cmd.JoinAlarm): _join,
    (_OPEN, cmd.RemindLeader): _remind,
    (_OPEN, cmd.RecordDelivery): _delivery,
    (_OPEN, cmd.MarkArrived): mark_arrived,
    (_OPEN, cmd.MarkPoliceContacted): police_contacted,
    (_OPEN, cmd.ConfirmOffer): delivery.confirm,
    (_OPEN, cmd.MissOffer): delivery.miss,
    **{(closed, cmd.RaiseAlarm): late_press for closed in _CLOSED},
    **{(closed, cmd.RecordRepeats): record_repeats for closed in _CLOSED},
    **{(closed, cmd.ConfirmOffer): delivery.stale for closed in _CLOSED},
    **{(closed, cmd.MissOffer): delivery.stale for closed in _CLOSED},
    **{(closed, cmd.ExpireOffer): _stale for closed in _CLOSED},
    **{(closed, cmd.RemindLeader): _stale for closed in _CLOSED},
    **{(closed, cmd.RecordDelivery): _delivery for closed in _CLOSED},
}
