"""A counted cap on handset websockets that have not said `hello` yet.

Why: before `hello` a connection is anonymous; anyone on the office network can open thousands
and hold them until the hello deadline. Each one is small (frames are capped at
`ws_max_bytes`), but their number is not, so it is counted and capped here; a connection over
the cap is closed at once with 1013 (try again later: the handset reconnects with backoff), and
refusals are logged as one line per `LOG_EVERY_S`, not one per connection (issue 12, hole 2).

How high: after a restart every handset of the configuration reconnects at once, and each one
is anonymous until its hello is read. A cap below that number turned the storm into refusals
that each came back after their backoff and paid a whole handshake again (issue 13: 20,000
handsets took 94 s behind a cap of 1,000, 24 s without). So by default the cap is the number of
handsets the service knows, at least `MIN_CAP`: an attacker can hold no more anonymous sockets
than the deployment holds handsets anyway.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import structlog

log = structlog.get_logger(__name__)

LOG_EVERY_S = 10.0
MIN_CAP = 1000
"""Room for a whole site reconnecting at once, however few handsets are configured."""


def pre_hello_cap(configured: int | None, handsets: int) -> int:
    """The cap in force: the setting when given, else the handsets known, at least MIN_CAP."""
    return configured if configured is not None else max(MIN_CAP, handsets)


class HelloGate:
    """`enter()` before accepting a websocket (False: refuse it), `leave()` once it said hello,
    failed to, or went away."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self.waiting = 0
        self.refused = 0  # since the last log line
        self._logged_at: float | None = None

    def enter(self, cap: int) -> bool:
        if self.waiting >= cap:
            self._refuse(cap)
            return False
        self.waiting += 1
        return True

    def leave(self) -> None:
        self.waiting = max(0, self.waiting - 1)

    def _refuse(self, cap: int) -> None:
        self.refused += 1
        now = self._monotonic()
        if self._logged_at is None or now - self._logged_at >= LOG_EVERY_S:
            log.warning(
                "handset connections refused: too many waiting for hello",
                cap=cap,
                refused=self.refused,
            )
            self._logged_at = now
            self.refused = 0
