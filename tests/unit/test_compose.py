"""compose.yaml is checked as far as a machine without a Docker engine allows (issue 14): every
file it mounts exists, every service it depends on is defined, every setting it gives the
replicas is one the service reads, the ports line up with the shipped HAProxy and Mosquitto
configurations, and its one-shot setup script really writes the broker accounts and the shared
keys. A renamed setting or a moved file fails here rather than at an operator's `docker compose
up`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from app.settings import Settings
from tests.conftest import ROOT

COMPOSE = ROOT / "compose.yaml"
EXAMPLE_ENV = ROOT / "deploy" / "compose" / "example.env"
HAPROXY = ROOT / "deploy" / "haproxy" / "haproxy.cfg"
MOSQUITTO = ROOT / "deploy" / "mosquitto" / "mosquitto.conf"
SETUP = ROOT / "deploy" / "compose" / "setup.sh"
_VAR = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def example_env() -> dict[str, str]:
    lines = EXAMPLE_ENV.read_text().splitlines()
    pairs = [line.split("=", 1) for line in lines if line.strip() and not line.startswith("#")]
    return {k.strip(): v.strip() for k, v in pairs}


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?message}`, over the whole file."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(match: re.Match[str]) -> str:
        name, op, arg = match.groups()
        if env.get(name):
            return env[name]
        if op and op.endswith("?"):
            raise AssertionError(f"compose.yaml needs {name}: {arg}")
        return arg or ""

    return _VAR.sub(one, value)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = interpolate(yaml.safe_load(COMPOSE.read_text()), example_env())
    return loaded


def replica_env() -> dict[str, str]:
    loaded = interpolate(yaml.safe_load(COMPOSE.read_text()), example_env())
    env: dict[str, str] = loaded["services"]["replica-1"]["environment"]
    return env


def replicas(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n: s for n, s in compose["services"].items() if n.startswith("replica-")}


def test_the_topology_is_broker_database_two_replicas_and_a_balancer(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert services["mosquitto"]["image"].startswith("eclipse-mosquitto:")
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["haproxy"]["image"].startswith("haproxy:")
    assert len(replicas(compose)) == 2
    built = services["setup"]
    assert built["build"] == "." and (ROOT / "Dockerfile").is_file()
    for service in replicas(compose).values():
        assert service["image"] == built["image"], "replicas run the image built from Dockerfile"
        assert service["restart"] != "no", "a leader that lost leadership exits: restart it"


def test_every_mounted_file_exists_and_every_volume_and_dependency_is_declared(
    compose: dict[str, Any],
) -> None:
    services, volumes = compose["services"], set(compose["volumes"])
    for name, service in services.items():
        for mount in service.get("volumes", []):
            source = mount.split(":", 1)[0]
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which is missing"
            else:
                assert source in volumes, f"{name} mounts the undeclared volume {source}"
        for needed in service.get("depends_on", {}):
            assert needed in services, f"{name} depends on the missing service {needed}"


def test_every_setting_given_to_the_service_is_one_it_reads(compose: dict[str, Any]) -> None:
    fields = set(Settings.model_fields)
    for name in ("setup", *replicas(compose)):
        for key in compose["services"][name]["environment"]:
            assert key.startswith("ROLLEKORT_"), key
            assert key.removeprefix("ROLLEKORT_").lower() in fields, f"{name}: {key} is unread"


def test_the_replicas_share_the_keys_database_broker_and_account(compose: dict[str, Any]) -> None:
    envs = [s["environment"] for s in replicas(compose).values()]
    for key in ("ROLLEKORT_DB", "ROLLEKORT_BROKER", "ROLLEKORT_DATA_DIR", "ROLLEKORT_CONFIG"):
        assert len({env[key] for env in envs}) == 1, f"replicas differ in {key}"
    assert len({env["ROLLEKORT_REPLICA_ID"] for env in envs}) == len(envs)
    for key in ("ROLLEKORT_CHAIN_KEY_FILE", "ROLLEKORT_VAPID_KEY_FILE"):
        assert len({env[key] for env in envs}) == 1, f"replicas differ in {key}"
        folder = str(Path(envs[0][key]).parent)
        for service in replicas(compose).values():
            mounts = {m.split(":")[1]: m.split(":")[0] for m in service["volumes"]}
            assert mounts[folder] in compose["volumes"], f"{key} must be on a shared volume"
        made_by_setup = compose["services"]["setup"]["environment"]["ROLLEKORT_DATA_DIR"]
        assert folder == made_by_setup, f"setup.sh makes {key} in {made_by_setup}"
    setup = compose["services"]["setup"]
    assert setup["environment"]["ROLLEKORT_DB"] == envs[0]["ROLLEKORT_DB"]


def test_ports_line_up_with_the_shipped_haproxy_and_mosquitto_files(
    compose: dict[str, Any],
) -> None:
    cfg = HAPROXY.read_text()
    bind = re.search(r"^\s*bind\s+\S*:(\d+)", cfg, re.MULTILINE)
    assert bind is not None
    published = [p.split(":") for p in compose["services"]["haproxy"]["ports"]]
    assert any(inside == bind.group(1) for _, inside in published)
    servers = dict(re.findall(r"^\s*server\s+\S+\s+([\w-]+):(\d+)", cfg, re.MULTILINE))
    assert set(servers) == set(replicas(compose)), "HAProxy must know every replica"
    for name, service in replicas(compose).items():
        assert service["environment"]["ROLLEKORT_PORT"] == servers[name]
        assert service["environment"]["ROLLEKORT_HOST"] == "0.0.0.0"
    listener = re.search(r"^listener\s+(\d+)", MOSQUITTO.read_text(), re.MULTILINE)
    assert listener is not None
    for service in replicas(compose).values():
        broker = urlsplit(service["environment"]["ROLLEKORT_BROKER"])
        assert (broker.hostname, str(broker.port)) == ("mosquitto", listener.group(1))
        db = urlsplit(service["environment"]["ROLLEKORT_DB"])
        assert db.hostname == "postgres" and db.port == 5432


def test_the_broker_reads_the_files_setup_writes(compose: dict[str, Any]) -> None:
    conf = MOSQUITTO.read_text()
    wanted = re.findall(r"^(?:password_file|acl_file)\s+(\S+)", conf, re.MULTILINE)
    mosquitto, setup = compose["services"]["mosquitto"], compose["services"]["setup"]
    config_volume = next(m.split(":")[0] for m in mosquitto["volumes"] if "/mosquitto/config" in m)
    written_to = next(m.split(":")[1] for m in setup["volumes"] if m.startswith(config_volume))
    script = SETUP.read_text()
    for path in wanted:
        assert path.startswith("/mosquitto/config/"), path
        assert Path(path).name in script, f"setup.sh does not write {path}"
    assert f'BROKER_DIR="${{BROKER_DIR:-{written_to}}}"' in script, "setup writes elsewhere"


def test_the_default_broker_password_is_the_compose_office_s_service_password(
    compose: dict[str, Any],
) -> None:
    offices = ROOT / "deploy" / "compose" / "offices"
    services = [yaml.safe_load(p.read_text())["mqtt"]["service"] for p in offices.glob("*.yaml")]
    for service in replicas(compose).values():
        broker = urlsplit(service["environment"]["ROLLEKORT_BROKER"])
        assert {(broker.username, broker.password)} == {
            (s["username"], s["password"]) for s in services
        }


def test_setup_writes_the_accounts_and_keys_once(tmp_path: Path) -> None:
    """deploy/compose/setup.sh outside a container (SQLite for the migrations): the broker's
    files, and keys that a second run (the next `docker compose up`) leaves as they were."""
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "ROLLEKORT_CONFIG": str(ROOT / "deploy" / "compose" / "offices"),
        "ROLLEKORT_DB": f"sqlite+aiosqlite:///{tmp_path}/setup.db",
        "ROLLEKORT_DATA_DIR": str(tmp_path / "data"),
        "BROKER_DIR": str(tmp_path / "broker"),
        "SHIPPED_MOSQUITTO": str(MOSQUITTO),
        "RUN_AS": f"{os.getuid()}:{os.getgid()}",
    }
    for _ in range(2):
        done = subprocess.run(["sh", str(SETUP)], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        if _ == 0:
            keys = {p.name: p.read_bytes() for p in (tmp_path / "data").iterdir()}
    broker = tmp_path / "broker"
    assert (broker / "mosquitto.conf").read_text() == MOSQUITTO.read_text()
    assert "user rollekort\n" in (broker / "acl").read_text()
    assert (broker / "passwd").read_text().startswith("rollekort:$7$")
    named = {Path(v).name for k, v in replica_env().items() if k.endswith("_KEY_FILE")}
    assert set(keys) == named == {"chain.key", "rollekort-vapid.pem"}
    assert {p.name: p.read_bytes() for p in (tmp_path / "data").iterdir()} == keys
    assert (tmp_path / "data" / "chain.key").stat().st_mode & 0o077 == 0
