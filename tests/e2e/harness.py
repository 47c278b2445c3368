"""A real Rollekort on loopback for end-to-end tests: uvicorn serving create_app, a real broker,
a real database, and handset clients speaking the websocket protocol."""

from __future__ import annotations

import asyncio
import contextlib
import json
import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import uvicorn
import websockets
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from app.adapters.db.engine import upgrade_async
from app.adapters.mqtt.ingest import BrokerAddress
from app.main import WS_PER_MESSAGE_DEFLATE, create_app
from app.service.clock import Clock
from app.settings import Settings
from tests.conftest import DEMO_OFFICE, free_port

TIMEOUT = 15.0


@dataclass
class Running:
    settings: Settings
    base: str
    server: uvicorn.Server

    @property
    def ws_url(self) -> str:
        return self.base.replace("http://", "ws://") + "/ws/handset"

    @property
    def broker_url(self) -> str:
        return self.settings.broker_url


def office_file(tmp: Path, **role_deadlines: int) -> Path:
    """The demo office, with shorter accept deadlines where a test needs to wait for them."""
    data = yaml.safe_load(DEMO_OFFICE.read_text())
    for role in data["rolecard"]["roles"]:
        if role["id"] in role_deadlines:
            role["accept_within_s"] = role_deadlines[role["id"]]
    path = tmp / f"office-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


def settings_for(broker: str, db: str, config: Path = DEMO_OFFICE, **extra: Any) -> Settings:
    # the VAPID key never lands in the working tree (with PostgreSQL it would go to the cwd)
    extra.setdefault("vapid_key_file", Path(tempfile.mkdtemp()) / "rollekort-vapid.pem")
    return Settings(
        config=config,
        broker=broker,
        embedded_broker_port=free_port(),
        db=db,
        port=free_port(),
        mqtt_client_id=f"rollekort-test-{uuid.uuid4().hex[:8]}",
        **extra,
    )


@contextlib.asynccontextmanager
async def service(
    settings: Settings, migrate: bool = True, clock: Clock | None = None
) -> AsyncIterator[Running]:
    """`clock`: the service's clock (a test that moves the day forward); the system's if None."""
    if migrate:
        await upgrade_async(settings.db)
    failed: list[str] = []  # a lost leadership or failed promotion, instead of exiting pytest
    app = create_app(settings, clock, fatal=failed.append)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=settings.port,
        log_level="warning",
        ws_per_message_deflate=WS_PER_MESSAGE_DEFLATE,
        ws_max_size=settings.ws_max_bytes,  # as `rollekort serve`
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(TIMEOUT):
            while not server.started or getattr(app.state, "services", None) is None:
                if task.done():  # on PostgreSQL it serves as a standby before it leads
                    task.result()
                assert not failed, failed
                await asyncio.sleep(0.02)
        yield Running(settings, f"http://127.0.0.1:{settings.port}", server)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 2 * TIMEOUT)


def forget_session(settings: Settings) -> None:
    """Remove the service's persistent session from a shared broker after a test."""
    address = BrokerAddress.parse(settings.broker_url)
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=settings.mqtt_client_id, clean_session=True
    )
    with contextlib.suppress(OSError):
        client.connect(address.host, address.port)
        client.loop_start()
        client.disconnect()
        client.loop_stop()


@dataclass
class Handset:
    """A handset speaking protocol v1; frames it has not been asked about yet wait in `inbox`."""

    ws: Any
    inbox: list[dict[str, Any]] = field(default_factory=list)
    max_seq: int = 0

    @classmethod
    @contextlib.asynccontextmanager
    async def connect(
        cls, running: Running, token: str, resume: int | None = None
    ) -> AsyncIterator[Handset]:
        async with websockets.connect(running.ws_url) as ws:
            hello: dict[str, Any] = {"type": "hello", "token": token}
            if resume is not None:
                hello["resume"] = resume
            await ws.send(json.dumps(hello))
            yield cls(ws)

    async def send(self, **frame: Any) -> None:
        await self.ws.send(json.dumps(frame))

    async def expect(self, frame_type: str, **match: Any) -> dict[str, Any]:
        """The next frame of this type whose fields match, waiting up to the timeout."""
        for i, frame in enumerate(self.inbox):
            if _matches(frame, frame_type, match):
                return self.inbox.pop(i)
        async with asyncio.timeout(TIMEOUT):
            while True:
                frame = json.loads(await self.ws.recv())
                self.max_seq = max(self.max_seq, frame.get("event_seq", 0))
                if frame["type"] == "ping":
                    await self.send(type="pong", nonce=frame["nonce"])
                    continue
                if _matches(frame, frame_type, match):
                    return frame
                self.inbox.append(frame)


def _matches(frame: dict[str, Any], frame_type: str, match: dict[str, Any]) -> bool:
    if frame["type"] != frame_type:
        return False
    for key, want in match.items():
        got = frame
        for part in key.split("__"):
            got = got.get(part) if isinstance(got, dict) else None
        if got != want:
            return False
    return True
