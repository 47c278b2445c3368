"""The role card as written in the file: roles, assignment modes, the presser, variants."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt, StrictStr

from app.config.spec_base import DISCRIMINATOR, ConditionSpec, Spec
from app.core.office import (
    AllRespondAssignment,
    AssembleAssignment,
    AssessorAssignment,
    Contact,
    FirstToClaimAssignment,
    GuardAssignment,
    NamedAssignment,
    PoolAssignment,
    Presser,
    PresserOverride,
    Role,
    RoleCard,
    Stance,
    Step,
    Variant,
)

ASSIGNMENT_MODES = (
    "named",
    "pool",
    "first_to_claim",
    "all_respond",
    "assessor",
    "assemble",
    "guard",
)


class NamedSpec(Spec):
    mode: Literal["named"]
    holder: StrictStr
    deputies: list[StrictStr] = Field(default_factory=list)

    def to_core(self) -> NamedAssignment:
        return NamedAssignment(holder_id=self.holder, deputy_ids=tuple(self.deputies))


class PoolSpec(Spec):
    mode: Literal["pool"]
    pool: StrictStr

    def to_core(self) -> PoolAssignment:
        return PoolAssignment(pool_id=self.pool)


class FirstToClaimSpec(Spec):
    """Anyone present (or only `among`, or only the `pool`); the first to accept holds it."""

    mode: Literal["first_to_claim"]
    among: list[StrictStr] | None = None
    pool: StrictStr | None = None

    def to_core(self) -> FirstToClaimAssignment:
        return FirstToClaimAssignment(among=tuple(self.among or ()), pool_id=self.pool)


class AllRespondSpec(Spec):
    mode: Literal["all_respond"]

    def to_core(self) -> AllRespondAssignment:
        return AllRespondAssignment()


class AssessorSpec(Spec):
    """The one assessor; the rest of the staff assemble (a role with `mode: assemble`)."""

    mode: Literal["assessor"]
    holder: StrictStr | None = None
    deputies: list[StrictStr] = Field(default_factory=list)

    def to_core(self) -> AssessorAssignment:
        return AssessorAssignment(holder_id=self.holder, deputy_ids=tuple(self.deputies))


class AssembleSpec(Spec):
    mode: Literal["assemble"]

    def to_core(self) -> AssembleAssignment:
        return AssembleAssignment()


class GuardModeSpec(Spec):
    """The guard on duty; `deputies` take it when no guard is on duty or none accepts."""

    mode: Literal["guard"]
    deputies: list[StrictStr] = Field(default_factory=list)

    def to_core(self) -> GuardAssignment:
        return GuardAssignment(deputy_ids=tuple(self.deputies))


AnyAssignmentSpec = (
    NamedSpec
    | PoolSpec
    | FirstToClaimSpec
    | AllRespondSpec
    | AssessorSpec
    | AssembleSpec
    | GuardModeSpec
)
AssignmentSpec = Annotated[AnyAssignmentSpec, Field(discriminator=DISCRIMINATOR)]


def _steps(texts: list[str]) -> tuple[Step, ...]:
    return tuple(Step(n=i, text=t.strip()) for i, t in enumerate(texts, start=1))


class RoleSpec(Spec):
    id: StrictStr
    title: StrictStr
    stance: Stance | None = None  # optional here so the validator can explain the choices
    leader: StrictBool = False
    required: StrictBool = True
    accept_within_s: StrictInt
    assignment: AssignmentSpec
    steps: list[StrictStr] = Field(default_factory=list)
    contact: Contact | None = None  # external_contact roles: police, neighbour, ...
    at: StrictStr | None = None  # a location id: where to assemble, withdraw to or guard
    agencies: list[StrictStr] = Field(default_factory=list)  # whose contacts the holder calls
    applies_to: ConditionSpec | None = None
    arrival_step: StrictInt | None = None  # ticking this step also marks arrival

    def to_core(self) -> Role:
        if self.stance is None:
            raise ValueError(f"role {self.id} has no stance; validate before building")
        return Role(
            id=self.id,
            title=self.title,
            stance=self.stance,
            steps=_steps(self.steps),
            accept_within_s=self.accept_within_s,
            assignment=self.assignment.to_core(),
            required=self.required,
            leader=self.leader,
            contact=self.contact,
            at=self.at,
            agency_ids=tuple(self.agencies),
            applies_to=None if self.applies_to is None else self.applies_to.to_core(),
            arrival_step=self.arrival_step,
        )


class PresserOverrideSpec(Spec):
    when: ConditionSpec
    stance: Stance
    steps: list[StrictStr] = Field(default_factory=list)  # empty: keep the general steps
    at: StrictStr | None = None

    def to_core(self) -> PresserOverride:
        return PresserOverride(self.when.to_core(), self.stance, _steps(self.steps), self.at)


class PresserSpec(Spec):
    """What the person who pressed does, with per-place `overrides` (first match wins)."""

    stance: Stance
    steps: list[StrictStr] = Field(default_factory=list)
    at: StrictStr | None = None
    overrides: list[PresserOverrideSpec] = Field(default_factory=list)

    def to_core(self) -> Presser:
        overrides = tuple(o.to_core() for o in self.overrides)
        return Presser(self.stance, _steps(self.steps), self.at, overrides)


class VariantSpec(Spec):
    """Another card for some alarms: roles replace base roles with the same id or are added."""

    id: StrictStr
    name: StrictStr = ""
    when: ConditionSpec
    roles: list[RoleSpec] = Field(default_factory=list)
    drop: list[StrictStr] = Field(default_factory=list)
    presser: PresserSpec | None = None

    def to_core(self) -> Variant:
        return Variant(
            id=self.id,
            when=self.when.to_core(),
            roles=tuple(r.to_core() for r in self.roles),
            drop=tuple(self.drop),
            presser=None if self.presser is None else self.presser.to_core(),
            name=self.name,
        )


class RoleCardSpec(Spec):
    version: StrictStr
    presser: PresserSpec | None = None  # None: the presser withdraws (take care of yourself)
    roles: list[RoleSpec]
    variants: list[VariantSpec] = Field(default_factory=list)
    # req. 33: only staff who acknowledged this version are offered a role (false: anyone)
    briefed_only: StrictBool = True
    # Case 6: only the people the card names respond; no stage "everyone present"
    receivers_only: StrictBool = False
    # a deviation when nobody who goes to the presser has arrived this long after the press
    arrive_within_s: StrictInt = 120

    def to_core(self) -> RoleCard:
        return RoleCard(
            version=self.version,
            roles=tuple(r.to_core() for r in self.roles),
            presser=Presser() if self.presser is None else self.presser.to_core(),
            variants=tuple(v.to_core() for v in self.variants),
            briefed_only=self.briefed_only,
            receivers_only=self.receivers_only,
            arrive_within_s=self.arrive_within_s,
        )
