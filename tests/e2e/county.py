"""A county of demo offices for the county view: each a copy of the demo office with its own id,
devices and handset tokens, and one county coordinator token listed by every office's file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from tests.conftest import DEMO_OFFICE

COUNTY_TOKEN = "demo-county-coordinator"
OFFICES = {"demo": "NAV Demo", "nord": "NAV Nord", "sor": "NAV Sør", "vest": "NAV Vest"}


def office_data(office_id: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(DEMO_OFFICE.read_text())
    data["api_tokens"].append(
        {"token": COUNTY_TOKEN, "role": "coordinator", "offices": [office_id]}
    )
    if office_id == "demo":
        return data
    data["office"].update(id=office_id, name=name)
    for device in data["devices"]:
        device["id"] = f"{office_id}-{device['id']}"
    for handset in data["handsets"]:
        handset["id"] = f"{office_id}-{handset['id']}"
        handset["token"] = handset["token"].replace("demo-", f"demo-{office_id}-")
    data["api_tokens"] = [t for t in data["api_tokens"] if t["token"] == COUNTY_TOKEN]
    return data


def county_texts() -> dict[str, str]:
    return {
        office_id: yaml.safe_dump(office_data(office_id, name), allow_unicode=True, sort_keys=False)
        for office_id, name in OFFICES.items()
    }


def county_folder(tmp: Path) -> Path:
    folder = tmp / "county"
    folder.mkdir()
    for office_id, text in county_texts().items():
        (folder / f"{office_id}.yaml").write_text(text)
    return folder
