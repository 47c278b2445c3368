"""Whether an offer reached a phone: confirmed (by its socket or by a push receipt) or not
delivered in time. An offer nobody's phone confirmed does not hold its role up: the role moves
on as after a decline, and the person's offer stays open (a late accept still counts)."""

from __future__ import annotations

from app.core import commands as cmd
from app.core import effects as fx
from app.core import events as ev
from app.core.alarm import SlotStatus
from app.core.draft import Draft
from app.core.offering import advance

NOT_CONFIRMED = "no confirmation from the phone by socket or push"


def confirm(d: Draft, c: cmd.ConfirmOffer) -> None:
    slot = d.alarm.slot(d.role(c.role_id).id)
    if c.person_id not in slot.asked:
        return  # never offered to them: nothing to record
    d.emit(
        ev.OfferReached(
            at=d.now,
            actor=ev.SYSTEM,
            role_id=c.role_id,
            person_id=c.person_id,
            channel=c.channel,
        )
    )


def miss(d: Draft, c: cmd.MissOffer) -> None:
    slot = d.alarm.slot(d.role(c.role_id).id)
    if c.person_id not in slot.pending:
        return  # answered, or the role moved on meanwhile
    d.emit(
        ev.OfferNotDelivered(
            at=d.now,
            actor=ev.SYSTEM,
            role_id=c.role_id,
            person_id=c.person_id,
            reason=NOT_CONFIRMED,
        )
    )
    after = d.alarm.slot(c.role_id)
    if after.status is SlotStatus.OFFERED and not after.pending:
        advance(d, c.role_id)
        d.effect(fx.PushUpdate(d.alarm.alarm_id))


def stale(d: Draft, c: cmd.Command) -> None:
    """A confirmation after the alarm closed changes nothing."""
