"""Ports the service needs from the outside world, as typing.Protocols with plain data types.

Every port has a real adapter (app.adapters) and an in-memory fake (tests/fakes/); both pass the
same contract tests, so the service can be tested without I/O and trusted with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

from app.core import events as ev
from app.core.alarm import AlarmState
from app.core.office import Office
from app.core.whereabouts import Carry, CheckIn, Whereabouts


@dataclass(frozen=True)
class PressKey:
    """What makes a press unique: the device, its sequence number and its own timestamp if sent.

    The timestamp and the boot id (protocol v1's optional `boot`, or one the service gives a
    press it took for a restarted counter: app.service.counters) are part of the key so a device
    whose counter restarted does not have its new presses swallowed as duplicates of old ones.
    """

    device_id: str
    seq: int
    device_ts: str = ""
    boot: str = ""


@dataclass(frozen=True)
class PressRow:
    """A stored press key with its alarm and when it arrived (the service clock), to rebuild
    a device's trail of presses after a restart (app.core.repeats.trail_of)."""

    key: PressKey
    alarm_id: str
    received_at: datetime


@dataclass(frozen=True)
class StoredEvent:
    alarm_id: str
    seq: int
    event: ev.Event
    hash: str


@dataclass(frozen=True)
class ChainCheck:
    """The verdict on one alarm's timeline: `ok`, `broken` (with the first problem found) or
    `unsealed` (from before the chain was keyed: edits show, a shortened chain would not)."""

    state: Literal["ok", "broken", "unsealed"]
    reason: str | None = None
    length: int = 0


@dataclass(frozen=True)
class AlarmSummary:
    """The alarm table row: a projection of the events, for lists and look-ups."""

    alarm_id: str
    office_id: str
    device_id: str
    location_id: str
    status: str
    level: str
    mode: str
    raised_at: datetime
    closed_at: datetime | None
    rolecard_version: str

    @classmethod
    def of(cls, state: AlarmState) -> AlarmSummary:
        return cls(
            alarm_id=state.alarm_id,
            office_id=state.office_id,
            device_id=state.device_id,
            location_id=state.location_id,
            status=state.status.value,
            level=state.level.value,
            mode=state.mode.value,
            raised_at=state.raised_at,
            closed_at=state.closed_at,
            rolecard_version=state.rolecard_version,
        )


class DuplicatePress(Exception):
    """The press key is already recorded: a redelivery, never a second alarm."""

    def __init__(self, key: PressKey, alarm_id: str | None) -> None:
        super().__init__(f"press {key} already recorded")
        self.key = key
        self.alarm_id = alarm_id


Append = tuple[AlarmSummary, Sequence[ev.Event], PressKey | None]
"""One `AlarmStore.append`'s arguments: the alarm, its new events, the press key (a raise's)."""


@runtime_checkable
class GroupCommit(Protocol):
    """A store that writes several appends in one transaction (one fsync): the journal's group
    commit. Each entry is exactly what `append` does; a taken press key comes back as that
    entry's DuplicatePress (only its entry rolled back), any other error rolls back all."""

    async def append_many(
        self, entries: Sequence[Append]
    ) -> list[list[StoredEvent] | DuplicatePress]: ...


class AlarmStore(Protocol):
    """Durable, append-only alarm timelines with a hash chain, and the press de-duplication keys."""

    async def append(
        self,
        alarm: AlarmSummary,
        events: Sequence[ev.Event],
        press: PressKey | None = None,
    ) -> list[StoredEvent]:
        """In one transaction: record the press key (DuplicatePress if known), append the events
        after the alarm's last one, and upsert the alarm row. Returns the stored events."""
        ...

    async def events(self, alarm_id: str) -> list[StoredEvent]: ...

    async def integrity(self, alarm_id: str) -> ChainCheck:
        """Check the alarm's timeline against its hash chain and its recorded, keyed seal."""
        ...

    async def redact_free_text(self, before: datetime, office_ids: Sequence[str]) -> int:
        """Retention: blank the free text of these offices' timeline events older than `before`,
        keeping a digest so the hash chain still verifies. Returns how many events were blanked."""
        ...

    async def alarm(self, alarm_id: str) -> AlarmSummary | None: ...

    async def alarms(self, office_ids: Sequence[str], limit: int = 100) -> list[AlarmSummary]:
        """Newest first."""
        ...

    async def open_alarm_ids(self) -> list[str]: ...

    async def press_keys_since(self, since: datetime) -> dict[PressKey, str]:
        """Recent press keys and their alarm ids, to de-duplicate in memory after a restart."""
        ...

    async def presses_since(self, since: datetime) -> list[PressRow]:
        """`press_keys_since` with each key's arrival time: one read at start-up."""
        ...

    async def closed_timelines_since(self, since: datetime) -> dict[str, list[StoredEvent]]:
        """The timelines of the alarms closed at or after `since`, in one read (start-up: their
        late presses are recorded on them, never raised as new alarms)."""
        ...

    async def record_button_test(self, device_id: str, seq: int, at: datetime) -> None: ...

    async def last_button_tests(self) -> dict[str, datetime]:
        """The time of each device's latest routine test."""
        ...

    async def ping(self) -> None:
        """Raise if the database cannot be reached."""
        ...

    async def close(self) -> None: ...


class FeedbackPort(Protocol):
    """Discreet feedback to the presser's device (`rollekort/v1/feedback/{device_id}`)."""

    async def send(self, device_id: str, payload: dict[str, Any]) -> None: ...

    async def send_command(self, topic: str, payload: bytes) -> None:
        """A command in a device family's own format (the family feedback of docs/devices.md)."""
        ...


class HandsetNotifier(Protocol):
    """Queues frames for connected handsets; never blocks, never raises for a slow handset."""

    def offer(self, state: AlarmState, office: Office, person_id: str, role_id: str) -> None: ...

    def notice(self, state: AlarmState, office: Office, person_ids: Sequence[str]) -> None: ...

    def update(self, state: AlarmState, office: Office, last: ev.Event | None) -> None: ...

    def closed(self, state: AlarmState, office: Office) -> None: ...

    def lockdown(self, state: AlarmState, office: Office, on: bool) -> None: ...

    def assembly(
        self, state: AlarmState, office: Office, role_id: str, person_ids: Sequence[str]
    ) -> None: ...

    def shared(self, state: AlarmState, office: Office, office_ids: Sequence[str]) -> None:
        """Show another office's alarm to these offices' handsets, labelled with its owner."""
        ...

    def presser(self, state: AlarmState, office: Office, person_id: str, feedback: str) -> None:
        """Quiet word to the presser's own handset (received, accepted, arrived, resolved)."""
        ...

    def reminder(
        self,
        state: AlarmState,
        office: Office,
        role_id: str,
        person_ids: Sequence[str],
        kind: str,
    ) -> None: ...


class PlaceStore(Protocol):
    """Who sits where and who carries which worn trigger, kept so that a restart, or a standby
    that takes over, still knows the presser of a fixed button. Staff data only: office, person,
    place or device, since and until; nothing about clients."""

    async def put_check_in(self, office_id: str, entry: CheckIn) -> None:
        """The person's one check-in, replacing any earlier one (a check-in elsewhere)."""
        ...

    async def drop_check_in(self, office_id: str, person_id: str) -> None: ...

    async def put_carry(self, office_id: str, entry: Carry) -> None:
        """The worn trigger's one checkout, replacing any earlier one."""
        ...

    async def drop_carry(self, office_id: str, device_id: str) -> None: ...

    async def current(self, now: datetime) -> dict[str, Whereabouts]:
        """Every office's entries that still hold at `now`; ended ones are deleted."""
        ...


class LeadershipLost(RuntimeError):
    """Another replica leads now (its fencing epoch is newer) or the leader lock is gone: this
    process must stop taking presses and exit (app.core.leadership). Never retried."""
