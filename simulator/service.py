"""`rollekort serve` as its own process on loopback: the one way the load mode (`rollekort sim
load`) and the bench (`rollekort bench latency`) start the service they measure, as in production.

It runs in a scratch folder with its own ports, broker client id and SQLite file (unless a
database is given), so it never meets another run, and works from an installed wheel.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from app.adapters.mqtt.ingest import BrokerAddress

READY_TIMEOUT_S = 60.0  # a cold start on a loaded two-core machine, migrations included
START_ATTEMPTS = 3


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(
    url: str,
    proc: subprocess.Popen[bytes],
    timeout_s: float = READY_TIMEOUT_S,
    poll_s: float = 0.2,
) -> None:
    """Until `url` answers 200; RuntimeError as soon as the process has exited. `poll_s` is
    the resolution of a measured start (bench scale polls at 0.05 s)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(poll_s)
    raise TimeoutError(f"{url} not ready within {timeout_s} s")


def mqtt_client(url: str, name: str) -> mqtt.Client:
    """A connected paho client with its network loop running (a button, a load generator)."""
    address = BrokerAddress.parse(url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{name}-{uuid.uuid4().hex[:8]}")
    if address.username is not None:
        client.username_pw_set(address.username, address.password)
    client.connect(address.host, address.port)
    client.loop_start()
    return client


@contextmanager
def serving(
    config: Path,
    workdir: Path,
    *,
    broker: str | None,
    db: str | None,
    name: str,
    extra: dict[str, str] | None = None,
) -> Iterator[tuple[str, str, int]]:
    """(HTTP base URL, broker URL, process id) of `rollekort serve` on `config`, ready; stopped
    on exit.

    Without `broker` the service runs its embedded broker on a free port; without `db` it keeps
    its alarms in `workdir/<name>.db`. A free port may be taken by another program before the
    service binds it (a busy machine): a start that exits early is tried again on new ports."""
    for attempt in range(1, START_ATTEMPTS + 1):
        proc, http, mqtt_url = _start(config, workdir, broker, db, name, extra or {})
        try:
            wait_ready(f"{http}/readyz", proc)
        except RuntimeError:  # it exited: a port taken meanwhile, or a broken configuration
            if attempt == START_ATTEMPTS:
                raise
            continue
        except BaseException:  # not ready in time, or interrupted: never leave it running
            proc.terminate()
            proc.wait(10)
            raise
        try:
            yield http, mqtt_url, proc.pid
        finally:
            proc.terminate()
            proc.wait(10)
        return


def _start(
    config: Path,
    workdir: Path,
    broker: str | None,
    db: str | None,
    name: str,
    extra: dict[str, str],
) -> tuple[subprocess.Popen[bytes], str, str]:
    port, broker_port = free_port(), free_port()
    env = {
        **os.environ,
        "ROLLEKORT_CONFIG": str(config),
        "ROLLEKORT_BROKER": broker or "embedded",
        "ROLLEKORT_EMBEDDED_BROKER_PORT": str(broker_port),
        "ROLLEKORT_DB": db or f"sqlite+aiosqlite:///{workdir}/{name}.db",
        "ROLLEKORT_PORT": str(port),
        "ROLLEKORT_MQTT_CLIENT_ID": f"rollekort-{name}-{uuid.uuid4().hex[:8]}",
        "ROLLEKORT_LOG_LEVEL": "WARNING",
        "ROLLEKORT_VAPID_KEY_FILE": str(workdir / f"{name}-vapid.pem"),  # never the work tree
        **extra,
    }
    serve = [sys.executable, "-m", "app", "serve"]
    proc = subprocess.Popen(serve, env=env, cwd=workdir, stdout=subprocess.DEVNULL)
    return proc, f"http://127.0.0.1:{port}", broker or f"mqtt://127.0.0.1:{broker_port}"
