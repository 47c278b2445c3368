"""The HAProxy configuration for replicas (simulator/prove/cluster.py, issue 14) is one HAProxy
accepts, and checks `/readyz` so that only the leader gets traffic."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from simulator.prove.cluster import HAPROXY, Haproxy, haproxy_config


def test_the_balancer_checks_readiness_on_every_replica() -> None:
    text = haproxy_config(8080, [8001, "replica2:8000"])
    assert "option httpchk GET /readyz" in text and "http-check expect status 200" in text
    assert "server r0 127.0.0.1:8001 check inter 200ms fall 1 rise 1" in text
    assert "server r1 replica2:8000 check" in text and "timeout tunnel" in text


@pytest.mark.skipif(not Haproxy.available(), reason="haproxy is not installed")
def test_haproxy_accepts_the_configuration(tmp_path: Path) -> None:
    conf = tmp_path / "haproxy.cfg"
    conf.write_text(haproxy_config(8080, [8001, 8002, 8003]), encoding="utf-8")
    done = subprocess.run([HAPROXY, "-c", "-f", str(conf)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
