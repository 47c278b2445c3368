"""Files that ship inside the package: the examples (the demo office, presets, scenarios).

Found with importlib.resources, so every command works the same installed from a wheel as in a
checkout: `rollekort serve` with no `--config` runs the demo office, from any folder. In the
repository `app/examples` is a link to `examples/`, so there is one copy of each file.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def examples() -> Path:
    """The shipped examples folder (offices, presets, scenarios), as a real folder on disk."""
    found = Path(str(resources.files("app") / "examples"))
    if not found.is_dir():
        raise FileNotFoundError(f"{found}: the package's examples are missing (a broken install)")
    return found


def demo_office() -> Path:
    """The demo office: the default `--config`, and the template `rollekort sim load` copies."""
    return examples() / "demo-office.yaml"


def presets() -> Path:
    """The digest presets `rollekort sim preset NAME` runs."""
    return examples() / "presets"
