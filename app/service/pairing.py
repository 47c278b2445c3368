"""Handset pairing, so a coordinator can give a phone to a person without editing the office file.

A coordinator creates a handset for a person and gets a short one-time code (and a link or QR
with it); the phone trades the code for a long random token once and keeps it. Only SHA-256
digests of codes and tokens are stored, and neither is ever logged. Paired handsets that are not
revoked are added to the OfficeDirectory, so the websocket signs them in like a file's handsets.
"""

from __future__ import annotations

import builtins
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

import structlog

from app.core.office import Office
from app.service.offices import OfficeDirectory, token_digest

log = structlog.get_logger(__name__)

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read aloud, typed on a phone
CODE_LENGTH = 8
CODE_TTL = timedelta(minutes=15)
HANDSET_PREFIX = "ph-"  # paired handset ids, apart from the file's (`hs-lise`)
_CREATE_TRIES = 5
Status = Literal["pending", "expired", "paired", "revoked"]


@dataclass(frozen=True)
class PairedRow:
    office_id: str
    handset_id: str
    person_id: str
    token_sha256: str | None
    pairing_code_sha256: str | None
    code_expires_at: datetime
    created_at: datetime
    created_by: str
    paired_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    def status(self, now: datetime) -> Status:
        """`revoked`, `paired`, `pending` (the code still works) or `expired`."""
        if self.revoked_at is not None:
            return "revoked"
        if self.paired_at is not None:
            return "paired"
        return "pending" if now < self.code_expires_at else "expired"


class HandsetStore(Protocol):
    """Stored paired handsets (app.adapters.db.pairing; a fake in the tests)."""

    async def create(self, row: PairedRow) -> None:
        """Store a new handset; HandsetTaken if its id or code digest is already stored."""

    async def pair(self, code_sha256: str, token_sha256: str, at: datetime) -> PairedRow:
        """Atomically: the handset with this code (not revoked, not expired at `at`) gets the
        token and loses the code. UnknownCode or ExpiredCode otherwise; a code works once."""

    async def revoke(self, office_id: str, handset_id: str, at: datetime, by: str) -> PairedRow:
        """Mark it revoked and clear its code; UnknownHandset if there is none. Revoking again
        keeps the first time."""

    async def get(self, office_id: str, handset_id: str) -> PairedRow | None: ...

    async def list(self, office_id: str) -> builtins.list[PairedRow]: ...  # newest first

    async def active(self) -> builtins.list[PairedRow]: ...  # paired and not revoked, every office


class PairingError(Exception):
    code = "pairing_error"


class HandsetTaken(PairingError):
    """A store conflict on create: the id or the code digest exists (the service tries again)."""


class PairingRefused(PairingError):
    """The code cannot be used; the API does not say why (unknown, used or expired)."""

    code = "pairing_refused"


class UnknownCode(PairingRefused):
    def __init__(self) -> None:
        super().__init__("no handset waits for this pairing code (unknown, mistyped or used)")


class ExpiredCode(PairingRefused):
    def __init__(self) -> None:
        super().__init__("the pairing code has expired: ask the coordinator for a new one")


class NotFound(PairingError):
    code = "not_found"


class UnknownHandset(NotFound):
    def __init__(self, office_id: str, handset_id: str) -> None:
        super().__init__(f"office {office_id!r} has no paired handset {handset_id!r}")


class UnknownPerson(PairingError):
    code = "unknown_person"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str | None:
    """The code as stored (upper case, no spaces or dashes); None when it cannot be one."""
    cleaned = "".join(code.split()).replace("-", "").upper()
    if len(cleaned) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in cleaned):
        return None
    return cleaned


class Pairing:
    def __init__(
        self, store: HandsetStore, offices: OfficeDirectory, now: Callable[[], datetime]
    ) -> None:
        self._store = store
        self._offices = offices
        self._now = now

    async def load(self) -> int:
        """At start-up: every paired, unrevoked handset of an office served here signs in."""
        count = 0
        for row in await self._store.active():
            if row.office_id in self._offices.offices and row.token_sha256 is not None:
                count += self._install(row)
        log.info("paired handsets loaded", count=count)
        return count

    async def create(self, office_id: str, person_id: str, by: str) -> tuple[str, str]:
        """A new handset for `person_id` and its one-time code (valid CODE_TTL)."""
        office = self._served(office_id)
        if person_id not in office.people:
            raise UnknownPerson(f"office {office_id!r} has no person {person_id!r}")
        now = self._now()
        for _ in range(_CREATE_TRIES):
            handset_id = f"{HANDSET_PREFIX}{secrets.token_hex(4)}"
            if handset_id in office.handsets:
                continue
            code = new_code()
            row = PairedRow(
                office_id=office_id,
                handset_id=handset_id,
                person_id=person_id,
                token_sha256=None,
                pairing_code_sha256=token_digest(code),
                code_expires_at=now + CODE_TTL,
                created_at=now,
                created_by=by,
            )
            try:
                await self._store.create(row)
            except HandsetTaken:
                continue
            log.info("handset created", office_id=office_id, handset_id=handset_id, by=by)
            return handset_id, code
        raise PairingError("could not find a free handset id and code; try again")

    async def pair(self, code: str) -> str:
        """Trade a pairing code for the handset's token (returned once, stored as a digest)."""
        normal = normalise_code(code)
        if normal is None:
            raise UnknownCode()
        token = secrets.token_urlsafe(32)
        row = await self._store.pair(token_digest(normal), token_digest(token), self._now())
        if row.office_id not in self._offices.offices or not self._install(row):
            log.warning("paired handset cannot sign in", office_id=row.office_id)
            raise UnknownCode()
        log.info("handset paired", office_id=row.office_id, handset_id=row.handset_id)
        return token

    async def revoke(self, office_id: str, handset_id: str, by: str) -> PairedRow:
        """The handset's token stops working at once (the caller closes its live socket)."""
        self._served(office_id)
        row = await self._store.revoke(office_id, handset_id, self._now(), by)
        self._offices.remove_paired(office_id, handset_id)
        log.info("handset revoked", office_id=office_id, handset_id=handset_id, by=by)
        return row

    async def get(self, office_id: str, handset_id: str) -> PairedRow:
        self._served(office_id)
        row = await self._store.get(office_id, handset_id)
        if row is None:
            raise UnknownHandset(office_id, handset_id)
        return row

    async def list(self, office_id: str) -> builtins.list[PairedRow]:
        self._served(office_id)
        return await self._store.list(office_id)

    def now(self) -> datetime:
        return self._now()

    def _install(self, row: PairedRow) -> bool:
        assert row.token_sha256 is not None
        return self._offices.add_paired(
            row.office_id, row.handset_id, row.person_id, row.token_sha256
        )

    def _served(self, office_id: str) -> Office:
        try:
            return self._offices.office(office_id)
        except KeyError:
            raise NotFound(f"office {office_id!r} is not served here") from None
