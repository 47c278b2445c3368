"""The offices this service serves, indexed the ways intake and sign-in look them up."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Protocol, TypeVar

import structlog

from app.core.access import Principal as Principal  # re-exported: its home before app.core.access
from app.core.access import Role
from app.core.office import Handset, Office

log = structlog.get_logger(__name__)

_T = TypeVar("_T")


class ApiTokenLike(Protocol):
    @property
    def token_sha256(self) -> str: ...
    @property
    def role(self) -> str: ...
    @property
    def offices(self) -> tuple[str, ...]: ...


class LoadedOfficeLike(Protocol):
    @property
    def office(self) -> Office: ...
    @property
    def handset_tokens(self) -> Mapping[str, str]: ...
    @property
    def api_tokens(self) -> Sequence[ApiTokenLike]: ...


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class OfficeDirectory:
    """The current version of each office, plus the earlier versions open alarms still need."""

    def __init__(self, loaded: Iterable[LoadedOfficeLike]) -> None:
        self._loaded: dict[str, LoadedOfficeLike] = {}
        self._versions: dict[tuple[str, str], Office] = {}
        self._offices: dict[str, Office] = {}
        self._by_device: dict[str, Office] = {}
        self._handsets: dict[str, tuple[Office, Handset]] = {}
        self._api: dict[str, Principal] = {}
        self._digests: dict[str, set[str]] = {}  # office -> its handset token digests
        self._api_owners: dict[str, dict[str, Principal]] = {}  # digest -> office -> its grant
        # Paired handsets (app.service.pairing): office id -> handset id -> (person, token digest).
        # Kept apart from the loaded files and applied after each, so they survive `replace`.
        self._paired: dict[str, dict[str, tuple[str, str]]] = {}
        items = list(loaded)
        self._loaded.update((item.office.id, item) for item in items)  # each share checks both
        for item in items:
            self._add(item)

    def _add(self, item: LoadedOfficeLike) -> None:
        office = self._agreed(item)
        self._loaded[office.id] = item
        self._versions[(office.id, office.rolecard.version)] = office
        self._offices[office.id] = office
        for device_id in office.triggers:
            other = self._by_device.get(device_id)
            if other is not None and other.id != office.id:
                raise ValueError(f"device {device_id!r} is in both {other.id!r} and {office.id!r}")
            self._by_device[device_id] = office
        for digest, handset_id in item.handset_tokens.items():
            taken = self._handsets.get(digest)
            if taken is not None and taken[0].id != office.id:
                raise ValueError(
                    f"a handset token of {office.id!r} is also used by {taken[0].id!r}"
                )
            self._handsets[digest] = (office, office.handsets[handset_id])
            self._digests.setdefault(office.id, set()).add(digest)
        for api in item.api_tokens:
            grant = Principal(Role(api.role), frozenset(api.offices), api.token_sha256[:8])
            self._api_owners.setdefault(api.token_sha256, {})[office.id] = grant
            self._api[api.token_sha256] = self._granted(api.token_sha256)
        self._apply_paired(office.id)

    def _granted(self, digest: str) -> Principal:
        """A token listed by several offices' files (a county coordinator's) sees all of them;
        each file adds only what it grants, and one token has one role."""
        grants = list(self._api_owners[digest].values())
        roles = {g.role for g in grants}
        if len(roles) > 1:
            raise ValueError(f"API token {digest[:8]} has the roles {sorted(roles)}")
        offices = frozenset().union(*(g.offices for g in grants))
        return Principal(grants[0].role, offices, digest[:8])

    def _agreed(self, item: LoadedOfficeLike) -> Office:
        """The office with only the sharing the other office agrees to: its own file shares with
        this one too. Why: one office's coordinator must not be able to send its alarms (and
        offers of its roles) to another office's staff by editing only its own file (issue 12,
        hole 6). Each share without agreement is logged and has no effect."""
        office = item.office
        agreed = tuple(s for s in office.facts.sharing if office.id in self._shares_of(s.office_id))
        for share in office.facts.sharing:
            if share not in agreed:
                log.warning(
                    "sharing has no effect until the other office shares back",
                    office_id=office.id,
                    towards=share.office_id,
                )
        if agreed == office.facts.sharing:
            return office
        return replace(office, facts=replace(office.facts, sharing=agreed))

    def _shares_of(self, office_id: str) -> frozenset[str]:
        item = self._loaded.get(office_id)
        return frozenset(s.office_id for s in item.office.facts.sharing) if item else frozenset()

    def replace(self, loaded: LoadedOfficeLike) -> None:
        """Make `loaded` the office's current version (or add the office): new presses, sign-ins
        and API calls use it at once. The version it replaces stays reachable by office_version.
        Costs O(that office and the offices it shares with): at start every office is replaced
        once (its stored card)."""
        office_id = loaded.office.id
        previous = self._loaded.get(office_id)
        partners = self._partners(office_id, previous, loaded)
        if previous is not None:
            self._remove(office_id, previous)
        try:
            self._add(loaded)
        except ValueError:
            self._remove(office_id, loaded)
            if previous is not None:
                self._add(previous)
            raise
        for partner in partners:  # their sharing with this office may have been agreed or ended
            item = self._loaded[partner]
            self._remove(partner, item)
            self._add(item)

    def _partners(
        self, office_id: str, previous: LoadedOfficeLike | None, loaded: LoadedOfficeLike
    ) -> set[str]:
        named = {s.office_id for s in loaded.office.facts.sharing}
        if previous is not None:
            named |= {s.office_id for s in previous.office.facts.sharing}
        naming = {o for o, item in self._loaded.items() if office_id in self._shares_of(o)}
        return (named | naming) & set(self._loaded) - {office_id}

    def _remove(self, office_id: str, item: LoadedOfficeLike) -> None:
        """Forget the office's devices, tokens and current version (kept versions stay)."""
        for device_id in item.office.triggers:
            if (owner := self._by_device.get(device_id)) is not None and owner.id == office_id:
                del self._by_device[device_id]
        for digest in self._digests.pop(office_id, set()):
            if (found := self._handsets.get(digest)) is not None and found[0].id == office_id:
                del self._handsets[digest]
        for api in item.api_tokens:
            owners = self._api_owners.get(api.token_sha256, {})
            owners.pop(office_id, None)
            if owners:  # other offices' files name the same token: their grants stay
                self._api[api.token_sha256] = self._granted(api.token_sha256)
            else:
                self._api.pop(api.token_sha256, None)
                self._api_owners.pop(api.token_sha256, None)
        self._offices.pop(office_id, None)
        self._loaded.pop(office_id, None)

    def shares_with(self, office_id: str) -> frozenset[str]:
        """The offices `office_id`'s file shares its alarms with, agreed to or not."""
        return self._shares_of(office_id)

    # -- paired handsets ------------------------------------------------------------------

    def add_paired(
        self, office_id: str, handset_id: str, person_id: str, token_sha256: str
    ) -> bool:
        """A paired handset signs in from now on, also after a role-card activation. False when
        it cannot (yet): its person is not in the office's current card, its id is a file
        handset's, or its token signs in elsewhere; it is kept and tried again on `replace`."""
        self._paired.setdefault(office_id, {})[handset_id] = (person_id, token_sha256)
        if office_id in self._loaded:
            self.replace(self._loaded[office_id])
        found = self._handsets.get(token_sha256)
        return found is not None and (found[0].id, found[1].id) == (office_id, handset_id)

    def remove_paired(self, office_id: str, handset_id: str) -> None:
        """A revoked handset's token no longer signs in (its live socket is the hub's to close)."""
        gone = self._paired.get(office_id, {}).pop(handset_id, None)
        if gone is not None and office_id in self._loaded:
            self.replace(self._loaded[office_id])

    def _apply_paired(self, office_id: str) -> None:
        """Extend the office just added with its paired handsets and index their tokens."""
        office = self._offices[office_id]
        added: dict[str, tuple[Handset, str]] = {}
        for handset_id, (person_id, digest) in self._paired.get(office_id, {}).items():
            clash = handset_id in office.handsets or digest in self._handsets
            if clash or person_id not in office.people:
                log.warning("paired handset left out", office_id=office_id, handset_id=handset_id)
            else:
                added[handset_id] = (Handset(handset_id, person_id), digest)
        if not added:
            return
        handsets = {**office.handsets, **{k: handset for k, (handset, _) in added.items()}}
        extended = replace(office, handsets=handsets)
        self._offices[office_id] = extended
        self._versions[(office_id, office.rolecard.version)] = extended
        for device_id in office.triggers:  # this office's entries only: O(that office)
            if self._by_device.get(device_id) is office:
                self._by_device[device_id] = extended
        for digest in self._digests.get(office_id, set()):
            if (found := self._handsets.get(digest)) is not None and found[0] is office:
                self._handsets[digest] = (extended, found[1])
        for handset, digest in added.values():
            self._handsets[digest] = (extended, handset)
            self._digests.setdefault(office_id, set()).add(digest)

    def keep_version(self, office: Office) -> None:
        """Keep an earlier version reachable (an alarm raised under it is still open)."""
        self._versions.setdefault((office.id, office.rolecard.version), office)

    def office_version(self, office_id: str, rolecard_version: str) -> Office:
        """The office as it was when the role card `rolecard_version` (an alarm's
        `rolecard_version`) dispatched; the current version if that one is not known here.
        KeyError for an unknown office."""
        current = self._offices[office_id]
        return self._versions.get((office_id, rolecard_version), current)

    @property
    def offices(self) -> Mapping[str, Office]:
        return self._offices

    def office(self, office_id: str) -> Office:
        return self._offices[office_id]

    def office_of_device(self, device_id: str) -> Office | None:
        return self._by_device.get(device_id)

    @property
    def handsets(self) -> int:
        """How many handsets can sign in (every office's file and paired handsets)."""
        return len(self._handsets)

    def handset_for_token(self, token: str) -> tuple[Office, Handset] | None:
        return _lookup(self._handsets, token)

    def principal_for_token(self, token: str) -> Principal | None:
        return _lookup(self._api, token)

    def office_of_handset_digest(self, digest: str) -> str | None:
        """Which office a handset token (by its SHA-256) signs in to, if any."""
        found = self._handsets.get(digest)
        return None if found is None else found[0].id

    def principal_for_digest(self, digest: str) -> Principal | None:
        return self._api.get(digest)


def _lookup(table: Mapping[str, _T], token: str) -> _T | None:
    """Tokens are kept only as SHA-256 digests; a lookup by digest reveals nothing of the token."""
    return table.get(token_digest(token))
