"""The processes a proof run owns: its own Mosquitto, its own PostgreSQL cluster and the service.

Each is started on a free loopback port so a run can kill and restart it without touching the
machine's shared servers; every start waits for readiness with a bound, every stop is bounded.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_MOSQUITTO = ROOT / "deploy" / "mosquitto" / "mosquitto.conf"
START_TIMEOUT_S = 120.0
# Lines of the shipped configuration that name container paths, the listener or accounts: a
# proof run replaces them with its own (an anonymous loopback listener, a temporary folder).
# `use_username_as_clientid` ties client ids to accounts, which an anonymous listener has not:
# Mosquitto would refuse every client without a username.
_REPLACED = (
    "listener",
    "use_username_as_clientid",
    "persistence_location",
    "password_file",
    "acl_file",
    "allow_anonymous",
    "log_dest",
    "log_type",
    "connection_messages",
    "log_timestamp",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout_s: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout_s:.0f} s")


def mosquitto_config(port: int, data: Path, shipped: bool) -> str:
    """The shipped production configuration (or Mosquitto's defaults) on a loopback port."""
    # The listener first: a listener-scoped line above any `listener` would open Mosquitto's
    # default listener on 1883 as well.
    lines = [f"listener {port} 127.0.0.1"]
    if shipped:
        for line in SHIPPED_MOSQUITTO.read_text(encoding="utf-8").splitlines():
            word = line.split(maxsplit=1)[0] if line.strip() else ""
            if word and not word.startswith("#") and word not in _REPLACED:
                lines.append(line)
        lines.append(f"persistence_location {data}/")
    lines += [
        "allow_anonymous true",
        f"log_dest file {data}/mosquitto.log",
    ]
    return "\n".join(lines) + "\n"


@dataclass
class Mosquitto:
    """A Mosquitto of the run's own, which faults may SIGKILL and start again on the same port."""

    data: Path
    shipped: bool = True
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("mosquitto") is not None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.data.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0 and _user_exists("mosquitto"):
            # Started as root, Mosquitto drops to its own user; without this it could write
            # neither its log nor its persistence file, and a restart would forget every session.
            shutil.chown(self.data, "mosquitto", "mosquitto")
        conf = self.data / "mosquitto.conf"
        conf.write_text(mosquitto_config(self.port, self.data, self.shipped), encoding="utf-8")
        self.proc = subprocess.Popen(["mosquitto", "-c", str(conf)], stderr=subprocess.DEVNULL)
        wait_port(self.port)

    def kill(self) -> None:
        _kill(self.proc)

    def stop(self) -> None:
        _terminate(self.proc)


@dataclass
class Postgres:
    """A PostgreSQL cluster of the run's own (initdb in a temporary folder, run as `postgres`),
    so a fault can restart it without disturbing anyone else's database."""

    data: Path
    port: int = field(default_factory=free_port)

    @staticmethod
    def binaries() -> Path | None:
        for base in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
            if (base / "initdb").exists():
                return base
        return None

    @classmethod
    def available(cls) -> bool:
        return cls.binaries() is not None and (os.geteuid() != 0 or _user_exists("postgres"))

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        if not (self.data / "PG_VERSION").exists():
            self.data.mkdir(parents=True, exist_ok=True)
            self._own(self.data)
            self._run("initdb", "-A", "trust", "-U", "postgres", "-D", str(self.data))
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.data / "server.log"), "-w",
            "-o", f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=on",
            "start",
        )  # fmt: skip

    def restart(self) -> None:
        """An immediate stop (no checkpoint, like a crash) and a start on the same port."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        self.start()

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def _own(self, path: Path) -> None:
        """Started as root, the cluster runs as `postgres`: it must own its folder and be able
        to pass through the run's (a temporary folder is private to its creator)."""
        if os.geteuid() != 0:
            return
        shutil.chown(path, "postgres", "postgres")
        shutil.chown(path.parent, "postgres", "postgres")
        for above in path.parents[1:]:
            if above == Path(tempfile.gettempdir()) or above == above.parent:
                break
            above.chmod(above.stat().st_mode | 0o011)

    def _run(self, tool: str, *args: str, check: bool = True) -> None:
        binaries = self.binaries()
        assert binaries is not None
        command = [str(binaries / tool), *args]
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, timeout=START_TIMEOUT_S, text=True)
        if check and done.returncode != 0:
            raise RuntimeError(f"{tool} failed ({done.returncode}): {done.stderr.strip()}")


@dataclass
class Service:
    """`rollekort serve` as its own process, started again after each kill."""

    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: bool = True) -> None:
        """Start it; with `wait`, until /readyz answers 200 (a standby replica never does)."""
        env = {**os.environ, **self.env, "ROLLEKORT_PORT": str(self.port)}
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "app", "serve"], env=env, cwd=ROOT, stdout=out, stderr=out
            )
        self.starts += 1
        if wait:
            self.wait_ready()

    @staticmethod
    def answers_ready(http: str) -> bool:
        """True if `http`/readyz answers 200 now."""
        try:
            with urllib.request.urlopen(f"{http}/readyz", timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def role(self) -> str:
        """What its /readyz says: "ok" on the leader, "standby" on a standby, "down" if no
        answer (issue 14)."""
        try:
            with urllib.request.urlopen(f"{self.http}/readyz", timeout=1) as response:
                return str(json.load(response).get("status"))
        except urllib.error.HTTPError as err:
            with contextlib.suppress(ValueError):
                return str(json.load(err).get("status"))
            return "down"
        except OSError:
            return "down"

    def wait_ready(self, timeout_s: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"the service exited with {self.proc.returncode}: {self.log}")
            try:
                with urllib.request.urlopen(f"{self.http}/readyz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise TimeoutError(f"the service was not ready within {timeout_s:.0f} s: {self.log}")

    def kill(self) -> None:
        _kill(self.proc)

    def stop(self) -> None:
        _terminate(self.proc)


def _kill(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)


def _terminate(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        _kill(proc)


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
