"""`rollekort timeline verify`: every alarm's timeline checked against its keyed chain and seal."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from app.adapters.db.chain_key import load_chain_key
from app.adapters.db.engine import make_engine
from app.adapters.db.store import SqlAlchemyAlarmStore
from app.settings import Settings


@dataclass
class VerifyReport:
    lines: list[str] = field(default_factory=list)
    states: Counter[str] = field(default_factory=Counter)

    @property
    def all_ok(self) -> bool:
        return set(self.states) <= {"ok"}

    @property
    def summary(self) -> str:
        counts = ", ".join(f"{n} {state}" for state, n in sorted(self.states.items()))
        return f"{sum(self.states.values())} timelines checked: {counts or 'none'}"


async def verify_timelines(settings: Settings, alarm_id: str | None = None) -> VerifyReport:
    """Check one alarm or all, with the key the service uses; a line for each that is not ok."""
    key = load_chain_key(
        settings.chain_key,
        settings.chain_key_file,
        settings.data_folder,
        generate=False,
    )
    store = SqlAlchemyAlarmStore(make_engine(settings.db), chain_key=key)
    report = VerifyReport()
    try:
        ids = [alarm_id] if alarm_id is not None else await store.alarm_ids()
        for one in ids:
            if await store.alarm(one) is None:
                report.states["missing"] += 1
                report.lines.append(f"{one}: no such alarm")
                continue
            check = await store.integrity(one)
            report.states[check.state] += 1
            if check.state != "ok" or alarm_id is not None:
                why = f": {check.reason}" if check.reason else ""
                report.lines.append(f"{one}: {check.state} ({check.length} rows){why}")
    finally:
        await store.close()
    return report
