"""`decide`: the alarm lifecycle as a transition table from (status, command) to a handler.

A handler reads the state, the office and `now`, and emits events and effects on a draft; each
emitted event is folded in at once so later rules see its consequences (who holds what).
Nothing here touches a clock, a socket or a database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from app.core import commands as cmd
from app.core import effects as fx
from app.core import events as ev
from app.core.alarm import AlarmState, AlarmStatus, RoleSlot, SlotStatus, Stage, evolve
from app.core.assignment import (
    Candidates,
    DispatchContext,
    everyone,
    first_candidates,
    is_eligible,
    next_candidates,
    pool_members,
)
from app.core.office import NamedAssignment, PoolAssignment, Role, TriggerKind


class InvalidTransition(Exception):
    """The command does not fit the alarm as it is; `code` is what a handset's error frame says."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Decision:
    events: tuple[ev.Event, ...] = ()
    effects: tuple[fx.Effect, ...] = ()
    state: AlarmState | None = None  # the state after the events, already folded


@dataclass
class _Draft:
    state: AlarmState | None
    ctx: DispatchContext
    now: datetime
    events: list[ev.Event] = field(default_factory=list)
    effects: dict[fx.Effect, None] = field(default_factory=dict)

    def emit(self, event: ev.Event) -> None:
        self.events.append(event)
        self.state = evolve(self.state, event)

    def effect(self, effect: fx.Effect) -> None:
        self.effects[effect] = None  # ordered, and each effect once

    @property
    def alarm(self) -> AlarmState:
        assert self.state is not None
        return self.state

    def role(self, role_id: str) -> Role:
        try:
            return self.ctx.office.rolecard.role(role_id)
        except KeyError:
            raise InvalidTransition("unknown_role", f"no role {role_id!r} on this card") from None


Handler = Callable[[_Draft, Any], None]


def decide(
    state: AlarmState | None, command: cmd.Command, ctx: DispatchContext, now: datetime
) -> Decision:
    status = state.status if state is not None else None
    handler = TABLE.get((status, type(command)))
    if handler is None:
        if status in (AlarmStatus.RESOLVED, AlarmStatus.CANCELLED):
            raise InvalidTransition("alarm_closed", "the alarm is already closed")
        raise InvalidTransition("invalid", f"{type(command).__name__} does not apply now")
    draft = _Draft(state, ctx, now)
    handler(draft, command)
    return Decision(tuple(draft.events), tuple(draft.effects), draft.state)


# -- raising ------------------------------------------------------------------------------


def _raise(d: _Draft, c: cmd.RaiseAlarm) -> None:
    office = d.ctx.office
    trigger = office.triggers.get(c.device_id)
    if trigger is None:
        raise InvalidTransition("unknown_device", f"no trigger {c.device_id!r} in this office")
    actor = ev.device_actor(c.device_id)
    d.emit(
        ev.PressReceived(
            at=d.now,
            actor=actor,
            device_id=c.device_id,
            seq=c.seq,
            gesture=c.gesture,
            device_ts=c.device_ts,
            battery=c.battery,
        )
    )
    d.emit(
        ev.AlarmRaised(
            at=d.now,
            actor=ev.SYSTEM,
            alarm_id=c.alarm_id,
            office_id=office.id,
            device_id=c.device_id,
            location_id=trigger.location_id,
            level=trigger.level_for(c.gesture),
            mode=c.mode,
            rolecard_version=office.rolecard.version,
            role_ids=tuple(r.id for r in office.rolecard.roles),
            presser_id=trigger.holder_id if trigger.kind is TriggerKind.WORN else None,
        )
    )
    d.effect(fx.SendFeedback(c.alarm_id, c.device_id, fx.FeedbackState.RECEIVED))
    opened: set[str] = set()
    for role in office.rolecard.roles:
        if not isinstance(role.assignment, PoolAssignment):
            _offer(d, role, first_candidates(role, d.alarm.slot(role.id), d.alarm, d.ctx))
        elif role.assignment.pool_id not in opened:
            opened.add(role.assignment.pool_id)
            _open_pool(d, role.assignment.pool_id)
    _notify_the_rest(d)
    d.effect(fx.PushUpdate(c.alarm_id))


def _open_pool(d: _Draft, pool_id: str) -> None:
    """Offer the pool's first role to its present members; the other pool roles wait their turn."""
    roles = d.ctx.office.rolecard.pool_roles(pool_id)
    first = d.alarm.slot(roles[0].id)
    members = pool_members(pool_id, first, d.alarm, d.ctx)
    if members:
        _offer(d, roles[0], Candidates(Stage.POOL, members))
        return
    for role in roles:
        _offer(d, role, everyone(d.alarm.slot(role.id), d.alarm, d.ctx))


def _notify_the_rest(d: _Draft) -> None:
    offered = {p for s in d.alarm.slots for p in s.offered}
    rest = tuple(
        p for p in sorted(d.ctx.office.people) if p not in offered and d.ctx.office.handsets_of(p)
    )
    if rest:
        d.effect(fx.PushNotice(d.alarm.alarm_id, rest))


def _offer(d: _Draft, role: Role, candidates: Candidates | None) -> None:
    slot = d.alarm.slot(role.id)
    if candidates is None:
        d.emit(ev.RoleUnfilled(at=d.now, actor=ev.SYSTEM, role_id=role.id))
        return
    offer_no = slot.offer_no + 1
    due_at = d.now + timedelta(seconds=role.accept_within_s)
    d.emit(
        ev.RoleOffered(
            at=d.now,
            actor=ev.SYSTEM,
            role_id=role.id,
            person_ids=candidates.person_ids,
            stage=candidates.stage.value,
            offer_no=offer_no,
            due_at=due_at,
            chain_index=candidates.chain_index,
        )
    )
    for person in candidates.person_ids:
        d.effect(fx.PushOffer(d.alarm.alarm_id, person, role.id))
    d.effect(fx.ArmDeadline(d.alarm.alarm_id, role.id, offer_no, due_at))


def _advance(d: _Draft, role_id: str) -> None:
    """Move a role on to the next stage of its chain; a pool's waiting roles go along with it."""
    slot = d.alarm.slot(role_id)
    role = d.role(role_id)
    if slot.stage is Stage.POOL and isinstance(role.assignment, PoolAssignment):
        for waiting in d.ctx.office.rolecard.pool_roles(role.assignment.pool_id):
            if d.alarm.slot(waiting.id).status is SlotStatus.WAITING:
                _offer(d, waiting, everyone(d.alarm.slot(waiting.id), d.alarm, d.ctx))
    _offer(d, role, next_candidates(role, d.alarm.slot(role_id), d.alarm, d.ctx))


def _join(d: _Draft, c: cmd.JoinAlarm) -> None:
    """A person who arrives during an alarm is offered the open roles they could have been
    asked for: a role with nobody left to ask, a role offered to everyone present, or a role
    whose chain or pool names them. They join the running stage and its deadline."""
    for slot in d.alarm.slots:
        role = d.role(slot.role_id)
        if (
            slot.status not in (SlotStatus.OFFERED, SlotStatus.UNFILLED)
            or c.person_id in slot.asked
        ):
            continue
        if not is_eligible(c.person_id, d.alarm, d.ctx) or not _may_join(
            role, slot, c.person_id, d
        ):
            continue
        if slot.status is SlotStatus.UNFILLED:
            _offer(d, role, Candidates(Stage.EVERYONE, (c.person_id,)))
            continue
        assert slot.due_at is not None and slot.stage is not None
        d.emit(
            ev.RoleOffered(
                at=d.now,
                actor=ev.SYSTEM,
                role_id=role.id,
                person_ids=(c.person_id,),
                stage=slot.stage.value,
                offer_no=slot.offer_no,
                due_at=slot.due_at,
                chain_index=slot.chain_index,
            )
        )
        d.effect(fx.PushOffer(d.alarm.alarm_id, c.person_id, role.id))
    if d.events:
        d.effect(fx.PushUpdate(d.alarm.alarm_id))


def _may_join(role: Role, slot: RoleSlot, person_id: str, d: _Draft) -> bool:
    if slot.status is SlotStatus.UNFILLED or slot.stage is Stage.EVERYONE:
        return True
    a = role.assignment
    if isinstance(a, PoolAssignment):
        return slot.stage is Stage.POOL and person_id in d.ctx.office.pools.get(a.pool_id, ())
    if isinstance(a, NamedAssignment) and person_id in a.chain:
        return a.chain.index(person_id) <= slot.chain_index  # never ahead of the chain's order
    return False


def _repeat(d: _Draft, c: cmd.RaiseAlarm) -> None:
    trigger = d.ctx.office.triggers.get(c.device_id)
    if trigger is None:
        raise InvalidTransition("unknown_device", f"no trigger {c.device_id!r} in this office")
    level = trigger.level_for(c.gesture)
    d.emit(
        ev.PressRepeated(
            at=d.now,
            actor=ev.device_actor(c.device_id),
            device_id=c.device_id,
            seq=c.seq,
            gesture=c.gesture,
            level=level,
        )
    )
    if level.rank > d.alarm.level.rank:
        d.emit(ev.LevelRaised(at=d.now, actor=ev.SYSTEM, level=level))
    d.effect(fx.SendFeedback(d.alarm.alarm_id, c.device_id, fx.FeedbackState.RECEIVED))
    d.effect(fx.PushUpdate(d.alarm.alarm_id))


# -- answering offers ---------------------------------------------------------------------


def _accept(d: _Draft, c: cmd.AcceptRole) -> None:
    held = d.alarm.role_held_by(c.person_id)
    if held is not None:
        if held.role_id == c.role_id:
            return  # a repeated accept changes nothing
        raise InvalidTransition("already_holding", f"you already hold the role {held.role_id!r}")
    role = d.role(c.role_id)
    target = _slot_to_take(d, role, c.person_id)
    first_accept = not any(s.status is SlotStatus.ACCEPTED for s in d.alarm.slots)
    others = tuple(sorted(target.offered - {c.person_id}))
    d.emit(
        ev.RoleAccepted(
            at=d.now,
            actor=ev.person_actor(c.person_id),
            role_id=target.role_id,
            person_id=c.person_id,
        )
    )
    if others:
        d.emit(
            ev.OfferWithdrawn(
                at=d.now, actor=ev.SYSTEM, role_id=target.role_id, person_ids=others, reason="taken"
            )
        )
    _withdraw_other_offers(d, c.person_id)
    _continue_pool(d, d.role(target.role_id), others)
    d.effect(fx.PushUpdate(d.alarm.alarm_id))
    if first_accept:
        d.effect(fx.SendFeedback(d.alarm.alarm_id, d.alarm.device_id, fx.FeedbackState.ACCEPTED))


def _slot_to_take(d: _Draft, role: Role, person_id: str) -> Any:
    """The slot an accept takes: the one offered, or for a pool the person's live pool offer."""
    slot = d.alarm.slot(role.id)
    if slot.status is not SlotStatus.ACCEPTED and person_id in slot.offered:
        return slot
    if isinstance(role.assignment, PoolAssignment):
        pool = {r.id for r in d.ctx.office.rolecard.pool_roles(role.assignment.pool_id)}
        for live in d.alarm.live_offers(person_id):
            if live.role_id in pool:
                return live
    if slot.status is SlotStatus.ACCEPTED:
        raise InvalidTransition("taken", f"the role {role.id!r} is already taken")
    raise InvalidTransition("not_offered", f"the role {role.id!r} was not offered to you")


def _withdraw_other_offers(d: _Draft, person_id: str) -> None:
    """One role per person per alarm: accepting one counts as declining the others at once."""
    for live in d.alarm.live_offers(person_id):
        d.emit(
            ev.OfferWithdrawn(
                at=d.now,
                actor=ev.SYSTEM,
                role_id=live.role_id,
                person_ids=(person_id,),
                reason="holds another role",
            )
        )
        now_slot = d.alarm.slot(live.role_id)
        if now_slot.status is SlotStatus.OFFERED and not now_slot.pending:
            _advance(d, live.role_id)


def _continue_pool(d: _Draft, taken: Role, others: tuple[str, ...]) -> None:
    """The rest of the pool gets the next pool role, so the first N take the roles in order."""
    if (
        not isinstance(taken.assignment, PoolAssignment)
        or d.alarm.slot(taken.id).stage is not Stage.POOL
    ):
        return
    for role in d.ctx.office.rolecard.pool_roles(taken.assignment.pool_id):
        slot = d.alarm.slot(role.id)
        if slot.status is SlotStatus.WAITING:
            members = pool_members(taken.assignment.pool_id, slot, d.alarm, d.ctx)
            persons = tuple(p for p in others if p in members)
            _offer(
                d,
                role,
                Candidates(Stage.POOL, persons) if persons else everyone(slot, d.alarm, d.ctx),
            )
            return


def _decline(d: _Draft, c: cmd.DeclineRole) -> None:
    slot = d.alarm.slot(d.role(c.role_id).id)
    if c.person_id not in slot.offered:
        raise InvalidTransition("not_offered", f"the role {c.role_id!r} is not offered to you")
    d.emit(
        ev.RoleDeclined(
            at=d.now,
            actor=ev.person_actor(c.person_id),
            role_id=c.role_id,
            person_id=c.person_id,
            reason=c.reason,
        )
    )
    after = d.alarm.slot(c.role_id)
    if after.status is SlotStatus.OFFERED and not after.pending:
        _advance(d, c.role_id)
    d.effect(fx.PushUpdate(d.alarm.alarm_id))


def _expire(d: _Draft, c: cmd.ExpireOffer) -> None:
    slot = d.alarm.slot(d.role(c.role_id).id)
    if slot.status is not SlotStatus.OFFERED or slot.offer_no != c.offer_no:
        return  # stale deadline: the offer was answered or moved on
    d.emit(
        ev.OfferTimedOut(
            at=d.now,
            actor=ev.SYSTEM,
            role_id=c.role_id,
            person_ids=tuple(sorted(slot.pending)),
            offer_no=c.offer_no,
        )
    )
    _advance(d, c.role_id)
    d.effect(fx.PushUpdate(d.alarm.alarm_id))


# -- during and after ---------------------------------------------------------------------


def _step(d: _Draft, c: cmd.CompleteStep) -> None:
    role = d.role(c.role_id)
    slot = d.alarm.slot(role.id)
    if slot.status is not SlotStatus.ACCEPTED or slot.holder_id != c.person_id:
        raise InvalidTransition("not_holder", f"you do not hold the role {role.id!r}")
    if not 1 <= c.step <= len(role.steps):
        raise InvalidTransition(
            "bad_step", f"the role {role.id!r} has steps 1 to {len(role.steps)}"
        )
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
    d.effect(fx.PushUpdate(d.alarm.alarm_id))


def _help(d: _Draft, c: cmd.RequestHelp) -> None:
    d.emit(
        ev.HelpRequested(
            at=d.now, actor=ev.person_actor(c.person_id), person_id=c.person_id, text=c.text
        )
    )
    d.effect(fx.PushUpdate(d.alarm.alarm_id))


def _leader_slot(d: _Draft, person_id: str, what: str) -> str:
    held = d.alarm.role_held_by(person_id)
    if held is None or not d.role(held.role_id).leader:
        raise InvalidTransition("not_leader", f"only the person holding the leader role can {what}")
    return held.role_id


def _all_clear(d: _Draft, c: cmd.GiveAllClear) -> None:
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
    d.effect(fx.SendFeedback(d.alarm.alarm_id, d.alarm.device_id, fx.FeedbackState.RESOLVED))


def _lockdown(d: _Draft, c: cmd.SetLockdown) -> None:
    _leader_slot(d, c.person_id, "send the lockdown notice")
    if d.alarm.lockdown == c.on:
        return
    d.emit(
        ev.LockdownChanged(
            at=d.now, actor=ev.person_actor(c.person_id), on=c.on, person_id=c.person_id
        )
    )
    d.effect(fx.PushLockdown(d.alarm.alarm_id, c.on))


def _cancel(d: _Draft, c: cmd.CancelAlarm) -> None:
    actor = ev.device_actor(c.device_id)
    window = timedelta(seconds=d.ctx.office.cancel_window_s)
    if d.now - d.alarm.raised_at > window:
        d.emit(ev.CancelRefused(at=d.now, actor=actor, device_id=c.device_id, seq=c.seq))
        d.effect(fx.PushUpdate(d.alarm.alarm_id))
        return
    d.emit(ev.AlarmCancelled(at=d.now, actor=actor, device_id=c.device_id, seq=c.seq))
    d.effect(fx.PushClosed(d.alarm.alarm_id))
    d.effect(fx.SendFeedback(d.alarm.alarm_id, c.device_id, fx.FeedbackState.CANCELLED))


def _stale(d: _Draft, c: cmd.Command) -> None:
    """A deadline firing after the alarm closed is expected and changes nothing."""


_OPEN = AlarmStatus.OPEN
TABLE: dict[tuple[AlarmStatus | None, type[cmd.Command]], Handler] = {
    (None, cmd.RaiseAlarm): _raise,
    (_OPEN, cmd.RaiseAlarm): _repeat,
    (_OPEN, cmd.CancelAlarm): _cancel,
    (_OPEN, cmd.AcceptRole): _accept,
    (_OPEN, cmd.DeclineRole): _decline,
    (_OPEN, cmd.ExpireOffer): _expire,
    (_OPEN, cmd.CompleteStep): _step,
    (_OPEN, cmd.RequestHelp): _help,
    (_OPEN, cmd.GiveAllClear): _all_clear,
    (_OPEN, cmd.SetLockdown): _lockdown,
    (_OPEN, cmd.JoinAlarm): _join,
    (AlarmStatus.RESOLVED, cmd.ExpireOffer): _stale,
    (AlarmStatus.CANCELLED, cmd.ExpireOffer): _stale,
}
