"""The AlarmStore contract: the fake, SQLite and PostgreSQL must behave the same, case by case.

SQLite is a temporary file migrated with Alembic; PostgreSQL is a database created for this run
on 127.0.0.1:5432 and dropped afterwards. Fixtures live here, not in a conftest, on purpose.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, delete, inspect, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.adapters.db import tables as t
from app.adapters.db.engine import (
    SQLITE_BUSY_TIMEOUT_MS,
    downgrade_async,
    make_engine,
    upgrade,
    upgrade_async,
)
from app.adapters.db.store import GENESIS_HASH, SqlAlchemyAlarmStore, chain_hash
from app.core import events as ev
from app.core.office import AlarmMode, Gesture, Level
from app.service.ports import AlarmSummary, DuplicatePress, PressKey
from tests.fakes import FakeAlarmStore

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_UNREACHABLE = "PostgreSQL not reachable on 127.0.0.1:5432"
CET = timezone(timedelta(hours=1), "CET")
T0 = datetime(2026, 11, 26, 9, 14, 3, 120_000, tzinfo=CET)
Store = FakeAlarmStore | SqlAlchemyAlarmStore


# --- backends -------------------------------------------------------------------------------


def _pg_reachable() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            return True
    except OSError:
        return False


async def _pg_admin(sql: str) -> None:
    admin = create_async_engine(
        f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/postgres", isolation_level="AUTOCOMMIT"
    )
    try:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(sql)
    finally:
        await admin.dispose()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, migrated to head, dropped at the end."""
    if not _pg_reachable():
        pytest.skip(PG_UNREACHABLE)
    name = f"rollekort_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    url = f"postgresql+asyncpg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    try:
        upgrade(url)
        yield url
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass(frozen=True)
class Target:
    kind: str
    url: str | None  # None for the fake


def _target(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    if kind == "sqlite":
        return Target(kind, f"sqlite+aiosqlite:///{tmp_path / 'rollekort.db'}")
    if kind == "postgresql":
        return Target(kind, request.getfixturevalue("pg_database"))
    return Target(kind, None)


POSTGRES = pytest.param("postgresql", marks=pytest.mark.postgres)


@pytest.fixture(params=["fake", "sqlite", POSTGRES])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    return _target(request.param, request, tmp_path)


@pytest.fixture(params=["sqlite", POSTGRES])
def real_target(request: pytest.FixtureRequest, tmp_path: Path) -> Target:
    return _target(request.param, request, tmp_path)


class Backend:
    """A store under test plus the back door a test needs to look at or damage its rows."""

    def __init__(self, store: Store, engine: AsyncEngine | None) -> None:
        self.store = store
        self.engine = engine

    async def tamper(self, alarm_id: str, seq: int, data: dict[str, Any]) -> None:
        if isinstance(self.store, FakeAlarmStore):
            rows = self.store.rows[alarm_id]
            rows[seq - 1] = replace(rows[seq - 1], data=data)
            return
        assert self.engine is not None
        e = t.alarm_event.c
        stmt = update(t.alarm_event).where(e.alarm_id == alarm_id, e.seq == seq).values(data=data)
        async with self.engine.begin() as conn:
            await conn.execute(stmt)

    async def button_tests(self) -> dict[tuple[str, int], datetime]:
        if isinstance(self.store, FakeAlarmStore):
            return dict(self.store.button_tests)
        assert self.engine is not None
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(t.button_test))
            return {(r.device_id, r.seq): r.at for r in rows}


async def _empty(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        for table in reversed(t.metadata.sorted_tables):
            await conn.execute(delete(table))


@pytest.fixture
async def backend(target: Target) -> AsyncIterator[Backend]:
    if target.url is None:
        yield Backend(FakeAlarmStore(), None)
        return
    if target.kind == "sqlite":
        await upgrade_async(target.url)
    engine = make_engine(target.url)
    await _empty(engine)
    store = SqlAlchemyAlarmStore(engine)
    try:
        yield Backend(store, engine)
    finally:
        await store.close()


# --- data -----------------------------------------------------------------------------------


def summary(alarm_id: str, **changes: Any) -> AlarmSummary:
    base = AlarmSummary(
        alarm_id=alarm_id,
        office_id="nav-grunerlokka",
        device_id="btn-front-1",
        location_id="front-desk",
        status="open",
        level=Level.ACUTE.value,
        mode=AlarmMode.REAL.value,
        raised_at=T0,
        closed_at=None,
        rolecard_version="rc-7",
    )
    return replace(base, **changes)


def press(at: datetime, seq: int = 17, device_id: str = "btn-front-1") -> ev.PressReceived:
    actor = ev.device_actor(device_id)
    gesture = Gesture.DOUBLE
    return ev.PressReceived(at=at, actor=actor, device_id=device_id, seq=seq, gesture=gesture)


def raised(alarm_id: str, at: datetime = T0) -> ev.AlarmRaised:
    return ev.AlarmRaised(
        at=at,
        actor=ev.SYSTEM,
        alarm_id=alarm_id,
        office_id="nav-grunerlokka",
        device_id="btn-front-1",
        location_id="front-desk",
        level=Level.ACUTE,
        mode=AlarmMode.REAL,
        rolecard_version="rc-7",
        role_ids=("leader", "responder"),
        presser_id="p-anne",
        variant_id="drop-in",
    )


def every_event(alarm_id: str) -> list[ev.Event]:
    """One of each event type, optional fields filled, times in a non-UTC zone."""
    at = [T0 + timedelta(seconds=n, microseconds=n) for n in range(28)]
    anne, bo, system = ev.person_actor("p-anne"), ev.person_actor("p-bo"), ev.SYSTEM
    dev = ev.device_actor("btn-front-1")
    return [
        ev.PressReceived(
            at=at[0],
            actor=dev,
            device_id="btn-front-1",
            seq=17,
            gesture=Gesture.HOLD,
            device_ts=T0 - timedelta(milliseconds=40),
            battery=88,
        ),
        raised(alarm_id, at[1]),
        ev.RoleOffered(
            at=at[2],
            actor=system,
            role_id="leader",
            person_ids=("p-anne", "p-bo"),
            stage="holder",
            offer_no=1,
            due_at=at[2] + timedelta(seconds=30),
            chain_index=0,
            acting_for="p-lise",
        ),
        ev.RoleAccepted(
            at=at[3], actor=anne, role_id="leader", person_id="p-anne", acting_for="p-lise"
        ),
        ev.RoleDeclined(at=at[4], actor=bo, role_id="responder", person_id="p-bo", reason="busy"),
        ev.OfferTimedOut(
            at=at[5], actor=system, role_id="responder", person_ids=("p-c",), offer_no=2
        ),
        ev.OfferWithdrawn(
            at=at[6], actor=system, role_id="responder", person_ids=(), reason="taken"
        ),
        ev.RoleUnfilled(at=at[7], actor=system, role_id="responder"),
        ev.StepCompleted(at=at[8], actor=anne, role_id="leader", person_id="p-anne", step=2),
        ev.HelpRequested(
            at=at[9], actor=bo, person_id="p-bo", text="Trenger hjelp i mottaket – Åse"
        ),
        ev.PressRepeated(
            at=at[10],
            actor=dev,
            device_id="btn-front-1",
            seq=18,
            gesture=Gesture.TRIPLE,
            level=Level.ASSIST,
        ),
        ev.LevelRaised(at=at[11], actor=system, level=Level.ACUTE),
        ev.CancelRefused(at=at[12], actor=dev, device_id="btn-front-1", seq=19),
        ev.AllClearGiven(at=at[13], actor=anne, person_id="p-anne", role_id="leader", note="ok"),
        ev.AlarmCancelled(at=at[14], actor=dev, device_id="btn-front-1", seq=20),
        ev.LockdownChanged(at=at[15], actor=anne, on=True, person_id="p-anne"),
        ev.AssemblyCalled(at=at[16], actor=system, role_id="gather", person_ids=("p-bo",)),
        ev.LeaderAlerted(
            at=at[17],
            actor=system,
            role_id="responder",
            person_ids=("p-anne",),
            offer_no=3,
            due_at=at[17] + timedelta(seconds=20),
        ),
        ev.ExternalAlerted(
            at=at[18], actor=system, role_id="responder", contact_ids=("agency:bv", "police")
        ),
        ev.ExternalDeliveryReported(
            at=at[19], actor=system, role_id="responder", delivered=("police",), failed=()
        ),
        ev.ReminderSent(at=at[20], actor=system, role_id="police", person_ids=("p-anne",)),
        ev.AlarmShared(at=at[21], actor=system, office_ids=("barnevernet",)),
        ev.CardExtended(
            at=at[22], actor=system, variant_id=None, role_ids=("leader", "responder", "police")
        ),
        ev.PossibleReplay(at=at[23], actor=system, device_id="btn-front-1", seq=21, skew_s=-3600.5),
        ev.ArrivalMarked(at=at[24], actor=anne, person_id="p-anne", role_id="leader", via="tap"),
        ev.PoliceContacted(at=at[25], actor=anne, person_id="p-anne"),
        ev.OfferReached(
            at=at[26], actor=system, role_id="leader", person_id="p-anne", channel="push"
        ),
        ev.OfferNotDelivered(
            at=at[27], actor=system, role_id="leader", person_id="p-bo", reason="no confirmation"
        ),
    ]


# --- the contract ---------------------------------------------------------------------------


async def test_every_event_type_round_trips(backend: Backend) -> None:
    events = every_event("a-1")
    assert {type(e).__name__ for e in events} == set(ev.EVENT_TYPES)
    appended = await backend.store.append(summary("a-1"), events)
    stored = await backend.store.events("a-1")
    assert [s.event for s in stored] == events
    assert [s.seq for s in stored] == list(range(1, len(events) + 1))
    assert stored == appended
    assert all(s.event.at.utcoffset() == timedelta(0) for s in stored)  # comes back aware, UTC


async def test_optional_fields_left_empty_round_trip(backend: Backend) -> None:
    bare = ev.AllClearGiven(at=T0, actor=ev.SYSTEM, person_id="p", role_id="leader")
    await backend.store.append(summary("a-1"), [press(T0), bare])
    assert [s.event for s in await backend.store.events("a-1")] == [press(T0), bare]


async def test_seq_continues_across_appends(backend: Backend) -> None:
    first = await backend.store.append(summary("a-1"), [press(T0), raised("a-1")])
    later = [
        ev.LevelRaised(at=T0 + timedelta(seconds=n), actor=ev.SYSTEM, level=Level.ACUTE)
        for n in range(3)
    ]
    second = await backend.store.append(summary("a-1"), later)
    assert [s.seq for s in first + second] == [1, 2, 3, 4, 5]
    assert [s.seq for s in await backend.store.events("a-1")] == [1, 2, 3, 4, 5]
    assert await backend.store.events("a-unknown") == []


async def test_duplicate_press_raises_with_original_alarm_and_writes_nothing(
    backend: Backend,
) -> None:
    key = PressKey("btn-front-1", 17, "2026-11-26T09:14:03.080+01:00")
    await backend.store.append(summary("a-1"), [press(T0), raised("a-1")], press=key)
    redelivered = [press(T0 + timedelta(seconds=2)), raised("a-2")]
    with pytest.raises(DuplicatePress) as caught:
        await backend.store.append(summary("a-2"), redelivered, press=key)
    assert (caught.value.key, caught.value.alarm_id) == (key, "a-1")
    assert await backend.store.events("a-2") == []
    assert await backend.store.alarm("a-2") is None
    repeat = [ev.LevelRaised(at=T0, actor=ev.SYSTEM, level=Level.ACUTE)]
    with pytest.raises(DuplicatePress):
        await backend.store.append(summary("a-1", level="assist"), repeat, press=key)
    assert len(await backend.store.events("a-1")) == 2
    assert await backend.store.alarm("a-1") == summary("a-1")


async def test_press_key_includes_device_timestamp(backend: Backend) -> None:
    """A device whose counter restarted sends an old seq with a new timestamp: a new press."""
    old, new = PressKey("btn-front-1", 1, "2026-01-01T08:00:00Z"), PressKey("btn-front-1", 1)
    await backend.store.append(summary("a-1"), [press(T0, seq=1)], press=old)
    await backend.store.append(summary("a-2"), [press(T0, seq=1)], press=new)
    assert await backend.store.press_keys_since(T0) == {old: "a-1", new: "a-2"}


async def test_alarm_row_upserted_and_listed_newest_first_by_office(backend: Backend) -> None:
    store = backend.store
    older = summary("a-1", raised_at=T0)
    newer = summary("a-2", raised_at=T0 + timedelta(minutes=5))
    elsewhere = summary("a-3", office_id="nav-frogner", raised_at=T0 + timedelta(minutes=9))
    for alarm in (older, newer, elsewhere):
        await store.append(alarm, [raised(alarm.alarm_id, alarm.raised_at)])
    assert await store.alarms(["nav-grunerlokka"]) == [newer, older]
    assert await store.alarms(["nav-grunerlokka", "nav-frogner"], limit=2) == [elsewhere, newer]
    assert await store.alarms([]) == []
    closed = replace(older, status="resolved", closed_at=T0 + timedelta(minutes=20))
    await store.append(closed, [])
    assert await store.alarm("a-1") == closed
    assert await store.alarms(["nav-grunerlokka"]) == [newer, closed]
    assert await store.alarm("a-unknown") is None


async def test_alarm_times_come_back_aware(backend: Backend) -> None:
    closed = summary("a-1", status="resolved", closed_at=T0 + timedelta(hours=1))
    await backend.store.append(closed, [raised("a-1")])
    got = await backend.store.alarm("a-1")
    assert got is not None and got.closed_at is not None
    assert got.raised_at == T0 and got.raised_at.utcoffset() is not None
    assert got.closed_at == closed.closed_at and got.closed_at.utcoffset() is not None


async def test_open_alarm_ids(backend: Backend) -> None:
    for n in (3, 1, 2):
        alarm = summary(f"a-{n}", raised_at=T0 + timedelta(minutes=n))
        await backend.store.append(alarm, [raised(alarm.alarm_id, alarm.raised_at)])
    cancelled = summary("a-2", raised_at=T0 + timedelta(minutes=2), status="cancelled")
    await backend.store.append(cancelled, [])
    assert await backend.store.open_alarm_ids() == ["a-1", "a-3"]


async def test_presses_since_carry_their_arrival_and_closed_timelines_come_in_one_read(
    backend: Backend,
) -> None:
    keys = [PressKey("btn-front-1", n, boot="b1") for n in range(3)]
    for n, key in enumerate(keys):
        at = T0 + timedelta(hours=n)
        await backend.store.append(summary(f"a-{n}"), [press(at, seq=n)], press=key)
    since = T0 + timedelta(hours=1)
    found = {
        (row.key, row.alarm_id, row.received_at) for row in await backend.store.presses_since(since)
    }
    assert found == {(keys[n], f"a-{n}", T0 + timedelta(hours=n)) for n in (1, 2)}
    closed = T0 + timedelta(hours=3)
    await backend.store.append(summary("a-1", status="resolved", closed_at=closed), [])
    await backend.store.append(summary("a-2", status="resolved", closed_at=T0), [])
    timelines = await backend.store.closed_timelines_since(closed - timedelta(minutes=10))
    assert list(timelines) == ["a-1"]
    assert [s.event for s in timelines["a-1"]] == [press(T0 + timedelta(hours=1), seq=1)]


async def test_press_keys_since(backend: Backend) -> None:
    keys = [PressKey("btn-front-1", n) for n in range(3)]
    for n, key in enumerate(keys):
        at = T0 + timedelta(hours=n)
        await backend.store.append(summary(f"a-{n}"), [press(at, seq=n)], press=key)
    since = T0 + timedelta(hours=1)
    assert await backend.store.press_keys_since(since) == {keys[1]: "a-1", keys[2]: "a-2"}
    assert await backend.store.press_keys_since(since.astimezone(UTC)) == {
        keys[1]: "a-1",
        keys[2]: "a-2",
    }
    assert await backend.store.press_keys_since(T0 + timedelta(days=1)) == {}


async def test_hash_chain_verifies_and_detects_a_tampered_row(backend: Backend) -> None:
    events = every_event("a-1")
    stored = await backend.store.append(summary("a-1"), events[:3])
    stored += await backend.store.append(summary("a-1"), events[3:6])
    assert await backend.store.verify_chain("a-1")
    assert await backend.store.verify_chain("a-unknown")
    assert [s.hash for s in await backend.store.events("a-1")] == [s.hash for s in stored]
    await backend.tamper("a-1", 4, {"role_id": "leader", "person_id": "p-mallory"})
    assert not await backend.store.verify_chain("a-1")


async def test_hash_follows_the_published_recipe(backend: Backend) -> None:
    """sha256(prev_hash + canonical JSON of the row), so an auditor can check it without us."""
    first = press(T0)
    [stored] = await backend.store.append(summary("a-1"), [first])
    body = {
        "alarm_id": "a-1",
        "seq": 1,
        "type": "PressReceived",
        "at": T0.astimezone(UTC).isoformat(),
        "actor": first.actor,
        "data": {
            "device_id": "btn-front-1",
            "seq": 17,
            "gesture": "double",
            "device_ts": None,
            "battery": None,
        },
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    assert stored.hash == hashlib.sha256(("" + canonical).encode()).hexdigest()


async def test_free_text_enters_the_hash_as_its_digest(backend: Backend) -> None:
    """The published recipe for free text: `"sha256:" + hex digest of the text`, None stays None."""
    text = "Trenger hjelp i mottaket – Åse"
    help_ = ev.HelpRequested(at=T0, actor=ev.person_actor("p-bo"), person_id="p-bo", text=text)
    [stored] = await backend.store.append(summary("a-1"), [help_])
    digest = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    body = {
        "alarm_id": "a-1",
        "seq": 1,
        "type": "HelpRequested",
        "at": T0.astimezone(UTC).isoformat(),
        "actor": help_.actor,
        "data": {"person_id": "p-bo", "text": digest},
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    assert stored.hash == hashlib.sha256(canonical.encode()).hexdigest()


def _free_texts(events: list[ev.Event]) -> list[str | None]:
    found: list[str | None] = []
    for e in events:
        if isinstance(e, ev.HelpRequested):
            found.append(e.text)
        elif isinstance(e, ev.RoleDeclined):
            found.append(e.reason)
        elif isinstance(e, ev.AllClearGiven):
            found.append(e.note)
    return found


async def test_redacted_free_text_is_gone_and_the_chain_still_verifies(backend: Backend) -> None:
    events = every_event("a-1")  # free text at T0+4s (decline), +9s (help), +13s (all-clear)
    await backend.store.append(summary("a-1"), events)
    await backend.store.append(summary("a-other", office_id="barnevernet"), events)
    hashes = [s.hash for s in await backend.store.events("a-1")]

    cutoff = T0 + timedelta(seconds=10)  # the decline and the help text, not the all-clear note
    assert await backend.store.redact_free_text(cutoff, ["nav-grunerlokka"]) == 2
    after = [s.event for s in await backend.store.events("a-1")]
    assert _free_texts(after) == [None, None, "ok"]
    assert [s.hash for s in await backend.store.events("a-1")] == hashes
    assert await backend.store.verify_chain("a-1")
    other = [s.event for s in await backend.store.events("a-other")]  # another office: kept
    assert _free_texts(other) == ["busy", "Trenger hjelp i mottaket – Åse", "ok"]
    # the other fields of a redacted event are kept; redacting again changes nothing
    assert after[4] == replace(events[4], reason=None)
    assert after[9] == replace(events[9], text=None)
    assert await backend.store.redact_free_text(cutoff, ["nav-grunerlokka"]) == 0
    assert await backend.store.verify_chain("a-1")


async def test_a_redacted_timeline_still_detects_tampering(backend: Backend) -> None:
    events = every_event("a-1")
    await backend.store.append(summary("a-1"), events)
    await backend.store.redact_free_text(T0 + timedelta(days=1), ["nav-grunerlokka"])
    assert await backend.store.verify_chain("a-1")
    forged = "sha256:" + hashlib.sha256(b"something else").hexdigest()
    await backend.tamper("a-1", 10, {"person_id": "p-bo", "text": None, "text_sha256": forged})
    assert not await backend.store.verify_chain("a-1")


async def test_a_redacted_row_whose_other_fields_changed_is_detected(backend: Backend) -> None:
    events = every_event("a-1")
    await backend.store.append(summary("a-1"), events)
    await backend.store.redact_free_text(T0 + timedelta(days=1), ["nav-grunerlokka"])
    [help_row] = [s for s in await backend.store.events("a-1") if s.seq == 10]
    assert isinstance(help_row.event, ev.HelpRequested) and help_row.event.text is None
    digest = "sha256:" + hashlib.sha256("Trenger hjelp i mottaket – Åse".encode()).hexdigest()
    await backend.tamper("a-1", 10, {"person_id": "p-mallory", "text": None, "text_sha256": digest})
    assert not await backend.store.verify_chain("a-1")
    await backend.tamper("a-1", 10, {"person_id": "p-bo", "text": None, "text_sha256": digest})
    assert await backend.store.verify_chain("a-1")  # exactly the redacted row verifies again


async def test_a_row_hashed_with_its_raw_text_still_verifies() -> None:
    """Rows chained before free text was hashed as a digest verify by that recipe; redaction
    leaves them alone, as it leaves any row that does not verify (shared code: the fake is enough).
    """
    legacy = FakeAlarmStore()
    help_ = ev.HelpRequested(at=T0, actor=ev.SYSTEM, person_id="p-bo", text="gammel tekst")
    await legacy.append(summary("a-1"), [help_])
    [row] = legacy.rows["a-1"]
    raw = chain_hash(GENESIS_HASH, {**row.content(), "data": row.data})
    legacy.rows["a-1"] = [replace(row, hash=raw)]
    assert await legacy.verify_chain("a-1")
    assert await legacy.redact_free_text(T0 + timedelta(days=1), ["nav-grunerlokka"]) == 0
    assert [s.event for s in await legacy.events("a-1")] == [help_]
    legacy.rows["a-1"] = [replace(row, hash=raw, data={**row.data, "text": "endret"})]
    assert not await legacy.verify_chain("a-1")


async def test_naive_time_refused_and_nothing_written(backend: Backend) -> None:
    """The bad event comes after the press key is written: the whole transaction goes."""
    naive = datetime(2026, 11, 26, 9, 0)
    key = PressKey("btn-front-1", 17)
    late = ev.LevelRaised(at=naive, actor=ev.SYSTEM, level=Level.ACUTE)
    with pytest.raises(ValueError, match="naive"):
        await backend.store.append(summary("a-1"), [press(T0), late], press=key)
    with pytest.raises(ValueError, match="naive"):
        await backend.store.append(summary("a-1", closed_at=naive), [press(T0)], press=key)
    assert await backend.store.events("a-1") == []
    assert await backend.store.alarm("a-1") is None
    assert await backend.store.press_keys_since(T0 - timedelta(days=1)) == {}
    await backend.store.append(summary("a-1"), [press(T0)], press=key)  # the key is still free
    assert await backend.store.press_keys_since(T0) == {key: "a-1"}


async def test_concurrent_appends_to_one_alarm_each_get_their_own_seq(backend: Backend) -> None:
    await backend.store.append(summary("a-1"), [raised("a-1")])
    one = [ev.HelpRequested(at=T0, actor=ev.SYSTEM, person_id="p-anne")]
    await asyncio.gather(*(backend.store.append(summary("a-1"), one) for _ in range(8)))
    assert [s.seq for s in await backend.store.events("a-1")] == list(range(1, 10))
    assert await backend.store.verify_chain("a-1")


async def test_button_test_recorded_once(backend: Backend) -> None:
    await backend.store.record_button_test("btn-front-1", 5, T0)
    await backend.store.record_button_test("btn-front-1", 5, T0 + timedelta(seconds=3))
    await backend.store.record_button_test("btn-front-1", 6, T0 + timedelta(days=30))
    assert await backend.button_tests() == {
        ("btn-front-1", 5): T0,
        ("btn-front-1", 6): T0 + timedelta(days=30),
    }


async def test_ping(backend: Backend) -> None:
    await backend.store.ping()


# --- the real databases only ----------------------------------------------------------------


def _schema_drift(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, t.metadata))


def _table_names(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


async def _inspect(url: str) -> tuple[set[str], list[Any]]:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_table_names), await conn.run_sync(_schema_drift)
    finally:
        await engine.dispose()


async def test_migrations_downgrade_to_base_and_upgrade_again(real_target: Target) -> None:
    url = real_target.url
    assert url is not None
    await asyncio.to_thread(upgrade, url)  # the sync entry point, as `rollekort db upgrade` uses
    tables, drift = await _inspect(url)
    assert {"alarm", "alarm_event", "press", "button_test"} <= tables
    assert drift == []  # the migration builds exactly what tables.py declares
    await downgrade_async(url, "base")
    assert (await _inspect(url))[0] == {"alembic_version"}
    await upgrade_async(url)
    store = SqlAlchemyAlarmStore(make_engine(url))
    try:
        await store.append(summary("a-m"), [raised("a-m")])
        assert [s.seq for s in await store.events("a-m")] == [1]
    finally:
        await store.close()


async def test_sqlite_is_tuned_for_durability(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'tuned.db'}")
    try:
        async with engine.connect() as conn:
            pragmas = [
                (await conn.execute(text(f"PRAGMA {name}"))).scalar()
                for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
            ]
    finally:
        await engine.dispose()
    assert pragmas == ["wal", 2, 1, SQLITE_BUSY_TIMEOUT_MS]  # synchronous 2 is FULL


async def test_sqlite_transactions_are_all_or_nothing(tmp_path: Path) -> None:
    """We, not the sqlite3 driver, emit BEGIN: DDL and DML both roll back with the transaction."""
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'tx.db'}")
    try:
        with pytest.raises(RuntimeError):
            async with engine.begin() as conn:
                await conn.execute(text("CREATE TABLE scratch (n INTEGER)"))
                await conn.execute(text("INSERT INTO scratch VALUES (1)"))
                raise RuntimeError("abort")
        async with engine.connect() as conn:
            assert await conn.run_sync(_table_names) == set()
    finally:
        await engine.dispose()
