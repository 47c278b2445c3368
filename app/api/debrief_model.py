"""Response models of the console API and how they are built from an alarm's stored timeline.

The numbers come from the pure `app.core.debrief`; this module only adds what the office file
knows (role titles, which roles are required, people's and places' names).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from app.api.integrity import ChainOut
from app.core import debrief as db
from app.core.office import Office, Role, Stance
from app.core.records import to_record
from app.service.ports import AlarmSummary, StoredEvent


class StepOut(BaseModel):
    n: int
    text: str


class RoleInfo(BaseModel):
    role_id: str
    title: str
    stance: str | None
    leader: bool
    required: bool
    steps: list[StepOut]


class AlarmHead(BaseModel):
    alarm_id: str
    office_id: str
    office_name: str
    device_id: str
    location_id: str
    location_name: str
    zone: str | None
    status: str
    level: str
    mode: str
    raised_at: datetime
    closed_at: datetime | None
    rolecard_version: str


class SummaryOut(BaseModel):
    press_at: datetime | None
    first_offer_at: datetime | None
    first_accept_at: datetime | None
    closed_at: datetime | None
    outcome: str
    press_to_first_accept_s: float | None
    duration_s: float | None
    help_requests: int
    presser_id: str | None = None  # who pressed; None: unknown (nobody checked in or rostered)
    presser: str | None = None
    presser_via: str | None = None  # checked_in, carried, roster, holder
    first_arrival_at: datetime | None = None
    press_to_arrival_s: float | None = None  # time to location
    police_contacted_by: str | None = None
    police_contacted_at: datetime | None = None
    repeats: int = 0  # presses after the first (a flood is counted, not listed)
    late_repeats: int = 0  # of them, made before the close and arrived after it
    first_repeat_at: datetime | None = None
    last_repeat_at: datetime | None = None


class RoleTimesOut(BaseModel):
    role_id: str
    title: str
    required: bool
    leader: bool
    holder_id: str | None
    holder: str | None
    first_offer_at: datetime | None
    accepted_at: datetime | None
    first_step_at: datetime | None
    press_to_offer_s: float | None
    offer_to_accept_s: float | None
    accept_to_first_step_s: float | None
    late: bool
    declines: int
    timeouts: int
    unfilled_at: datetime | None
    steps_done: list[int]
    steps_total: int


class DeviationOut(BaseModel):
    kind: str
    at: datetime
    since_press_s: float | None
    role_id: str | None
    role_title: str | None
    person_ids: list[str]
    persons: list[str]
    late_by_s: float | None


class EventRow(BaseModel):
    seq: int
    at: datetime
    since_press_s: float | None
    type: str
    actor: str
    actor_name: str
    role_id: str | None
    person_ids: list[str]
    persons: list[str]
    detail: str
    data: dict[str, Any]
    hash: str


class Debrief(BaseModel):
    alarm: AlarmHead
    summary: SummaryOut
    roles: list[RoleInfo]
    role_times: list[RoleTimesOut]
    deviations: list[DeviationOut]
    events: list[EventRow]
    people: dict[str, str]
    chain: ChainOut | None = None  # the timeline's tamper evidence, where it was checked


STAYING = frozenset({Stance.WITHDRAW_TO, Stance.ASSEMBLE_AT})


class Names:
    def __init__(self, office: Office | None) -> None:
        self.office = office

    def person(self, person_id: str) -> str:
        found = self.office.people.get(person_id) if self.office else None
        return found.name if found else person_id

    def actor(self, actor: str) -> str:
        kind, _, rest = actor.partition(":")
        return self.person(rest) if kind == "person" and rest else actor

    def role(self, role_id: str) -> Role | None:
        if self.office is None:
            return None
        card = self.office.rolecard
        for role in (*card.roles, *(r for v in card.variants for r in v.roles)):
            if role.id == role_id:
                return role
        return None


def head(summary: AlarmSummary, office: Office | None) -> AlarmHead:
    location = office.locations.get(summary.location_id) if office else None
    return AlarmHead(
        **summary.__dict__,
        office_name=office.name if office else summary.office_id,
        location_name=location.name if location else summary.location_id,
        zone=location.zone if location else None,
    )


def _arrival_rules(names: Names) -> tuple[list[str], float | None]:
    """The roles told to stay away (withdraw, assemble) and when the first arrival is due."""
    if names.office is None:
        return [], None
    card = names.office.rolecard
    staying = [r.id for r in card.roles if r.stance in STAYING]
    return staying, float(card.arrive_within_s)


def role_info(role_id: str, names: Names) -> RoleInfo:
    """The card's role; a role the current card no longer has is shown by id and counted as
    required (a card change must not hide a role nobody took)."""
    role = names.role(role_id)
    if role is None:
        return RoleInfo(
            role_id=role_id, title=role_id, stance=None, leader=False, required=True, steps=[]
        )
    return RoleInfo(
        role_id=role.id,
        title=role.title,
        stance=role.stance.value,
        leader=role.leader,
        required=role.required,
        steps=[StepOut(n=s.n, text=s.text) for s in role.steps],
    )


def build(summary: AlarmSummary, office: Office | None, stored: Sequence[StoredEvent]) -> Debrief:
    names = Names(office)
    events = [s.event for s in stored]
    roles = [role_info(r, names) for r in db.role_ids(events)]
    by_id = {r.role_id: r for r in roles}
    required = [r.role_id for r in roles if r.required]
    press = db.press_time(events)
    s = db.summary(events)
    people: dict[str, str] = dict(
        sorted({p: names.person(p) for e in events for p in db.persons_of(e)}.items())
    )
    return Debrief(
        alarm=head(summary, office),
        summary=SummaryOut(
            press_at=s.press_at,
            first_offer_at=s.first_offer_at,
            first_accept_at=s.first_accept_at,
            closed_at=s.closed_at,
            outcome=s.outcome,
            press_to_first_accept_s=s.press_to_first_accept_s,
            duration_s=s.duration_s,
            help_requests=s.help_requests,
            presser_id=s.presser_id,
            presser=names.person(s.presser_id) if s.presser_id else None,
            presser_via=s.presser_via,
            first_arrival_at=s.first_arrival_at,
            press_to_arrival_s=s.press_to_arrival_s,
            police_contacted_by=s.police_contacted_by,
            police_contacted_at=s.police_contacted_at,
            repeats=s.repeats,
            late_repeats=s.late_repeats,
            first_repeat_at=s.first_repeat_at,
            last_repeat_at=s.last_repeat_at,
        ),
        roles=roles,
        role_times=[_times(t, by_id[t.role_id], names) for t in db.role_times(events, required)],
        deviations=[
            DeviationOut(
                kind=d.kind.value,
                at=d.at,
                since_press_s=db.seconds(press, d.at),
                role_id=d.role_id,
                role_title=by_id[d.role_id].title if d.role_id in by_id else None,
                person_ids=list(d.person_ids),
                persons=[names.person(p) for p in d.person_ids],
                late_by_s=d.late_by_s,
            )
            for d in db.deviations(events, required, *_arrival_rules(names))
        ],
        events=[_row(st, row, names) for st, row in zip(stored, db.rows(events), strict=True)],
        people=people,
    )


def _times(t: db.RoleTimes, role: RoleInfo, names: Names) -> RoleTimesOut:
    return RoleTimesOut(
        role_id=t.role_id,
        title=role.title,
        required=t.required,
        leader=role.leader,
        holder_id=t.holder_id,
        holder=names.person(t.holder_id) if t.holder_id else None,
        first_offer_at=t.first_offer_at,
        accepted_at=t.accepted_at,
        first_step_at=t.first_step_at,
        press_to_offer_s=t.press_to_offer_s,
        offer_to_accept_s=t.offer_to_accept_s,
        accept_to_first_step_s=t.accept_to_first_step_s,
        late=t.late,
        declines=t.declines,
        timeouts=t.timeouts,
        unfilled_at=t.unfilled_at,
        steps_done=list(t.steps_done),
        steps_total=len(role.steps),
    )


def _row(stored: StoredEvent, row: db.Row, names: Names) -> EventRow:
    _type, data = to_record(stored.event)
    return EventRow(
        seq=stored.seq,
        at=row.at,
        since_press_s=row.since_press_s,
        type=row.type,
        actor=row.actor,
        actor_name=names.actor(row.actor),
        role_id=row.role_id,
        person_ids=list(row.person_ids),
        persons=[names.person(p) for p in row.person_ids],
        detail=row.detail,
        data=data,
        hash=stored.hash,
    )
