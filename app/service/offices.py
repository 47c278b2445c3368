"""The offices this service serves, indexed the ways intake and sign-in look them up."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from app.core.office import Handset, Office

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


@dataclass(frozen=True)
class Principal:
    """Who is calling the HTTP API: a role and the offices it may see."""

    role: str
    offices: frozenset[str]

    def may_see(self, office_id: str) -> bool:
        return office_id in self.offices


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class OfficeDirectory:
    def __init__(self, loaded: Iterable[LoadedOfficeLike]) -> None:
        self._offices: dict[str, Office] = {}
        self._by_device: dict[str, Office] = {}
        self._handsets: dict[str, tuple[Office, Handset]] = {}
        self._api: dict[str, Principal] = {}
        for item in loaded:
            self._add(item)

    def _add(self, item: LoadedOfficeLike) -> None:
        office = item.office
        self._offices[office.id] = office
        for device_id in office.triggers:
            self._by_device[device_id] = office
        for digest, handset_id in item.handset_tokens.items():
            self._handsets[digest] = (office, office.handsets[handset_id])
        for api in item.api_tokens:
            self._api[api.token_sha256] = Principal(api.role, frozenset(api.offices))

    @property
    def offices(self) -> Mapping[str, Office]:
        return self._offices

    def office(self, office_id: str) -> Office:
        return self._offices[office_id]

    def office_of_device(self, device_id: str) -> Office | None:
        return self._by_device.get(device_id)

    def handset_for_token(self, token: str) -> tuple[Office, Handset] | None:
        return _lookup(self._handsets, token)

    def principal_for_token(self, token: str) -> Principal | None:
        return _lookup(self._api, token)


def _lookup(table: Mapping[str, _T], token: str) -> _T | None:
    """Tokens are kept only as SHA-256 digests; a lookup by digest reveals nothing of the token."""
    return table.get(token_digest(token))
