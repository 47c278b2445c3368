"""Server → handset frames of protocol v1, built from the alarm state and the office.

Pure functions returning JSON-ready dicts without `event_seq`; the hub stamps that per handset.
Fields beyond protocol v1 (documented in docs/protocol.md) are additions only.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.adapters.ws.texts import coded
from app.core import events as ev
from app.core.alarm import AlarmState, RoleSlot
from app.core.arrival import goes_to_presser
from app.core.office import Office, Role
from app.core.supervision import Coverage
from app.core.variants import standing_on

Frame = dict[str, Any]


def _iso(value: Any) -> str:
    return str(value.isoformat())


def _header(state: AlarmState, office: Office) -> Frame:
    location = office.locations[state.location_id]
    trigger = office.triggers.get(state.device_id)
    trigger_part: Frame = {"device_id": state.device_id}
    if trigger is not None:
        trigger_part["kind"] = trigger.kind.value
        if trigger.holder_id is not None and trigger.holder_id in office.people:
            trigger_part["holder"] = office.people[trigger.holder_id].name
    if state.presser_id is not None:  # who pressed: a check-in, a carried trigger, outreach
        trigger_part["presser"] = _name(office, state.presser_id)
    return {
        "alarm_id": state.alarm_id,
        "office_id": state.office_id,
        "office_name": office.name,
        "level": state.level.value,
        "mode": state.mode.value,
        "raised_at": _iso(state.raised_at),
        "location": {"id": location.id, "name": location.name, "zone": location.zone},
        "trigger": trigger_part,
    }


def offer_frame(state: AlarmState, office: Office, role_id: str) -> Frame:
    role = office.rolecard.role(role_id)
    slot = state.slot(role_id)
    return {
        "type": "alarm",
        **_header(state, office),
        "offer": {
            "role_id": role.id,
            "title": role.title,
            "stance": role.stance.value,
            "steps": [{"n": s.n, "text": s.text} for s in role.steps],
            "accept_within_s": role.accept_within_s,
            "due_at": _iso(slot.due_at) if slot.due_at else None,
            "leader": role.leader,
        },
    }


def notice_frame(state: AlarmState, office: Office) -> Frame:
    location = office.locations[state.location_id]
    return {
        "type": "alarm_notice",
        **_header(state, office),
        **coded("alarm.notice", {"location": location.name, "office": office.name}),
    }


def shared_frame(state: AlarmState, office: Office) -> Frame:
    """Another office's alarm: `office_id` and `office_name` say whose it is."""
    location = office.locations[state.location_id]
    frame = notice_frame(state, office)
    frame["shared"] = True
    frame.update(coded("alarm.shared", {"location": location.name, "office": office.name}))
    return frame


def _role_view(role: Role, slot: RoleSlot, office: Office) -> Frame:
    view: Frame = {"role_id": role.id, "title": role.title, "state": slot.status.value}
    if slot.holder_id is not None:
        view["holder_id"] = slot.holder_id
        person = office.people.get(slot.holder_id)
        view["holder"] = person.name if person else slot.holder_id
        view["steps_done"] = sorted(slot.steps_done)
    view["leader"] = role.leader
    return view


def update_frame(state: AlarmState, office: Office, last: ev.Event | None) -> Frame:
    roles = [_role_view(office.rolecard.role(s.role_id), s, office) for s in state.slots]
    return {
        "type": "alarm_update",
        "alarm_id": state.alarm_id,
        "state": state.status.value,
        "level": state.level.value,
        "lockdown": state.lockdown,
        "police_contacted_by": _name(office, state.police_contacted_by),
        "arrived": [_name(office, p) for p in state.arrived],
        "roles": roles,
        "repeats": state.repeats,  # [ext] presses after the first, coalesced
        "last_event": _event_view(last),
    }


def _name(office: Office, person_id: str | None) -> str | None:
    if person_id is None:
        return None
    person = office.people.get(person_id)
    return person.name if person else person_id


def _event_view(event: ev.Event | None) -> Frame | None:
    if event is None:
        return None
    return {"type": type(event).__name__, "at": _iso(event.at), "actor": event.actor}


def assembly_frame(state: AlarmState, office: Office, role_id: str) -> Frame:
    """An alarm_notice that also says what to do: the assembly role's place and steps."""
    role = office.rolecard.role(role_id)
    frame = notice_frame(state, office)
    at = office.locations.get(role.at) if role.at else None
    frame.update(coded("alarm.assemble", {"place": at.name if at else role.title}))
    frame["assemble"] = {
        "role_id": role.id,
        "title": role.title,
        "stance": role.stance.value,
        "at": {"id": at.id, "name": at.name} if at else None,
        "steps": [{"n": s.n, "text": s.text} for s in role.steps],
    }
    return frame


def reminder_frame(state: AlarmState, office: Office, role_id: str, kind: str) -> Frame:
    role = office.rolecard.role(role_id)
    return {
        "type": "notice",
        "office_id": state.office_id,
        "kind": "reminder",
        "reminder": kind,
        "role_id": role_id,
        **coded(f"reminder.{kind}", {"role": role.title}),
        "alarm_id": state.alarm_id,
    }


def presser_frame(state: AlarmState, office: Office, feedback: str) -> Frame:
    """To the presser's own handset, quietly: that the alarm is in, what to do, that help is
    coming (someone who goes to her accepted) and that help is there (they marked arrival)."""
    presser = office.rolecard.presser
    at = office.locations.get(presser.at) if presser.at else None
    helper = _helper_name(state, office)
    instruction = " ".join(s.text for s in presser.steps[:1])
    return {
        "type": "presser",
        "alarm_id": state.alarm_id,
        "state": feedback,
        "discreet": True,
        **coded(f"presser.{feedback}", {"name": helper or "", "instruction": instruction}),
        "stance": presser.stance.value,
        "at": {"id": at.id, "name": at.name} if at else None,
        "steps": [{"n": s.n, "text": s.text} for s in presser.steps],
        "location": {"id": state.location_id, "name": office.locations[state.location_id].name},
    }


def _helper_name(state: AlarmState, office: Office) -> str | None:
    """Who is coming: the latest to arrive, else the first to take a role toward the presser."""
    people = [*reversed(state.arrived)] + [
        s.holder_id
        for s in state.slots
        if s.holder_id is not None and goes_to_presser(office.rolecard.role(s.role_id))
    ]
    for person in people:
        if person in office.people:
            return office.people[person].name
    return None


def closed_frame(state: AlarmState) -> Frame:
    return {
        "type": "alarm_closed",
        "alarm_id": state.alarm_id,
        "outcome": state.status.value,
        "closed_at": _iso(state.closed_at) if state.closed_at else None,
    }


def lockdown_frame(state: AlarmState, on: bool) -> Frame:
    return {
        "type": "notice",
        "office_id": state.office_id,
        "kind": "lockdown" if on else "lockdown_lifted",
        **coded("lockdown.on" if on else "lockdown.off"),
        "alarm_id": state.alarm_id,
    }


def drill_announced_frame(office: Office, until: datetime) -> Frame:
    """[ext] To the handsets of the offices `office` shares its alarms with, as its drill starts:
    its alarms until `until` are drills (req. 12), so nobody next door takes them for real."""
    local = until.astimezone(ZoneInfo(office.facts.timezone)).strftime("%H:%M")
    return {
        "type": "notice",
        "kind": "drill_announced",
        "office_id": office.id,
        "office_name": office.name,
        "until": _iso(until),
        **coded("drill.announced", {"office": office.name, "until": local}),
    }


def visit_frame(office: Office, alarm_id: str, person_id: str, where: str) -> Frame:
    """[ext] An outreach alarm's worker and where the visit is planned (req. 36): the alarm's own
    location is the office's `outreach` device; this is where to go. Free text, never stored."""
    worker = _name(office, person_id) or person_id
    return {
        "type": "notice",
        "kind": "visit",
        "office_id": office.id,
        "alarm_id": alarm_id,
        "worker": worker,
        "where": where,
        **coded("visit.where", {"worker": worker, "where": where}),
    }


def office_day(office: Office, now: datetime) -> date:
    """The office-local date: acting leaders stand in by the office's days."""
    return now.astimezone(ZoneInfo(office.facts.timezone)).date()


def welcome_frame(handset_id: str, person_id: str, office: Office, today: date) -> Frame:
    person = office.people[person_id]
    return {
        "type": "welcome",
        "handset_id": handset_id,
        "person": person.name,
        "person_id": person_id,
        "office_id": office.id,
        "office_name": office.name,
        "standing_roles": _standing(person_id, office, today),
    }


def standing_roles_frame(person_id: str, office: Office, today: date) -> Frame:
    """[ext] The roles this person holds today on the card now in force (sent when a card is
    activated and when an acting leader's days start or end), with the version, so the idle
    screen is never stale."""
    return {
        "type": "standing_roles",
        "standing_roles": _standing(person_id, office, today),
        "rolecard_version": office.rolecard.version,
    }


def _standing(person_id: str, office: Office, today: date) -> list[Frame]:
    return [
        {
            "role_id": s.role.id,
            "title": s.role.title,
            "stance": s.role.stance.value,
            "leader": s.role.leader,
            "acting_for": _name(office, s.acting_for),
        }
        for s in standing_on(office, person_id, today)
    ]


def error_frame(code: str, message: str, ref: str | None = None) -> Frame:
    frame: Frame = {"type": "error", "code": code, "message": message}
    if ref is not None:
        frame["ref"] = ref
    return frame


def coverage_frame(coverage: Coverage) -> Frame:
    """`code` says OK or DEGRADED; `coverage.problems` are the reasons as codes (a handset
    renders `coverage.<code>`), `coverage.reasons` the same in English."""
    head = coded("coverage.degraded" if coverage.degraded else "coverage.ok")
    if coverage.reasons:
        head["text"] += ": " + "; ".join(coverage.reasons)
    problems = [{"code": p.code, "params": dict(p.params)} for p in coverage.problems]
    return {
        "type": "notice",
        "office_id": coverage.office_id,
        "kind": "coverage",
        **head,
        "coverage": {
            "status": coverage.status.value,
            "reasons": list(coverage.reasons),
            "problems": problems,
        },
    }
