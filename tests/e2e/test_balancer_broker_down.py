"""While the broker is down, the shipped HAProxy configuration keeps sending handsets to the
leader (its /readyz says 503 "unavailable", not "standby"): the people of an open alarm can still
accept and give the all-clear. Real processes: Mosquitto, PostgreSQL, two replicas, HAProxy with
deploy/haproxy/haproxy.cfg."""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from app.shipped import demo_office
from bench.failover import POSTGRES, fresh_database
from bench.failover_handset import Handset
from bench.failover_procs import Cluster, HAProxy
from simulator.prove.procs import Mosquitto
from simulator.service import mqtt_client
from tests.conftest import require_postgres

pytestmark = pytest.mark.postgres


def readyz(base: str) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(f"{base}/readyz", timeout=2) as response:
            body: dict[str, Any] = json.load(response)
    except urllib.error.HTTPError as err:
        text = err.read()
        try:
            body = json.loads(text)
        except ValueError:  # HAProxy's own page: no server passes its check
            body = {"status": f"HTTP {err.code} from HAProxy itself", "replica": None}
    return body


async def until(check: Any, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await asyncio.to_thread(check):
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.1)


@pytest.mark.timeout(300)
async def test_handsets_reach_the_leader_while_the_broker_is_down() -> None:
    require_postgres()
    if not (HAProxy.available() and Mosquitto.available()):
        pytest.skip("haproxy or mosquitto missing")
    with tempfile.TemporaryDirectory() as tmp:
        async with fresh_database(POSTGRES) as db_url:
            cluster = Cluster(Path(tmp), db_url, 2, demo_office())
            try:
                await asyncio.to_thread(cluster.start, 2)
                await broker_outage(cluster)
            finally:
                await asyncio.to_thread(cluster.stop)


async def broker_outage(cluster: Cluster) -> None:
    leader = await asyncio.to_thread(cluster.leader)
    ws_url = cluster.http.replace("http://", "ws://") + "/ws/handset"
    handset = Handset(ws_url, "demo-leader", page=False)
    await handset.connect(30)
    button = mqtt_client(cluster.broker.url, "outage-button")
    body = json.dumps({"event": "press", "seq": time.time_ns() // 1000, "gesture": "single"})
    button.publish("rollekort/v1/trigger/desk-1", body.encode(), qos=1).wait_for_publish(5)
    offer, _, _ = await handset.new_offer(30)
    button.disconnect()
    button.loop_stop()

    cluster.broker.stop()
    await until(lambda: readyz(leader.http)["status"] == "unavailable")
    await asyncio.sleep(1.5)  # several health checks of HAProxy see the leader's 503
    assert readyz(cluster.http)["replica"] == leader.name, "the balancer left the leader"
    late = Handset(ws_url, "demo-deputy", page=False)
    await late.connect(10)  # a handset (re)connecting during the outage gets in
    await late.close()
    await handset.close_alarm(offer)  # and the open alarm can be closed
    await handset.close()
    cluster.broker.start()
    await until(lambda: readyz(cluster.http)["status"] == "ok")
