"""The run's users, recording everything: handsets that reconnect and resume (the leader takes
the leader role and gives the all-clear), and buttons whose presses are published at QoS 1."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import paho.mqtt.client as mqtt
import websockets
from paho.mqtt.enums import CallbackAPIVersion

from app.service.ports import PressKey
from app.service.presses import alarm_id_for

RECONNECT_S = 0.3
ANSWER_S = 0.2  # the leader gives the all-clear this long after taking the role
OPEN_TIMEOUT_S = 5.0
RETRY_S = 5.0  # a button repeats a press that heard no feedback this long
MAX_SENDS = 5


@dataclass
class Received:
    """One alarm frame as a handset saw it, on the run's own clock."""

    alarm_id: str
    office_id: str
    role_id: str | None  # None for an alarm_notice
    at: float
    shared: bool = False


@dataclass
class HandsetLog:
    token: str
    office_id: str
    leader: bool
    slow: bool = False
    person_id: str | None = None
    intervals: list[list[float]] = field(default_factory=list)  # [welcomed, closed or inf]
    received: list[Received] = field(default_factory=list)
    closed_seen: dict[str, float] = field(default_factory=dict)  # alarm id → when

    def connected_through(self, start: float, end: float) -> bool:
        return any(w <= start and c >= end for w, c in self.intervals)

    def got_offer(self, alarm_id: str, role_id: str) -> bool:
        return any(r.alarm_id == alarm_id and r.role_id == role_id for r in self.received)


class Handset:
    """A handset over the handset proxy: it reconnects after every drop with `resume`."""

    def __init__(self, ws_url: str, log: HandsetLog) -> None:
        self.ws_url, self.log = ws_url, log
        self.max_seq = 0
        self._answered: set[str] = set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(OSError, websockets.WebSocketException, TimeoutError):
                await self._session(stop)
            if self.log.intervals and self.log.intervals[-1][1] == float("inf"):
                self.log.intervals[-1][1] = time.time()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), RECONNECT_S)

    async def _session(self, stop: asyncio.Event) -> None:
        async with websockets.connect(self.ws_url, open_timeout=OPEN_TIMEOUT_S) as ws:
            hello: dict[str, Any] = {"type": "hello", "token": self.log.token}
            if self.max_seq:
                hello["resume"] = self.max_seq
            await ws.send(json.dumps(hello))
            closer = asyncio.create_task(_close_on(stop, ws))
            try:
                async for raw in ws:
                    await self._frame(ws, json.loads(raw))
            finally:
                closer.cancel()

    async def _frame(self, ws: Any, frame: dict[str, Any]) -> None:
        self.max_seq = max(self.max_seq, int(frame.get("event_seq", 0)))
        kind, now = frame.get("type"), time.time()
        if kind == "welcome":
            self.log.person_id = frame.get("person_id") or frame.get("person")
            self.log.intervals.append([now, float("inf")])
        elif kind == "ping":
            await ws.send(json.dumps({"type": "pong", "nonce": frame["nonce"]}))
        elif kind in ("alarm", "alarm_notice"):
            offer = frame.get("offer") or {}
            self.log.received.append(
                Received(
                    frame["alarm_id"],
                    frame.get("office_id", ""),
                    offer.get("role_id"),
                    now,
                    bool(frame.get("shared")),
                )
            )
            if offer.get("leader"):
                await self._lead(ws, frame["alarm_id"], offer["role_id"])
        elif kind == "alarm_closed":
            self.log.closed_seen.setdefault(frame["alarm_id"], now)

    async def _lead(self, ws: Any, alarm_id: str, role_id: str) -> None:
        await ws.send(json.dumps({"type": "accept", "alarm_id": alarm_id, "role_id": role_id}))
        asyncio.get_running_loop().call_later(
            ANSWER_S, _send_later, ws, {"type": "all_clear", "alarm_id": alarm_id}
        )


_LATER: set[asyncio.Task[None]] = set()


def _send_later(ws: Any, frame: dict[str, Any]) -> None:
    async def send() -> None:
        with contextlib.suppress(websockets.WebSocketException, OSError):
            await ws.send(json.dumps(frame))

    task = asyncio.ensure_future(send())
    _LATER.add(task)
    task.add_done_callback(_LATER.discard)


async def _close_on(stop: asyncio.Event, ws: Any) -> None:
    await stop.wait()
    await ws.close()


async def slow_handset(ws_url: str, token: str, hold_s: float) -> None:
    """A handset that says hello and then reads nothing for `hold_s` (its buffers fill up)."""
    with contextlib.suppress(OSError, websockets.WebSocketException, TimeoutError):
        async with websockets.connect(ws_url, max_queue=1, open_timeout=OPEN_TIMEOUT_S) as ws:
            await ws.send(json.dumps({"type": "hello", "token": token}))
            ws.transport.pause_reading()
            await asyncio.sleep(hold_s)


@dataclass
class Press:
    device_id: str
    office_id: str
    seq: int
    payload: bytes
    published_at: float
    acked_at: float | None = None
    replay: bool = False
    sends: int = 1  # more than one: the button repeated it, having heard no feedback
    alarm_id: str = ""  # the alarm the service names this press by (its feedback says it)
    ordinal: int = 0  # the device's nth press: answered once its device heard n feedbacks
    flood: bool = False  # one of a flood: repeated only when its device hears nothing at all


class Buttons:
    """Every button of the run on one paho client with a persistent session, so a press that
    was not yet acknowledged is sent again after a broker restart. Like a careful native button,
    a press that hears no feedback on its device's topic within `RETRY_S` is published again,
    the same bytes (the service de-duplicates them): a broker that crashed after acknowledging
    a press, before anyone took it, cannot lose it for good."""

    def __init__(self, host: str, port: int) -> None:
        self.presses: list[Press] = []
        self._by_mid: dict[int, Press] = {}
        self._early: dict[int, float] = {}  # acknowledged before publish() returned
        self._lock = threading.Lock()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"prove-buttons-{uuid.uuid4().hex[:8]}",
            clean_session=False,
        )
        self.client.max_queued_messages_set(0)
        self.client.on_publish = self._on_publish
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_feedback
        self.answered: set[str] = set()  # alarm ids some feedback has named
        self.heard: Counter[str] = Counter()  # feedback messages per device
        self.last_heard: dict[str, float] = {}  # when a device last heard feedback
        self._made: Counter[str] = Counter()  # presses per device
        self.client.reconnect_delay_set(1, 2)
        self.client.connect_async(host, port, keepalive=10)
        self.client.loop_start()

    def press(self, device_id: str, office_id: str, seq: int, flood: bool = False) -> Press:
        ts = datetime.now(UTC).isoformat(timespec="milliseconds")
        body = {"event": "press", "seq": seq, "gesture": "single", "ts": ts}
        press = self._publish(device_id, office_id, seq, json.dumps(body).encode())
        stamp = datetime.fromisoformat(ts).isoformat()  # as the service keys it
        press.alarm_id = alarm_id_for(PressKey(device_id, seq, stamp))
        self._made[device_id] += 1
        press.ordinal, press.flood = self._made[device_id], flood
        return press

    def replay(self, press: Press) -> Press:
        """The same bytes again, as an attacker who captured them would send them."""
        replayed = self._publish(press.device_id, press.office_id, press.seq, press.payload)
        replayed.replay = True
        return replayed

    def _publish(self, device_id: str, office_id: str, seq: int, payload: bytes) -> Press:
        press = Press(device_id, office_id, seq, payload, time.time())
        self.presses.append(press)
        # paho calls on_publish holding its own lock, so ours is never held around publish().
        info = self.client.publish(f"rollekort/v1/trigger/{device_id}", payload, qos=1)
        with self._lock:
            early = self._early.pop(info.mid, None)
            if early is None:
                self._by_mid[info.mid] = press
        press.acked_at = early
        return press

    def _on_publish(self, client: Any, userdata: Any, mid: int, *args: Any) -> None:
        now = time.time()
        with self._lock:
            press = self._by_mid.pop(mid, None)
            if press is None:
                self._early[mid] = now
        if press is not None:
            press.acked_at = now

    def repeat_unheard(self, now: float) -> int:
        """Publish again every press whose alarm no feedback has named since it was sent."""
        repeated = 0
        for press in list(self.presses):
            quiet = now - press.published_at > RETRY_S * press.sends
            silent = now - self.last_heard.get(press.device_id, 0.0) > RETRY_S
            if not quiet or (press.flood and not silent) or not self._waiting(press):
                continue
            press.sends += 1
            self.client.publish(f"rollekort/v1/trigger/{press.device_id}", press.payload, qos=1)
            repeated += 1
        return repeated

    def unheard(self) -> int:
        """Presses that heard no feedback yet and will still be repeated."""
        return sum(self._waiting(p) for p in self.presses)

    def _waiting(self, press: Press) -> bool:
        """A press waits until some feedback named its own alarm. Feedback carries no seq, so a
        press of a flood (never published again) counts as heard once its device heard as many
        feedbacks as it made presses up to it: a repeat's feedback names the open alarm, a late
        one's the closed alarm. Not for the others: a duplicate's feedback would count too,
        and a press the broker lost would never be published again."""
        if press.replay or press.sends > MAX_SENDS or press.alarm_id in self.answered:
            return False
        return not press.flood or self.heard[press.device_id] < press.ordinal

    def _on_connect(self, client: Any, userdata: Any, *args: Any) -> None:
        client.subscribe("rollekort/v1/feedback/+", qos=1)

    def _on_feedback(self, client: Any, userdata: Any, message: Any) -> None:
        """Feedback names the alarm: of this press, or (a repeat) of the open alarm it joined,
        in which case the button repeats a few times more, harmlessly (the same key)."""
        with contextlib.suppress(ValueError, AttributeError):
            self.answered.add(str(json.loads(message.payload).get("alarm_id")))
            device = message.topic.rsplit("/", 1)[-1]
            self.heard[device] += 1
            self.last_heard[device] = time.time()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
