"""A Mosquitto of the test's own on a free port (persistence on), so a test may restart it or
give it settings the shared one does not have."""

from __future__ import annotations

import getpass
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

MOSQUITTO_BIN = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class PrivateMosquitto:
    """A Mosquitto of our own (persistence on), so a test may restart it."""

    conf: Path
    port: int
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def launch(self) -> None:
        self.procs.append(subprocess.Popen([MOSQUITTO_BIN, "-c", str(self.conf)]))
        deadline = time.monotonic() + 5
        while not reachable("127.0.0.1", self.port):
            assert time.monotonic() < deadline, "private mosquitto did not start"
            time.sleep(0.05)

    def terminate(self) -> None:
        self.procs[-1].terminate()
        self.procs[-1].wait(5)

    def restart(self) -> None:
        self.terminate()
        self.launch()


def private_mosquitto_at(tmp_path: Path) -> Iterator[PrivateMosquitto]:
    """For a fixture: `yield from private_mosquitto_at(tmp_path)`; skips without the binary."""
    if not Path(MOSQUITTO_BIN).exists():
        pytest.skip("mosquitto binary not installed")
    port = free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
        f"persistence_location {tmp_path}/\nlog_dest none\n"
        f"user {getpass.getuser()}\n"  # as root, mosquitto would switch user and lose tmp_path
    )
    broker = PrivateMosquitto(conf, port)
    broker.launch()
    yield broker
    broker.terminate()
