"""The series the alert rules watch beyond the basics (deploy/prometheus/rollekort-rules.yml):
the journal's failed writes and the unfilled roles of open alarms, driven through the real
dispatcher over fakes and read as Prometheus would scrape them."""

from __future__ import annotations

import asyncio

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from app.core import commands as cmd
from tests.unit.test_dispatcher import GatedStore, World


def scraped(w: World) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(w.metrics.registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_failed_journal_writes_are_counted() -> None:
    w = World(GatedStore(failures=2))
    w.present("lise")
    assert scraped(w)[("rollekort_journal_write_failures_total", ())] == 0
    alarm_id = await asyncio.wait_for(w.press(), 20)  # retried until the database took it
    assert alarm_id is not None
    assert scraped(w)[("rollekort_journal_write_failures_total", ())] == 2


async def test_roles_nobody_is_left_to_fill_are_a_gauge_per_office() -> None:
    w = World()
    office = (("office_id", w.office.id),)
    assert scraped(w)[("rollekort_roles_unfilled", office)] == 0
    alarm_id = await w.press()  # nobody present: escalation has nobody to ask
    assert alarm_id is not None
    unfilled = scraped(w)[("rollekort_roles_unfilled", office)]
    assert unfilled >= 1
    # Lise comes in and takes the leader role late: one role fewer is unfilled.
    w.present("lise")
    await w.dispatcher.person_arrived(w.office, "lise")
    await w.dispatcher.handle(
        w.office, alarm_id, cmd.AcceptRole(person_id="lise", role_id="leader")
    )
    assert scraped(w)[("rollekort_roles_unfilled", office)] == unfilled - 1
    await w.dispatcher.handle(w.office, alarm_id, cmd.GiveAllClear(person_id="lise"))
    assert scraped(w)[("rollekort_roles_unfilled", office)] == 0  # closed: nothing to fill
