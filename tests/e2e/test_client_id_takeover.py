"""One device login must not silence the service (issue 12, hole 1). With the shipped Mosquitto
configuration (deploy/mosquitto/mosquitto.conf, only paths and port changed) and the generated
accounts, and with the embedded broker given the same accounts: someone holding one device's
password connects again and again with the client ids of the service's two connections, of the
service's account and of another device, with clean sessions. The other device stays connected,
the service stays connected (/readyz never flaps) and takes in every press that device makes
meanwhile."""

from __future__ import annotations

import asyncio
import getpass
import json
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
import yaml
from paho.mqtt.enums import CallbackAPIVersion
from typer.testing import CliRunner

from app.cli import cli
from app.services import Services
from app.settings import Settings
from devices.topics import trigger_topic
from tests.conftest import DEMO_OFFICE, ROOT, free_port, reachable
from tests.e2e.harness import Running, service, settings_for

SHIPPED = ROOT / "deploy" / "mosquitto" / "mosquitto.conf"
MOSQUITTO_BIN = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
PASSWORDS = {"svc": "svc-pass", "dev-a": "pass-a", "dev-b": "pass-b"}
PRESSES = 8


def office_with_accounts(tmp: Path) -> Path:
    data = yaml.safe_load(DEMO_OFFICE.read_text())
    data["mqtt"] = {
        "service": {"username": "svc", "password": PASSWORDS["svc"]},
        "clients": [
            {"username": "dev-a", "password": PASSWORDS["dev-a"], "devices": ["desk-1"]},
            {"username": "dev-b", "password": PASSWORDS["dev-b"], "devices": ["worn-1"]},
        ],
    }
    path = tmp / "office.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


def shipped_config(tmp: Path, port: int, accounts: Path) -> Path:
    """The production file with this machine's paths and a free port; nothing else changed."""
    text = SHIPPED.read_text()
    for old, new in {
        "listener 1883\n": f"listener {port} 127.0.0.1\n",
        "persistence_location /mosquitto/data/": f"persistence_location {tmp}/",
        "password_file /mosquitto/config/passwd": f"password_file {accounts / 'passwords'}",
        "acl_file /mosquitto/config/acl": f"acl_file {accounts / 'acl'}",
        "log_dest stdout": f"log_dest file {tmp / 'mosquitto.log'}",
    }.items():
        assert old in text, f"the shipped configuration no longer has {old!r}"
        text = text.replace(old, new)
    conf = tmp / "mosquitto.conf"
    conf.write_text(text + f"user {getpass.getuser()}\n")  # as root it would switch user
    return conf


@pytest.fixture
def shipped_mosquitto(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    if not Path(MOSQUITTO_BIN).exists():
        pytest.skip("mosquitto binary not installed")
    office = office_with_accounts(tmp_path)
    accounts = tmp_path / "accounts"
    result = CliRunner().invoke(
        cli, ["mqtt", "acl", "--config", str(office), "--out", str(accounts)]
    )
    assert result.exit_code == 0, result.output
    port = free_port()
    proc = subprocess.Popen([MOSQUITTO_BIN, "-c", str(shipped_config(tmp_path, port, accounts))])
    try:
        deadline = time.monotonic() + 5
        while not reachable(("127.0.0.1", port)):
            assert proc.poll() is None, "mosquitto exited with the shipped configuration"
            assert time.monotonic() < deadline, "mosquitto did not start"
            time.sleep(0.05)
        yield port, office
    finally:
        proc.terminate()
        proc.wait(5)


@dataclass
class Device:
    """A device's own long-lived connection (persistent session), counting its disconnects."""

    client: mqtt.Client
    connected: threading.Event
    drops: list[Any]

    @classmethod
    def connect(cls, port: int, user: str, client_id: str) -> Device:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=False)
        client.username_pw_set(user, PASSWORDS[user])
        device = cls(client, threading.Event(), [])
        client.on_connect = lambda *_: device.connected.set()
        client.on_disconnect = lambda c, u, flags, reason, props: device.drops.append(reason)
        client.connect("127.0.0.1", port, keepalive=30)
        client.loop_start()
        assert device.connected.wait(5), "the device could not connect"
        return device

    def press(self, device_id: str, seq: int) -> None:
        body = json.dumps({"event": "press", "seq": seq})
        info = self.client.publish(trigger_topic(device_id), body, qos=1)
        info.wait_for_publish(5)
        assert info.is_published(), f"press {seq} not acknowledged by the broker"

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def take_over(port: int, user: str, client_ids: list[str], stop: threading.Event) -> int:
    """Connect as `user` with each of `client_ids` in turn (clean session) until `stop`; the
    number of logins the broker accepted (it accepts them: it only renames them)."""
    accepted = 0
    while not stop.is_set():
        for client_id in client_ids:
            client = mqtt.Client(
                CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True
            )
            client.username_pw_set(user, PASSWORDS[user])
            done = threading.Event()
            client.on_connect = lambda *_, done=done: done.set()
            try:
                client.connect("127.0.0.1", port, keepalive=30)
            except OSError:
                continue
            client.loop_start()
            accepted += done.wait(2)
            time.sleep(0.05)
            client.disconnect()
            client.loop_stop()
    return accepted


def presses_taken_in(running: Running) -> float:
    services: Services = running.server.config.app.state.services
    value = services.metrics.registry.get_sample_value(
        "rollekort_mqtt_messages_total", {"kind": "trigger"}
    )
    return value or 0.0


async def attack_while_pressing(running: Running, port: int) -> None:
    settings: Settings = running.settings
    victim = await asyncio.to_thread(Device.connect, port, "dev-a", f"desk-{uuid.uuid4().hex[:6]}")
    stop = threading.Event()
    ids = [settings.mqtt_client_id, "rollekort-service", "svc", "svc-feedback", "dev-a", "dev-a"]
    attacker = asyncio.create_task(asyncio.to_thread(take_over, port, "dev-b", ids, stop))
    not_ready: list[int] = []
    try:
        async with httpx.AsyncClient(base_url=running.base) as http:
            for seq in range(1, PRESSES + 1):
                await asyncio.to_thread(victim.press, "desk-1", seq)
                for _ in range(5):
                    status = (await http.get("/readyz")).status_code
                    not_ready += [status] if status != 200 else []
                    await asyncio.sleep(0.1)
            deadline = time.monotonic() + 15
            while presses_taken_in(running) < PRESSES and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.1)
    finally:
        stop.set()
        accepted = await attacker
        drops = list(victim.drops)
        await asyncio.to_thread(victim.close)
    assert accepted > 0, "the attacker never got in: the test proves nothing"
    assert not_ready == [], "the service lost its broker connection during the attack"
    assert drops == [], "another device's login disconnected this device"
    assert presses_taken_in(running) == PRESSES


async def test_shipped_mosquitto_ties_client_ids_to_accounts(
    shipped_mosquitto: tuple[int, Path], sqlite_url: str
) -> None:
    port, office = shipped_mosquitto
    broker = f"mqtt://svc:{PASSWORDS['svc']}@127.0.0.1:{port}"
    async with service(settings_for(broker, sqlite_url, config=office)) as running:
        await attack_while_pressing(running, port)


async def test_embedded_broker_ties_client_ids_to_accounts(sqlite_url: str, tmp_path: Path) -> None:
    settings = settings_for("embedded", sqlite_url, config=office_with_accounts(tmp_path))
    async with service(settings) as running:
        await attack_while_pressing(running, settings.embedded_broker_port)
