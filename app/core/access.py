"""Who may do what over HTTP: roles, office scopes, and the principal a request acts as.

One vocabulary for every way in: a static API token (machines, tests, the demo), a handset's
token (staff, for the learning endpoints), and a console session from the organisation's
identity provider (app.core.claims). Each becomes a `Principal`; every endpoint asks it the
same two questions: does it cover this office, and may its role do this. Pure: the HTTP
answers are in `app.api.auth`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a principal may do, in the offices it covers."""

    ADMIN = "admin"
    COORDINATOR = "coordinator"  # runs an office: role cards, handsets, drills, debriefs
    VIEWER = "viewer"  # reads alarms, coverage and history; changes nothing
    STAFF = "staff"  # a handset's token: one person in one office (learning endpoints only)


WRITERS: frozenset[Role] = frozenset({Role.ADMIN, Role.COORDINATOR})
"""May change an office's configuration and records."""
READERS: frozenset[Role] = WRITERS | {Role.VIEWER}
"""May read an office's configuration and records."""
STAFF_AND_WRITERS: frozenset[Role] = WRITERS | {Role.STAFF}
"""May log what happened to them (incidents, outreach sessions), and the writers."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role, the offices it covers, and what the records may call it.

    The records keep a pseudonym, never a name: an API token by the first 8 hex digits of its
    SHA-256 (`token_id`), a handset by its id."""

    role: Role
    offices: frozenset[str]
    token_id: str = ""
    handset_id: str | None = None  # staff only
    person_id: str | None = None  # staff only: whose handset
    user_id: str | None = None  # signed in through the identity provider: a pseudonym

    def may_see(self, office_id: str) -> bool:
        """True when the principal's scope covers the office."""
        return office_id in self.offices

    def may(self, roles: frozenset[Role]) -> bool:
        return self.role in roles

    @property
    def by(self) -> str:
        """Who did it, as the learning records keep it: "token:<8 hex>", "handset:<id>" or
        "user:<8 hex>" (a person signed in through the identity provider, app.core.claims)."""
        if self.handset_id:
            return f"handset:{self.handset_id}"
        return f"user:{self.user_id}" if self.user_id else f"token:{self.token_id}"

    @property
    def signed(self) -> str:
        """Who did it, as role-card and handset histories show it: role and token fingerprint."""
        if self.user_id:
            return f"{self.role} (user {self.user_id})"
        return f"{self.role} (token {self.token_id})" if self.token_id else str(self.role)
