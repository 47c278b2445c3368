"""Installed, not only checked out: the wheel `pip install .` builds, installed with the locked
dependencies (`pip install --require-hashes -r requirements.lock`, then the wheel with
`--no-deps`, as the Dockerfile does) into a fresh virtual environment, runs every command from an
empty folder, with nothing from this checkout on its path.

Built and installed once per session (a minute or two); pip takes packages from the indexes this
machine is configured with, so it needs no network beyond them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port

# one worker builds and installs the wheel, once (scripts/test runs the suite on two)
pytestmark = [pytest.mark.timeout(900), pytest.mark.xdist_group("installed_wheel")]
INSTALL_TIMEOUT_S = 600


@dataclass(frozen=True)
class Installed:
    venv: Path
    empty: Path  # a folder with nothing in it: where every command runs

    def run(self, *args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.venv / "bin" / "rollekort"), *args],
            cwd=self.empty,
            env=_clean_env(self.venv, env),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def python(self, code: str) -> str:
        done = subprocess.run(
            [str(self.venv / "bin" / "python"), "-c", code],
            cwd=self.empty,
            env=_clean_env(self.venv, {}),
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return done.stdout.strip()


def _clean_env(venv: Path, extra: dict[str, str]) -> dict[str, str]:
    """This process's environment without anything pointing into the checkout or its venv."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ROLLEKORT_", "PYTHON"))}
    env.pop("VIRTUAL_ENV", None)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return {**env, **extra}


def _pip(python: Path, *args: str) -> None:
    command = [str(python), "-m", "pip", "--disable-pip-version-check", "-q", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    where = tmp_path_factory.mktemp("wheel")
    _pip(Path(sys.executable), "wheel", "--no-deps", str(ROOT), "-w", str(where / "dist"))
    [wheel] = (where / "dist").glob("rollekort-*.whl")
    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    _pip(python, "install", "--require-hashes", "-r", str(ROOT / "requirements.lock"))
    _pip(python, "install", "--no-deps", str(wheel))
    empty = where / "empty"
    empty.mkdir()
    yield Installed(venv, empty)


def test_the_package_is_the_installed_one_with_its_files(installed: Installed) -> None:
    where = installed.python("import app, app.shipped as s; print(app.__file__, s.demo_office())")
    module, demo = where.split()
    assert module.startswith(str(installed.venv)) and demo.startswith(str(installed.venv))
    assert Path(demo).is_file()


def test_rolecard_validate_on_shipped_examples(installed: Installed) -> None:
    examples = Path(installed.python("import app.shipped as s; print(s.examples())"))
    good = installed.run("rolecard", "validate", str(examples / "offices" / "a-small-rural.yaml"))
    assert good.returncode == 0, good.stderr
    assert "valid" in good.stdout
    bad = installed.run("rolecard", "validate", str(examples / "invalid-office.yaml"))
    assert bad.returncode == 1 and "not valid" in bad.stderr


def test_sim_load_and_a_preset_run_installed(installed: Installed) -> None:
    load = installed.run("sim", "load", "--offices", "2", "--presses", "5")
    assert load.returncode == 0, load.stdout + load.stderr
    lost = next(line for line in load.stdout.splitlines() if "lost" in line)
    assert lost.split("│")[2].strip() == "0", load.stdout
    preset = installed.run("sim", "preset", "small-pendant-assessor")
    assert preset.returncode == 0, preset.stdout + preset.stderr
    assert list(installed.empty.iterdir()) == [], "a command left files in the working folder"


def test_bench_and_db_commands_run_installed(installed: Installed) -> None:
    bench = installed.run("bench", "latency", "-n", "3")
    assert bench.returncode == 0, bench.stdout + bench.stderr
    assert "lost 0" in bench.stdout, bench.stdout
    db = installed.run("db", "upgrade", "--db", f"sqlite+aiosqlite:///{installed.empty}/x.db")
    assert db.returncode == 0 and "database at head" in db.stdout, db.stderr
    (installed.empty / "x.db").unlink()


def test_serve_with_no_options_runs_the_shipped_demo_office(
    installed: Installed, tmp_path: Path
) -> None:
    port, broker_port = free_port(), free_port()
    env = _clean_env(
        installed.venv,
        {  # ports and client id only: another run may be using the defaults
            "ROLLEKORT_PORT": str(port),
            "ROLLEKORT_EMBEDDED_BROKER_PORT": str(broker_port),
            "ROLLEKORT_MQTT_CLIENT_ID": f"rollekort-wheel-{uuid.uuid4().hex[:8]}",
        },
    )
    serve = subprocess.Popen(
        [str(installed.venv / "bin" / "rollekort"), "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _until_ready(f"{base}/readyz", serve)
        alarms = urllib.request.Request(
            f"{base}/api/v1/alarms", headers={"Authorization": "Bearer demo-coordinator"}
        )
        with urllib.request.urlopen(alarms, timeout=10) as response:
            assert json.load(response) == []  # migrated, and the demo office's token signs in
        with urllib.request.urlopen(f"{base}/handset", timeout=10) as response:
            assert "<html" in response.read().decode().lower()  # the web assets shipped
    finally:
        serve.terminate()
        output = serve.communicate(timeout=30)[0].decode()
    assert "demo-office.yaml: valid" in output, output
    assert (tmp_path / "rollekort.db").is_file()  # the default database, in the folder it ran in


def _until_ready(url: str, proc: subprocess.Popen[bytes], within_s: float = 120) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[0].decode()
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} not ready within {within_s} s")
