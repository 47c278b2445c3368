"""A counted cap on handset websockets that have not said `hello` yet, with a short line before it.

Why the cap: before `hello` a connection is anonymous; anyone on the office network can open
thousands and hold them until the hello deadline. Each one is small (frames are capped at
`ws_max_bytes`), but their number is not, so it is counted and capped (issue 12, hole 2).

Why the line: after a restart every handset of a county reconnects at once. Refused at once
with 1013, each one comes back after its backoff and pays a whole handshake again, and the last
ones wait out backoffs of many seconds (issue 13: 2,300 of 4,000 handsets refused and retried
in a 100-office storm). So a connection over the cap first waits, not yet accepted, in a line
of at most `line_cap` for up to `wait_s`; a place that frees goes to the longest waiting.
Only a full line or a wait that runs out is refused with 1013 (try again later: the handset
reconnects with backoff). The wait stays well under the handset page's 15 s to be welcomed, so
a handset never gives up on a connection that was about to be accepted. Refusals are logged as
one line per `LOG_EVERY_S`, not one per connection.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

import structlog

log = structlog.get_logger(__name__)

LOG_EVERY_S = 10.0


class HelloGate:
    """`await enter()` before accepting a websocket (False: refuse it), `leave()` once it said
    hello, failed to, or went away."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self.waiting = 0  # accepted, hello not yet said
        self.in_line = 0  # not yet accepted, waiting for a place
        self._line: deque[asyncio.Future[None]] = deque()
        self.refused = 0  # since the last log line
        self._logged_at: float | None = None

    async def enter(self, cap: int, line_cap: int = 0, wait_s: float = 0.0) -> bool:
        if self.waiting < cap and not self.in_line:
            self.waiting += 1
            return True
        if self.in_line >= line_cap or wait_s <= 0:
            self._refuse(cap)
            return False
        return await self._wait_in_line(cap, wait_s)

    def leave(self) -> None:
        """A place frees: it goes to the longest waiting in line (the count stays), if any."""
        while self._line:
            turn = self._line.popleft()
            if not turn.done():  # a wait that ran out or was cancelled is skipped
                turn.set_result(None)
                return
        self.waiting = max(0, self.waiting - 1)

    async def _wait_in_line(self, cap: int, wait_s: float) -> bool:
        turn = asyncio.get_running_loop().create_future()
        self._line.append(turn)
        self.in_line += 1
        try:
            async with asyncio.timeout(wait_s):
                await asyncio.shield(turn)
            return True
        except TimeoutError:
            if turn.done():  # handed a place just as the wait ran out: take it
                return True
            turn.cancel()
            self._refuse(cap)
            return False
        except asyncio.CancelledError:  # the connection went away while waiting
            if turn.done():
                self.leave()  # the place it was handed goes on to the next
            else:
                turn.cancel()
            raise
        finally:
            self.in_line -= 1

    def _refuse(self, cap: int) -> None:
        self.refused += 1
        now = self._monotonic()
        if self._logged_at is None or now - self._logged_at >= LOG_EVERY_S:
            log.warning(
                "handset connections refused: too many waiting for hello",
                cap=cap,
                line=self.in_line,
                refused=self.refused,
            )
            self._logged_at = now
            self.refused = 0
