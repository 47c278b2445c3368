"""How long paho waits before connecting to the broker again, raised after handler failures."""

from __future__ import annotations

import logging
import math
import time

log = logging.getLogger(__name__)


class Backoff:
    """The first reconnect delay (`low`, doubling up to `high` in paho), raised after handler
    failures so that a failing handler is not retried in a tight loop."""

    def __init__(self, low: int, high: int) -> None:
        self.low, self.high = low, high
        self._floor = low
        self._failures = 0
        self._last_failure_at = -math.inf

    def after_failure(self) -> int:
        """1, 2, 4 ... s for failures in a row; the count starts again after a quiet spell."""
        now = time.monotonic()
        if now - self._last_failure_at > 2 * self.high:
            self._failures = 0
        self._failures += 1
        self._last_failure_at = now
        self._floor = min(self.low * 2 ** (self._failures - 1), self.high)
        return self._floor

    def after_ack(self) -> bool:
        """A handler succeeded: True when the delay was raised and goes back to `low`."""
        if self._floor == self.low:
            return False
        log.debug("reconnect delay back to %s s", self.low)
        self._floor = self.low
        return True
