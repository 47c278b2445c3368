"""schemathesis over the OpenAPI document of a running service (its own process, embedded broker,
SQLite, the demo office): every operation, with no token, an unknown token, a handset's token and
the coordinator's, and no answer may be a server error. It runs schemathesis' own command line,
its most stable interface; the report is printed when an answer fails."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.prove.procs import Service, free_port
from tests.conftest import DEMO_OFFICE

SCHEMATHESIS = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
# Callers with a token of the demo office get `office_id` fixed to it, so their requests reach past
# the office check into each operation; the others keep random ids (the refusals are the point).
CALLERS = {
    "no token": ([], False),
    "an unknown token": (["-H", "Authorization: Bearer not-a-token"], False),
    "a handset": (["-H", "Authorization: Bearer demo-deputy"], True),
    "the coordinator": (["-H", "Authorization: Bearer demo-coordinator"], True),
}
IN_THE_DEMO_OFFICE = '[parameters]\n"path.office_id" = "demo"\n'

pytestmark = pytest.mark.skipif(SCHEMATHESIS is None, reason="schemathesis is not installed")


@pytest.fixture(scope="module")
def running() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            "ROLLEKORT_CONFIG": str(DEMO_OFFICE),
            "ROLLEKORT_BROKER": "embedded",
            "ROLLEKORT_EMBEDDED_BROKER_PORT": str(free_port()),
            "ROLLEKORT_DB": f"sqlite+aiosqlite:///{tmp}/fuzz.db",
            "ROLLEKORT_LOG_LEVEL": "WARNING",
        }
        service = Service(env, Path(tmp) / "service.log")
        service.start()
        try:
            yield service.http
        finally:
            service.stop()


@pytest.mark.timeout(600)
@pytest.mark.parametrize("caller", CALLERS)
def test_no_operation_answers_with_a_server_error(
    running: str, caller: str, tmp_path: Path
) -> None:
    assert SCHEMATHESIS is not None
    headers, in_office = CALLERS[caller]
    config = tmp_path / "schemathesis.toml"
    config.write_text(IN_THE_DEMO_OFFICE if in_office else "", encoding="utf-8")
    command = [
        SCHEMATHESIS, "--config-file", str(config), "run", f"{running}/openapi.json",
        "--checks", "not_a_server_error",
        "--max-examples", "10",
        "--phases", "examples,fuzzing",
        "--generation-deterministic",
        "--workers", "1",
        *headers,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=540)
    print(done.stdout[-4000:])
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
