"""The layering we agreed is checked, not hoped for: the core and the codecs stay pure, and
the services work over ports, never reaching for an adapter or the HTTP layer."""

from __future__ import annotations

import tomllib
from pathlib import Path

from importlinter.cli import lint_imports

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_import_contracts_hold() -> None:
    assert lint_imports() == 0


def test_the_services_are_forbidden_the_adapters_and_the_http_layer() -> None:
    contracts = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
    forbidden = {
        module
        for c in contracts
        if c["type"] == "forbidden" and c["source_modules"] == ["app.service"]
        for module in c["forbidden_modules"]
    }
    assert {"app.adapters", "app.api"} <= forbidden
