"""`python -m bench.places [--db URL] [-n N]`: what storing check-ins costs (issue 15).

Each check-in from a handset is written through to the database before the handset is answered,
and the register is loaded once when the dispatch starts (a restart, a promoted standby). Prints
the write-through time per check-in (p50, p99) and the start-up load time for the entries left.
A fresh SQLite file by default; give `--db` for PostgreSQL (the database must be migrated).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.adapters.db.engine import make_engine, upgrade_async
from app.adapters.db.places import SqlAlchemyPlaceStore
from app.service.whereabouts import Places

PEOPLE = 100  # one office's staff moving between desks


async def measure(url: str, count: int) -> None:
    await upgrade_async(url)
    engine = make_engine(url)
    try:
        places = Places(SqlAlchemyPlaceStore(engine))
        now = datetime.now(UTC)
        took: list[float] = []
        for i in range(count):
            start = time.perf_counter()
            places.check_in("bench", f"p{i % PEOPLE}", f"desk-{i % 7}", now, None)
            await places.persist()
            took.append((time.perf_counter() - start) * 1000)
        took.sort()
        p50, p99 = took[len(took) // 2], took[min(len(took) - 1, int(len(took) * 0.99))]
        print(f"check-in write-through, {count}: p50 {p50:.2f} ms, p99 {p99:.2f} ms")
        start = time.perf_counter()
        loaded = await Places(SqlAlchemyPlaceStore(engine)).load(now + timedelta(minutes=1))
        print(
            f"load at start-up: {loaded} entries in {(time.perf_counter() - start) * 1000:.1f} ms"
        )
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("-n", type=int, default=500, help="check-ins to write")
    args = parser.parse_args()
    url = args.db or f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'places.db'}"
    asyncio.run(measure(url, max(1, args.n)))


if __name__ == "__main__":
    main()
