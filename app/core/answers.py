"""Answering offers: accept, decline and an offer's deadline, one role per person per alarm.

Split from `transitions` so the offer answers read on their own; `decide` still dispatches here.
"""

from __future__ import annotations

from app.core import commands as cmd
from app.core import effects as fx
from app.core import events as ev
from app.core.alarm import RoleSlot, SlotStatus, Stage
from app.core.arrival import helper_accepted
from app.core.assignment import group_key
from app.core.draft import Draft, InvalidTransition
from app.core.offering import advance, alert_external, assemble_idle, continue_group
from app.core.office import Role
from app.core.variants import acting_for

__all__ = ["accept", "decline", "expire"]


def accept(d: Draft, c: cmd.AcceptRole) -> None:
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


def decline(d: Draft, c: cmd.DeclineRole) -> None:
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


def expire(d: Draft, c: cmd.ExpireOffer) -> None:
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
