"""Shared fixtures: the real brokers and databases this machine has, skipped with a reason when
absent, and free loopback ports for extra instances."""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests check correctness, not speed: on a busy 2-core machine (CI runs brokers,
# databases and Chromium beside them) generating an input may take longer than Hypothesis's
# default health check allows, which says nothing about the code under test.
settings.register_profile("rollekort", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("rollekort")

# The apps tests build in this process do not freeze the garbage collector (app.gc_freeze): that
# is for a service's one long process; here a thousand apps come and go, and their cyclic garbage
# would wait for a re-scan that never comes. Services started as processes (tests/e2e/process.py
# clears ROLLEKORT_ variables) keep the default, and tests/unit/test_gc_freeze.py covers it.
os.environ.setdefault("ROLLEKORT_GC_FREEZE", "false")

MOSQUITTO = ("127.0.0.1", 1883)
POSTGRES = ("127.0.0.1", 5432)
ROOT = Path(__file__).resolve().parent.parent
DEMO_OFFICE = ROOT / "examples" / "demo-office.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def reachable(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture
def mosquitto_url() -> str:
    return require_mosquitto()


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]


def require_postgres() -> None:
    if not reachable(POSTGRES):
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432 (the SQLite variant ran)")


def require_mosquitto() -> str:
    if not reachable(MOSQUITTO):
        pytest.skip("Mosquitto not reachable on 127.0.0.1:1883 (the embedded-broker variant ran)")
    return "mqtt://127.0.0.1:1883"


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(
        user="postgres", host=POSTGRES[0], port=POSTGRES[1], database="postgres"
    )
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def fresh_postgres() -> AsyncIterator[str]:
    """A fresh PostgreSQL database, dropped afterwards."""
    require_postgres()
    name = f"rollekort_test_{uuid.uuid4().hex[:12]}"
    await _admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    async with fresh_postgres() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'rollekort.db'}"
