"""The handset page's reconnect backoff and connect timeout (app/web/static/hs-state.js and
hs-conn.js `reconnectDelay`) for Python clients that must behave as the page does: `rollekort bench
failover`'s handset and `rollekort bench scale`'s storm. The numbers are read from the shipped
page, so there is one place for them."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path

from websockets.exceptions import ConnectionClosed

PAGE = Path(__file__).resolve().parent.parent / "app" / "web" / "static" / "hs-state.js"


@dataclass(frozen=True)
class Backoff:
    """The handset page's reconnect numbers (hs-state.js), in seconds: read from the page itself,
    so the bench models what ships."""

    quick_min: float
    quick_max: float
    quick_retries: int
    first: float
    longest: float
    connect_s: float
    """Opening plus hello/welcome must take less than this, or the page drops the socket."""

    def delay(self, attempt: int, quick: bool = False) -> float:
        """hs-conn.js's `reconnectDelay`: attempt 0 (or a 1013 "not leading") within the quick
        window; then doubling from `first` to `longest`, with equal jitter."""
        if attempt == 0 or quick:
            return self.quick_min + random.random() * (self.quick_max - self.quick_min)
        base = min(self.longest, self.first * 2.0 ** (attempt - 1))
        return base / 2 + random.random() * base / 2


def page_backoff() -> Backoff:
    """The handset page's reconnect backoff, as hs-state.js ships it."""
    text = PAGE.read_text(encoding="utf-8")
    found = {k: int(v) for k, v in re.findall(r"export const ([A-Z_]+) = (\d+);", text)}
    return Backoff(
        found["QUICK_MIN_MS"] / 1000,
        found["QUICK_MAX_MS"] / 1000,
        found["QUICK_RETRIES"],
        found["BACKOFF_MIN_MS"] / 1000,
        found["BACKOFF_MAX_MS"] / 1000,
        found["CONNECT_TIMEOUT_MS"] / 1000,
    )


def not_leading(err: BaseException) -> bool:
    """A standby's (or a starting replica's) 1013 "not leading": the page tries again within the
    quick window (hs-conn.js `onSocketGone`); any other 1013 keeps the backoff."""
    close = err.rcvd if isinstance(err, ConnectionClosed) else None
    return close is not None and close.code == 1013 and close.reason.startswith("not leading")
