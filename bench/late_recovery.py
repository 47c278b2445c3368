"""`python -m bench.late_recovery [--db URL] [-n N] [-k K]`: what a start-up pays to place late
presses (issue 12, hole 5, after a restart).

`Dispatcher.recover` reads the press keys with their arrival times (one query; it read the keys
for de-duplication already) and the timelines of the alarms closed in the last 10 minutes (one
query), then folds each and rebuilds its device's trail. Prints both reads and the whole rebuild
for N devices whose alarm closed just now, each with K stored presses (the worst case: every
button of 500 offices pressed and all-cleared within ten minutes). A fresh SQLite file by
default; give `--db` for PostgreSQL (migrated, and emptied of alarms first by you).
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.adapters.db.engine import make_engine, upgrade_async
from app.adapters.db.store import SqlAlchemyAlarmStore
from app.core import events as ev
from app.core.office import AlarmMode, Gesture, Level
from app.service.ports import AlarmSummary, Append, PressKey
from app.service.recovery import recently_closed

BATCH = 200  # appends per transaction while filling


def _alarm(n: int, presses: int, at: datetime) -> list[Append]:
    device, alarm_id = f"btn-{n}", f"a-bench-{n}"
    closed_at = at + timedelta(seconds=presses)
    summary = AlarmSummary(
        alarm_id, "office", device, "desk", "resolved", "assist", "real", at, closed_at, "rc"
    )
    opened = AlarmSummary(
        alarm_id, "office", device, "desk", "open", "assist", "real", at, None, "rc"
    )
    first = [
        ev.AlarmRaised(at=at, actor=ev.SYSTEM, alarm_id=alarm_id, office_id="office",
                       device_id=device, location_id="desk", level=Level.ASSIST,
                       mode=AlarmMode.REAL, rolecard_version="rc", role_ids=("leader",)),
        ev.PressReceived(at=at, actor=ev.device_actor(device), device_id=device, seq=1,
                         gesture=Gesture.SINGLE),
    ]  # fmt: skip
    entries: list[Append] = [(opened, first, PressKey(device, 1, at.isoformat()))]
    for seq in range(2, presses + 1):
        pressed = at + timedelta(seconds=seq - 1)
        row = ev.PressRepeated(
            at=pressed,
            actor=ev.device_actor(device),
            device_id=device,
            seq=seq,
            gesture=Gesture.SINGLE,
            level=Level.ASSIST,
        )
        entries.append((opened, [row], PressKey(device, seq, pressed.isoformat())))  # fmt: skip
    done = ev.AllClearGiven(at=closed_at, actor="person:lise", person_id="lise", role_id="leader")
    entries.append((summary, [done], None))
    return entries


async def measure(url: str, devices: int, presses: int) -> None:
    await upgrade_async(url)
    store = SqlAlchemyAlarmStore(make_engine(url))
    try:
        start_at = datetime.now(UTC) - timedelta(minutes=5)
        entries = [e for n in range(devices) for e in _alarm(n, presses, start_at)]
        for i in range(0, len(entries), BATCH):
            await store.append_many(entries[i : i + BATCH])
        now = datetime.now(UTC)
        began = time.perf_counter()
        rows = await store.presses_since(now - timedelta(hours=48))
        read_keys = time.perf_counter() - began
        began = time.perf_counter()
        timelines = await store.closed_timelines_since(now - timedelta(minutes=10))
        read_closed = time.perf_counter() - began
        began = time.perf_counter()
        placed = await recently_closed(store, rows, now)
        rebuilt = time.perf_counter() - began
        print(f"{devices} devices, {presses} presses each: {len(rows)} press keys, "
              f"{len(timelines)} closed timelines, {len(placed)} trails rebuilt")  # fmt: skip
        print(f"press keys read  {read_keys * 1000:8.1f} ms")
        print(f"closed timelines {read_closed * 1000:8.1f} ms")
        print(f"recently_closed  {rebuilt * 1000:8.1f} ms (its read, the folds and the trails)")
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("-n", type=int, default=5000, help="devices whose alarm just closed")
    parser.add_argument("-k", type=int, default=5, help="stored presses per device")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite+aiosqlite:///{Path(tmp) / 'late.db'}"
        asyncio.run(measure(url, args.n, args.k))


if __name__ == "__main__":
    main()
