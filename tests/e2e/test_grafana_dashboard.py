"""The shipped Grafana dashboard asks only for metrics the service exports: every panel's PromQL
is checked against a running service's /metrics, after an alarm has gone through it, and the
metrics added for the dashboard (offers, time to first accept, component health) count what
happened."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import httpx

from simulator.button import press
from tests.conftest import ROOT
from tests.e2e.harness import Handset, Running, service, settings_for

DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "rollekort.json"
PROVISIONING = ROOT / "deploy" / "grafana" / "provisioning"
_METRIC = re.compile(r"\brollekort_[a-z0-9_]+")
_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
}


def exported(text: str) -> set[str]:
    """Every series name the exposition can carry: the samples, and for each declared family the
    names its type gives it (a labelled counter no one has incremented yet has no sample)."""
    names = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line[:1].isalpha()}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            base = name.removesuffix("_total")
            names |= {name, *(base + s for s in _SUFFIXES.get(kind, ()))}
    return names


def queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["title"], t["expr"]) for p in dashboard["panels"] for t in p["targets"]]


def sample(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        series, _, value = line.rpartition(" ")
        if series == (f"{name}{{{wanted}}}" if wanted else name):
            return float(value)
    raise AssertionError(f"no sample {name}{{{wanted}}} in /metrics")


def test_the_dashboard_and_its_provisioning_load() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dashboard["uid"] == "rollekort" and len(dashboard["panels"]) >= 8
    titles = " ".join(p["title"].lower() for p in dashboard["panels"])
    for topic in ("alarms", "offers", "first accept", "coverage", "broker and database"):
        assert topic in titles
    assert all(expr.strip() for _, expr in queries(dashboard))
    assert len({p["id"] for p in dashboard["panels"]}) == len(dashboard["panels"])
    provider = (PROVISIONING / "dashboards" / "rollekort.yaml").read_text(encoding="utf-8")
    assert "/var/lib/grafana/dashboards/rollekort" in provider
    assert "type: prometheus" in (PROVISIONING / "datasources" / "prometheus.yaml").read_text()


async def test_every_panel_names_metrics_the_service_exports(
    sqlite_url: str, tmp_path: Path
) -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    async with service(settings_for("embedded", sqlite_url)) as running:
        await _one_alarm_with_two_accepts(running)
        async with httpx.AsyncClient(base_url=running.base) as http:
            text = (await http.get("/metrics")).text
    names = exported(text)
    for title, expr in queries(dashboard):
        used = set(_METRIC.findall(expr))
        assert used, f"{title}: {expr!r} names no rollekort metric"
        assert used <= names, f"{title}: {sorted(used - names)} are not exported"

    assert sample(text, "rollekort_offers_total", office_id="demo") >= 3
    # Two roles accepted, one time to first accept.
    assert sample(text, "rollekort_first_accept_seconds_count", office_id="demo") == 1
    assert sample(text, "rollekort_component_up", component="database") == 1
    assert sample(text, "rollekort_component_up", component="broker") == 1


async def _one_alarm_with_two_accepts(running: Running) -> None:
    async with (
        Handset.connect(running, "demo-leader") as leader,
        Handset.connect(running, "demo-guard") as guard,
    ):
        for h in (leader, guard):
            await h.expect("welcome")
        await asyncio.to_thread(press, running.broker_url, "desk-1", "press", "hold")
        offer = await leader.expect("alarm", offer__role_id="leader")
        alarm_id = offer["alarm_id"]
        await guard.expect("alarm", alarm_id=alarm_id, offer__role_id="guard")
        await guard.send(type="accept", alarm_id=alarm_id, role_id="guard")
        await leader.send(type="accept", alarm_id=alarm_id, role_id="leader")
        await leader.send(type="all_clear", alarm_id=alarm_id)
        await leader.expect("alarm_closed", alarm_id=alarm_id)
