"""No secret in any line the service writes (issue 12, hole 3): `rollekort serve` runs as an
operator runs it, with a password in the broker URL and in the database URL, a webhook URL with
a password and a webhook secret, at DEBUG level; a press goes through and the webhook fails (so
its retries are logged too); then its whole stdout and stderr must not contain any secret."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from simulator.button import press
from tests.conftest import DEMO_OFFICE, ROOT, free_port, fresh_postgres, require_mosquitto

BROKER_PW = f"brk-{uuid.uuid4().hex}"
DB_PW = f"db:{uuid.uuid4().hex}"  # a colon, so it is URL-encoded in the URL
HOOK_PW = f"hook-{uuid.uuid4().hex}"
HOOK_SECRET = f"hmac-{uuid.uuid4().hex}"


@pytest.fixture
async def database() -> AsyncIterator[str]:
    async with fresh_postgres() as url:
        yield url


def wait_ready(base: str, proc: subprocess.Popen[bytes], within_s: float = 60.0) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, "rollekort serve exited early"
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("rollekort serve did not become ready")


def test_serve_output_holds_no_secret(database: str, tmp_path: Path) -> None:
    broker = require_mosquitto()
    db_url = database.replace("postgres@", f"postgres:{quote(DB_PW, safe='')}@")  # trust auth
    port = free_port()
    env = {
        **os.environ,
        "ROLLEKORT_CONFIG": str(DEMO_OFFICE),
        "ROLLEKORT_BROKER": broker.replace("mqtt://", f"mqtt://svc:{BROKER_PW}@"),
        "ROLLEKORT_DB": db_url,
        "ROLLEKORT_PORT": str(port),
        "ROLLEKORT_MQTT_CLIENT_ID": f"secrets-test-{uuid.uuid4().hex[:8]}",
        "ROLLEKORT_NOTIFY_WEBHOOK_URL": f"http://hook:{HOOK_PW}@127.0.0.1:{free_port()}/alert",
        "ROLLEKORT_NOTIFY_WEBHOOK_SECRET": HOOK_SECRET,
        "ROLLEKORT_LOG_LEVEL": "DEBUG",
    }
    out = tmp_path / "output.txt"
    with out.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app", "serve"], env=env, cwd=ROOT, stdout=sink, stderr=sink
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_ready(base, proc)
            press(broker, "desk-1")
            headers = {"Authorization": "Bearer demo-coordinator"}
            deadline = time.monotonic() + 30
            while not httpx.get(f"{base}/api/v1/alarms", headers=headers).json():
                assert time.monotonic() < deadline, "the press raised no alarm"
                time.sleep(0.2)
            time.sleep(1.0)  # the webhook's first attempts fail and are logged
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
    text = out.read_text("utf-8", errors="replace")
    assert "rollekort ready" in text and "Rollekort on" in text, text[-2000:]
    for secret in (BROKER_PW, DB_PW, quote(DB_PW, safe=""), HOOK_PW, HOOK_SECRET):
        assert secret not in text, f"a secret is in the output:\n{text[-3000:]}"
    assert "mqtt://svc:***@" in text  # the URL is still shown, without its password
