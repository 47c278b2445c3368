"""Offering roles and moving them on: stages, groups taken in order, assembly, and escalation
past the office (the leader, then external contacts) when nobody is left to ask."""

from __future__ import annotations

from datetime import timedelta

from app.core import effects as fx
from app.core import events as ev
from app.core.alarm import SlotStatus, Stage
from app.core.assignment import (
    Candidates,
    chain_of,
    everyone,
    group,
    group_key,
    group_members,
    group_roles,
    is_assembly,
    is_available,
    next_candidates,
)
from app.core.draft import Draft
from app.core.facts import split_guest
from app.core.office import Contact, Office, Role


def offer(d: Draft, role: Role, candidates: Candidates | None) -> None:
    """Offer the role to the candidates with a fresh deadline, or record that nobody is left."""
    slot = d.alarm.slot(role.id)
    if slot.status is SlotStatus.ACCEPTED and slot.stage is not Stage.RESPOND:
        return  # a role someone holds is never offered again
    if candidates is None:
        d.emit(ev.RoleUnfilled(at=d.now, actor=ev.SYSTEM, role_id=role.id))
        if role.required:
            alert_leader(d, role)
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
            acting_for=candidates.acting_for,
        )
    )
    for person in candidates.person_ids:
        d.effect(fx.PushOffer(d.alarm.alarm_id, person, role.id))
    d.effect(fx.ArmDeadline(d.alarm.alarm_id, role.id, offer_no, due_at))


def join_stage(d: Draft, role: Role, persons: tuple[str, ...]) -> None:
    """More people join the stage a role is in: same offer number, same deadline (an arrival
    never postpones an escalation)."""
    slot = d.alarm.slot(role.id)
    assert slot.due_at is not None and slot.stage is not None
    d.emit(
        ev.RoleOffered(
            at=d.now,
            actor=ev.SYSTEM,
            role_id=role.id,
            person_ids=persons,
            stage=slot.stage.value,
            offer_no=slot.offer_no,
            due_at=slot.due_at,
            chain_index=slot.chain_index,
        )
    )
    for person in persons:
        d.effect(fx.PushOffer(d.alarm.alarm_id, person, role.id))


def open_group(d: Draft, key: str) -> None:
    """Offer the group's first role to its present members; its other roles wait their turn."""
    roles = tuple(
        r
        for r in group_roles(d.ctx.office.rolecard, key)
        if d.alarm.slot(r.id).status is SlotStatus.WAITING  # a role already taken stays taken
    )
    if not roles:
        return
    first = group(key, d.alarm.slot(roles[0].id), d.alarm, d.ctx)
    if first is not None:
        offer(d, roles[0], first)
        return
    for role in roles:
        offer(d, role, everyone(d.alarm.slot(role.id), d.alarm, d.ctx))


def continue_group(d: Draft, taken: Role, others: tuple[str, ...]) -> None:
    """The rest of the group gets the next role, so the first N take the roles in order."""
    key = group_key(taken)
    if key is None or d.alarm.slot(taken.id).stage not in (Stage.POOL, Stage.CLAIM):
        return
    for role in group_roles(d.ctx.office.rolecard, key):
        slot = d.alarm.slot(role.id)
        if slot.status is SlotStatus.WAITING:
            members = group_members(key, slot, d.alarm, d.ctx)
            persons = tuple(p for p in others if p in members)
            stage = Stage.POOL if key.startswith("pool:") else Stage.CLAIM
            offer(
                d, role, Candidates(stage, persons) if persons else everyone(slot, d.alarm, d.ctx)
            )
            return


def advance(d: Draft, role_id: str) -> None:
    """Move a role on to the next stage of its chain; a group's waiting roles go along with it."""
    slot = d.alarm.slot(role_id)
    role = d.role(role_id)
    key = group_key(role)
    if slot.stage in (Stage.POOL, Stage.CLAIM) and key is not None:
        for waiting in group_roles(d.ctx.office.rolecard, key):
            if d.alarm.slot(waiting.id).status is SlotStatus.WAITING:
                offer(d, waiting, everyone(d.alarm.slot(waiting.id), d.alarm, d.ctx))
    offer(d, role, next_candidates(role, d.alarm.slot(role_id), d.alarm, d.ctx))


PERSONAL = (Stage.HOLDER, Stage.DEPUTY, Stage.POOL)


def is_idle(d: Draft, person: str) -> bool:
    """Holds no role and has no offer made to them in person (a role offered to everyone
    present, or to anyone who claims it, does not keep someone from assembling)."""
    return not any(s.stage in PERSONAL for s in d.alarm.live_offers(person))


def assemble_idle(d: Draft) -> None:
    """Everyone present with no role and no personal offer is told what the assembly role says."""
    for role in d.ctx.office.rolecard.roles:
        if not is_assembly(role):
            continue
        slot = d.alarm.slot(role.id)
        idle = tuple(
            p
            for p in sorted(d.ctx.present)
            if p in d.ctx.office.people
            and split_guest(p) is None
            and p not in slot.asked
            and is_available(p, d.alarm, d.ctx)  # the unbriefed assemble too
            and d.alarm.role_held_by(p) is None
            and is_idle(d, p)
        )
        if idle:
            d.emit(ev.AssemblyCalled(at=d.now, actor=ev.SYSTEM, role_id=role.id, person_ids=idle))
            d.effect(fx.PushAssembly(d.alarm.alarm_id, role.id, idle))


# -- past the office --------------------------------------------------------------------------


def leader_people(d: Draft) -> tuple[str, ...]:
    """Who counts as the leader now: holders of a leader role, else those offered one, else the
    present people of the leader roles' chains."""
    leader_ids = [r.id for r in d.ctx.office.rolecard.roles if r.leader]
    holders = {d.alarm.slot(r).holder_id for r in leader_ids} - {None}
    if holders:
        return tuple(sorted(p for p in holders if p is not None))
    offered = {p for r in leader_ids for p in d.alarm.slot(r).offered}
    if offered:
        return tuple(sorted(offered))
    chains = {
        link.person_id
        for r in d.ctx.office.rolecard.roles
        if r.leader
        for link in chain_of(r, d.ctx)
    }
    return tuple(sorted(p for p in chains if p in d.ctx.present))


def alert_leader(d: Draft, role: Role) -> None:
    """A required role has nobody: tell the leader now, and alert external contacts when the
    role's deadline passes again without anyone taking it."""
    people = leader_people(d)
    if not people:
        alert_external(d, role)
        return
    slot = d.alarm.slot(role.id)
    due_at = d.now + timedelta(seconds=role.accept_within_s)
    d.emit(
        ev.LeaderAlerted(
            at=d.now,
            actor=ev.SYSTEM,
            role_id=role.id,
            person_ids=people,
            offer_no=slot.offer_no + 1,
            due_at=due_at,
        )
    )
    d.effect(fx.PushReminder(d.alarm.alarm_id, role.id, people, fx.ReminderKind.UNFILLED))
    d.effect(fx.ArmDeadline(d.alarm.alarm_id, role.id, slot.offer_no + 1, due_at))


def alert_external(d: Draft, role: Role) -> None:
    contacts = external_contacts(d.ctx.office, role)
    d.emit(ev.ExternalAlerted(at=d.now, actor=ev.SYSTEM, role_id=role.id, contact_ids=contacts))
    d.effect(fx.NotifyExternal(d.alarm.alarm_id, role.id, contacts))


def external_contacts(office: Office, role: Role) -> tuple[str, ...]:
    """Whom to call outside: the role's agencies (else every co-located agency), the guard
    company, and the police for a police-contact role."""
    facts = office.facts
    agencies = role.agency_ids or tuple(a.id for a in facts.agencies)
    contacts = [f"agency:{a}" for a in agencies]
    if facts.guard is not None:
        contacts.append("guard_company")
    if role.contact is Contact.POLICE and facts.police is not None:
        contacts.append("police")
    return tuple(contacts)
