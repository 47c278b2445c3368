"""Reproducible installs: the lock files CI, the Dockerfile and scripts/bootstrap install from
cover every dependency in pyproject.toml, pinned to a version its bound allows, with hashes."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from packaging.requirements import Requirement

from tests.conftest import ROOT

LOCKS = {"requirements.lock": (), "requirements-dev.lock": ("dev",)}


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_lock", ROOT / "scripts" / "check_lock.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


check_lock = _checker()


@pytest.mark.parametrize("lock", LOCKS)
def test_every_dependency_is_pinned_with_hashes_within_its_bound(lock: str) -> None:
    path, extras = ROOT / lock, LOCKS[lock]
    assert check_lock.problems(ROOT / "pyproject.toml", path, extras) == []
    pins = check_lock.pinned(path)
    for name, written in check_lock.required(ROOT / "pyproject.toml", extras).items():
        version = pins[name][0]
        assert Requirement(written).specifier.contains(version, prereleases=True), (
            f"{lock}: {name}=={version} is outside {written!r}"
        )
    unhashed = [f"{n}=={v}" for n, (v, hashes) in pins.items() if hashes == 0]
    assert unhashed == [], f"pip --require-hashes refuses a lock with {unhashed}"


def test_the_service_lock_is_the_dev_lock_without_the_tools() -> None:
    service = check_lock.pinned(ROOT / "requirements.lock")
    dev = check_lock.pinned(ROOT / "requirements-dev.lock")
    differ = {n: (v, dev[n][0]) for n, (v, _) in service.items() if n in dev and dev[n][0] != v}
    assert set(service) <= set(dev) and differ == {}, "CI would test other versions than ship"


def test_a_dependency_added_without_locking_is_named(tmp_path: Path) -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    added = text.replace("dependencies = [\n", 'dependencies = [\n  "Some_New.Package>=1",\n', 1)
    (tmp_path / "pyproject.toml").write_text(added, encoding="utf-8")
    found = check_lock.problems(tmp_path / "pyproject.toml", ROOT / "requirements.lock")
    assert found == ["requirements.lock: 'Some_New.Package>=1' from pyproject.toml is not pinned"]
