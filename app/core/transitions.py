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
from app.core.arrival import (
    arrival_step,
    helper_accepted,
    mark_arrived,
    police_contacted,
    tell_presser,
)
from app.core.assignment import (
    Candidates,
    DispatchContext,
    chain_position,
    first_candidates,
    group_key,
    group_members,
    is_assembly,
    is_eligible,
)
from app.core.draft import Decision, Draft, InvalidTransition
from app.core.facts import split_guest
from app.core.offering import (
    advance,
    alert_external,
    assemble_idle,
    continue_group,
    join_stage,
    leader_people,
    offer,
    open_group,
)
from app.core.office import Contact, Role, Trigger
from app.core.variants import acting_for
from app.core.whereabouts import PresserFound, PresserSource, find_presser, placed

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


# -- raising ------------------------------------------------------------------------------


def _trigger(d: Draft, device_id: str) -> Trigger:
    trigger = d.ctx.office.triggers.get(device_id)
    if trigger is None:
        raise InvalidTransition("unknown_device", f"no trigger {device_id!r} in this office")
    return trigger


def _raise(d: Draft, c: cmd.RaiseAlarm) -> None:
    office = d.ctx.office
    trigger = placed(_trigger(d, c.device_id), d.ctx.whereabouts)
    presser = find_presser(office, trigger, d.ctx.whereabouts, d.ctx.local)
    if c.presser_id is not None:  # an outreach session names its worker
        presser = PresserFound(c.presser_id, PresserSource.OUTREACH, trigger.location_id)
    d.emit(
        ev.PressReceived(
            at=d.now,
            actor=ev.device_actor(c.device_id),
            device_id=c.device_id,
            seq=c.seq,
            gesture=c.gesture,
            device_ts=c.device_ts,
            battery=c.battery,
        )
    )
    card = office.rolecard
    d.emit(
        ev.AlarmRaised(
            at=d.now,
            actor=ev.SYSTEM,
            alarm_id=c.alarm_id,
            office_id=office.id,
            device_id=c.device_id,
            location_id=presser.location_id,
            level=trigger.level_for(c.gesture),
            mode=c.mode,
            rolecard_version=card.version,
            role_ids=tuple(r.id for r in card.roles),
            presser_id=presser.person_id,
            variant_id=card.variant_id,
            presser_via=presser.via.value if presser.via else None,
        )
    )
    tell_presser(d, fx.FeedbackState.RECEIVED)
    _flag_replay(d, c)
    _offer_every_role(d)
    _offer_to_guests(d)
    assemble_idle(d)
    _notify_the_rest(d)
    shared = tuple(s.office_id for s in office.facts.sharing)
    if shared:
        d.emit(ev.AlarmShared(at=d.now, actor=ev.SYSTEM, office_ids=shared))
        d.effect(fx.PushShared(c.alarm_id, shared))
    for role in card.roles:
        if role.contact is Contact.POLICE:
            due = d.now + timedelta(seconds=2 * role.accept_within_s)
            d.effect(fx.ArmReminder(c.alarm_id, role.id, due))
    d.effect(fx.PushUpdate(c.alarm_id))


REPLAY_SKEW = timedelta(minutes=5)


def _flag_replay(d: Draft, c: cmd.RaiseAlarm) -> None:
    if c.device_ts is None or abs(d.now - c.device_ts) <= REPLAY_SKEW:
        return
    d.emit(
        ev.PossibleReplay(
            at=d.now,
            actor=ev.SYSTEM,
            device_id=c.device_id,
            seq=c.seq,
            skew_s=round((d.now - c.device_ts).total_seconds(), 3),
        )
    )


def _offer_every_role(d: Draft, have: frozenset[str] = frozenset()) -> None:
    """Offer each role of the card not in `have`: a group is opened once, in card order;
    assembly roles wait for people with nothing else to do."""
    opened: set[str] = set()
    for role in d.ctx.office.rolecard.roles:
        key = group_key(role)
        if role.id in have or is_assembly(role):
            continue
        if key is None:
            offer(d, role, first_candidates(role, d.alarm.slot(role.id), d.alarm, d.ctx))
        elif key not in opened:
            opened.add(key)
            open_group(d, key)


def _offer_to_guests(d: Draft, only: str | None = None) -> None:
    """Under an `offer_role` sharing policy, the other office's present staff are offered the
    shared role too; they join its running stage, or start one when it is not offered yet."""
    card = d.ctx.office.rolecard
    for share in d.ctx.office.facts.sharing:
        if not share.offers_role or share.role_id not in {r.id for r in card.roles}:
            continue
        role = card.role(share.role_id or "")
        slot = d.alarm.slot(role.id)
        prefix = f"{share.office_id}:"
        guests = tuple(
            p
            for p in sorted(d.ctx.present)
            if p.startswith(prefix)
            and (only is None or p == only)
            and p not in slot.asked
            and is_eligible(p, d.alarm, d.ctx)
        )
        if not guests or slot.status is SlotStatus.ACCEPTED:
            continue
        if slot.status is SlotStatus.OFFERED and slot.due_at is not None and slot.stage:
            join_stage(d, role, guests)
        else:
            offer(d, role, Candidates(Stage.CLAIM, guests))


def _notify_the_rest(d: Draft) -> None:
    """Everyone else with a handset hears of the alarm; the presser hears of it on her own."""
    involved = {p for s in d.alarm.slots for p in s.offered | s.asked}
    if d.alarm.presser_id is not None:
        involved.add(d.alarm.presser_id)
    rest = tuple(
        p for p in sorted(d.ctx.office.people) if p not in involved and d.ctx.office.handsets_of(p)
    )
    if rest:
        d.effect(fx.PushNotice(d.alarm.alarm_id, rest))


def _repeat(d: Draft, c: cmd.RaiseAlarm) -> None:
    level = _trigger(d, c.device_id).level_for(c.gesture)
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
    _flag_replay(d, c)
    if level.rank > d.alarm.level.rank:
        d.emit(ev.LevelRaised(at=d.now, actor=ev.SYSTEM, level=level))
        _extend_card(d)
    d.effect(fx.SendFeedback(d.alarm.alarm_id, c.device_id, fx.FeedbackState.RECEIVED))
    d.effect(fx.PushUpdate(d.alarm.alarm_id))


def _extend_card(d: Draft) -> None:
    """The dispatcher hands in the card for the raised level; roles it has that the alarm has
    not are added and offered, as at a raise (the presser's hold means: the full alarm now)."""
    card = d.ctx.office.rolecard
    have = {s.role_id for s in d.alarm.slots}
    if all(r.id in have for r in card.roles):
        return
    d.emit(
        ev.CardExtended(
            at=d.now,
            actor=ev.SYSTEM,
            variant_id=card.variant_id,
            role_ids=tuple(r.id for r in card.roles),
        )
    )
    _offer_every_role(d, frozenset(have))
    assemble_idle(d)


# -- arrivals -------------------------------------------------------------------------------


def _join(d: Draft, c: cmd.JoinAlarm) -> None:
    """A person who arrives during an alarm is offered the open roles they could have been
    asked for: a role with nobody left to ask, a role offered to everyone present, or a role
    whose chain (at or before its current place) or group names them. They join the running
    stage and its deadline; with nothing to take, they are told where to assemble."""
    person = c.person_id
    if split_guest(person) is not None:
        _offer_to_guests(d, only=person)
        if d.events:
            d.effect(fx.PushUpdate(d.alarm.alarm_id))
        return
    for slot in d.alarm.slots:
        role = d.role(slot.role_id)
        if slot.status not in (SlotStatus.OFFERED, SlotStatus.UNFILLED) or person in slot.asked:
            continue
        if not is_eligible(person, d.alarm, d.ctx) or not _may_join(role, slot, person, d):
            continue
        if slot.status is SlotStatus.UNFILLED and slot.stage is not Stage.LEADER:
            offer(d, role, Candidates(Stage.EVERYONE, (person,)))
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


# -- answering offers ---------------------------------------------------------------------


def _accept(d: Draft, c: cmd.AcceptRole) -> None:
    held = d.alarm.role_held_by(c.person_id)
    if held is not None:
        if held.role_id == c.role_id:
            return  # a repeated accept changes nothing
        raise InvalidTransition("already_holding", f"you already hold the role {held.role_id!r}")
    target = _slot_to_take(d, d.role(c.role_id), c.person_id)
    role = d.role(target.role_id)
    others = () if target.stage is Stage.RESPOND else tuple(sorted(target.offered - {c.person_id}))
    d.emit(
        ev.RoleAccepted(
            at=d.now,
            actor=ev.person_actor(c.person_id),
            role_id=role.id,
            person_id=c.person_id,
            acting_for=_acting_for(d, role, c.person_id),
            via=c.via,
        )
    )
    if others:
        d.emit(
            ev.OfferWithdrawn(
                at=d.now, actor=ev.SYSTEM, role_id=role.id, person_ids=others, reason="taken"
            )
        )
    _withdraw_other_offers(d, c.person_id)
    continue_group(d, role, others)
    assemble_idle(d)
    d.effect(fx.PushUpdate(d.alarm.alarm_id))
    helper_accepted(d, role)


def _acting_for(d: Draft, role: Role, person: str) -> str | None:
    """Whom the person stands in for, when that person is on this role's chain."""
    if d.ctx.today is None:
        return None
    absent = acting_for(d.ctx.office, person, d.ctx.today)
    if absent is None:
        return None
    raw = getattr(role.assignment, "chain", ())
    return absent if absent in raw else None


def _slot_to_take(d: Draft, role: Role, person_id: str) -> RoleSlot:
    """The slot an accept takes: the one offered, or for a group the person's live group offer."""
    slot = d.alarm.slot(role.id)
    if person_id in slot.offered and (
        slot.status is not SlotStatus.ACCEPTED or slot.stage is Stage.RESPOND
    ):
        return slot
    key = group_key(role)
    if key is not None:
        for live in d.alarm.live_offers(person_id):
            if group_key(d.role(live.role_id)) == key:
                return live
    if slot.status is SlotStatus.ACCEPTED:
        raise InvalidTransition("taken", f"the role {role.id!r} is already taken")
    raise InvalidTransition("not_offered", f"the role {role.id!r} was not offered to you")


def _withdraw_other_offers(d: Draft, person_id: str) -> None:
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
            advance(d, live.role_id)


def _decline(d: Draft, c: cmd.DeclineRole) -> None:
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
            via=c.via,
        )
    )
    after = d.alarm.slot(c.role_id)
    if after.status is SlotStatus.OFFERED and not after.pending:
        advance(d, c.role_id)
    assemble_idle(d)
    d.effect(fx.PushUpdate(d.alarm.alarm_id))


def _expire(d: Draft, c: cmd.ExpireOffer) -> None:
    slot = d.alarm.slot(d.role(c.role_id).id)
    if slot.offer_no != c.offer_no or slot.status is SlotStatus.ACCEPTED:
        return  # stale deadline: the offer was answered or moved on
    if slot.pending:
        d.emit(
            ev.OfferTimedOut(
                at=d.now,
                actor=ev.SYSTEM,
                role_id=c.role_id,
                person_ids=tuple(sorted(slot.pending)),
                offer_no=c.offer_no,
            )
        )
    if slot.stage is Stage.LEADER:
        # the leader was told and the deadline passed again: alert outside; whoever joined
        # meanwhile keeps the offer, and an arrival never postpones the outside alert
        alert_external(d, d.role(c.role_id))
    elif slot.status is SlotStatus.OFFERED:
        advance(d, c.role_id)
    else:
        return
    d.effect(fx.PushUpdate(d.alarm.alarm_id))


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
    (_OPEN, cmd.RemindLeader): _remind,
    (_OPEN, cmd.RecordDelivery): _delivery,
    (_OPEN, cmd.MarkArrived): mark_arrived,
    (_OPEN, cmd.MarkPoliceContacted): police_contacted,
    (_OPEN, cmd.ConfirmOffer): delivery.confirm,
    (_OPEN, cmd.MissOffer): delivery.miss,
    **{(closed, cmd.ConfirmOffer): delivery.stale for closed in _CLOSED},
    **{(closed, cmd.MissOffer): delivery.stale for closed in _CLOSED},
    **{(closed, cmd.ExpireOffer): _stale for closed in _CLOSED},
    **{(closed, cmd.RemindLeader): _stale for closed in _CLOSED},
    **{(closed, cmd.RecordDelivery): _delivery for closed in _CLOSED},
}
