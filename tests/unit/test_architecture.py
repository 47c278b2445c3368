"""The layering we agreed is checked, not hoped for: the core and the codecs stay pure, and
the services work over ports, never reaching for an adapter or the HTTP layer. The size limits
too (issue 11): no module over 400 lines, no function over 60, so a file has one job."""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
SIZED_PACKAGES = ("app", "devices", "simulator", "bench")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


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


def _long_functions(source: str, module: str) -> Iterator[str]:
    """`module:Qual.name (n lines)` for every function or method longer than the limit."""

    def walk(node: ast.AST, prefix: str) -> Iterator[str]:
        for child in ast.iter_child_nodes(node):
            name = prefix
            if isinstance(child, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                name = f"{prefix}{child.name}."
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                assert child.end_lineno is not None
                lines = child.end_lineno - child.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    yield f"{module}:{name[:-1]} ({lines} lines)"
            yield from walk(child, name)

    yield from walk(ast.parse(source), "")


def _oversized(root: Path) -> list[str]:
    found = []
    for package in SIZED_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            module = path.relative_to(root).as_posix()
            source = path.read_text(encoding="utf-8")
            lines = len(source.splitlines())
            if lines > MAX_MODULE_LINES:
                found.append(f"{module} ({lines} lines)")
            found.extend(_long_functions(source, module))
    return found


def test_no_module_over_400_lines_and_no_function_over_60() -> None:
    assert _oversized(ROOT) == []


def test_the_size_check_names_every_offender(tmp_path: Path) -> None:
    """A method one line over the limit and a module one line over are named; a function
    exactly at the limit is not."""
    grown = "".join(f"        x{i} = {i}\n" for i in range(60))  # the def line makes 61
    fine = "".join(f"    y{i} = {i}\n" for i in range(59))  # 60 with its def line
    source = f"class Big:\n    def grown(self) -> None:\n{grown}\n\ndef fine() -> None:\n{fine}"
    source += "\n" * (MAX_MODULE_LINES + 1 - len(source.splitlines()))
    for package in SIZED_PACKAGES:
        (tmp_path / package).mkdir()
    (tmp_path / "app" / "big.py").write_text(source)
    (tmp_path / "bench" / "small.py").write_text(f"def fine() -> None:\n{fine}")
    assert _oversized(tmp_path) == ["app/big.py (401 lines)", "app/big.py:Big.grown (61 lines)"]
