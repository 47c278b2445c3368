"""Console sessions kept by the server: the cookie carries only a signed random id, the
principal stays here, so signing out (or a restart) ends a session for good, even for a copy of
its cookie. Sign-ins under way are kept the same way until their callback, for ten minutes."""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.core.access import Principal

PENDING_TTL_S = 600.0
MAX_PENDING = 1000
"""Sign-ins under way kept at once; the oldest is dropped first (no memory to exhaust)."""
MAX_SESSIONS = 10_000

_T = TypeVar("_T")
_SIGN_IN = "rollekort-sign-in"


@dataclass(frozen=True)
class ConsoleSession:
    principal: Principal
    id_token: str  # for the provider's logout (id_token_hint); never logged
    expires_at: float


class _Expiring(Generic[_T]):
    """A bounded map whose entries end after a time (monotonic clock)."""

    def __init__(self, limit: int, now: Callable[[], float]) -> None:
        self._items: OrderedDict[str, tuple[float, _T]] = OrderedDict()
        self._limit = limit
        self._now = now

    def put(self, key: str, value: _T, ttl_s: float) -> None:
        self._items[key] = (self._now() + ttl_s, value)
        while len(self._items) > self._limit:
            self._items.popitem(last=False)

    def get(self, key: str) -> _T | None:
        found = self._items.get(key)
        if found is None:
            return None
        if found[0] <= self._now():
            del self._items[key]
            return None
        return found[1]

    def pop(self, key: str) -> _T | None:
        value = self.get(key)
        self._items.pop(key, None)
        return value


class ConsoleSessions(Generic[_T]):
    """Signed-in consoles by session id, and sign-ins under way (`_T`) by their state."""

    def __init__(self, lifetime_s: float, now: Callable[[], float] = time.monotonic) -> None:
        self.lifetime_s = lifetime_s
        self._now = now
        self._sessions: _Expiring[ConsoleSession] = _Expiring(MAX_SESSIONS, now)
        self._pending: _Expiring[_T] = _Expiring(MAX_PENDING, now)
        # The key lives as long as the process, like the sessions it signs.
        self._signer = URLSafeTimedSerializer(secrets.token_bytes(32), salt="rollekort-console")

    def open(self, principal: Principal, id_token: str) -> str:
        """A new session; returns the cookie value (the signed session id)."""
        sid = secrets.token_urlsafe(32)
        expires = self._now() + self.lifetime_s
        self._sessions.put(sid, ConsoleSession(principal, id_token, expires), self.lifetime_s)
        return self._signer.dumps(sid)

    def find(self, cookie: str | None) -> ConsoleSession | None:
        sid = self._unsign(cookie, self.lifetime_s)
        return self._sessions.get(sid) if sid else None

    def close(self, cookie: str | None) -> ConsoleSession | None:
        sid = self._unsign(cookie, self.lifetime_s)
        return self._sessions.pop(sid) if sid else None

    def remember(self, state: str, pending: _T) -> str:
        """Keep a sign-in under way; returns the cookie value that binds it to this browser."""
        self._pending.put(state, pending, PENDING_TTL_S)
        return self._signer.dumps(state, salt=_SIGN_IN)

    def take(self, state: str, cookie: str | None) -> _T | None:
        """The sign-in under way for `state`, once, and only in the browser that started it."""
        try:
            bound = self._signer.loads(cookie or "", max_age=int(PENDING_TTL_S), salt=_SIGN_IN)
        except BadSignature:
            return None
        if not isinstance(bound, str) or not secrets.compare_digest(bound, state):
            return None
        return self._pending.pop(state)

    def _unsign(self, cookie: str | None, max_age: float) -> str | None:
        if not cookie:
            return None
        try:
            sid = self._signer.loads(cookie, max_age=int(max_age))
        except BadSignature:
            return None
        return sid if isinstance(sid, str) else None
