"""The handset page after its socket drops (issue 14: a press made while a replica is dead is
offered within 2 s): the first reconnect goes almost at once, spread over a fraction of a
second, and later ones back off so that a county of phones does not hammer a service that is
down. Skipped without chromium (see browser.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.browser import expect, open_handset
from tests.e2e.harness import Running

pytestmark = pytest.mark.timeout(120)

_DROP = """
() => new Promise((resolve) => {
  const s = window.rollekortHandset.state;
  const ws = s.ws;
  // The page's own close listener was added first: it has scheduled the retry when this runs.
  ws.addEventListener('close', () => resolve({ delay: s.retryAt - Date.now(), at: Date.now() }));
  ws.close();
})
"""

_SCHEDULE = """
async () => {
  const { reconnectDelay } = await import('/static/hs-conn.js');
  const spread = (attempt, quick) => {
    const xs = Array.from({ length: 300 }, () => reconnectDelay(attempt, quick));
    return [Math.min(...xs), Math.max(...xs)];
  };
  const later = [1, 2, 3, 12].map((a) => spread(a));
  return { first: spread(0), notLeading: spread(6, true), later };
}
"""


async def test_a_dropped_socket_reconnects_at_once_and_later_tries_back_off(
    running: Running, browser: Any
) -> None:
    page = await open_handset(browser, running, "demo-leader")
    conn = page.get_by_test_id("conn-state")
    dropped = await page.evaluate(_DROP)
    assert 0 <= dropped["delay"] <= 260, dropped  # the first retry: 50-250 ms after the drop
    await expect(conn).to_have_attribute("data-state", "connected")
    back_ms = await page.evaluate("(at) => Date.now() - at", dropped["at"])
    assert back_ms < 5000, back_ms  # generous: the delay above is what the page controls

    schedule = await page.evaluate(_SCHEDULE)
    low, high = schedule["first"]
    assert low >= 50 and high <= 250 and high - low > 50, "spread, not all in one millisecond"
    assert schedule["notLeading"][0] >= 50 and schedule["notLeading"][1] <= 250
    lows = [lo for lo, _ in schedule["later"]]
    assert lows == sorted(lows) and lows[0] >= 250, schedule  # backing off …
    assert schedule["later"][-1][1] <= 30000, schedule  # … up to a cap
    assert page.errors == []
