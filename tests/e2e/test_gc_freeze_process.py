"""A service started as operators start it freezes what survives its garbage collections
(app.gc_freeze) and says so on /metrics; `ROLLEKORT_GC_FREEZE=false` turns it off. What it is
for (pauses of a second with 20,000 handsets) is measured by `rollekort bench scale`."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import DEMO_OFFICE
from tests.e2e.process import serve_env, start

pytestmark = pytest.mark.timeout(120)


def scraped(base: str, name: str) -> float:
    text = httpx.get(f"{base}/metrics", timeout=10).text
    values = [line.split()[-1] for line in text.splitlines() if line.startswith(name)]
    assert values, f"{name} not on /metrics"
    return float(values[0])


@pytest.mark.parametrize("freeze", [True, False])
def test_serve_freezes_survivors_of_collections(tmp_path: Path, freeze: bool) -> None:
    env = serve_env(tmp_path, config=DEMO_OFFICE, db=f"sqlite+aiosqlite:///{tmp_path / 'g.db'}",
                    broker="embedded")  # fmt: skip
    if not freeze:
        env["ROLLEKORT_GC_FREEZE"] = "false"
    served = start(tmp_path, env)
    try:
        frozen = scraped(served.base, "rollekort_gc_frozen_objects")
        assert (frozen > 100_000) if freeze else (frozen == 0)
        if freeze:  # the survivors of one full collection at start-up
            assert scraped(served.base, 'rollekort_gc_pauses_total{generation="2"}') >= 1
        # young collections are counted too, at Python's own threshold either way
        assert scraped(served.base, 'rollekort_gc_pauses_total{generation="0"}') >= 1
    finally:
        served.stop()
