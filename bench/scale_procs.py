"""The processes of `rollekort bench scale`: the service, the bare websocket floor, and the
load generators (`bench.scale_handsets`), each its own process, driven over pipes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import psutil
from paho.mqtt.enums import CallbackAPIVersion

from app.adapters.mqtt.url import BrokerAddress
from simulator.service import wait_ready

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    """A process serving HTTP (the service or the floor), with its start time to ready."""

    proc: subprocess.Popen[bytes]
    base: str
    ready_s: float
    log: Path
    ready_cpu_s: float = 0.0  # CPU seconds it had used when ready (the machine may be shared)
    mqtt_client_id: str | None = None  # the service's persistent session on the broker

    @property
    def ps(self) -> psutil.Process:
        return psutil.Process(self.proc.pid)

    def rss(self) -> int:
        return int(self.ps.memory_info().rss)

    def cpu_s(self) -> float:
        times = self.ps.cpu_times()
        return float(times.user + times.system)

    def stop(self, within_s: float = 20.0) -> float:
        """SIGTERM; how long it took to exit (killed after `within_s`)."""
        started = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(within_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return time.monotonic() - started


def start_service(config: Path, broker: str, db: str, log: Path, data: Path) -> Served:
    port, client_id = free_port(), f"rollekort-scale-{uuid.uuid4().hex[:8]}"
    env = {
        "ROLLEKORT_DATA_DIR": str(data),  # chain key and office cache: this run's own
        **os.environ,
        "ROLLEKORT_CONFIG": str(config),
        "ROLLEKORT_BROKER": broker,
        "ROLLEKORT_DB": db,
        "ROLLEKORT_PORT": str(port),
        "ROLLEKORT_MQTT_CLIENT_ID": client_id,
        "ROLLEKORT_LOG_LEVEL": "WARNING",
    }
    out = log.open("ab")
    started = time.monotonic()
    with out:  # the child has its own copy
        proc = subprocess.Popen(
            [sys.executable, "-m", "app", "serve"], env=env, cwd=ROOT, stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    wait_ready(f"{base}/readyz", proc, timeout_s=600, poll_s=0.05)
    served = Served(proc, base, time.monotonic() - started, log, mqtt_client_id=client_id)
    served.ready_cpu_s = served.cpu_s()
    return served


def end_session(broker: str, client_id: str, within_s: float = 10.0) -> bool:
    """End a stopped service's persistent session: a clean connect with its client id makes
    the broker drop it. Left, it would queue every later press on that broker for the
    session's expiry (a week), as if a service were coming back for them. True if done."""
    address = BrokerAddress.parse(broker)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    if address.username is not None:
        client.username_pw_set(address.username, address.password)
    connected = threading.Event()

    def on_connect(_c: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if not reason.is_failure:
            connected.set()

    client.on_connect = on_connect
    try:
        client.connect(address.host, address.port)
    except OSError:
        return False
    client.loop_start()
    try:
        return connected.wait(within_s)
    finally:
        client.disconnect()
        client.loop_stop()


def start_floor(log: Path) -> Served:
    port = free_port()
    out = log.open("wb")
    started = time.monotonic()
    with out:  # the child has its own copy
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.ws_floor", str(port)], cwd=ROOT, stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    wait_ready(f"{base}/docs", proc, timeout_s=60, poll_s=0.05)
    served = Served(proc, base, time.monotonic() - started, log)
    served.ready_cpu_s = served.cpu_s()
    return served


@dataclass
class Generators:
    """Load-generator processes, each holding a share of the handsets."""

    procs: list[asyncio.subprocess.Process] = field(default_factory=list)
    cpu_s: float = 0.0
    """Their CPU seconds, summed, as of the last answer."""

    @classmethod
    async def start(cls, url: str, handsets: list[tuple[str, str, bool]], count: int) -> Generators:
        gens = cls()
        for i in range(count):
            share = handsets[i::count]
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.scale_handsets",
                cwd=ROOT,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=1 << 26,
            )
            assert proc.stdin is not None
            proc.stdin.write(json.dumps({"url": url, "handsets": share}).encode() + b"\n")
            gens.procs.append(proc)
        for proc in gens.procs:
            assert proc.stdout is not None
            json.loads(await proc.stdout.readline())  # {"ready": true}
        return gens

    async def ask(self, command: str) -> list[dict[str, Any]]:
        for proc in self.procs:
            assert proc.stdin is not None
            proc.stdin.write(command.encode() + b"\n")
            await proc.stdin.drain()
        answers = []
        for proc in self.procs:
            assert proc.stdout is not None
            answers.append(json.loads(await proc.stdout.readline()))
        self.cpu_s = sum(float(a["cpu_s"]) for a in answers)
        return answers

    async def kill(self) -> None:
        """Stop the generators at once, whatever they are doing (a storm against a stopped
        service would go on trying for as long as a page does)."""
        for proc in self.procs:
            with contextlib.suppress(ProcessLookupError):
                proc.terminate()
        for proc in self.procs:
            await proc.wait()

    async def quit(self) -> float:
        """Close every handset; the generators' CPU seconds, summed."""
        answers = await self.ask("quit")
        for proc in self.procs:
            await proc.wait()
        return sum(float(a["cpu_s"]) for a in answers)
