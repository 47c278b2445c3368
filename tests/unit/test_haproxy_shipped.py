"""The shipped HAProxy configuration (deploy/haproxy/haproxy.cfg) is one HAProxy accepts, and it
keeps the three promises docs/operations.md makes of it: only the leader gets traffic (also
while its broker is down), a dead leader is out within about a second, and an idle handset
websocket is not cut after the HTTP timeouts. `rollekort bench failover` runs this same file
(its `bind` and `server` lines moved to loopback) against real replicas."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.responses import JSONResponse

from app.api.health import Health
from app.core.leadership import Role
from tests.conftest import ROOT

CFG = ROOT / "deploy" / "haproxy" / "haproxy.cfg"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}


def directive(name: str) -> list[str]:
    lines = [line.split("#", 1)[0].strip() for line in CFG.read_text().splitlines()]
    return [line[len(name) :].strip() for line in lines if line.startswith(name + " ")]


def ms(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(ms|s|m|h)?", value).groups()  # type: ignore[union-attr]
    return int(number) * _MS[unit or "ms"]


@pytest.mark.skipif(not Path(HAPROXY).exists(), reason="haproxy missing (Debian package haproxy)")
def test_haproxy_accepts_the_shipped_configuration(tmp_path: Path) -> None:
    done = subprocess.run(
        [HAPROXY, "-c", "-f", str(CFG)], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    warnings = [line for line in (done.stdout + done.stderr).splitlines() if "WARNING" in line]
    # The replicas' names resolve on the compose network only: nothing else may be off.
    assert all("could not resolve address 'replica-" in w for w in warnings), warnings


def readyz_body(status: str) -> str:
    """What `/readyz` sends (the service's own model and JSON rendering)."""
    body = Health(status=status, problems=[], replica="replica-1").model_dump()
    return JSONResponse(body).body.decode()


def test_only_the_leader_gets_traffic_even_while_its_broker_is_down() -> None:
    """The check passes on the leader's /readyz ("ok", or "unavailable" while a component
    fails: it alone can serve the handsets of open alarms) and fails on every other role."""
    assert "httpchk" in directive("option")
    assert directive("http-check send") == ["meth GET uri /readyz"]
    kind, pattern = directive("http-check expect")[0].split(maxsplit=1)
    assert kind == "rstring"
    passes = re.compile(pattern.strip("'"))
    assert passes.search(readyz_body("ok")) and passes.search(readyz_body("unavailable"))
    for role in Role:
        if role != Role.LEADING:
            assert not passes.search(readyz_body(role.value)), role
    assert len(directive("server")) >= 2 and "check" in directive("default-server")[0].split()


def test_a_dead_leader_is_out_within_about_a_second_a_slow_one_is_not() -> None:
    words = directive("default-server")[0].split()
    value = dict(zip(words, [*words[1:], ""], strict=True))
    checks = ms(value["fastinter"]) * (int(value["fall"]) - 1) + ms(value["inter"])
    assert checks <= 1500, f"a dead leader keeps traffic for {checks} ms"
    assert int(value["rise"]) <= 2
    slow = directive("timeout check")
    assert slow and ms(slow[0]) >= 1000, "a leader slowed by load must not be taken out"


def test_idle_handset_websockets_outlive_the_http_timeouts() -> None:
    tunnel = ms(directive("timeout tunnel")[0])
    ping_interval_ms = 10_000  # the service pings every handset (ROLLEKORT_PING_INTERVAL_S)
    assert tunnel > 3 * ping_interval_ms
    assert tunnel > ms(directive("timeout client")[0])


def test_a_connection_the_dead_leader_refused_is_retried_within_a_quarter_second() -> None:
    """HAProxy waits min(timeout connect, 1 s) before it retries a refused connection (with one
    server up at most, as here); the refusal marks the dead leader down at once, so the retry
    finds the new leader or answers 503 and the handset page retries itself."""
    assert ms(directive("timeout connect")[0]) <= 250
    assert int(directive("retries")[0]) >= 1 and "conn-failure" in directive("retry-on")[0]
    assert "redispatch 1" in directive("option")
    words = directive("default-server")[0].split()
    assert "observe" in words and words[words.index("observe") + 1] == "layer4"
    assert words[words.index("on-error") + 1] == "mark-down"
    assert ms(words[words.index("downinter") + 1]) <= 250, "a new leader waits for its check"
