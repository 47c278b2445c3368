"""An offer no phone confirmed in time is counted for the alert rules
(`rollekort_offers_unconfirmed_total`, deploy/prometheus/rollekort-rules.yml), on the running
service: a handset that promised receipts shows the offer and never confirms it."""

from __future__ import annotations

import asyncio
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from simulator.button import press
from tests.e2e.harness import Running
from tests.e2e.test_offer_receipts import confirming, running_with
from tests.e2e.test_push import wait_event


def unconfirmed(running: Running) -> dict[str, float]:
    with urllib.request.urlopen(f"{running.base}/metrics", timeout=10) as response:
        text = response.read().decode()
    return {
        s.labels["office_id"]: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "rollekort_offers_unconfirmed_total"
    }


async def test_an_offer_no_phone_confirmed_is_counted(tmp_path: Path, sqlite_url: str) -> None:
    async with (
        running_with(tmp_path, sqlite_url) as running,
        confirming(running, "demo-leader") as lise,
    ):
        await asyncio.to_thread(press, running.broker_url, "desk-1", "press", "hold")
        offer = await lise.expect("alarm", offer__role_id="leader")  # shown, never confirmed
        missed = await wait_event(running, offer["alarm_id"], "OfferNotDelivered", role_id="leader")
        counted = await asyncio.to_thread(unconfirmed, running)
        assert counted.get(offer["office_id"], 0) >= 1, (counted, missed)
