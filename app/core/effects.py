"""Effects: what the service must do after a decision, as nouns. All are idempotent to run twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from app.core.repeats import Tally


class FeedbackState(StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"  # someone who goes to the presser accepted: help is coming
    ARRIVED = "arrived"  # that person marked arrival: help is here
    RESOLVED = "resolved"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Effect:
    alarm_id: str


@dataclass(frozen=True)
class PushOffer(Effect):
    """Send the `alarm` frame with this role's offer to the person's handsets."""

    person_id: str
    role_id: str


@dataclass(frozen=True)
class PushNotice(Effect):
    """Tell these people about the alarm without offering them a role."""

    person_ids: tuple[str, ...]


@dataclass(frozen=True)
class PushShared(Effect):
    """Show the alarm to the handsets of these other offices, labelled with its owner."""

    office_ids: tuple[str, ...]


@dataclass(frozen=True)
class PushAssembly(Effect):
    """Tell these people where to gather and what to do (an assembly role's steps)."""

    role_id: str
    person_ids: tuple[str, ...]


class ReminderKind(StrEnum):
    UNFILLED = "unfilled"  # a required role nobody in the office took
    POLICE = "police"  # the police-contact role has not ticked a step in time


@dataclass(frozen=True)
class PushReminder(Effect):
    role_id: str
    person_ids: tuple[str, ...]
    kind: ReminderKind


@dataclass(frozen=True)
class NotifyExternal(Effect):
    """Alert contacts outside the office through the outbound notifier."""

    role_id: str
    contact_ids: tuple[str, ...]


@dataclass(frozen=True)
class ArmReminder(Effect):
    role_id: str
    due_at: datetime


@dataclass(frozen=True)
class PushUpdate(Effect):
    """Tell every handset of the office what has changed."""


@dataclass(frozen=True)
class PushClosed(Effect):
    pass


@dataclass(frozen=True)
class PushLockdown(Effect):
    on: bool


@dataclass(frozen=True)
class ArmDeadline(Effect):
    role_id: str
    offer_no: int
    due_at: datetime


@dataclass(frozen=True)
class SendFeedback(Effect):
    device_id: str
    state: FeedbackState


@dataclass(frozen=True)
class PushPresser(Effect):
    """Discreet word to the presser's own handset: her instructions, then that help is coming
    and that it is there (the same moments as her button's feedback)."""

    person_id: str
    state: FeedbackState


@dataclass(frozen=True)
class HoldRepeats(Effect):
    """Repeats taken but not recorded yet (app.core.repeats): keep `tally`, and record it at
    `due_at` unless a row records it before."""

    tally: Tally
    due_at: datetime
