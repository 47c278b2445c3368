"""The scenario file as strict models, so a typo is an error rather than a silent other test."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.core.office import Gesture

MAX_RUN_S = 4 * 3600


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Behaviour(_Strict):
    """How a person answers the offers on their handset: `silent`, `{accept_after: N}` (the
    first live offer, or only `accept_role`), or `{decline_after: N}`."""

    silent: bool = False
    accept_after: float | None = Field(None, ge=0)
    decline_after: float | None = Field(None, ge=0)
    accept_role: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _word(cls, data: Any) -> Any:
        if data == "silent":
            return {"silent": True}
        if isinstance(data, str):
            wanted = "silent, {accept_after: N} or {decline_after: N}"
            raise ValueError(f"unknown behaviour {data!r}: use {wanted}")
        answers = ("silent", "accept_after", "decline_after")
        if isinstance(data, dict) and "accept_role" in data and not set(answers) & set(data):
            return {**data, "accept_after": 0}
        return data

    @model_validator(mode="after")
    def _one(self) -> Behaviour:
        given = [self.silent, self.accept_after is not None, self.decline_after is not None]
        if sum(given) != 1:
            raise ValueError("give exactly one of: silent, accept_after, decline_after")
        if self.accept_role is not None and self.accept_after is None:
            raise ValueError("accept_role goes with accept_after")
        return self

    @property
    def delay_s(self) -> float | None:
        """Seconds from an offer to the answer; None: never answers."""
        return self.accept_after if self.accept_after is not None else self.decline_after


SILENT = Behaviour(silent=True)


class PersonSpec(_Strict):
    """A member of staff in this run: whether their handset is connected, when it connects or
    drops, and how they answer."""

    present: bool = True
    arrives_after_s: float | None = Field(None, ge=0)
    drops_after_s: float | None = Field(None, ge=0)
    back_after_s: float | None = Field(None, ge=0)
    behaviour: Behaviour = SILENT
    checked_in: str | None = None  # a location id: checked in there from the handset at start

    @model_validator(mode="after")
    def _times(self) -> PersonSpec:
        if self.arrives_after_s is not None and "present" in self.model_fields_set and self.present:
            raise ValueError("arrives_after_s means the handset is not there at the start")
        if self.back_after_s is not None and (
            self.drops_after_s is None or self.back_after_s <= self.drops_after_s
        ):
            raise ValueError("back_after_s needs an earlier drops_after_s")
        return self

    @property
    def at_start(self) -> bool:
        return self.present and self.arrives_after_s is None


ABSENT = PersonSpec(present=False)


class Press(_Strict):
    """A trigger event. `by` names who pressed a fixed button (the service cannot know): that
    person's handset does not answer offers of the alarm, since they are in the situation."""

    device: str
    gesture: Gesture = Gesture.SINGLE
    at_s: float = Field(0, ge=0)
    event: Literal["press", "cancel"] = "press"
    by: str | None = None


class Fault(_Strict):
    """Something that goes wrong outside the dispatcher: `dead_button` (from `at_s` the device's
    presses never arrive) or `broker_restart` (presses published in the `for_s` window arrive
    when the broker is back)."""

    at_s: float = Field(ge=0)
    kind: Literal["dead_button", "broker_restart"]
    device: str | None = None
    for_s: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _fields(self) -> Fault:
        if self.kind == "dead_button" and (self.device is None or self.for_s is not None):
            raise ValueError("dead_button needs `device` (and lasts to the end: no `for_s`)")
        if self.kind == "broker_restart" and (self.for_s is None or self.device is not None):
            raise ValueError("broker_restart needs `for_s` (and affects every device: no `device`)")
        return self


class Action(_Strict):
    """Something a person does on their handset at a given time."""

    at_s: float = Field(ge=0)
    person: str
    action: Literal[
        "step_done", "all_clear", "need_help", "lockdown", "arrived", "police_contacted"
    ]
    role: str | None = None
    step: int | None = Field(None, ge=1)
    alarm: int = Field(1, ge=1)

    @model_validator(mode="after")
    def _step(self) -> Action:
        if self.action == "step_done" and self.step is None:
            raise ValueError("step_done needs `step` (the step's number, from 1)")
        return self


class DelegationSpec(_Strict):
    from_person: str
    to_person: str
    start: date = Field(alias="from")
    end: date = Field(alias="to")

    @model_validator(mode="after")
    def _order(self) -> DelegationSpec:
        if self.end < self.start:
            raise ValueError("`to` is before `from`")
        return self


class ActingFor(_Strict):
    person: str
    for_person: str = Field(alias="for")
    role: str


_ROLE_CHECKS = (
    "holder",
    "accepted_by_s",
    "offered_to",
    "not_offered_to",
    "offered_at_s",
    "declined_by",
    "timed_out",
    "unfilled",
    "leader_alerted",
    "external",
    "reminded",
)

_SUBJECTS = ("alarm", "variant", "acting_for", "assembled", "alarms_raised", "presser", "arrived")


class Expectation(_Strict):
    """One thing that must be true at the end of the run (see docs/simulator.md)."""

    of_alarm: int = Field(1, ge=1)
    role: str | None = None
    holder: str | None = None
    accepted_by_s: float | None = Field(None, ge=0)
    offered_to: list[str] | None = None
    not_offered_to: list[str] | None = None
    offered_at_s: dict[str, float] | None = None
    declined_by: list[str] | None = None
    timed_out: list[str] | None = None
    unfilled: bool | None = None
    leader_alerted: bool | None = None
    external: list[str] | None = None
    reminded: bool | None = None
    assembled: list[str] | None = None
    alarm: Literal["open", "resolved", "cancelled"] | None = None
    variant: str | None = None  # the card variant the alarm was dispatched with; `base`: none
    acting_for: ActingFor | None = None
    alarms_raised: int | None = Field(None, ge=0)  # how many alarms the run raised in all
    presser: str | None = None  # who the service says pressed; `unknown`: nobody known
    arrived: list[str] | None = None  # who marked arrival, in order

    @model_validator(mode="after")
    def _one_subject(self) -> Expectation:
        checks = [k for k in _ROLE_CHECKS if getattr(self, k) is not None]
        subjects = [k for k in _SUBJECTS if getattr(self, k) is not None]
        if len(subjects) > 1:
            raise ValueError(f"one expectation checks one thing: split {' and '.join(subjects)}")
        if subjects and checks:
            raise ValueError(f"{subjects[0]} cannot be combined with {', '.join(checks)}")
        alarm_wide = ("alarm", "variant", "alarms_raised", "presser", "arrived")
        if subjects and subjects[0] in alarm_wide and self.role:
            raise ValueError(f"`{subjects[0]}` checks the alarm, not a role: drop `role`")
        if not subjects and self.role is None:
            raise ValueError(f"say what to check: role, {', '.join(_SUBJECTS)}")
        if not subjects and not checks:
            raise ValueError(f"role {self.role!r}: add a check ({', '.join(_ROLE_CHECKS)})")
        return self

    def role_checks(self) -> list[str]:
        return [k for k in _ROLE_CHECKS if getattr(self, k) is not None]


class Scenario(_Strict):
    name: str | None = None
    description: str | None = None
    office: str
    start: datetime
    people: dict[str, PersonSpec] = {}
    everyone_else: PersonSpec = ABSENT
    delegations: list[DelegationSpec] = []
    acknowledged: list[str] | None = None
    presses: list[Press] = Field(min_length=1)
    then: list[Action] = []
    faults: list[Fault] = []
    run_for_s: float = Field(gt=0, le=MAX_RUN_S)
    expect: list[Expectation] = []

    @field_validator("start")
    @classmethod
    def _aware(cls, start: datetime) -> datetime:
        if start.tzinfo is None:
            raise ValueError('needs a UTC offset, e.g. "2026-11-26T10:30:00+01:00"')
        return start

    def person(self, person_id: str) -> PersonSpec:
        return self.people.get(person_id, self.everyone_else)
