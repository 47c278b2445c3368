"""The LearningStore contract: the fake, SQLite and a fresh PostgreSQL database behave the same;
and migration 0004 goes down to 0003 and up again on both databases.

PostgreSQL is a database created for this module on 127.0.0.1:5432 and dropped afterwards; the
PostgreSQL cases are skipped, with the reason, when it is not running.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import delete, inspect

from app.adapters.db import tables as t
from app.adapters.db.engine import downgrade_async, make_engine, upgrade, upgrade_async
from app.adapters.db.learning.store import SqlAlchemyLearningStore
from app.adapters.db.store import SqlAlchemyAlarmStore
from app.core.learning.terms import (
    AlarmReason,
    DebriefStatus,
    IncidentKind,
    Realism,
    ReferenceKind,
    ReportingLine,
    SessionStatus,
    Support,
)
from app.core.office import AlarmMode
from app.service.learning.ports import (
    AftercareRow,
    DebriefRow,
    DrillRow,
    IncidentRow,
    OutreachRow,
    Reference,
)
from app.service.ports import AlarmStore
from tests.conftest import POSTGRES, reachable
from tests.fakes.learning import FakeLearningStore
from tests.fakes.store import FakeAlarmStore
from tests.unit.learning_timelines import summary_of, timeline

CET = timezone(timedelta(hours=1), "CET")
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=CET)  # a zone other than UTC: stored and compared in UTC
DAY = timedelta(days=1)
LEARNING_TABLES = {
    "drill", "drill_cadence", "office_settings", "debrief", "aftercare", "incident",
    "outreach_session",
}  # fmt: skip
Store = FakeLearningStore | SqlAlchemyLearningStore


async def _pg(sql: str) -> None:
    conn = await asyncpg.connect(user="postgres", host=POSTGRES[0], port=POSTGRES[1])
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    if not reachable(POSTGRES):
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432 (the SQLite variant ran)")
    name = f"rollekort_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
    url = f"postgresql+asyncpg://postgres@{POSTGRES[0]}:{POSTGRES[1]}/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass
class Backend:
    store: Store
    alarms: AlarmStore


PG = pytest.param("postgresql", marks=pytest.mark.postgres)


@dataclass(frozen=True)
class Target:
    kind: str
    url: str | None  # None for the fake


def _target(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    """Resolved in a plain fixture: the PostgreSQL database is made outside any event loop."""
    if kind == "postgresql":
        return Target(kind, str(request.getfixturevalue("pg_url")))
    if kind == "sqlite":
        return Target(kind, f"sqlite+aiosqlite:///{tmp_path / 'learning.db'}")
    return Target(kind, None)


@pytest.fixture(params=["fake", "sqlite", PG])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    return _target(request.param, request, tmp_path)


@pytest.fixture(params=["sqlite", PG])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    return _target(request.param, request, tmp_path)


@pytest.fixture
async def backend(target: Target) -> AsyncIterator[Backend]:
    if target.url is None:
        alarms = FakeAlarmStore()
        yield Backend(FakeLearningStore(alarms), alarms)
        return
    if target.kind == "sqlite":
        await upgrade_async(target.url)
    engine = make_engine(target.url)
    async with engine.begin() as conn:
        for table in reversed(t.metadata.sorted_tables):
            await conn.execute(delete(table))
    try:
        yield Backend(SqlAlchemyLearningStore(engine), SqlAlchemyAlarmStore(engine))
    finally:
        await engine.dispose()


def drill(drill_id: str, at: datetime, **kw: object) -> DrillRow:
    fields = {"realism": Realism.SOFT, "started_by": "token:ab", **kw}
    return DrillRow(drill_id, "demo", at, at + timedelta(minutes=30), **fields)  # type: ignore[arg-type]


async def test_drills_cadence_and_retention(backend: Backend) -> None:
    s = backend.store
    await s.add_drill(drill("dr-2", T0 + DAY, note="andre"))
    await s.add_drill(drill("dr-1", T0))
    await s.add_drill(replace(drill("dr-x", T0), office_id="other"))
    first = await s.drill("dr-1")
    assert first == drill("dr-1", T0) and first is not None and first.started_at.tzinfo == UTC
    assert [d.drill_id for d in await s.drills("demo")] == ["dr-1", "dr-2"]
    ended = replace(first, ended_at=T0 + 10 * timedelta(minutes=1), evaluation="bra")
    await s.save_drill(ended)
    assert await s.drill("dr-1") == ended and await s.drill("nope") is None
    assert {d.drill_id for d in await s.unended_drills()} == {"dr-2", "dr-x"}
    assert await s.cadence("demo") is None
    await s.set_cadence("demo", 12, T0, "token:ab")
    await s.set_cadence("demo", 6, T0 + DAY, "token:cd")
    assert await s.cadence("demo") == 6
    await s.set_retention("demo", 365, T0, "token:ab")
    await s.set_retention("demo", 90, T0, "token:ab")
    await s.set_retention("other", 30, T0, "token:ab")
    assert await s.retention() == {"demo": 90, "other": 30}


async def test_debriefs_one_per_alarm_with_references_and_aftercare(backend: Backend) -> None:
    s = backend.store
    refs = (
        Reference(ReferenceKind.DEVIATION, "Avvik 2026-113", ReportingLine.STATE),
        Reference(ReferenceKind.POLICE, "Anmeldelse 9", ReportingLine.MUNICIPAL),
    )
    row = DebriefRow("d-1", "demo", "a-1", T0, ("kari", "lise"), report_refs=refs)
    assert await s.add_debrief(row)
    assert not await s.add_debrief(replace(row, debrief_id="d-other"))  # the same alarm
    assert not await s.add_debrief(row)
    assert await s.debrief("d-1") == row
    await s.add_debrief(DebriefRow("d-2", "demo", "a-2", T0 + DAY, ()))
    assert [d.debrief_id for d in await s.debriefs("demo")] == ["d-2", "d-1"]
    closed = replace(row, status=DebriefStatus.CLOSED, closed_at=T0 + DAY, what_happened="x")
    await s.save_debrief(closed)
    assert await s.debrief("d-1") == closed
    await s.add_aftercare(AftercareRow("d-1", "lise", Support.LEADER_TALK, T0, T0))
    await s.add_aftercare(AftercareRow("d-1", "lise", Support.LEADER_TALK, T0 + DAY, T0 + DAY))
    await s.add_aftercare(AftercareRow("d-1", "kari", Support.PSYCHOLOGIST, T0, T0))
    care = await s.aftercare("d-1")
    assert [(a.person_id, a.support, a.offered_at) for a in care] == [
        ("kari", Support.PSYCHOLOGIST, T0),
        ("lise", Support.LEADER_TALK, T0 + DAY),
    ]


async def test_closed_real_alarms_without_a_debrief(backend: Backend) -> None:
    for events in (
        timeline("a-real", T0, accepts={"leader": 3}),
        timeline("a-open", T0, clear_after=None),
        timeline("a-drill", T0, mode=AlarmMode.DRILL),
        timeline("a-done", T0 + DAY),
        timeline("a-elsewhere", T0, office_id="other"),
    ):
        await backend.alarms.append(summary_of(events), events)
    await backend.store.add_debrief(DebriefRow("d-done", "demo", "a-done", T0, ()))
    assert await backend.store.closed_real_alarms_without_debrief("demo") == ["a-real"]
    between = await backend.store.alarms_between("demo", T0, T0 + DAY)
    assert [a.alarm_id for a in between] == ["a-drill", "a-open", "a-real"]


async def test_incidents_in_a_half_open_period(backend: Backend) -> None:
    s = backend.store
    for n, at in enumerate((T0 - DAY, T0, T0 + DAY)):
        await s.add_incident(
            IncidentRow(f"in-{n}", "demo", IncidentKind.VERBAL_ABUSE, at, at, "handset:hs-per")
        )
    found = await s.incidents("demo", T0, T0 + DAY)
    assert [i.incident_id for i in found] == ["in-1"] and found[0].kind is IncidentKind.VERBAL_ABUSE


async def test_outreach_sessions(backend: Backend) -> None:
    s = backend.store
    checklist = {"person_known_risk": False, "violence_history": True}
    one = OutreachRow("os-1", "demo", "per", "Hjemmebesøk", T0, T0 + DAY, 600, ("lise",), checklist)
    await s.add_session(one)
    await s.add_session(replace(one, session_id="os-2", started_at=T0 + DAY))
    assert await s.session("os-1") == one
    alarmed = replace(
        one, status=SessionStatus.ALARMED, alarm_id="a-1", alarm_reason=AlarmReason.PANIC
    )
    await s.save_session(alarmed)
    assert await s.session("os-1") == alarmed
    assert [r.session_id for r in await s.sessions("demo")] == ["os-2", "os-1"]
    assert [r.session_id for r in await s.active_sessions()] == ["os-2"]


async def test_purge_blanks_free_text_before_the_cut_off_only(backend: Backend) -> None:
    s = backend.store
    old, new = T0 - 400 * DAY, T0 - 10 * DAY
    await s.add_debrief(DebriefRow("d-old", "demo", "a-o", old, (), what_happened="navn"))
    await s.add_debrief(DebriefRow("d-new", "demo", "a-n", new, (), what_happened="nytt"))
    await s.add_incident(IncidentRow("in-old", "demo", IncidentKind.OTHER, old, old, "t", note="n"))
    await s.add_drill(drill("dr-old", old, note="n", evaluation="e"))
    done = OutreachRow("os-old", "demo", "per", "Storgata 1", old, old + DAY, 60,
                       status=SessionStatus.CHECKED_OUT, note="ok")  # fmt: skip
    await s.add_session(done)
    await s.add_session(replace(done, session_id="os-live", status=SessionStatus.ACTIVE))
    await s.add_debrief(DebriefRow("d-x", "other", "a-x", old, (), what_happened="annet"))
    counts = await s.purge_free_text("demo", T0 - 365 * DAY, T0)
    assert (counts.debriefs, counts.incidents, counts.outreach, counts.drills) == (1, 1, 1, 1)
    d_old = await s.debrief("d-old")
    assert d_old is not None and d_old.what_happened == "" and d_old.purged_at == T0
    assert (await s.debrief("d-new")) is not None and (await s.debrief("d-x")) is not None
    assert (await s.debrief("d-new")).what_happened == "nytt"  # type: ignore[union-attr]
    assert (await s.debrief("d-x")).what_happened == "annet"  # type: ignore[union-attr]
    session = await s.session("os-old")
    assert session is not None and (session.place, session.note) == ("", None)
    live = await s.session("os-live")
    assert live is not None and live.place == "Storgata 1"  # an active session keeps its place
    drilled = await s.drill("dr-old")
    assert drilled is not None and (drilled.note, drilled.evaluation) == (None, None)
    again = await s.purge_free_text("demo", T0 - 365 * DAY, T0 + DAY)
    assert again.total == 0
    assert await s.office_ids() == {"demo", "other"}


async def test_migration_0004_goes_down_and_up(database: Target) -> None:
    url = database.url
    assert url is not None
    await upgrade_async(url)
    assert await _tables(url) >= LEARNING_TABLES
    await downgrade_async(url, "0003")
    assert not LEARNING_TABLES & await _tables(url)
    await upgrade_async(url)
    assert await _tables(url) >= LEARNING_TABLES


async def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await engine.dispose()
