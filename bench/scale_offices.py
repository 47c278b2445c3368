"""Offices for `rollekort bench scale`: N copies of the demo office, each with its own ids and
tokens, `handsets` handsets (one person each) and `buttons` buttons (fixed desk buttons plus the
demo's worn one).

A run's ids carry its own tag: button topics have no office in them, so two runs on one broker
with the same ids would each hear the other's presses and record them as alarms of its own."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "demo-office.yaml"


@dataclass(frozen=True)
class ScaleOffice:
    office_id: str
    buttons: tuple[str, ...]  # device ids; the first is the desk button the bench presses
    leader_token: str
    tokens: tuple[str, ...]  # every handset's, the leader's first


def write_offices(
    folder: Path, offices: int, handsets: int, buttons: int, tag: str = "run"
) -> list[ScaleOffice]:
    """Write the office files into `folder`; return what the load generators need. Office,
    button and token ids start `scale-<tag>-`."""
    folder.mkdir(parents=True, exist_ok=True)
    demo = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    return [_write_one(folder, demo, tag, n, handsets, buttons) for n in range(1, offices + 1)]


def _write_one(
    folder: Path, demo: dict[str, object], tag: str, n: int, handsets: int, buttons: int
) -> ScaleOffice:
    oid = f"scale-{tag}-{n:03d}"
    data = json.loads(json.dumps(demo))  # a deep copy of plain YAML data
    data["office"]["id"], data["office"]["name"] = oid, f"Scale office {n}"
    for handset in data["handsets"]:
        handset["id"] = f"{oid}-{handset['id']}"
        handset["token"] = f"demo-{oid}-{handset['person']}"
    for extra in range(len(data["handsets"]) + 1, handsets + 1):
        person = f"staff-{extra}"
        data["people"].append({"id": person, "name": f"Staff {extra}"})
        data["handsets"].append(
            {"id": f"{oid}-hs-{person}", "person": person, "token": f"demo-{oid}-{person}"}
        )
    desk, worn = data["devices"]
    devices = [{**desk, "id": f"{oid}-desk-{i}"} for i in range(1, buttons)]
    data["devices"] = [*devices, {**worn, "id": f"{oid}-worn-1"}]
    data["api_tokens"] = [{"token": f"demo-{oid}-api", "role": "coordinator", "offices": [oid]}]
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    (folder / f"{oid}.yaml").write_text(text, encoding="utf-8")
    tokens = [h["token"] for h in data["handsets"]]
    leader = f"demo-{oid}-lise"
    ordered = (leader, *(t for t in tokens if t != leader))
    return ScaleOffice(oid, tuple(d["id"] for d in data["devices"]), leader, ordered)
