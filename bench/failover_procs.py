"""The processes of `rollekort bench failover`: a Mosquitto of its own (the shipped configuration
on a loopback port), a fresh PostgreSQL database, N replicas of `rollekort serve` and HAProxy
with the shipped deploy/haproxy/haproxy.cfg (its `bind` and `server` lines moved to loopback).

Every replica has the same settings (office, broker, client id, database, data folder with the
shared chain key), as in compose.yaml; only its port and name differ. Which one leads is read
from outside, from each replica's `/readyz` (200: leads; 503 `standby`: waits)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from simulator.prove.cluster import haproxy_config as shipped_haproxy
from simulator.prove.procs import Mosquitto, free_port, wait_port

ROOT = Path(__file__).resolve().parent.parent
HAPROXY_BIN = shutil.which("haproxy") or "/usr/sbin/haproxy"
START_TIMEOUT_S = 120.0  # a cold start on a loaded two-core machine, migrations included


class Role:
    LEADER = "leader"
    STANDBY = "standby"
    DOWN = "down"  # not answering, starting, or answering something else


@dataclass
class Replica:
    """One `rollekort serve`, started again (as a standby) after each kill."""

    name: str
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self) -> None:
        env = {
            **os.environ,
            **self.env,
            "ROLLEKORT_PORT": str(self.port),
            "ROLLEKORT_REPLICA_ID": self.name,
        }
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "app", "serve"],
                env=env,
                cwd=self.log.parent,
                stdout=out,
                stderr=out,
            )

    def role(self) -> str:
        try:
            with urllib.request.urlopen(f"{self.http}/readyz", timeout=1) as response:
                return Role.LEADER if response.status == 200 else Role.DOWN
        except urllib.error.HTTPError as err:
            body = err.read().decode(errors="replace")
            return Role.STANDBY if err.code == 503 and _says_standby(body) else Role.DOWN
        except OSError:
            return Role.DOWN

    def wait_up(self, timeout_s: float = START_TIMEOUT_S) -> str:
        """Until it leads or stands by; its role then. RuntimeError if it exits meanwhile."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.running:
                raise RuntimeError(f"replica {self.name} exited; see {self.log}")
            role = self.role()
            if role != Role.DOWN:
                return role
            time.sleep(0.1)
        raise TimeoutError(f"replica {self.name} not up within {timeout_s:.0f} s: {self.log}")

    def kill(self) -> None:
        """SIGKILL, as a machine that dies: no goodbye to the broker or the database."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.kill()

    def cpu_s(self) -> float:
        if not self.running:
            return 0.0
        assert self.proc is not None
        times = psutil.Process(self.proc.pid).cpu_times()
        return float(times.user + times.system)


def _says_standby(body: str) -> bool:
    try:
        return bool(json.loads(body).get("status") == Role.STANDBY)
    except (ValueError, AttributeError):
        return False


def haproxy_config(port: int, servers: list[tuple[str, int]]) -> str:
    """The shipped configuration with its listener on loopback `port` and its servers replaced
    by `servers` (name, loopback port); every other line as shipped (it logs to stdout)."""
    return shipped_haproxy(port, servers)


@dataclass
class HAProxy:
    config: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        return Path(HAPROXY_BIN).exists()

    def start(self, servers: list[tuple[str, int]]) -> None:
        log = self.config.with_suffix(".log")
        self.config.write_text(haproxy_config(self.port, servers), encoding="utf-8")
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [HAPROXY_BIN, "-f", str(self.config)], stdout=out, stderr=out
            )
        wait_port(self.port, 30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(15)


@dataclass
class Cluster:
    """Mosquitto, a database, `size` replicas (started on demand) and HAProxy before them all."""

    workdir: Path
    db_url: str
    size: int
    office: Path
    broker: Mosquitto = field(init=False)
    replicas: list[Replica] = field(default_factory=list)
    haproxy: HAProxy = field(init=False)

    def __post_init__(self) -> None:
        self.broker = Mosquitto(self.workdir / "mosquitto")
        self.haproxy = HAProxy(self.workdir / "haproxy.cfg")
        env = {
            "ROLLEKORT_CONFIG": str(self.office),
            "ROLLEKORT_BROKER": self.broker.url,
            "ROLLEKORT_DB": self.db_url,
            "ROLLEKORT_HOST": "127.0.0.1",
            "ROLLEKORT_MQTT_CLIENT_ID": f"rollekort-failover-{uuid.uuid4().hex[:8]}",
            "ROLLEKORT_DATA_DIR": str(self.workdir / "data"),
            "ROLLEKORT_CHAIN_KEY_FILE": str(self.workdir / "data" / "chain.key"),
            "ROLLEKORT_VAPID_KEY_FILE": str(self.workdir / "data" / "vapid.pem"),
            "ROLLEKORT_LOG_LEVEL": "WARNING",
        }
        for i in range(1, self.size + 1):
            log = self.workdir / f"replica-{i}.log"
            self.replicas.append(Replica(f"replica-{i}", env, log))

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.haproxy.port}"

    def start(self, replicas: int) -> None:
        """The broker, HAProxy (knowing every replica) and the first `replicas` of them, which
        share one chain key (made here, as compose's `setup` makes it)."""
        key = self.workdir / "data" / "chain.key"
        key.parent.mkdir(parents=True, exist_ok=True)
        key.write_text(secrets.token_hex(32) + "\n", encoding="utf-8")
        key.chmod(0o600)
        self.broker.start()
        self.haproxy.start([(r.name, r.port) for r in self.replicas])
        self.grow(replicas)

    def grow(self, replicas: int) -> None:
        """Start replicas until `replicas` run, one after another (the first one leads)."""
        for replica in self.replicas[:replicas]:
            if not replica.running:
                replica.start()
                replica.wait_up()

    def leader(self, timeout_s: float = START_TIMEOUT_S) -> Replica:
        """The one replica that leads, read from outside; TimeoutError if none, or several."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            leading = [r for r in self.replicas if r.running and r.role() == Role.LEADER]
            if len(leading) == 1:
                return leading[0]
            time.sleep(0.05)
        raise TimeoutError(f"no single leader within {timeout_s:.0f} s")

    def cpu_s(self) -> float:
        return sum(r.cpu_s() for r in self.replicas)

    def stop(self) -> None:
        self.haproxy.stop()
        for replica in self.replicas:
            replica.stop()
        self.broker.stop()
