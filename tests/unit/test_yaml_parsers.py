"""libyaml's parser (fast start with hundreds of office files) gives the same data and the same
line and column for every value as the pure-Python one, and a broken file keeps the
pure-Python parser's message."""

from __future__ import annotations

import pytest

from app.config import yamlpos
from app.config.loader import OfficeFileError
from app.config.yamlpos import Tree
from tests.conftest import DEMO_OFFICE


def parse(text: str, fast: bool, monkeypatch: pytest.MonkeyPatch) -> Tree:
    if not fast:
        monkeypatch.setattr(yamlpos, "_CNodeLoader", None)
    tree = Tree("office.yaml")
    tree.data = tree.parse(text)  # type: ignore[attr-defined]
    monkeypatch.undo()
    return tree


def test_libyaml_and_pure_python_agree_on_data_and_positions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if yamlpos._CNodeLoader is None:
        pytest.skip("PyYAML was built without libyaml")
    text = DEMO_OFFICE.read_text(encoding="utf-8") + "\nextra: [no, on, 2026-11-01, 1.5, ~]\n"
    fast, slow = parse(text, True, monkeypatch), parse(text, False, monkeypatch)
    assert fast.data == slow.data  # type: ignore[attr-defined]
    assert fast.data["extra"] == ["no", "on", "2026-11-01", 1.5, None]  # type: ignore[attr-defined]
    where = {loc: (m.line, m.column) for loc, m in fast.marks.items()}
    assert where == {loc: (m.line, m.column) for loc, m in slow.marks.items()}
    assert len(where) > 100


def test_a_syntax_error_reads_the_same_with_either_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "format: rollekort/v1\noffice:\n  id: x\n\tname: tab\n"
    messages = []
    for fast in (True, False):
        with pytest.raises(OfficeFileError) as caught:
            parse(text, fast, monkeypatch)
        messages.append([str(p) for p in caught.value.problems])
    assert messages[0] == messages[1]
    assert messages[0] == ["office.yaml:4:1: " + messages[0][0].split(": ", 1)[1]]
    assert "indent with spaces" in messages[0][0]
