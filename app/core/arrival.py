"""Help that is true: the presser hears "help is coming" only when someone who goes to her has
accepted, and "help is here" only when that person marks arrival (req. 4, 10, 11).

A role goes to the presser when its stance takes the holder to her (approach, assess from the
door) or it is the guard's. Arrival is an event of its own: a one-tap "I am there", or the
step of an approaching role that the card names as its arrival step. Police contact is a
human's tick too: Rollekort never calls the police itself.
"""

from __future__ import annotations

from app.core import commands as cmd
from app.core import effects as fx
from app.core import events as ev
from app.core.alarm import AlarmState
from app.core.draft import Draft, InvalidTransition
from app.core.office import GuardAssignment, Role, RoleCard, Stance

TOWARD_PRESSER = frozenset({Stance.APPROACH, Stance.ASSESS_FROM_DOOR})


def goes_to_presser(role: Role) -> bool:
    return role.stance in TOWARD_PRESSER or isinstance(role.assignment, GuardAssignment)


def presser_news(state: AlarmState, card: RoleCard) -> fx.FeedbackState:
    """What the presser has been told so far (sent again when her handset reconnects)."""
    helpers = {
        p
        for s in state.slots
        if s.holder_id is not None and goes_to_presser(card.role(s.role_id))
        for p in (s.holder_id, *s.responders)
    }
    if any(p in helpers for p in state.arrived):
        return fx.FeedbackState.ARRIVED
    return fx.FeedbackState.ACCEPTED if helpers else fx.FeedbackState.RECEIVED


def tell_presser(d: Draft, state: fx.FeedbackState) -> None:
    """The presser's button and, when she is known and has a handset, her own screen."""
    alarm = d.alarm
    d.effect(fx.SendFeedback(alarm.alarm_id, alarm.device_id, state))
    presser = alarm.presser_id
    if presser is not None and d.ctx.office.handsets_of(presser):
        d.effect(fx.PushPresser(alarm.alarm_id, presser, state))


def helper_accepted(d: Draft, role: Role) -> None:
    """After an accept: the first person to take a role that goes to the presser means help is
    coming (a second helper, or a police caller, changes nothing she feels)."""
    if not goes_to_presser(role):
        return
    helpers = {
        p
        for s in d.alarm.slots
        if s.holder_id is not None and goes_to_presser(d.role(s.role_id))
        for p in (s.holder_id, *s.responders)
    }
    if len(helpers) == 1:
        tell_presser(d, fx.FeedbackState.ACCEPTED)


def arrive(d: Draft, person_id: str, via: str) -> None:
    """Record an arrival once per person; the first of a helper tells the presser."""
    if person_id in d.alarm.arrived:
        return
    held = d.alarm.role_held_by(person_id)
    d.emit(
        ev.ArrivalMarked(
            at=d.now,
            actor=ev.person_actor(person_id),
            person_id=person_id,
            role_id=held.role_id if held else None,
            via=via,
        )
    )
    helper = held is not None and goes_to_presser(d.role(held.role_id))
    first_helper = helper and not any(
        p != person_id
        and (h := d.alarm.role_held_by(p)) is not None
        and goes_to_presser(d.role(h.role_id))
        for p in d.alarm.arrived
    )
    if first_helper:
        tell_presser(d, fx.FeedbackState.ARRIVED)
    d.effect(fx.PushUpdate(d.alarm.alarm_id))


def mark_arrived(d: Draft, c: cmd.MarkArrived) -> None:
    if c.person_id == d.alarm.presser_id:
        raise InvalidTransition("presser", "you pressed this alarm: you are already there")
    arrive(d, c.person_id, "tap")


def arrival_step(d: Draft, role: Role, person_id: str, step: int) -> None:
    """Called after a step is ticked: the card's arrival step counts as arriving."""
    if role.arrival_step == step:
        arrive(d, person_id, "step")


def police_contacted(d: Draft, c: cmd.MarkPoliceContacted) -> None:
    """Who says the police were called, and when (req. 25); the first tick counts."""
    if d.alarm.police_contacted_by is not None:
        return
    d.emit(ev.PoliceContacted(at=d.now, actor=ev.person_actor(c.person_id), person_id=c.person_id))
    d.effect(fx.PushUpdate(d.alarm.alarm_id))
