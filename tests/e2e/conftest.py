"""Fixtures the browser tests share: the service on the embedded broker and SQLite, and a
headless Chromium (both skipped, with the reason, where chromium is missing)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.e2e.browser import chromium, require_browser
from tests.e2e.harness import Running, service, settings_for


@pytest.fixture
async def running(sqlite_url: str) -> AsyncIterator[Running]:
    require_browser()
    async with service(settings_for("embedded", sqlite_url)) as running:
        yield running


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with chromium() as b:
        yield b
