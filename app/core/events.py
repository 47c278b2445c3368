"""Timeline events: what happened to an alarm, in the past tense, each with its time and actor.

The event stream is the alarm's record; every other view (state, replay, debrief) is a fold
over it. Events are plain frozen dataclasses so they serialise without a framework.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.core.office import AlarmMode, Gesture, Level

SYSTEM = "system"


def person_actor(person_id: str) -> str:
    return f"person:{person_id}"


def device_actor(device_id: str) -> str:
    return f"device:{device_id}"


@dataclass(frozen=True, kw_only=True)
class Event:
    at: datetime
    actor: str


@dataclass(frozen=True, kw_only=True)
class PressReceived(Event):
    device_id: str
    seq: int
    gesture: Gesture
    device_ts: datetime | None = None
    battery: int | None = None


@dataclass(frozen=True, kw_only=True)
class AlarmRaised(Event):
    alarm_id: str
    office_id: str
    device_id: str
    location_id: str
    level: Level
    mode: AlarmMode
    rolecard_version: str
    role_ids: tuple[str, ...]
    presser_id: str | None = None
    variant_id: str | None = None  # the card variant chosen for this alarm, if any
    presser_via: str | None = None  # how the presser is known (app.core.whereabouts)


@dataclass(frozen=True, kw_only=True)
class RoleOffered(Event):
    role_id: str
    person_ids: tuple[str, ...]
    stage: str
    offer_no: int
    due_at: datetime
    chain_index: int = -1
    acting_for: str | None = None  # the offer goes to a stand-in for this person


@dataclass(frozen=True, kw_only=True)
class RoleAccepted(Event):
    role_id: str
    person_id: str
    acting_for: str | None = None
    via: str | None = None  # "push": answered from the lock-screen notification


@dataclass(frozen=True, kw_only=True)
class RoleDeclined(Event):
    role_id: str
    person_id: str
    reason: str | None = None
    via: str | None = None  # "push": answered from the lock-screen notification


@dataclass(frozen=True, kw_only=True)
class OfferTimedOut(Event):
    role_id: str
    person_ids: tuple[str, ...]
    offer_no: int


@dataclass(frozen=True, kw_only=True)
class OfferWithdrawn(Event):
    role_id: str
    person_ids: tuple[str, ...]
    reason: str


@dataclass(frozen=True, kw_only=True)
class RoleUnfilled(Event):
    """Nobody left to ask: escalation inside the office is exhausted. Live offers stay open."""

    role_id: str


@dataclass(frozen=True, kw_only=True)
class AlarmShared(Event):
    """The alarm was shown to other offices in the building, as the office's sharing says."""

    office_ids: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class AssemblyCalled(Event):
    """People with nothing else to do are told where to gather (an assembly role)."""

    role_id: str
    person_ids: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class LeaderAlerted(Event):
    """Nobody in the office took a required role: the leader is told, external help follows."""

    role_id: str
    person_ids: tuple[str, ...]
    offer_no: int
    due_at: datetime


@dataclass(frozen=True, kw_only=True)
class ExternalAlerted(Event):
    role_id: str
    contact_ids: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ExternalDeliveryReported(Event):
    role_id: str
    delivered: tuple[str, ...]
    failed: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ReminderSent(Event):
    """The police-contact role has not ticked a step in time: the leader is reminded."""

    role_id: str
    person_ids: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class StepCompleted(Event):
    role_id: str
    person_id: str
    step: int


@dataclass(frozen=True, kw_only=True)
class HelpRequested(Event):
    person_id: str
    text: str | None = None


@dataclass(frozen=True, kw_only=True)
class PressRepeated(Event):
    """One or more repeats of the alarm's press (app.core.repeats): `count` presses, the seqs
    they carried (`seqs`, e.g. `1-4000,4002`; empty: just `seq`), the first and the last one's
    arrival. `late`: pressed before the alarm closed, arrived after it (recorded, no new alarm)."""

    device_id: str
    seq: int
    gesture: Gesture
    level: Level
    count: int = 1
    seqs: str = ""
    first_at: datetime | None = None
    last_at: datetime | None = None
    late: bool = False


@dataclass(frozen=True, kw_only=True)
class LevelRaised(Event):
    level: Level


@dataclass(frozen=True, kw_only=True)
class PossibleReplay(Event):
    """The press carries a device time far from the service clock: an old message replayed, or a
    device with a wrong clock. The press is still handled (never hide a real press); the
    timeline says so for the debrief."""

    device_id: str
    seq: int
    skew_s: float


@dataclass(frozen=True, kw_only=True)
class CardExtended(Event):
    """A raised level brought a fuller card (e.g. "come by" → the full alarm): its roles that
    the alarm did not have are added and dispatched; nothing already under way is taken back."""

    variant_id: str | None
    role_ids: tuple[str, ...]  # the alarm's roles after the extension, in card order


@dataclass(frozen=True, kw_only=True)
class CancelRefused(Event):
    """A cancel came after the office's window: the alarm goes on and the refusal is recorded."""

    device_id: str
    seq: int


@dataclass(frozen=True, kw_only=True)
class AllClearGiven(Event):
    person_id: str
    role_id: str
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class AlarmCancelled(Event):
    device_id: str
    seq: int


@dataclass(frozen=True, kw_only=True)
class ArrivalMarked(Event):
    """Someone is at the alarm's place: a one-tap "I am there", or the role's arrival step."""

    person_id: str
    role_id: str | None = None
    via: str = "tap"  # tap | step


@dataclass(frozen=True, kw_only=True)
class PoliceContacted(Event):
    """A person says the police have been called (Rollekort itself never calls them)."""

    person_id: str


@dataclass(frozen=True, kw_only=True)
class OfferReached(Event):
    """A phone of the person confirmed the offer (`channel`: socket, push)."""

    role_id: str
    person_id: str
    channel: str


@dataclass(frozen=True, kw_only=True)
class OfferNotDelivered(Event):
    """No phone of the person confirmed the offer in time: the role does not wait for them
    (their offer stays open; a late accept still counts)."""

    role_id: str
    person_id: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class LockdownChanged(Event):
    on: bool
    person_id: str


EVENT_TYPES: dict[str, type[Event]] = {
    cls.__name__: cls
    for cls in (
        PressReceived,
        AlarmRaised,
        RoleOffered,
        RoleAccepted,
        RoleDeclined,
        OfferTimedOut,
        OfferWithdrawn,
        RoleUnfilled,
        StepCompleted,
        HelpRequested,
        PressRepeated,
        LevelRaised,
        CardExtended,
        PossibleReplay,
        CancelRefused,
        AllClearGiven,
        AlarmCancelled,
        LockdownChanged,
        AssemblyCalled,
        AlarmShared,
        LeaderAlerted,
        ExternalAlerted,
        ExternalDeliveryReported,
        ReminderSent,
        ArrivalMarked,
        PoliceContacted,
        OfferReached,
        OfferNotDelivered,
    )
}
