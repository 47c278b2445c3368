"""Raising an alarm and a repeated press: the first offers, guests, the notice to the rest.

Split from `transitions` so the raise path reads on its own; `decide` still dispatches here.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from app.core import commands as cmd
from app.core import effects as fx
from app.core import events as ev
from app.core.alarm import AlarmStatus, SlotStatus, Stage
from app.core.arrival import tell_presser
from app.core.assignment import Candidates, first_candidates, group_key, is_assembly, is_eligible
from app.core.draft import Draft, InvalidTransition
from app.core.offering import assemble_idle, join_stage, offer, open_group
from app.core.office import Contact, Level, Trigger
from app.core.repeats import ROW_EVERY, Tally, is_held, row_of
from app.core.whereabouts import PresserFound, PresserSource, find_presser, placed

__all__ = [
    "REPLAY_SKEW",
    "late_press",
    "offer_to_guests",
    "raise_alarm",
    "record_repeats",
    "repeat_press",
    "trigger_of",
]


def trigger_of(d: Draft, device_id: str) -> Trigger:
    trigger = d.ctx.office.triggers.get(device_id)
    if trigger is None:
        raise InvalidTransition("unknown_device", f"no trigger {device_id!r} in this office")
    return trigger


def raise_alarm(d: Draft, c: cmd.RaiseAlarm) -> None:
    office = d.ctx.office
    trigger = placed(trigger_of(d, c.device_id), d.ctx.whereabouts)
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
    offer_to_guests(d)
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


def offer_to_guests(d: Draft, only: str | None = None) -> None:
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


def repeat_press(d: Draft, c: cmd.RaiseAlarm) -> None:
    """Another press of the alarm's device: held into a count within a second of the last press
    row, else recorded at once (with the held ones); a raised level is decided at once."""
    alarm = d.alarm
    level = trigger_of(d, c.device_id).level_for(c.gesture)
    feedback = fx.SendFeedback(alarm.alarm_id, c.device_id, fx.FeedbackState.RECEIVED)
    if _hold(d, c, level):
        d.effect(feedback)
        return
    held = c.held
    if held is not None and level.rank > held.level.rank:
        d.emit(row_of(held, d.now))  # the held ones first, at the level they had
        held = None
    d.emit(row_of(_tallied(replace(c, held=held), level, d.now), d.now))
    _flag_replay(d, c)
    if level.rank > alarm.level.rank:
        d.emit(ev.LevelRaised(at=d.now, actor=ev.SYSTEM, level=level))
        _extend_card(d)
    d.effect(feedback)
    d.effect(fx.PushUpdate(alarm.alarm_id))


def late_press(d: Draft, c: cmd.RaiseAlarm) -> None:
    """A press from before the alarm closed, arriving after it (the dispatcher decides that it
    is one): recorded on the closed alarm, coalesced like any repeat; the button hears how it
    closed. It never raises a new alarm, nor the closed one's level."""
    alarm = d.alarm
    if not _hold(d, c, alarm.level):
        d.emit(row_of(_tallied(c, alarm.level, d.now), d.now, late=True))
    state = fx.FeedbackState(alarm.status.value)
    d.effect(fx.SendFeedback(alarm.alarm_id, c.device_id, state))


def _tallied(c: cmd.RaiseAlarm, level: Level, now: datetime) -> Tally:
    """The held repeats with this press added, or a tally of this press alone."""
    if c.held is not None:
        return c.held.add(c.seq, now)
    return Tally.start(c.device_id, c.seq, c.gesture, level, now)


def _hold(d: Draft, c: cmd.RaiseAlarm, level: Level) -> bool:
    """Hold the press into the tally when the alarm's last press row is under a second old."""
    alarm = d.alarm
    if not is_held(alarm, level, d.now):
        return False
    due = (alarm.press_row_at or alarm.raised_at) + ROW_EVERY
    d.effect(fx.HoldRepeats(alarm.alarm_id, _tallied(c, level, d.now), due))
    return True


def record_repeats(d: Draft, c: cmd.RecordRepeats) -> None:
    """The held repeats, as one row; handsets get one update for all of them."""
    late = d.alarm.status is not AlarmStatus.OPEN
    d.emit(row_of(c.tally, d.now, late=late))
    if not late:
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
