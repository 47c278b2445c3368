"""The HAProxy configuration the harness and the bench run in front of replicas
(simulator/prove/cluster.py, issue 14) is the shipped deploy/haproxy/haproxy.cfg with loopback
addresses only: HAProxy accepts it, and what they measure is what ships."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from simulator.prove.cluster import HAPROXY, SHIPPED_HAPROXY, Haproxy, haproxy_config


def _settings(text: str) -> list[str]:
    lines = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    return [line for line in lines if line and not line.startswith(("server ", "bind "))]


def test_the_harness_runs_the_shipped_settings_on_loopback() -> None:
    text = haproxy_config(8080, [8001, "replica2:8000"])
    assert "bind 127.0.0.1:8080" in text
    assert "server r0 127.0.0.1:8001" in text and "server r1 replica2:8000" in text
    shipped = _settings(SHIPPED_HAPROXY.read_text(encoding="utf-8"))
    ours = _settings(text)
    # Everything but the listener, the servers and (on a small file limit) maxconn is as shipped.
    assert [s for s in ours if not s.startswith("maxconn")] == [
        s for s in shipped if not s.startswith("maxconn")
    ]
    assert any("http-check expect rstring" in s for s in ours)  # passes on the /readyz body


@pytest.mark.skipif(not Haproxy.available(), reason="haproxy is not installed")
def test_haproxy_accepts_the_configuration(tmp_path: Path) -> None:
    conf = tmp_path / "haproxy.cfg"
    conf.write_text(haproxy_config(8080, [8001, 8002, 8003]), encoding="utf-8")
    done = subprocess.run([HAPROXY, "-c", "-f", str(conf)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stdout + done.stderr
