"""What `rollekort bench scale` does to a running service once its handsets are connected:
single presses, a burst of every office within one second, a soak, and the count of what the
service recorded. Presses and button statuses are published by one paho client in its own
network thread; offers are taken by the load generators as their frames arrive."""

from __future__ import annotations

import asyncio
import math
import re
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from app.adapters.mqtt.url import BrokerAddress
from bench.scale_offices import ScaleOffice
from bench.scale_procs import Generators, Served
from devices.native import Status, TriggerEvent
from devices.topics import status_topic, trigger_topic

if TYPE_CHECKING:
    from bench.scale import ScaleConfig

OFFER_WAIT_S = 30.0
"""How long after the last press of a burst offers are still waited for (later ones are late)."""


FULL_COLLECTIONS = re.compile(
    r'^rollekort_gc_pause(s|_seconds)_total\{generation="2"\} (\S+)$', re.MULTILINE
)


async def full_collections(base: str) -> tuple[int, float]:
    """The service's full garbage collections so far, and the seconds they stopped it."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        text = (await http.get("/metrics")).text
    found = {kind: float(value) for kind, value in FULL_COLLECTIONS.findall(text)}
    return int(found.get("s", 0)), found.get("_seconds", 0.0)


def pct(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


class Presser:
    """Publishes presses and statuses at QoS 1 and remembers when each device was pressed."""

    def __init__(self, url: str) -> None:
        address = BrokerAddress.parse(url)
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"scale-presser-{id(self)}"
        )
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        connected = threading.Event()
        self.client.on_connect = lambda *_: connected.set()
        self.client.connect(address.host, address.port)
        self.client.loop_start()
        if not connected.wait(10):
            raise RuntimeError(f"presser could not connect to {url}")
        self.pressed: dict[str, list[float]] = defaultdict(list)
        self._seq = time.time_ns() // 1_000_000

    def press(self, device_id: str) -> None:
        self._seq += 1
        event = TriggerEvent(event="press", seq=self._seq, gesture="single", ts=datetime.now(UTC))
        payload = event.model_dump_json(exclude_none=True).encode()
        self.pressed[device_id].append(time.monotonic())
        self.client.publish(trigger_topic(device_id), payload, qos=1)

    def status(self, device_id: str) -> None:
        payload = Status(online=True, battery=90).model_dump_json(exclude_none=True).encode()
        self.client.publish(status_topic(device_id), payload, qos=1)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


Offer = tuple[str, float, float]
"""Device id; when the frame reached the generator's network stack (the phone's moment); when
the generator's loop read it (later by that process's own backlog). bench.wire_time."""


async def offers(gens: Generators) -> list[Offer]:
    return [(d, at, read) for a in await gens.ask("offers") for d, at, read in a["offers"]]


def latencies(presser: Presser, got: list[Offer], read: bool = False) -> list[float]:
    """Press → offer, each offer against the latest press of its device before it; at its
    arrival, or (`read`) when the generator read it."""
    out = []
    for device, arrived, read_at in got:
        at = read_at if read else arrived
        before = [p for p in presser.pressed.get(device, []) if p <= at]
        if before:
            out.append(at - before[-1])
    return out


async def single_presses(
    presser: Presser, gens: Generators, offices: list[ScaleOffice]
) -> dict[str, Any]:
    """One press at a time with every handset connected: the first offer's time, and how many
    offers one press brings (the burst expects that many from every office)."""
    firsts, per_press = [], 0
    await offers(gens)
    for office in offices:
        device = office.buttons[0]
        presser.press(device)
        got: list[Offer] = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not got:
            await asyncio.sleep(0.01)
            got = await offers(gens)
        await asyncio.sleep(1.5)  # the rest of its offers; the leader gives the all-clear
        got += await offers(gens)
        mine = [o for o in got if o[0] == device]
        per_press = max(per_press, len(mine))
        firsts.extend(latencies(presser, mine[:1]))
    return {
        "p50_s": pct(firsts, 50),
        "max_s": max(firsts, default=math.nan),
        "count": len(firsts),
        "offers_per_press": per_press,
    }


async def burst(
    presser: Presser,
    gens: Generators,
    served: Served,
    offices: list[ScaleOffice],
    expected_per_press: int,
    all_clear_s: float,
) -> dict[str, Any]:
    """Every office presses once within one second; every offer's time from its press, at its
    arrival and as read, with the CPU the service and the generators spent meanwhile. Leaders
    accept at once and give the all-clear `all_clear_s` later, as a person would; the alarms
    are closed again before it returns (the soak presses the same offices)."""
    await asyncio.sleep(2.0)
    await offers(gens)
    await gens.ask(f"all_clear {all_clear_s}")
    devices = [o.buttons[1 % len(o.buttons)] for o in offices]
    cpu0, service_cpu0 = gens.cpu_s, served.cpu_s()
    collections0 = await full_collections(served.base)
    go = time.monotonic()

    def press_all() -> None:
        for i, device in enumerate(devices):
            delay = go + i / len(devices) - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            presser.press(device)

    await asyncio.to_thread(press_all)
    spread = time.monotonic() - go
    expected = expected_per_press * len(devices)
    got: list[Offer] = []
    deadline = time.monotonic() + OFFER_WAIT_S
    while time.monotonic() < deadline and len(got) < expected:
        await asyncio.sleep(0.2)
        got += await offers(gens)
    wanted = set(devices)
    mine = [o for o in got if o[0] in wanted]
    lat, read = latencies(presser, mine), latencies(presser, mine, read=True)
    window, service_cpu_s = time.monotonic() - go, served.cpu_s() - service_cpu0
    collections1 = await full_collections(served.base)
    await gens.ask("all_clear 0")
    gens_cpu_s = gens.cpu_s - cpu0
    await asyncio.sleep(max(0.0, go + spread + all_clear_s + 2.0 - time.monotonic()))
    return {
        "presses": len(devices),
        "spread_s": spread,
        "expected": expected,
        "delivered": len(mine),
        "p50_s": pct(lat, 50),
        "p99_s": pct(lat, 99),
        "max_s": max(lat, default=math.nan),
        "read_p50_s": pct(read, 50),
        "read_p99_s": pct(read, 99),
        "seconds": window,
        "generators_cpu_s": gens_cpu_s,
        "service_cpu_s": service_cpu_s,
        "all_clear_s": all_clear_s,
        "full_collections": collections1[0] - collections0[0],
        "full_collections_s": collections1[1] - collections0[1],
    }


async def soak(
    presser: Presser,
    gens: Generators,
    offices: list[ScaleOffice],
    every: list[ScaleOffice],
    service: Served,
    config: ScaleConfig,
) -> dict[str, Any]:
    """One press a second across offices; every button's status once per `status_every_s`;
    handsets answer pings. RSS at the start and the end."""
    buttons = [b for o in every for b in o.buttons]
    offices = offices or every  # no office had every handset welcomed: press them all the same
    per_tick = max(1, round(len(buttons) * 1.0 / config.status_every_s))
    rss0, started = service.rss(), time.monotonic()
    pressed, sent, lat = 0, 0, []
    while time.monotonic() - started < config.soak_s:
        tick = time.monotonic()
        presser.press(offices[pressed % len(offices)].buttons[2 % len(offices[0].buttons)])
        pressed += 1
        for _ in range(per_tick):
            presser.status(buttons[sent % len(buttons)])
            sent += 1
        if pressed % 5 == 0:
            lat += latencies(presser, await offers(gens))
        await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
    await asyncio.sleep(2.0)
    lat += latencies(presser, await offers(gens))
    rss1 = service.rss()
    return {
        "seconds": time.monotonic() - started,
        "presses": pressed,
        "statuses": sent,
        "rss0": rss0,
        "rss1": rss1,
        "growth": (rss1 - rss0) / rss0,
        "p99_s": pct(lat, 99),
    }


async def count_recorded(
    base: str, offices: list[ScaleOffice], pressed: dict[str, list[float]], within_s: float = 60
) -> dict[str, Any]:
    """Alarms the service recorded for the pressed devices, against the presses sent; asked
    again until all are there or `within_s` passed (how long that took is printed)."""
    owner = {b: o for o in offices for b in o.buttons}
    per_device = {device: len(times) for device, times in pressed.items()}
    started = time.monotonic()
    while True:
        found = await _recorded_once(base, {owner[d].office_id for d in per_device}, per_device)
        found["waited_s"] = time.monotonic() - started
        if found["lost"] == 0 or found["waited_s"] > within_s:
            return found
        await asyncio.sleep(2.0)


async def _recorded_once(
    base: str, office_ids: set[str], per_device: dict[str, int]
) -> dict[str, Any]:
    found = {"presses": sum(per_device.values()), "recorded": 0, "closed": 0, "unanswered": 0}
    gate = asyncio.Semaphore(20)
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:

        async def one(office_id: str) -> None:
            try:
                async with gate:
                    response = await http.get(
                        "/api/v1/alarms",
                        params={"limit": 500},
                        headers={"Authorization": f"Bearer demo-{office_id}-api"},
                    )
                response.raise_for_status()
            except httpx.HTTPError:  # a service too busy to answer: counted, asked again
                found["unanswered"] += 1
                return
            alarms = [a for a in response.json() if a["device_id"] in per_device]
            mine: dict[str, int] = defaultdict(int)
            for alarm in alarms:
                mine[alarm["device_id"]] += 1
            found["recorded"] += sum(min(n, per_device[d]) for d, n in mine.items())
            found["closed"] += sum(1 for a in alarms if a["closed_at"] is not None)

        await asyncio.gather(*(one(o) for o in office_ids))
    found["lost"] = found["presses"] - found["recorded"]
    return found
