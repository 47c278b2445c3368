"""Shared fixtures: the real brokers and databases this machine has, skipped with a reason when
absent, and free loopback ports for extra instances."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

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
    if not reachable(MOSQUITTO):
        pytest.skip("Mosquitto not reachable on 127.0.0.1:1883 (the embedded-broker variant ran)")
    return "mqtt://127.0.0.1:1883"


@pytest.fixture
def unique() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    if not reachable(POSTGRES):
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432 (the SQLite variant ran)")
    import asyncpg

    name = f"rollekort_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(
        user="postgres", host=POSTGRES[0], port=POSTGRES[1], database="postgres"
    )
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    admin = await asyncpg.connect(
        user="postgres", host=POSTGRES[0], port=POSTGRES[1], database="postgres"
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'rollekort.db'}"
