"""A replica's role among several `rollekort serve` on one PostgreSQL (issue 14), as a pure state
machine: starting → standby → promoting → leading → lost.

Why a machine of its own: `/readyz`, the handset socket, the `rollekort_leader` metric and the
log all answer from the role, and a role must never go back (a replica that lost leadership
exits; its supervisor starts it again as a new standby). On SQLite the one process leads from
its start (starting → promoting → leading), its flock is the fence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    STARTING = "starting"  # loading office files, opening the database
    STANDBY = "standby"  # waiting for the leader lock; serves /healthz, refuses the rest
    PROMOTING = "promoting"  # holds the lock: recovering open alarms, starting the intake
    LEADING = "leading"  # takes presses; /readyz may answer 200
    LOST = "lost"  # leadership lost: stops taking presses and exits


ALLOWED: dict[Role, frozenset[Role]] = {
    Role.STARTING: frozenset({Role.STANDBY, Role.PROMOTING, Role.LOST}),
    Role.STANDBY: frozenset({Role.PROMOTING, Role.LOST}),
    Role.PROMOTING: frozenset({Role.LEADING, Role.LOST}),
    Role.LEADING: frozenset({Role.LOST}),
    Role.LOST: frozenset(),
}


class BadRoleChange(ValueError):
    """A role change the machine does not allow (a bug, never an outside input)."""


@dataclass
class Replica:
    """One process's role, with the monotonic times of its changes (seconds) to measure them."""

    replica_id: str
    role: Role = Role.STARTING
    epoch: int | None = None  # the fencing epoch taken on winning the lock (PostgreSQL only)
    reason: str = ""  # why the role is what it is, for /readyz and the log
    changed: dict[Role, float] = field(default_factory=dict)

    def to(self, role: Role, at: float, reason: str = "") -> None:
        """Change role; BadRoleChange if not allowed (LOST → LOST is a no-op: one exit)."""
        if role == self.role == Role.LOST:
            return
        if role not in ALLOWED[self.role]:
            raise BadRoleChange(f"{self.role} → {role} is not a replica's role change")
        self.role = role
        self.reason = reason
        self.changed[role] = at

    def won(self, epoch: int, at: float) -> None:
        """The lock is ours with this epoch: promotion begins."""
        self.to(Role.PROMOTING, at, f"promoting with epoch {epoch}")
        self.epoch = epoch

    @property
    def leads(self) -> bool:
        return self.role == Role.LEADING

    @property
    def promotion_s(self) -> float | None:
        """From lock won to taking presses; None until both happened."""
        won, leading = self.changed.get(Role.PROMOTING), self.changed.get(Role.LEADING)
        return None if won is None or leading is None else leading - won
