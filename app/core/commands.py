"""Commands: what someone (a device, a person, the clock) asks of an alarm, in the imperative."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.core.office import AlarmMode, Gesture
from app.core.repeats import Tally


@dataclass(frozen=True, kw_only=True)
class Command:
    pass


@dataclass(frozen=True, kw_only=True)
class RaiseAlarm(Command):
    """A press from a trigger. On an open alarm of the same trigger it becomes a repeat."""

    alarm_id: str
    device_id: str
    seq: int
    gesture: Gesture = Gesture.SINGLE
    mode: AlarmMode = AlarmMode.REAL
    device_ts: datetime | None = None
    battery: int | None = None
    presser_id: str | None = None  # known from elsewhere (an outreach session's worker)
    held: Tally | None = None  # repeats of this alarm taken and not yet recorded


@dataclass(frozen=True, kw_only=True)
class RecordRepeats(Command):
    """The held repeats' second is over (or the alarm closes): record them as one row."""

    tally: Tally


@dataclass(frozen=True, kw_only=True)
class CancelAlarm(Command):
    device_id: str
    seq: int


@dataclass(frozen=True, kw_only=True)
class AcceptRole(Command):
    person_id: str
    role_id: str
    via: str | None = None  # "push": answered from the lock-screen notification


@dataclass(frozen=True, kw_only=True)
class DeclineRole(Command):
    person_id: str
    role_id: str
    reason: str | None = None
    via: str | None = None  # "push": answered from the lock-screen notification


@dataclass(frozen=True, kw_only=True)
class ExpireOffer(Command):
    """The clock says an offer's deadline has passed; stale when the offer has moved on."""

    role_id: str
    offer_no: int


@dataclass(frozen=True, kw_only=True)
class JoinAlarm(Command):
    """A person became present (their handset connected) while the alarm is open."""

    person_id: str


@dataclass(frozen=True, kw_only=True)
class RemindLeader(Command):
    """The clock says the police-contact role's time is up; stale once a step is ticked."""

    role_id: str


@dataclass(frozen=True, kw_only=True)
class RecordDelivery(Command):
    """What the outbound notifier reported for an external alert."""

    role_id: str
    delivered: tuple[str, ...]
    failed: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class CompleteStep(Command):
    person_id: str
    role_id: str
    step: int


@dataclass(frozen=True, kw_only=True)
class RequestHelp(Command):
    person_id: str
    text: str | None = None


@dataclass(frozen=True, kw_only=True)
class GiveAllClear(Command):
    person_id: str
    note: str | None = None


@dataclass(frozen=True, kw_only=True)
class SetLockdown(Command):
    person_id: str
    on: bool


@dataclass(frozen=True, kw_only=True)
class MarkArrived(Command):
    """ "I am there": the person is at the alarm's place."""

    person_id: str


@dataclass(frozen=True, kw_only=True)
class MarkPoliceContacted(Command):
    person_id: str


@dataclass(frozen=True, kw_only=True)
class ConfirmOffer(Command):
    """The person's phone confirmed an offer: its socket acked the frame, or its service worker
    sent a push receipt (`channel`: socket, push)."""

    person_id: str
    role_id: str
    channel: str


@dataclass(frozen=True, kw_only=True)
class MissOffer(Command):
    """No phone of the person confirmed the offer in time: it counts as not delivered."""

    person_id: str
    role_id: str
