"""Role-card versions: upload, check, activate and acknowledge, so only a checked card dispatches.

Every upload of an office file is stored as it was sent and numbered per office; activating one
swaps the office in the OfficeDirectory, so new alarms use it at once while an alarm still open
keeps the card that dispatched it (`OfficeDirectory.office_version`). Alarms record the version
as `"{number}:{label}"` (see `version_key`), which names exactly one stored version.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

import structlog

from app.config.loader import LoadedOffice, OfficeFileError, Problem, Severity, load_office_text
from app.core.office import Office
from app.service.offices import OfficeDirectory
from app.service.ports import AlarmStore
from app.service.rolecards.checks import Checked, check_upload

log = structlog.get_logger(__name__)

UPLOADED, ACTIVE, RETIRED = "uploaded", "active", "retired"
FROM_FILE = "file"  # `uploaded_by` / `activated_by` of a version seeded from the office file
LABEL_MAX = 120  # so "{number}:{label}" fits the alarm's rolecard_version column (128)
KEY_MAX = 128


@dataclass(frozen=True)
class VersionRow:
    office_id: str
    number: int
    label: str
    content: str
    uploaded_at: datetime
    uploaded_by: str
    status: str
    activated_at: datetime | None
    activated_by: str | None
    errors: int
    warnings: int

    @property
    def key(self) -> str:
        return version_key(self.number, self.label)


@dataclass(frozen=True)
class NewVersion:
    """A version to store at start: an office's file, active from now (`VersionStore.seed`)."""

    office_id: str
    content: str
    label: str
    at: datetime
    by: str
    warnings: int


class VersionStore(Protocol):
    """Stored role-card versions and acknowledgements (app.adapters.db.rolecards; a fake)."""

    async def add(
        self,
        office_id: str,
        content: str,
        label: str,
        at: datetime,
        by: str,
        errors: int,
        warnings: int,
    ) -> int:
        """Store a new version with status `uploaded`; returns its number (1, 2, 3 … per office)."""

    async def activate(self, office_id: str, number: int, at: datetime, by: str) -> None:
        """In one transaction: the office's active version becomes `retired`, this one `active`.
        UnknownVersion if there is no such version; nothing changes if it is active already."""

    async def active(self, office_id: str) -> VersionRow | None: ...

    async def history(self, office_id: str) -> list[VersionRow]: ...  # newest first

    async def get(self, office_id: str, number: int) -> VersionRow | None: ...

    async def acknowledge(self, office_id: str, person_id: str, number: int, at: datetime) -> None:
        """Idempotent: acknowledging again keeps the first time."""

    async def acknowledged(self, office_id: str, number: int) -> set[str]: ...

    # start-up, every office at once: a start of 500 offices was two reads and two commits per
    # office (a thousand fsyncs on a fresh database)

    async def actives(self) -> dict[str, VersionRow]:
        """Every office's active version (one query)."""

    async def active_acks(self) -> dict[str, set[str]]:
        """Per office, who acknowledged its active version (one query)."""

    async def seed(self, versions: Sequence[NewVersion]) -> list[VersionRow]:
        """In ONE transaction, for each: stored as its office's next number and active, the
        office's active version (if any) retired; what `add` then `activate` would leave."""


class VersionError(Exception):
    code = "version_error"


class NotFound(VersionError):
    """No such version, or an office not served here, or a person the office does not have."""

    code = "not_found"


class UnknownVersion(NotFound):
    def __init__(self, office_id: str, number: int) -> None:
        super().__init__(f"office {office_id!r} has no role-card version {number}")


class WrongOffice(VersionError):
    code = "wrong_office"

    def __init__(self, problem: Problem) -> None:
        super().__init__(f"{problem.message} (line {problem.line}): upload it to its own office")
        self.problem = problem


class HasErrors(VersionError):
    code = "has_errors"

    def __init__(self, office_id: str, number: int, errors: list[Problem]) -> None:
        head = f"version {number} of {office_id!r} has {len(errors)} error(s) and cannot be used"
        super().__init__("\n".join([head, *map(str, errors)]))
        self.errors = errors


@dataclass(frozen=True)
class UploadResult:
    number: int
    problems: list[Problem]
    activatable: bool
    label: str = ""  # the card's name as stored (rolecard.version, at most LABEL_MAX characters)


def version_key(number: int, label: str) -> str:
    """What an alarm records as its `rolecard_version`: the stored number and the card's name."""
    return f"{number}:{label}"[:KEY_MAX]


def version_number(key: str) -> int | None:
    """The stored number in a version key; None for keys recorded before versions were stored."""
    head, sep, _ = key.partition(":")
    return int(head) if sep and head.isdigit() else None


def keyed(loaded: LoadedOffice, number: int, label: str) -> LoadedOffice:
    """The loaded office with its card's version set to the stored version's key."""
    office = loaded.office
    card = replace(office.rolecard, version=version_key(number, label))
    return replace(loaded, office=replace(office, rolecard=card))


async def open_alarm_versions(store: AlarmStore) -> set[tuple[str, str]]:
    """(office id, rolecard version) of every open alarm, to keep those cards loaded."""
    found: set[tuple[str, str]] = set()
    for alarm_id in await store.open_alarm_ids():
        alarm = await store.alarm(alarm_id)
        if alarm is not None:
            found.add((alarm.office_id, alarm.rolecard_version))
    return found


class RoleCardVersions:
    def __init__(
        self,
        store: VersionStore,
        offices: OfficeDirectory,
        now: Callable[[], datetime],
        on_activated: Callable[[Office], None] | None = None,
    ) -> None:
        self.on_activated = on_activated  # handsets show their roles from the new card at once
        self._store = store
        self._offices = offices
        self._now = now
        self._current: dict[str, LoadedOffice] = {}
        self._active: dict[str, VersionRow] = {}
        self._acks: dict[str, frozenset[str]] = {}
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    # -- start-up -----------------------------------------------------------------------

    async def start(self, files: Mapping[str, str], keep: Iterable[tuple[str, str]] = ()) -> None:
        """Seed each office (office id → its file's text): the active stored version if there
        is one, else the file as version 1, activated by "file". Then load the earlier
        versions `keep` names (office id, version key: the open alarms') for office_version."""
        await self._seed_all(files)
        for office_id, key in keep:
            await self._keep(office_id, key)

    async def _seed_all(self, files: Mapping[str, str]) -> None:
        """The active stored version of each office if it loads, else its file as a new
        version, activated by "file": two reads and one transaction for every office."""
        store = self._store
        actives, acks = await store.actives(), await store.active_acks()
        ready: list[tuple[VersionRow, LoadedOffice]] = []
        fresh: dict[str, LoadedOffice] = {}
        for office_id, text in files.items():
            row = actives.get(office_id)
            loaded = await _usable(row, text)
            if row is None or loaded is None:
                fresh[office_id] = load_office_text(text, f"{office_id} (file)")
            else:
                ready.append((row, loaded))
        at = self._now()
        new = [
            NewVersion(
                o, files[o], x.office.rolecard.version[:LABEL_MAX], at, FROM_FILE, len(x.warnings)
            )
            for o, x in fresh.items()
        ]
        for row, loaded in ready:
            self._put(row, loaded, frozenset(acks.get(row.office_id, set())))
        for row in await store.seed(new):  # nobody has acknowledged a version stored just now
            self._put(row, fresh[row.office_id], frozenset())
        for row in self._active.values():
            log.info("role card", office_id=row.office_id, version=row.key, by=row.activated_by)

    async def _keep(self, office_id: str, key: str) -> None:
        number = version_number(key)
        current = self._active.get(office_id)
        if number is None or current is None or current.key == key:
            return
        row = await self._store.get(office_id, number)
        loaded = None if row is None else await _load(row)
        if row is None or loaded is None:
            log.error("role card of an open alarm not found", office_id=office_id, version=key)
            return
        self._offices.keep_version(keyed(loaded, row.number, row.label).office)

    async def _install(self, row: VersionRow, loaded: LoadedOffice) -> None:
        self._put(row, loaded, frozenset(await self._store.acknowledged(row.office_id, row.number)))

    def _put(self, row: VersionRow, loaded: LoadedOffice, acks: frozenset[str]) -> None:
        current = keyed(loaded, row.number, row.label)
        self._offices.replace(current)
        self._current[row.office_id] = current
        self._active[row.office_id] = row
        self._acks[row.office_id] = acks

    # -- versions -----------------------------------------------------------------------

    def active(self, office_id: str) -> VersionRow | None:
        """The active version (from memory)."""
        return self._active.get(office_id)

    async def check(self, office_id: str, content: str) -> Checked:
        """Validate without storing: the loader's problems plus the upload rules."""
        self._served(office_id)
        return await check_upload(office_id, content, self._offices, self._current.get(office_id))

    async def upload(self, office_id: str, content: str, by: str) -> UploadResult:
        """Store a new version, whatever its problems; WrongOffice if it names another office."""
        checked = await self.check(office_id, content)
        if checked.wrong_office is not None:
            raise WrongOffice(checked.wrong_office)
        errors, warnings = checked.counts
        label = checked.label[:LABEL_MAX]
        number = await self._store.add(office_id, content, label, self._now(), by, errors, warnings)
        log.info("role card uploaded", office_id=office_id, number=number, by=by, errors=errors)
        return UploadResult(number, checked.problems, checked.activatable, label)

    async def activate(self, office_id: str, number: int, by: str) -> VersionRow:
        """Check the version again and make it the one that dispatches new alarms."""
        self._served(office_id)
        async with self._locks[office_id]:
            row = await self._store.get(office_id, number)
            if row is None:
                raise UnknownVersion(office_id, number)
            if row.status == ACTIVE:
                return row
            checked = await self.check(office_id, row.content)
            if checked.loaded is None or not checked.activatable:
                errors = [p for p in checked.problems if p.severity is Severity.ERROR]
                raise HasErrors(office_id, number, errors)
            await self._store.activate(office_id, number, self._now(), by)
            row = await self._store.get(office_id, number)
            assert row is not None
            await self._install(row, checked.loaded)
        log.info("role card activated", office_id=office_id, version=row.key, by=by)
        if self.on_activated is not None:
            self.on_activated(self._offices.office(office_id))
        return row

    async def history(self, office_id: str) -> list[VersionRow]:
        self._served(office_id)
        return await self._store.history(office_id)

    async def version(self, office_id: str, number: int) -> tuple[VersionRow, Checked]:
        """A stored version and what the checks say about it now."""
        self._served(office_id)
        row = await self._store.get(office_id, number)
        if row is None:
            raise UnknownVersion(office_id, number)
        return row, await self.check(office_id, row.content)

    # -- acknowledgements ---------------------------------------------------------------

    async def acknowledge(self, office_id: str, person_id: str) -> int:
        """`person_id` has read the active card; returns the version number acknowledged."""
        row = self._served(office_id)
        if person_id not in self._offices.office(office_id).people:
            raise NotFound(f"office {office_id!r} has no person {person_id!r}")
        await self._store.acknowledge(office_id, person_id, row.number, self._now())
        if self._active[office_id].number == row.number:
            self._acks[office_id] = self._acks[office_id] | {person_id}
        return row.number

    def acknowledged(self, office_id: str) -> frozenset[str]:
        """Who has acknowledged the active version: a dict look-up, cheap enough for every press."""
        return self._acks.get(office_id, frozenset())

    def _served(self, office_id: str) -> VersionRow:
        row = self._active.get(office_id)
        if row is None:
            raise NotFound(f"office {office_id!r} is not served here")
        return row


async def _usable(row: VersionRow | None, text: str) -> LoadedOffice | None:
    """The stored active version, loaded, if it still loads (else the file is used)."""
    loaded = None if row is None else await _load(row)
    if row is not None and loaded is None:
        log.error("active role card no longer loads; using the file", office_id=row.office_id)
    elif row is not None and row.content != text:
        message = "office file differs from the active role-card version: using the version"
        log.warning(message, office_id=row.office_id, version=row.key)
    return loaded


async def _load(row: VersionRow) -> LoadedOffice | None:
    source = f"{row.office_id} version {row.number}"
    try:
        return await asyncio.to_thread(load_office_text, row.content, source)
    except OfficeFileError as err:
        log.error("stored role card does not load", source=source, problems=str(err))
        return None
