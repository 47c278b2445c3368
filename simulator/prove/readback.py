"""Reading a run back through the service's API: every alarm with its timeline and the verdict
on its hash chain, as the single service (`world`) or the balancer of replicas (`cluster`) tells
it."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from simulator.prove.checks import AlarmRecord

__all__ = ["chain_verdict", "read_alarms"]


def read_alarms(http: str, offices: list[tuple[str, str]]) -> list[AlarmRecord]:
    """Every alarm of these (office id, API token) with its timeline and chain verdict, as the
    API behind `http` (the balancer) tells them."""
    out: list[AlarmRecord] = []
    for office_id, token in offices:
        listing = _get(http, f"/api/v1/alarms?office_id={office_id}&limit=500", token)
        for summary in listing:
            detail = _get(http, f"/api/v1/alarms/{summary['alarm_id']}", token)
            out.append(
                AlarmRecord(
                    detail["alarm_id"],
                    detail["office_id"],
                    detail["status"],
                    detail["timeline"],
                    chain_verdict(detail),
                )
            )
    return out


def _get(http: str, path: str, token: str) -> Any:
    request = urllib.request.Request(http + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def chain_verdict(detail: dict[str, Any]) -> str | None:
    chain = detail.get("chain")
    if chain is None:
        return None
    if isinstance(chain, dict):
        state = chain.get("state", chain.get("status"))
        return "ok" if state == "ok" else f"{state}: {chain.get('reason')}"
    return "ok" if chain in (True, "ok") else str(chain)
