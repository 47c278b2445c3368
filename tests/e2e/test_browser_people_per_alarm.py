"""Req. 45 in real Chromium: checking a role card on the console shows how many people one
alarm pulls from work, with the required roles and with the optional ones taken too, as the
service counts them. Skipped without chromium."""

from __future__ import annotations

from typing import Any

import httpx

from tests.e2e.browser import check_accessible, expect
from tests.e2e.harness import Running
from tests.e2e.test_browser_console import DEMO, office_page

COORDINATOR = {"Authorization": "Bearer demo-coordinator"}
OPTIONAL = """
    - id: extra-watch
      title: Ekstra vakt
      stance: assemble_at
      at: back-office
      required: false
      accept_within_s: 20
      assignment: {mode: named, holder: gro, deputies: [per]}
      steps:
        - Gå til bakland og vent på beskjed fra lederen.
"""


async def test_the_console_shows_the_people_one_alarm_pulls_required_and_optional(
    running: Running, browser: Any
) -> None:
    card = DEMO.rstrip("\n") + "\n" + OPTIONAL  # one optional role more than the demo card
    async with httpx.AsyncClient(base_url=running.base, headers=COORDINATOR) as http:
        checked = await http.post("/api/v1/offices/demo/rolecards/validate", content=card)
    counted = checked.json()["people_per_alarm"]
    assert counted["with_optional"] == counted["required"] + 1  # the optional role counts apart

    console = await office_page(browser, running)
    panel = console.get_by_test_id("rolecards-panel")
    await panel.get_by_test_id("rc-text").fill(card)
    await panel.get_by_test_id("rc-validate").click()
    people = panel.get_by_test_id("rc-people")
    await expect(people).to_have_attribute("data-required", str(counted["required"]))
    await expect(people).to_contain_text(
        f"Én alarm trekker {counted['required']} personer fra arbeidet med de påkrevde rollene, "
        f"{counted['with_optional']} når også de valgfrie rollene tas."
    )
    await check_accessible(console, "role card checked, people per alarm")
    assert not console.errors
