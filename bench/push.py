"""`rollekort bench push`: press → the offer's push arriving at a local push service, beside
press → the websocket offer, for the same alarms in the same run.

The service runs as its own process with one handset (the demo leader) that has both an open
socket and a Web Push subscription at the local push service (simulator.push_service, which
checks the VAPID signature and decrypts each message as a browser would). For every press both
arrivals are timed from the publish; the receipt is posted back as the service worker would.
Floors measured in the same run: the broker hop plus the websocket hop (bench.latency), and a
bare HTTP POST of the same size to the local push service.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from datetime import UTC, datetime
from typing import Any

import aiohttp
import websockets
from rich.table import Table

from bench.latency import (
    BUTTON,
    WARMUP,
    _close_alarm,
    _Floor,
    _service,
    _until,
    _ws_floor_server,
    console,
)
from bench.stats import Summary
from simulator.push_service import LocalPushService, PhoneKeys, local_push_service
from simulator.service import mqtt_client as _client

TOKEN = "demo-leader"


async def _floor(mqtt_url: str, ws_port: int, count: int) -> tuple[Summary, Summary]:
    """The bare broker hop and websocket hop, sampled as bench latency samples them."""
    async with _Floor(mqtt_url, ws_port) as floor:
        for i in range(count + WARMUP):
            await floor.sample(keep=i >= WARMUP)
    return floor.summaries()


def run(count: int = 300, broker: str | None = None, db: str | None = None) -> dict[str, Any]:
    return asyncio.run(_run(count, broker, db))


async def _run(count: int, broker: str | None, db: str | None) -> dict[str, Any]:
    env = {"ROLLEKORT_PUSH_INSECURE_ENDPOINTS": "true"}
    cpu_before = os.times()
    async with local_push_service() as pushes:
        with (
            tempfile.TemporaryDirectory() as tmp,
            _service(tmp, broker, db, env) as (http, mqtt_url, _),
            _ws_floor_server() as floor_port,
        ):
            console.print(f"service on {http}; {count} alarms after {WARMUP} warm-up")
            broker_hop, ws_hop = await _floor(mqtt_url, floor_port, count)
            post_hop = await _post_hop(pushes, count)
            phone = await _subscribe(http, pushes)
            ws_offer, push_offer, lost = await _presses(http, mqtt_url, pushes, phone, count)
    cpu = os.times()
    generator_cpu = (cpu.user - cpu_before.user) + (cpu.system - cpu_before.system)
    return _report(broker_hop, ws_hop, post_hop, ws_offer, push_offer, lost, generator_cpu)


async def _post_hop(pushes: LocalPushService, count: int) -> Summary:
    """The floor for a push: one HTTP POST to the push service, no encryption, no signature."""
    samples: list[int] = []
    body = os.urandom(400)
    async with aiohttp.ClientSession() as session:
        for i in range(count + WARMUP):
            sent = time.monotonic_ns()
            async with session.post(f"{pushes.base}/floor", data=body) as response:
                await response.read()
            if i >= WARMUP:
                samples.append(time.monotonic_ns() - sent)
    return Summary.of("bare HTTP POST", samples)


async def _subscribe(http: str, pushes: LocalPushService) -> PhoneKeys:
    phone, subscription = pushes.subscribe()
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with aiohttp.ClientSession(http, headers=headers) as session:
        async with session.put("/api/v1/push/subscription", json=subscription) as response:
            assert response.status == 204, await response.text()
        check = await pushes.wait_for(phone, kind="check")
        await _receipt(session, check.message["id"])
    return phone


async def _receipt(session: aiohttp.ClientSession, push_id: str) -> None:
    async with session.post("/api/v1/push/receipts", json={"push_id": push_id}) as response:
        await response.read()


async def _presses(
    http: str, mqtt_url: str, pushes: LocalPushService, phone: PhoneKeys, count: int
) -> tuple[Summary, Summary, int]:
    pub = _client(mqtt_url, "bench-button")
    ws_url = http.replace("http://", "ws://") + "/ws/handset"
    by_ws: list[int] = []
    by_push: list[int] = []
    lost = 0
    headers = {"Authorization": f"Bearer {TOKEN}"}
    try:
        async with (
            websockets.connect(ws_url) as ws,
            aiohttp.ClientSession(http, headers=headers) as session,
        ):
            await ws.send(json.dumps({"type": "hello", "token": TOKEN, "receipts": True}))
            await _until(ws, "welcome")
            seq = time.time_ns() // 1000
            for i in range(count + WARMUP):
                seq += 1
                payload = json.dumps(
                    {"event": "press", "seq": seq, "gesture": "single", "ts": _now_iso()}
                )
                sent = time.monotonic_ns()
                pub.publish(f"rollekort/v1/trigger/{BUTTON}", payload.encode(), qos=1)
                offer, arrived = await _until(ws, "alarm")
                alarm_id = offer["alarm_id"]
                role = {"alarm_id": alarm_id, "role_id": offer["offer"]["role_id"]}
                await ws.send(json.dumps({"type": "received", **role}))
                try:
                    pushed = await pushes.wait_for(phone, kind="offer", **role)
                except TimeoutError:
                    lost += 1
                    pushed = None
                if pushed is not None:
                    await _receipt(session, pushed.message["id"])
                if i >= WARMUP:
                    by_ws.append(arrived - sent)
                    if pushed is not None:
                        by_push.append(pushed.received_ns - sent)
                await _close_alarm(ws, offer)
    finally:
        pub.disconnect()
        pub.loop_stop()
    return Summary.of("press → websocket offer", by_ws), Summary.of("press → push", by_push), lost


def _report(
    broker_hop: Summary,
    ws_hop: Summary,
    post_hop: Summary,
    ws_offer: Summary,
    push_offer: Summary,
    lost: int,
    generator_cpu: float,
) -> dict[str, Any]:
    table = Table(title="press → offer by websocket and by Web Push, same alarms (ms)")
    for column in ("path", "n", "p50", "p99", "max"):
        table.add_column(column, justify="right" if column != "path" else "left")
    ws_floor = broker_hop + ws_hop
    push_floor = broker_hop + post_hop
    for s in (broker_hop, ws_hop, post_hop, ws_floor, push_floor, ws_offer, push_offer):
        table.add_row(s.name, str(s.count), f"{s.p50_ms:.3f}", f"{s.p99_ms:.3f}", f"{s.max_ms:.3f}")
    console.print(table)
    ratios = {
        "push p50 / websocket p50": push_offer.p50_ms / ws_offer.p50_ms,
        "push p99 / websocket p99": push_offer.p99_ms / ws_offer.p99_ms,
        "push p50 / its floor p50": push_offer.p50_ms / push_floor.p50_ms,
        "websocket p50 / its floor p50": ws_offer.p50_ms / ws_floor.p50_ms,
    }
    for name, value in ratios.items():
        console.print(f"{name}: {value:.2f}×")
    console.print(
        f"pushes lost {lost}; load generator CPU {generator_cpu:.1f} s (the button, the handset "
        "and the local push service, which decrypts every message)"
    )
    return {"ws": ws_offer, "push": push_offer, "ratios": ratios, "lost": lost}


def _now_iso() -> str:
    """The press's time, as a button with a clock sends it (`ts`): a press made right after an
    all-clear is told by it from one queued before the all-clear (docs/devices.md)."""
    return datetime.now(UTC).isoformat()
