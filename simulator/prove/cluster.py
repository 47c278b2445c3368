"""Several `rollekort serve` replicas behind a real HAProxy, on one PostgreSQL and one broker
(issue 14), as processes: for the replica test, a failover benchmark and anyone's own checks.

- `haproxy_config(...)`: the shipped deploy/haproxy/haproxy.cfg (checks on the `/readyz` body so
  only the leader gets traffic, also while its broker is down; fast fall and rise; a refused
  connection retried after 250 ms; websocket-friendly timeouts) with loopback listener and servers.
- `Haproxy`: that configuration as a process on a free port.
- `Cluster`: N replicas (`simulator.prove.procs.Service`, same environment, each its own
  `ROLLEKORT_REPLICA_ID`) and their balancer; find the leader, SIGKILL it, start one again.
- reading every alarm back through the balancer is `simulator.prove.readback.read_alarms`,
  for the invariants of `simulator.prove.checks` (and `deadlines_once`).
"""

from __future__ import annotations

import re
import resource
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from simulator.prove.procs import Service, free_port, wait_port

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
SHIPPED_HAPROXY = Path(__file__).resolve().parents[2] / "deploy" / "haproxy" / "haproxy.cfg"


def haproxy_config(
    port: int,
    backends: Sequence[int | str] | Sequence[tuple[str, int | str]],
    bind: str = "127.0.0.1",
) -> str:
    """The shipped deploy/haproxy/haproxy.cfg with its listener on `bind`:`port` and its servers
    replaced by `backends` (loopback ports or "host:port" strings, named r0, r1, ...; or (name,
    backend) pairs); every other line as shipped (checks, retries, timeouts), so what the
    harness and the bench measure is what ships. `maxconn` is lowered to this machine's
    file limit if it is below the shipped one's need (HAProxy refuses to start then)."""
    text = SHIPPED_HAPROXY.read_text(encoding="utf-8")
    kept = [line for line in text.splitlines() if not re.match(r"\s*server\s", line)]
    text = "\n".join(kept) + "\n"
    text = re.sub(r"^(\s*)bind\s+\S+", rf"\g<1>bind {bind}:{port}", text, flags=re.M)
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]  # two files per connection
    fits = max(100, (hard - 100) // 2) if hard != resource.RLIM_INFINITY else None
    text = re.sub(
        r"^(\s*)maxconn\s+(\d+)",
        lambda m: f"{m[1]}maxconn {min(int(m[2]), fits or int(m[2]))}",
        text,
        flags=re.M,
    )
    for n, backend in enumerate(backends):
        name, where = backend if isinstance(backend, tuple) else (f"r{n}", backend)
        text += f"    server {name} {_address(where)}\n"
    return text


def _address(backend: int | str) -> str:
    return f"127.0.0.1:{backend}" if isinstance(backend, int) else backend


@dataclass
class Haproxy:
    """HAProxy as a process of the run's own, in front of `backends`."""

    folder: Path
    backends: list[int]
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @staticmethod
    def available() -> bool:
        return Path(HAPROXY).exists()

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/handset"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        conf = self.folder / "haproxy.cfg"
        conf.write_text(haproxy_config(self.port, self.backends), encoding="utf-8")
        with (self.folder / "haproxy.log").open("ab") as out:
            self.proc = subprocess.Popen([HAPROXY, "-db", "-f", str(conf)], stdout=out, stderr=out)
        wait_port(self.port, 30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@dataclass
class Cluster:
    """`size` replicas of `rollekort serve` with the same environment, behind one HAProxy."""

    folder: Path
    env: dict[str, str]
    size: int = 3
    replicas: list[Service] = field(default_factory=list)
    haproxy: Haproxy | None = None

    def start(self, timeout_s: float = 120.0) -> int:
        """Start every replica (no waiting: all but one stay standbys) and the balancer;
        return the index of the one that leads."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for n in range(self.size):
            env = {**self.env, "ROLLEKORT_REPLICA_ID": f"r{n}"}
            self.replicas.append(Service(env, self.folder / f"replica-{n}.log"))
        for replica in self.replicas:
            replica.start(wait=False)
        self.haproxy = Haproxy(self.folder / "haproxy", [r.port for r in self.replicas])
        self.haproxy.start()
        leader = self.wait_leader(timeout_s)
        self.wait_balanced(timeout_s)
        return leader

    @property
    def http(self) -> str:
        assert self.haproxy is not None
        return self.haproxy.http

    @property
    def ws_url(self) -> str:
        assert self.haproxy is not None
        return self.haproxy.ws_url

    def roles(self) -> list[str]:
        """Each replica's /readyz status: "ok" (leads), "standby", "promoting", … or "down"."""
        return [r.role() if r.running else "down" for r in self.replicas]

    def leader(self) -> int | None:
        found = [n for n, role in enumerate(self.roles()) if role == "ok"]
        return found[0] if len(found) == 1 else None

    def wait_leader(self, timeout_s: float = 60.0, poll_s: float = 0.02) -> int:
        """The index of the replica that leads, once exactly one does."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = self.leader()
            if found is not None:
                return found
            time.sleep(poll_s)
        raise TimeoutError(f"no single leader within {timeout_s:.0f} s: {self.roles()}")

    def wait_balanced(self, timeout_s: float = 60.0) -> float:
        """Until the balancer's /readyz answers 200 (it sends traffic to a leader); returns
        the seconds waited."""
        began = time.monotonic()
        while Service.answers_ready(self.http) is False:
            if time.monotonic() - began > timeout_s:
                raise TimeoutError(f"the balancer found no leader within {timeout_s:.0f} s")
            time.sleep(0.02)
        return time.monotonic() - began

    def wait_live(self, n: int, timeout_s: float = 120.0) -> None:
        """Until replica `n` answers /readyz at all (a standby: 503 "standby")."""
        deadline = time.monotonic() + timeout_s
        while self.replicas[n].role() in ("down", "starting"):
            if time.monotonic() > deadline or not self.replicas[n].running:
                raise TimeoutError(f"replica {n} did not come up: {self.replicas[n].log}")
            time.sleep(0.05)

    def kill(self, n: int) -> None:
        """SIGKILL replica `n`: no shutdown, no goodbye to the database or the broker."""
        self.replicas[n].kill()

    def freeze(self, n: int) -> None:
        """SIGSTOP replica `n`: its sockets stay open, so the broker goes on delivering to it
        (in flight, never acknowledged) until it is killed."""
        proc = self.replicas[n].proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGSTOP)

    def promotions_ms(self) -> list[int]:
        """Each promotion's "lock won → taking presses" in milliseconds, from the replicas' logs."""
        found = []
        for replica in self.replicas:
            text = replica.log.read_text("utf-8", errors="replace") if replica.log.exists() else ""
            found += [int(m) for m in re.findall(r"promotion_ms=(\d+)", text)]
        return found

    def restart(self, n: int) -> None:
        """Start replica `n` again (it comes back as a standby while another leads)."""
        self.replicas[n].start(wait=False)

    def stop(self) -> None:
        if self.haproxy is not None:
            self.haproxy.stop()
        for replica in self.replicas:
            replica.stop()
