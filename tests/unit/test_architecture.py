"""The layering we agreed is checked, not hoped for: the core and the codecs stay pure."""

from __future__ import annotations

from importlinter.cli import lint_imports


def test_import_contracts_hold() -> None:
    assert lint_imports() == 0
