"""`rollekort sim load`: many offices pressing at once against the real service, to find loss."""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
import websockets
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.shipped import demo_office
from simulator.service import mqtt_client, serving

ANSWER_DELAY_S = 0.05  # assumption: the leader gives the all-clear this soon after accepting
PRESS_TIMEOUT_S = 10.0  # assumption: a press with no offer (or close) by then counts as lost


@dataclass
class LoadOffice:
    """One generated office: its id, its desk button, and the tokens a load run needs."""

    office_id: str
    device_id: str
    leader_token: str
    other_tokens: list[str]
    api_token: str


def generate(folder: Path, offices: int, handsets_per_office: int) -> list[LoadOffice]:
    """Write N copies of the demo office with unique office, device, handset and token ids."""
    folder.mkdir(parents=True, exist_ok=True)
    demo = yaml.safe_load(demo_office().read_text(encoding="utf-8"))
    out: list[LoadOffice] = []
    for n in range(1, offices + 1):
        oid = f"load-{n:03d}"
        data = json.loads(json.dumps(demo))  # a deep copy of plain YAML data
        data["office"]["id"], data["office"]["name"] = oid, f"Load office {n}"
        for device in data["devices"]:
            device["id"] = f"{oid}-{device['id']}"
        for handset in data["handsets"]:
            handset["id"] = f"{oid}-{handset['id']}"
            handset["token"] = f"demo-{oid}-{handset['person']}"
        for extra in range(len(data["handsets"]) + 1, handsets_per_office + 1):
            person = f"staff-{extra}"
            data["people"].append({"id": person, "name": f"Staff {extra}"})
            data["handsets"].append(
                {"id": f"{oid}-hs-{person}", "person": person, "token": f"demo-{oid}-{person}"}
            )
        data["api_tokens"] = [{"token": f"demo-{oid}-api", "role": "coordinator", "offices": [oid]}]
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
        (folder / f"{oid}.yaml").write_text(text, encoding="utf-8")
        others = [h["token"] for h in data["handsets"] if h["person"] != "lise"]
        out.append(LoadOffice(oid, f"{oid}-desk-1", f"demo-{oid}-lise", others, f"demo-{oid}-api"))
    return out


@dataclass
class _Pending:
    offered: asyncio.Future[str]  # the alarm id, on the leader's offer
    closed: asyncio.Future[None]
    alarm_id: str | None = None


@dataclass
class LoadResult:
    sent: int = 0
    offers: int = 0  # alarm frames with an offer, on every handset
    offered: int = 0  # presses whose alarm reached the leader's handset
    unsent: int = 0  # not pressed: the run hit its time bound
    recorded: int = 0
    resolved: int = 0
    samples_ms: list[float] = field(default_factory=list)
    alarms: list[tuple[str, str]] = field(default_factory=list)  # (office, alarm id)
    errors: list[str] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return self.sent - self.resolved


class _Load:
    def __init__(self, offices: list[LoadOffice], http: str, broker: str, answer_s: float) -> None:
        self.offices, self.http, self.broker, self.answer_s = offices, http, broker, answer_s
        self.ws_url = http.replace("http://", "ws://") + "/ws/handset"
        self.pending: dict[str, _Pending | None] = {o.office_id: None for o in offices}
        self.result = LoadResult()

    async def handset(self, office: LoadOffice, token: str, ready: asyncio.Event) -> None:
        """One connected handset; the office's leader accepts and gives the all-clear."""
        leader = token == office.leader_token
        async with websockets.connect(self.ws_url) as ws:
            await ws.send(json.dumps({"type": "hello", "token": token}))
            async for raw in ws:
                frame: dict[str, Any] = json.loads(raw)
                kind = frame.get("type")
                if kind == "welcome":
                    ready.set()
                elif kind == "ping":
                    await ws.send(json.dumps({"type": "pong", "nonce": frame["nonce"]}))
                elif kind == "alarm" and frame.get("offer"):
                    self.result.offers += 1
                    if leader:
                        await self._lead(ws, office, frame)
                elif kind == "alarm_closed" and leader:
                    p = self.pending[office.office_id]
                    if p and p.alarm_id == frame.get("alarm_id") and not p.closed.done():
                        p.closed.set_result(None)

    async def _lead(self, ws: Any, office: LoadOffice, frame: dict[str, Any]) -> None:
        p = self.pending[office.office_id]
        alarm_id, role = frame["alarm_id"], frame["offer"]["role_id"]
        if p is None or p.offered.done() or role != "leader":
            return
        p.alarm_id = alarm_id
        p.offered.set_result(alarm_id)
        await ws.send(json.dumps({"type": "accept", "alarm_id": alarm_id, "role_id": role}))
        await asyncio.sleep(self.answer_s)  # this handset's pings wait meanwhile: harmless
        await ws.send(json.dumps({"type": "all_clear", "alarm_id": alarm_id}))

    async def press(self, pub: mqtt.Client, office: LoadOffice, seq: int) -> None:
        """Press the office's desk button and wait for the offer and the close (or a timeout)."""
        loop = asyncio.get_running_loop()
        p, sent_ns = _Pending(loop.create_future(), loop.create_future()), time.monotonic_ns()
        self.pending[office.office_id] = p
        payload = json.dumps({"event": "press", "seq": seq, "gesture": "single", "ts": _now_iso()})
        pub.publish(f"rollekort/v1/trigger/{office.device_id}", payload.encode(), qos=1)
        self.result.sent += 1
        try:
            alarm_id = await asyncio.wait_for(asyncio.shield(p.offered), PRESS_TIMEOUT_S)
            self.result.samples_ms.append((time.monotonic_ns() - sent_ns) / 1e6)
            self.result.offered += 1
            self.result.alarms.append((office.office_id, alarm_id))
            await asyncio.wait_for(asyncio.shield(p.closed), PRESS_TIMEOUT_S)
        except TimeoutError:
            self.result.errors.append(f"{office.device_id} seq {seq}: no offer or close in time")
        finally:
            self.pending[office.office_id] = None

    def read_back(self) -> None:
        """Count the alarms the service recorded and resolved, asked with each office's token."""
        token = {o.office_id: o.api_token for o in self.offices}
        for office, alarm_id in self.result.alarms:
            auth = {"Authorization": f"Bearer {token[office]}"}
            request = urllib.request.Request(f"{self.http}/api/v1/alarms/{alarm_id}", headers=auth)
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    status = str(json.load(response)["status"])
            except (urllib.error.HTTPError, OSError) as err:
                self.result.errors.append(f"{alarm_id}: not read back ({err})")
                continue
            self.result.recorded += 1
            self.result.resolved += status == "resolved"


async def run_load(
    offices: list[LoadOffice],
    http: str,
    broker: str,
    presses: int,
    concurrency: int,
    max_seconds: float,
    console: Console,
) -> LoadResult:
    """Connect every handset, press `presses` times over at most `concurrency` offices at once,
    stop after `max_seconds`, and read the alarms back from the API."""
    load = _Load(offices, http, broker, ANSWER_DELAY_S)
    tasks: list[asyncio.Task[None]] = []
    ready: list[asyncio.Event] = []
    for office in offices:
        for token in [office.leader_token, *office.other_tokens]:
            ready.append(asyncio.Event())
            tasks.append(asyncio.create_task(load.handset(office, token, ready[-1])))
    pub = mqtt_client(broker, "rollekort-load")
    free: asyncio.Queue[LoadOffice] = asyncio.Queue()
    for office in offices:
        free.put_nowait(office)
    numbers = iter(range(presses))
    seq = time.time_ns() // 1000
    deadline = time.monotonic() + max_seconds
    columns = (
        TextColumn("presses, {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    try:
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in ready)), 30)
        with Progress(*columns, console=console, disable=not console.is_terminal) as bar:
            task = bar.add_task("presses", total=presses)

            async def worker() -> None:
                for n in numbers:
                    if time.monotonic() > deadline:
                        load.result.unsent += 1
                        continue
                    office = await free.get()  # one press in flight per office
                    await load.press(pub, office, seq + n)
                    free.put_nowait(office)
                    bar.update(task, advance=1, description=f"lost {len(load.result.errors)}")

            workers = max(1, min(concurrency, len(offices)))
            await asyncio.gather(*(worker() for _ in range(workers)))
    finally:
        pub.disconnect()
        pub.loop_stop()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.to_thread(load.read_back)
    return load.result


def check_loopback(url: str) -> None:
    if urlparse(url).hostname not in {"127.0.0.1", "localhost", "::1"}:
        raise ValueError(f"{url}: load runs against loopback only (127.0.0.1, localhost, ::1)")


@contextlib.asynccontextmanager
async def target(
    offices: int, handsets: int, url: str | None, broker: str | None
) -> AsyncIterator[tuple[list[LoadOffice], str, str]]:
    """The generated offices and the service to load: started here unless `url` is given (then
    it must be serving a folder generated with the same counts, e.g. by `--write-offices`)."""
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp) / "offices"
        generated = generate(where, offices, handsets)
        if url is not None:
            yield generated, url.rstrip("/"), broker or "mqtt://127.0.0.1:1883"
            return
        with serving(where, Path(tmp), broker=broker, db=None, name="load") as (http, mqtt_url, _):
            yield generated, http, mqtt_url


def summary(result: LoadResult, presses: int) -> Table:
    """Counts and press → offer percentiles; lost is pressed minus recorded-and-resolved."""
    table = Table(title="Load summary (press → offer: leader handset)", title_justify="left")
    table.add_column("measure")
    table.add_column("value", justify="right")
    rows = [
        ("presses sent", f"{result.sent} of {presses}"),
        ("not sent (time bound)", str(result.unsent)),
        ("offers received (all handsets)", str(result.offers)),
        ("alarms offered to a leader", str(result.offered)),
        ("alarms recorded", str(result.recorded)),
        ("alarms resolved", str(result.resolved)),
        ("lost", f"[red]{result.lost}[/red]" if result.lost else "0"),
    ]
    if len(ms := result.samples_ms) >= 2:
        cuts = statistics.quantiles(ms, n=100, method="inclusive")
        rows += [(f"p{q} ms", f"{cuts[q - 1]:.1f}") for q in (50, 90, 99)]
        rows.append(("max ms", f"{max(ms):.1f}"))
    for row in rows:
        table.add_row(*row)
    return table


def _now_iso() -> str:
    """The press's time, as a button with a clock sends it (`ts`): a press made right after an
    all-clear is told by it from one queued before the all-clear (docs/devices.md)."""
    return datetime.now(UTC).isoformat()
