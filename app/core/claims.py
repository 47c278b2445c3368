"""From what the identity provider says about a person to a Principal: the sign-in mapping.

The organisation's provider puts group memberships or app roles in the ID token (Entra ID's
`groups` or `roles`, Keycloak's `groups`); the mapping says which of them make someone an admin,
a coordinator or a viewer, and of which offices. Pure: the provider is in app.adapters.oidc.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from app.core.access import Principal, Role

ALL_OFFICES = "*"
"""In a rule's offices: every office this service serves (an organisation-wide admin)."""
RANK = {Role.VIEWER: 1, Role.COORDINATOR: 2, Role.ADMIN: 3}


@dataclass(frozen=True)
class RoleRule:
    """A person whose `claim` holds `value` (or a list containing it) gets `role` in `offices`."""

    claim: str
    value: str
    role: Role
    offices: frozenset[str]


def user_pseudonym(issuer: str, subject: str) -> str:
    """What the records call a signed-in person: 8 hex digits of SHA-256(issuer, subject)."""
    return hashlib.sha256(f"{issuer}\n{subject}".encode()).hexdigest()[:8]


def matches(claims: Mapping[str, object], rule: RoleRule) -> bool:
    held = claims.get(rule.claim)
    if isinstance(held, str):
        return held == rule.value
    if isinstance(held, list | tuple):
        return rule.value in held
    return False


def principal_from_claims(
    claims: Mapping[str, object],
    rules: Iterable[RoleRule],
    served: Iterable[str],
    user_id: str,
) -> Principal | None:
    """The principal of a person with these ID token claims; None when no rule gives a role.

    One principal has one role: the highest any matching rule gives, in the offices of the rules
    that give it (a coordinator of A who is also a viewer of B is a coordinator of A only, never
    a coordinator of B). `*` stands for every office in `served`."""
    matched = [rule for rule in rules if matches(claims, rule)]
    if not matched:
        return None
    role = max((rule.role for rule in matched), key=RANK.__getitem__)
    everything = frozenset(served)
    offices: set[str] = set()
    for rule in matched:
        if rule.role == role:
            offices |= everything if ALL_OFFICES in rule.offices else rule.offices & everything
    if not offices:
        return None
    return Principal(role, frozenset(offices), user_id=user_id)
