"""`rollekort serve` as a real process, for tests that kill it (SIGKILL) or start two."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import DEMO_OFFICE, free_port

START_TIMEOUT_S = 120.0  # a loaded 2-core machine can take a minute to import and migrate


def tagged_office(tmp: Path, tag: str, source: Path = DEMO_OFFICE) -> tuple[Path, str, str]:
    """The demo office with its buttons renamed `desk-<tag>` and `worn-<tag>`, so presses on the
    shared Mosquitto reach only this test's service. Returns the file and the two device ids."""
    desk, worn = f"desk-{tag}", f"worn-{tag}"
    text = source.read_text("utf-8").replace("desk-1", desk).replace("worn-1", worn)
    path = tmp / f"office-{tag}.yaml"
    path.write_text(text, "utf-8")
    return path, desk, worn


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/handset"

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no goodbye to the broker."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text("utf-8", errors="replace")


def serve_env(
    tmp: Path, *, config: Path, db: str, broker: str, client_id: str | None = None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROLLEKORT_")}
    env |= {
        "ROLLEKORT_CONFIG": str(config),
        "ROLLEKORT_DB": db,
        "ROLLEKORT_BROKER": broker,
        "ROLLEKORT_EMBEDDED_BROKER_PORT": str(free_port()),
        "ROLLEKORT_MQTT_CLIENT_ID": client_id or f"rollekort-faults-{uuid.uuid4().hex[:8]}",
        "ROLLEKORT_DATA_DIR": str(tmp),
    }
    return env


def start(tmp: Path, env: dict[str, str], *, wait: bool = True) -> Served:
    """Start `rollekort serve` on a free port; with `wait`, until /readyz answers 200."""
    port = free_port()
    log = tmp / f"serve-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(port)],
            env=env | {"ROLLEKORT_PORT": str(port)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    served = Served(process, port, log)
    if wait:
        _wait_ready(served)
    return served


def _wait_ready(served: Served) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            raise AssertionError(f"serve exited early:\n{served.output()}")
        try:
            ready = httpx.get(served.base + "/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            ready = False
        if ready and "rollekort ready" in served.output():
            time.sleep(0.5)  # a port taken meanwhile by another process: ours exits on bind
            if served.process.poll() is None:
                return
        time.sleep(0.2)
    served.kill()
    raise AssertionError(f"serve not ready in {START_TIMEOUT_S} s:\n{served.output()}")
