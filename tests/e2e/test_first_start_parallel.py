"""A first start with many office files (nothing cached) parses them in a forked worker too
(app.config.parallel), and serves every office as a start that parsed them one by one would;
the next start reads them back from the office cache."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from bench.scale_offices import write_offices
from tests.e2e.process import serve_env, start

pytestmark = pytest.mark.timeout(180)


def test_every_office_of_a_parallel_first_start_is_served(tmp_path: Path) -> None:
    folder = tmp_path / "offices"
    folder.mkdir()
    offices = write_offices(folder, 60, 3, 3)  # over two workers' minimum share
    env = serve_env(tmp_path, config=folder, db=f"sqlite+aiosqlite:///{tmp_path / 'f.db'}",
                    broker="embedded")  # fmt: skip
    for attempt in ("first start", "restart"):
        served = start(tmp_path, env)
        try:
            for office in (offices[0], offices[29], offices[-1]):
                token = f"demo-{office.office_id}-api"
                response = httpx.get(
                    f"{served.base}/api/v1/offices/{office.office_id}/coverage",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=10,
                )
                assert response.status_code == 200, (attempt, office.office_id, response.text)
            assert "office worker failed" not in served.output()
        finally:
            served.stop()
        assert (tmp_path / "office-cache.pickle").exists(), "kept for the restart"
