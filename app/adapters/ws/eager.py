"""Start a coroutine now, on the caller's stack, instead of on the event loop's next turn.

Python 3.12 has this as eager tasks (`asyncio.Task(..., eager_start=True)`); this is the same for
3.11. Why: sending a frame to a handset through uvicorn does not suspend while the socket takes
data, so running it at once puts an alarm offer on the wire before the rest of the press's work
(timers, the journal, metrics), instead of behind all of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any


def start_now(coro: Coroutine[Any, Any, None]) -> asyncio.Task[None] | None:
    """Run `coro` until it first suspends. None if it finished (its exception, if any, is
    raised here); else a task that runs the rest, exactly as the task would have."""
    try:
        waiting_on = coro.send(None)
    except StopIteration:
        return None
    return asyncio.get_running_loop().create_task(_Resumed(coro, waiting_on))


class _Resumed(Coroutine[Any, Any, None]):
    """A coroutine already suspended on `waiting_on`, for a task to drive: its first step hands
    the task that future to wait for; every later value, and any exception (a cancellation too,
    even before the first step), goes to the coroutine itself."""

    def __init__(self, coro: Coroutine[Any, Any, None], waiting_on: Any) -> None:
        self._coro = coro
        self._waiting_on: Any = waiting_on
        self._first = True

    def send(self, value: Any) -> Any:
        if self._first:
            self._first = False
            return self._waiting_on
        return self._coro.send(value)

    def throw(self, typ: Any, val: Any = None, tb: Any = None) -> Any:
        self._first = False
        return self._coro.throw(typ if val is None else val)

    def close(self) -> None:
        self._coro.close()

    def __next__(self) -> Any:
        return self.send(None)

    def __iter__(self) -> _Resumed:
        return self

    def __await__(self) -> Generator[Any, Any, None]:
        return self  # a generator in all but name, like a coroutine object
