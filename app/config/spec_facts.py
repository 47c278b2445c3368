"""Office facts as written in the file: police, agencies, guard, reception, policy, delegations."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import Discriminator, Field, StrictBool, StrictInt, StrictStr, Tag

from app.config.spec_base import PeriodSpec, ScheduleItem, Spec, schedule, shape
from app.core.facts import (
    DEFAULT_POLICE_FAR_AFTER_MIN,
    Agency,
    Delegation,
    GuardService,
    InterventionPolicy,
    Police,
    Reception,
    Share,
    Site,
)


class PoliceSpec(Spec):
    eta_min: StrictInt  # expected minutes from the call until police are at the door
    in_building: StrictBool = False
    far_after_min: StrictInt = DEFAULT_POLICE_FAR_AFTER_MIN
    phone: StrictStr | None = None

    def to_core(self) -> Police:
        return Police(self.eta_min, self.in_building, self.far_after_min, self.phone)


class AgencySpec(Spec):
    """A co-located or nearby service and who to call there: a desk or function, not a client."""

    id: StrictStr
    name: StrictStr
    contact: StrictStr
    phone: StrictStr | None = None

    def to_core(self) -> Agency:
        return Agency(self.id, self.name, self.contact, self.phone)


OnDuty = Annotated[
    Annotated[Literal["always", "never"], Tag("~text")]
    | Annotated[list[ScheduleItem], Tag("~list")],
    Discriminator(shape),
]


class GuardServiceSpec(Spec):
    company: StrictStr
    on_duty: OnDuty  # always, never, or a list of window names and periods
    contact: StrictStr | None = None
    phone: StrictStr | None = None
    people: list[StrictStr] = Field(default_factory=list)  # guards with a handset here

    def to_core(self) -> GuardService:
        items = [] if isinstance(self.on_duty, str) else self.on_duty
        duty = schedule(items, always=self.on_duty == "always")
        return GuardService(self.company, duty, self.contact, self.phone, tuple(self.people))


class InterventionPolicySpec(Spec):
    """The office's word on physical intervention; `text` is shown to every role holder."""

    physical_intervention_expected: StrictBool = False
    suitable_staff: StrictBool = False
    text: StrictStr = ""  # empty is refused by a rule, with a message that says why
    legal_reference: StrictStr | None = None

    def to_core(self) -> InterventionPolicy:
        return InterventionPolicy(
            text=self.text.strip(),
            physical_intervention_expected=self.physical_intervention_expected,
            suitable_staff=self.suitable_staff,
            legal_reference=self.legal_reference,
        )


class ReceptionSpec(Spec):
    public: StrictBool | None = None  # None: public if any location has zone public
    floor_hosts: StrictBool = False
    staffed_alone: list[ScheduleItem] = Field(default_factory=list)

    def to_core(self, has_public_zone: bool) -> Reception:
        public = has_public_zone if self.public is None else self.public
        return Reception(public, self.floor_hosts, schedule(self.staffed_alone))


class SiteSpec(Spec):
    id: StrictStr
    name: StrictStr
    never_alone: StrictBool = False  # "not to be used by a single person" (req. 35)

    def to_core(self) -> Site:
        return Site(self.id, self.name, self.never_alone)


class DelegationSpec(Spec):
    """`to_person` acts for `from_person` (holiday cover), both dates included."""

    from_person: StrictStr
    to_person: StrictStr
    from_: date = Field(alias="from")
    to: date

    def to_core(self) -> Delegation:
        return Delegation(self.from_person, self.to_person, self.from_, self.to)


class PoolDeclSpec(Spec):
    """`{members: [...], size: 3}`: how many of the members must be present and take roles."""

    members: list[StrictStr]
    size: StrictInt | None = None


PoolEntry = Annotated[
    Annotated[list[StrictStr], Tag("~list")] | Annotated[PoolDeclSpec, Tag("~mapping")],
    Discriminator(shape),
]


def pool_members(entry: list[str] | PoolDeclSpec) -> list[str]:
    return entry.members if isinstance(entry, PoolDeclSpec) else entry


def pool_size(entry: list[str] | PoolDeclSpec) -> int | None:
    return entry.size if isinstance(entry, PoolDeclSpec) else None


TimeWindows = dict[StrictStr, list[PeriodSpec]]


class SharingSpec(Spec):
    """Another office in the building that sees this office's alarms. `notify`: its handsets get
    each alarm (drills and tests labelled) as a notice that says whose alarm it is; `offer_role`:
    its present staff are also offered `role` of this office's card."""

    office: StrictStr
    policy: Literal["notify", "offer_role"] = "notify"
    role: StrictStr | None = None  # with offer_role: the role its staff are offered

    def to_core(self) -> Share:
        return Share(self.office, self.policy, self.role)
