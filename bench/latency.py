"""`rollekort bench latency`: press → offer on a handset, over N sequential alarms, against the
floor measured in the same run: the bare broker hop (paho, QoS 1) plus the bare websocket hop
(uvicorn + FastAPI sending one frame). The service runs as its own process, as in production.
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import websockets
from paho.mqtt.enums import CallbackAPIVersion
from rich.console import Console
from rich.table import Table

from app.adapters.mqtt.ingest import BrokerAddress
from bench.stats import Summary

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo-office.yaml"
WARMUP = 30
console = Console()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(count: int = 1000, broker: str | None = None, db: str | None = None) -> dict[str, Any]:
    return asyncio.run(_run(count, broker, db))


async def _run(count: int, broker: str | None, db: str | None) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        _service(tmp, broker, db) as (http, mqtt_url),
        _ws_floor_server() as floor_port,
    ):
        console.print(
            f"service on {http}, broker {mqtt_url}; {count} alarms after {WARMUP} warm-up"
        )
        broker_hop = await asyncio.to_thread(_broker_hop, mqtt_url, count)
        ws_hop = await _ws_hop(floor_port, count)
        alarms, press = await _press_to_offer(http, mqtt_url, count)
        recorded = await asyncio.to_thread(_count_recorded, http, alarms)
        decided = await asyncio.to_thread(_how_decided, http)
    floor = broker_hop + ws_hop
    report = _report(broker_hop, ws_hop, floor, press, count, recorded)
    console.print(
        "new alarms (warm-up included) decided ahead and checked equal "
        f"{decided.get('used', 0):.0f}, on the press's path {decided.get('fresh', 0):.0f}, "
        f"unchecked {decided.get('unchecked', 0):.0f}, differed {decided.get('differed', 0):.0f}"
    )
    return {**report, "decided": decided}


# -- processes -------------------------------------------------------------------------------


@contextmanager
def _service(
    tmp: str, broker: str | None, db: str | None, extra: dict[str, str] | None = None
) -> Iterator[tuple[str, str]]:
    port, broker_port = free_port(), free_port()
    env = {
        **os.environ,
        "ROLLEKORT_CONFIG": str(DEMO),
        "ROLLEKORT_BROKER": broker or "embedded",
        "ROLLEKORT_EMBEDDED_BROKER_PORT": str(broker_port),
        "ROLLEKORT_DB": db or f"sqlite+aiosqlite:///{tmp}/bench.db",
        "ROLLEKORT_PORT": str(port),
        "ROLLEKORT_MQTT_CLIENT_ID": f"rollekort-bench-{uuid.uuid4().hex[:8]}",
        "ROLLEKORT_LOG_LEVEL": "WARNING",
        "ROLLEKORT_VAPID_KEY_FILE": f"{tmp}/rollekort-vapid.pem",
    }
    env.update(extra or {})
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "serve"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL
    )
    http = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(f"{http}/readyz", proc)
        yield http, broker or f"mqtt://127.0.0.1:{broker_port}"
    finally:
        proc.terminate()
        proc.wait(10)


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


def _wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"{url} not ready")


# -- the floor -------------------------------------------------------------------------------


def _client(url: str, name: str) -> mqtt.Client:
    address = BrokerAddress.parse(url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{name}-{uuid.uuid4().hex[:8]}")
    if address.username is not None:
        client.username_pw_set(address.username, address.password)
    client.connect(address.host, address.port)
    client.loop_start()
    return client


def _broker_hop(url: str, count: int) -> Summary:
    received: queue.Queue[int] = queue.Queue()
    topic = f"bench/floor/{uuid.uuid4().hex[:8]}"
    sub = _client(url, "bench-sub")
    sub.on_message = lambda c, u, m: received.put(time.monotonic_ns())
    sub.subscribe(topic, qos=1)
    pub = _client(url, "bench-pub")
    time.sleep(0.5)
    samples: list[int] = []
    try:
        for i in range(count + WARMUP):
            sent = time.monotonic_ns()
            pub.publish(topic, b'{"event":"press"}', qos=1)
            arrived = received.get(timeout=5)
            if i >= WARMUP:
                samples.append(arrived - sent)
    finally:
        for c in (pub, sub):
            c.disconnect()
            c.loop_stop()
    return Summary.of("broker hop", samples)


async def _ws_hop(port: int, count: int) -> Summary:
    samples: list[int] = []
    async with websockets.connect(f"ws://127.0.0.1:{port}/ws") as ws:
        for i in range(count + WARMUP):
            await ws.send("go")
            frame, arrived = await _received(ws)
            if i >= WARMUP:
                samples.append(arrived - frame["sent_ns"])
    return Summary.of("websocket hop", samples)


async def _received(ws: Any) -> tuple[dict[str, Any], int]:
    """The next frame and when it arrived: taken the same way for the floor and for offers
    (the time as `recv` returns, before the frame is parsed)."""
    async with asyncio.timeout(10):
        raw = await ws.recv()
    arrived = time.monotonic_ns()
    frame: dict[str, Any] = json.loads(raw)
    return frame, arrived


# -- the real path ---------------------------------------------------------------------------


async def _press_to_offer(http: str, mqtt_url: str, count: int) -> tuple[list[str], Summary]:
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
                seq += 1
                payload = json.dumps({"event": "press", "seq": seq, "gesture": "single"})
                sent = time.monotonic_ns()
                pub.publish("rollekort/v1/trigger/desk-1", payload.encode(), qos=1)
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


def _how_decided(http: str) -> dict[str, float]:
    """The service's count of new alarms by how they were decided (app.service.prepared)."""
    with urllib.request.urlopen(f"{http}/metrics", timeout=5) as response:
        text = response.read().decode()
    found = re.findall(r'rollekort_prepared_raises_total\{outcome="(\w+)"\} (\S+)', text)
    return {outcome: float(value) for outcome, value in found}


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
