"""`rollekort bench latency`: press → offer on a handset, over N sequential alarms, against the
floor measured in the same run: the bare broker hop (paho, QoS 1) plus the bare websocket hop
(uvicorn + FastAPI sending one frame). The service runs as its own process, as in production.

The floor is sampled interleaved with the presses (one broker hop and one websocket hop right
before each press), so a machine whose speed changes during the run slows both alike and the
ratio stays comparable between runs; each pair waits `SETTLE_S` after the previous alarm closed.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import websockets
from rich.console import Console
from rich.table import Table

from app.shipped import demo_office
from bench.stats import Summary
from simulator.service import free_port, serving
from simulator.service import mqtt_client as _client
from simulator.service import wait_ready as _wait_ready

ROOT = Path(__file__).resolve().parent.parent
DEMO = demo_office()
RUN = uuid.uuid4().hex[:8]
BUTTON = f"bench-{RUN}"
"""The demo office's `desk-1`, renamed for this run (and `worn-1` with it): on a shared broker,
other clients' presses on the demo devices would otherwise raise alarms in the service under
test, and their offers be taken for the bench's."""
WARMUP = 30
SETTLE_S = 0.02
"""Pause before each floor sample and press, so the service has done the previous alarm's
after-work (journal, debrief) and neither the floor nor the press competes with it."""
console = Console()


def run(count: int = 1000, broker: str | None = None, db: str | None = None) -> dict[str, Any]:
    return asyncio.run(_run(count, broker, db))


async def _run(count: int, broker: str | None, db: str | None) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        _service(tmp, broker, db) as (http, mqtt_url, service_pid),
        _ws_floor_server() as floor_port,
    ):
        console.print(
            f"service on {http}, broker {mqtt_url}; {count} alarms after {WARMUP} warm-up"
        )
        before = _cpu(service_pid)
        async with _Floor(mqtt_url, floor_port) as floor_hops:
            alarms, press = await _press_to_offer(http, mqtt_url, count, floor_hops)
        cpu = {name: spent - before[name] for name, spent in _cpu(service_pid).items()}
        broker_hop, ws_hop = floor_hops.summaries()
        recorded = await asyncio.to_thread(_count_recorded, http, alarms)
    floor = broker_hop + ws_hop
    report = _report(broker_hop, ws_hop, floor, press, count, recorded)
    console.print(
        f"CPU seconds during the presses: service {cpu['service']:.2f}, "
        f"load generator (this process: button, handset) {cpu['bench']:.2f}, "
        f"wall {cpu['wall']:.2f}"
    )
    return {**report, "cpu": cpu}


def _cpu(service_pid: int) -> dict[str, float]:
    """CPU seconds used so far by the service process and by this one (the load generator)."""
    fields = Path(f"/proc/{service_pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime + stime
    return {
        "service": ticks / os.sysconf("SC_CLK_TCK"),
        "bench": time.process_time(),
        "wall": time.monotonic(),
    }


# -- processes -------------------------------------------------------------------------------


def _office_file(tmp: str) -> Path:
    """The demo office with its devices renamed for this run (`desk-1` is `BUTTON`)."""
    text = DEMO.read_text("utf-8").replace("  - id: desk-1\n", f"  - id: {BUTTON}\n", 1)
    text = text.replace("  - id: worn-1\n", f"  - id: bench-worn-{RUN}\n", 1)
    path = Path(tmp) / "office.yaml"
    path.write_text(text, "utf-8")
    return path


@contextmanager
def _service(
    tmp: str, broker: str | None, db: str | None, extra: dict[str, str] | None = None
) -> Iterator[tuple[str, str, int]]:
    """The service on the demo office with its devices renamed for this run; `extra` adds
    environment settings (the push bench's local push service)."""
    config = _office_file(tmp)
    with serving(config, Path(tmp), broker=broker, db=db, name="bench", extra=extra) as found:
        yield found


@contextmanager
def _ws_floor_server() -> Iterator[int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bench.ws_floor", str(port)], cwd=ROOT)
    try:
        _wait_ready(f"http://127.0.0.1:{port}/docs", proc)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


# -- the floor -------------------------------------------------------------------------------


class _Floor:
    """The two bare hops, one sample of each on demand: a paho publish to a paho subscriber
    (QoS 1, the same broker), and a frame from the floor server stamped as it is sent."""

    def __init__(self, mqtt_url: str, ws_port: int) -> None:
        self._mqtt_url, self._ws_port = mqtt_url, ws_port
        self._received: queue.Queue[int] = queue.Queue()
        self._topic = f"bench/floor/{uuid.uuid4().hex[:8]}"
        self.broker_ns: list[int] = []
        self.ws_ns: list[int] = []

    async def __aenter__(self) -> _Floor:
        self._sub = _client(self._mqtt_url, "bench-sub")
        self._sub.on_message = lambda c, u, m: self._received.put(time.monotonic_ns())
        self._sub.subscribe(self._topic, qos=1)
        self._pub = _client(self._mqtt_url, "bench-pub")
        self._ws = await websockets.connect(f"ws://127.0.0.1:{self._ws_port}/ws")
        await asyncio.sleep(0.5)  # the subscription is in place
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._ws.close()
        for c in (self._pub, self._sub):
            c.disconnect()
            c.loop_stop()

    async def sample(self, keep: bool) -> None:
        sent = time.monotonic_ns()
        self._pub.publish(self._topic, b'{"event":"press"}', qos=1)
        arrived = await asyncio.to_thread(self._received.get, timeout=5)
        await self._ws.send("go")
        frame, ws_arrived = await _received(self._ws)
        if keep:
            self.broker_ns.append(arrived - sent)
            self.ws_ns.append(ws_arrived - frame["sent_ns"])

    def summaries(self) -> tuple[Summary, Summary]:
        return Summary.of("broker hop", self.broker_ns), Summary.of("websocket hop", self.ws_ns)


async def _received(ws: Any) -> tuple[dict[str, Any], int]:
    """The next frame and when it arrived: taken the same way for the floor and for offers
    (the time as `recv` returns, before the frame is parsed)."""
    async with asyncio.timeout(10):
        raw = await ws.recv()
    arrived = time.monotonic_ns()
    frame: dict[str, Any] = json.loads(raw)
    return frame, arrived


# -- the real path ---------------------------------------------------------------------------


async def _press_to_offer(
    http: str, mqtt_url: str, count: int, floor: _Floor
) -> tuple[list[str], Summary]:
    pub = _client(mqtt_url, "bench-button")
    ws_url = http.replace("http://", "ws://") + "/ws/handset"
    samples: list[int] = []
    alarms: list[str] = []
    try:
        async with websockets.connect(ws_url) as ws:
            await ws.send(json.dumps({"type": "hello", "token": "demo-leader"}))
            await _until(ws, "welcome")
            seq = time.time_ns() // 1000
            for i in range(count + WARMUP):
                await asyncio.sleep(SETTLE_S)
                await floor.sample(keep=i >= WARMUP)
                seq += 1
                payload = json.dumps(
                    {"event": "press", "seq": seq, "gesture": "single", "ts": _now_iso()}
                )
                sent = time.monotonic_ns()
                pub.publish(f"rollekort/v1/trigger/{BUTTON}", payload.encode(), qos=1)
                offer, arrived = await _until(ws, "alarm")
                if i >= WARMUP:
                    samples.append(arrived - sent)
                    alarms.append(offer["alarm_id"])
                await _close_alarm(ws, offer)
    finally:
        pub.disconnect()
        pub.loop_stop()
    return alarms, Summary.of("press → offer", samples)


async def _until(
    ws: Any, frame_type: str, alarm_id: str | None = None
) -> tuple[dict[str, Any], int]:
    """The next frame of a type (answering pings meanwhile), and when it arrived."""
    while True:
        frame, arrived = await _received(ws)
        if frame["type"] == "ping":
            await ws.send(json.dumps({"type": "pong", "nonce": frame["nonce"]}))
        if frame["type"] == frame_type and alarm_id in (None, frame.get("alarm_id")):
            return frame, arrived


async def _close_alarm(ws: Any, offer: dict[str, Any]) -> None:
    alarm_id = offer["alarm_id"]
    await ws.send(json.dumps({"type": "accept", "alarm_id": alarm_id, "role_id": "leader"}))
    await ws.send(json.dumps({"type": "all_clear", "alarm_id": alarm_id}))
    await _until(ws, "alarm_closed", alarm_id)


def _count_recorded(http: str, alarm_ids: list[str]) -> int:
    found = 0
    for alarm_id in alarm_ids:
        request = urllib.request.Request(
            f"{http}/api/v1/alarms/{alarm_id}",
            headers={"Authorization": "Bearer demo-coordinator"},
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                found += json.load(response)["status"] == "resolved"
        except urllib.error.HTTPError as err:
            console.print(f"[red]alarm {alarm_id} not recorded: HTTP {err.code}")
    return found


# -- the report ------------------------------------------------------------------------------


def _report(
    broker_hop: Summary, ws_hop: Summary, floor: Summary, press: Summary, count: int, recorded: int
) -> dict[str, Any]:
    table = Table(title="press → offer on a handset, against the floor (ms)")
    for column in ("path", "n", "p50", "p99", "max"):
        table.add_column(column, justify="right" if column != "path" else "left")
    for s in (broker_hop, ws_hop, floor, press):
        table.add_row(s.name, str(s.count), f"{s.p50_ms:.3f}", f"{s.p99_ms:.3f}", f"{s.max_ms:.3f}")
    console.print(table)
    ratios = {
        "p50 / floor p50": press.p50_ms / floor.p50_ms,
        "p99 / floor p50": press.p99_ms / floor.p50_ms,
        "p99 / floor p99": press.p99_ms / floor.p99_ms,
    }
    for name, value in ratios.items():
        console.print(f"{name}: {value:.2f}×")
    lost = count - recorded
    console.print(
        f"alarms pressed {count}, offered {press.count}, recorded and resolved {recorded}, "
        f"lost {lost}"
    )
    return {"floor": floor, "press": press, "ratios": ratios, "lost": lost}


def _now_iso() -> str:
    """The press's time, as a button with a clock sends it (`ts`): a press made right after an
    all-clear is told by it from one queued before the all-clear (docs/devices.md)."""
    return datetime.now(UTC).isoformat()
