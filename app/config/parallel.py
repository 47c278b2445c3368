"""Office files parsed on every core when nothing is cached (a first start, an upgrade).

Why: parsing and validating one office file takes about 8 ms on this kind of machine, so a
national deployment's 500 files were over 4 s of a first start on one core, while the other
stood idle (issue 13: start → /readyz ≤ 5 s). The files are independent: forked workers load a
share each and send back what loaded, pickled as the office cache (app.config.cache) stores it,
while this process loads its own share.

Only a head start: whatever a worker could not load (a file with problems, a worker that died)
is loaded again here, one file at a time, with the usual messages. Runs before the service
starts its threads and event loop (`serve` checks the files first), so forking is safe; where
the platform cannot fork, every file is loaded here as before.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import structlog

from app.config import loader

log = structlog.get_logger(__name__)

MIN_PER_WORKER = 25
"""Fewer files than this per process are loaded here alone: a worker's start and the pickles
cost more than they save."""

_Share = list[tuple[str, str]]  # (text, source name)


class Preload:
    """`start()` hands the workers their shares (they fork at once) and returns; the caller
    may do other work (`serve` imports the rest of the service meanwhile); `finish()` loads
    this process's share and takes what the workers loaded."""

    def __init__(
        self,
        here: _Share,
        pool: ProcessPoolExecutor | None = None,
        futures: Sequence[Future[dict[str, loader.LoadedOffice]]] = (),
    ) -> None:
        self._here = here
        self._pool = pool
        self._futures = futures

    @classmethod
    def start(cls, paths: Sequence[Path], cores: int | None = None) -> Preload:
        todo = _not_loaded(paths)
        cores = min(cores or _cores(), len(todo) // MIN_PER_WORKER)
        if cores < 2 or "fork" not in multiprocessing.get_all_start_methods():
            return cls(todo)
        # this process has the service's imports to do first (about 1.4 s): a smaller share
        here, rest = todo[: len(todo) // (cores + 1)], todo[len(todo) // (cores + 1) :]
        workers = cores - 1
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
        futures = [pool.submit(load_share, rest[i::workers]) for i in range(workers)]
        return cls(here, pool, futures)

    def finish(self) -> int:
        """Every file loaded that loads; how many the workers loaded."""
        load_share(self._here)
        got = 0
        for future in self._futures:
            try:
                entries = future.result()
            except Exception as err:  # a worker died: its files are loaded here, one by one
                log.warning("office worker failed; loading its files here", error=repr(err))
                continue
            loader.remember(entries)
            got += len(entries)
        if self._pool is not None:
            self._pool.shutdown()
        return got


def preload(paths: Sequence[Path], cores: int | None = None) -> int:
    """Load the files not loaded yet on `cores` processes (this one included); how many loaded
    in the workers. Unreadable files and files with problems are left for the caller."""
    return Preload.start(paths, cores).finish()


def _not_loaded(paths: Sequence[Path]) -> _Share:
    todo: _Share = []
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue
        if not loader.loaded([text]):
            todo.append((text, str(path)))
    return todo


def load_share(share: _Share) -> dict[str, loader.LoadedOffice]:
    """The offices of a share that loaded, by text; a file with problems is skipped (reported
    by the caller when it loads it again)."""
    entries: dict[str, loader.LoadedOffice] = {}
    for text, source in share:
        try:
            entries[text] = loader.load_office_text(text, source)
        except loader.OfficeFileError:
            continue
    return entries


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
