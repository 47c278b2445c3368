"""Whether the lock files cover pyproject.toml: every dependency (and every dev tool in the dev
lock) pinned with `==`, with at least one hash. Standard library only, so `scripts/bootstrap` can
ask before it installs (a dependency added without `./scripts/lock` would otherwise be missing
from the environment). Exit 1 with what is missing."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def canonical(name: str) -> str:
    """PEP 503: `Typer`, `types_PyYAML` and `types-pyyaml` are one name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def required(pyproject: Path, extras: tuple[str, ...] = ()) -> dict[str, str]:
    """Canonical name -> the requirement as written, for the dependencies and `extras`."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    lines = list(project["dependencies"])
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    found = {}
    for line in lines:
        match = _NAME.match(line.strip())
        if match is not None:
            found[canonical(match.group(1))] = line.split("#")[0].strip()
    return found


def pinned(lock: Path) -> dict[str, tuple[str, int]]:
    """Canonical name -> (pinned version, number of hashes) of each package in a lock file."""
    found: dict[str, tuple[str, int]] = {}
    current = None
    for raw in lock.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        pin = _PIN.match(line)
        if pin is not None:
            current = canonical(pin.group(1))
            found[current] = (pin.group(2), 0)
        if current is not None and "--hash=sha256:" in line:
            version, hashes = found[current]
            found[current] = (version, hashes + line.count("--hash=sha256:"))
        if not raw.startswith(" ") and pin is None:
            current = None
    return found


def problems(pyproject: Path, lock: Path, extras: tuple[str, ...] = ()) -> list[str]:
    """What the lock lacks: a dependency not pinned, or pinned without a hash."""
    pins = pinned(lock)
    out = []
    for name, requirement in required(pyproject, extras).items():
        if name not in pins:
            out.append(f"{lock.name}: {requirement!r} from pyproject.toml is not pinned")
        elif pins[name][1] == 0:
            out.append(f"{lock.name}: {name}=={pins[name][0]} has no hash")
    return out


def main() -> int:
    pyproject = ROOT / "pyproject.toml"
    found = problems(pyproject, ROOT / "requirements.lock")
    found += problems(pyproject, ROOT / "requirements-dev.lock", ("dev",))
    for problem in found:
        print(problem, file=sys.stderr)
    if found:
        print("the lock files are behind pyproject.toml: run ./scripts/lock", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
