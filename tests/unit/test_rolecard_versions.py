"""RoleCardVersions on the in-memory store: seeding from the file, uploads with problems,
activation (refused with errors; swaps the office new alarms use, keeps the old one for open
alarms) and acknowledgements."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml
from structlog.testing import capture_logs

from app.config.loader import Severity, load_office_text
from app.service.offices import OfficeDirectory
from app.service.rolecards.versions import (
    ACTIVE,
    FROM_FILE,
    RETIRED,
    HasErrors,
    NotFound,
    RoleCardVersions,
    UnknownVersion,
    WrongOffice,
    version_number,
)
from tests.conftest import DEMO_OFFICE
from tests.fakes.versions import FakeVersionStore

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
DEMO = DEMO_OFFICE.read_text(encoding="utf-8")
NEW_CARD = DEMO.replace('version: "2026-11-01"', 'version: "2026-12-01"').replace(
    "Snakk rolig; ikke virk truende.", "Snakk rolig og lavt; ikke virk truende."
)
NO_STANCE = DEMO.replace("      stance: approach\n      leader: true\n", "      leader: true\n")


def edited(text: str, **changes: Any) -> str:
    """The file with top-level keys replaced (comments go; line numbers change)."""
    data = yaml.safe_load(text)
    data.update(changes)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def other_office() -> str:
    """A second office: own id, devices and tokens."""
    data = yaml.safe_load(DEMO)
    data["office"]["id"] = "nav-b"
    for d in data["devices"]:
        d["id"] = f"b-{d['id']}"
    for h in data["handsets"]:
        h["token"] = f"demo-b-{h['token']}"
    data["api_tokens"] = [{"token": "demo-b-admin", "role": "admin", "offices": ["nav-b"]}]
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def now(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at


async def started(
    store: FakeVersionStore | None = None,
    files: dict[str, str] | None = None,
    keep: set[tuple[str, str]] | None = None,
) -> tuple[RoleCardVersions, OfficeDirectory, FakeVersionStore]:
    """What app.main does: a directory from the files, then the versions seeded."""
    files = files or {"demo": DEMO}
    store = store or FakeVersionStore()
    offices = OfficeDirectory([load_office_text(text) for text in files.values()])
    versions = RoleCardVersions(store, offices, Clock().now)
    await versions.start(files, keep or set())
    return versions, offices, store


# --- seeding --------------------------------------------------------------------------------


async def test_an_empty_database_is_seeded_with_the_file_as_version_1() -> None:
    versions, offices, store = await started()
    [row] = await versions.history("demo")
    assert (row.number, row.label, row.status, row.content) == (1, "2026-11-01", ACTIVE, DEMO)
    assert row.uploaded_by == row.activated_by == FROM_FILE
    assert versions.active("demo") == row
    assert offices.office("demo").rolecard.version == "1:2026-11-01"
    device_office = offices.office_of_device("desk-1")
    assert device_office is not None and device_office.rolecard.version == "1:2026-11-01"
    await started(store)  # a restart with the same file stores nothing new
    assert len(store.rows) == 1


async def test_the_active_stored_version_wins_over_the_file() -> None:
    versions, _, store = await started()
    result = await versions.upload("demo", NEW_CARD, "coordinator")
    await versions.activate("demo", result.number, "coordinator")
    with capture_logs() as logs:
        _, offices, _ = await started(store)  # restart, still with the old file
    assert offices.office("demo").rolecard.version == "2:2026-12-01"
    assert any("differs" in entry["event"] and entry["log_level"] == "warning" for entry in logs)
    assert len(store.rows) == 2


async def test_an_active_version_that_no_longer_loads_gives_way_to_the_file() -> None:
    store = FakeVersionStore()
    await store.add("demo", NO_STANCE, "broken", T0, "admin", 0, 0)  # as if an older validator
    await store.activate("demo", 1, T0, "admin")
    versions, offices, _ = await started(store)
    active = versions.active("demo")
    assert active is not None and (active.number, active.activated_by) == (2, FROM_FILE)
    assert offices.office("demo").rolecard.version == "2:2026-11-01"


# --- upload and check -----------------------------------------------------------------------


async def test_an_upload_with_errors_is_stored_with_its_problems_located() -> None:
    versions, _, store = await started()
    result = await versions.upload("demo", NO_STANCE, "coordinator (token ab12cd34)")
    assert result.number == 2 and not result.activatable
    [stance] = [p for p in result.problems if "no stance" in p.message]
    assert stance.severity is Severity.ERROR and stance.path.startswith("rolecard.roles[0]")
    assert stance.line is not None and stance.column is not None
    row = store.rows[("demo", 2)]
    assert (row.status, row.content, row.uploaded_by) == (
        "uploaded",
        NO_STANCE,
        "coordinator (token ab12cd34)",
    )
    assert row.errors >= 1 and row.errors + row.warnings == len(result.problems)


async def test_yaml_that_does_not_parse_is_a_problem_not_an_exception() -> None:
    versions, _, _ = await started()
    result = await versions.upload("demo", "format: rollekort/office-v1\nrolecard: [\n", "x")
    assert not result.activatable and result.problems[0].line is not None
    assert (await versions.version("demo", result.number))[0].label == ""


async def test_a_file_for_another_office_is_refused_and_not_stored() -> None:
    versions, _, store = await started()
    with pytest.raises(WrongOffice, match="nav-b"):
        await versions.upload("demo", other_office(), "coordinator")
    assert len(store.rows) == 1
    checked = await versions.check("demo", other_office())  # validate shows it in place
    assert [p.path for p in checked.problems if "not 'demo'" in p.message] == ["office.id"]


async def test_a_file_may_not_take_another_offices_devices_or_tokens() -> None:
    versions, _, _ = await started(files={"demo": DEMO, "nav-b": other_office()})
    data = yaml.safe_load(DEMO)
    data["devices"][1]["id"] = "b-desk-1"
    data["handsets"][2]["token"] = "demo-b-demo-guard"
    data["api_tokens"].append({"token": "demo-b-admin", "role": "admin", "offices": ["demo"]})
    checked = await versions.check("demo", yaml.safe_dump(data, sort_keys=False))
    paths = {p.path: p for p in checked.problems if p.severity is Severity.ERROR}
    assert set(paths) == {"devices[1].id", "handsets[2]", "api_tokens[1]"}
    assert "belongs to office 'nav-b'" in paths["devices[1].id"].message
    assert "handset of office 'nav-b'" in paths["handsets[2]"].message
    assert all(p.line is not None for p in paths.values())
    assert not checked.activatable
    assert (await versions.check("demo", DEMO)).activatable  # its own devices are fine


async def test_check_stores_nothing() -> None:
    versions, _, store = await started()
    checked = await versions.check("demo", NEW_CARD)
    assert checked.activatable and checked.label == "2026-12-01" and len(store.rows) == 1


async def test_unknown_offices_and_versions() -> None:
    versions, _, _ = await started()
    with pytest.raises(NotFound):
        await versions.upload("nav-none", DEMO, "x")
    with pytest.raises(UnknownVersion):
        await versions.activate("demo", 9, "x")
    with pytest.raises(UnknownVersion):
        await versions.version("demo", 9)


# --- activation -----------------------------------------------------------------------------


async def test_activation_refuses_a_version_with_errors() -> None:
    versions, offices, store = await started()
    result = await versions.upload("demo", NO_STANCE, "coordinator")
    with pytest.raises(HasErrors) as refused:
        await versions.activate("demo", result.number, "coordinator")
    assert refused.value.errors and all(p.severity is Severity.ERROR for p in refused.value.errors)
    assert "no stance" in str(refused.value)
    assert store.rows[("demo", 1)].status == ACTIVE
    assert offices.office("demo").rolecard.version == "1:2026-11-01"


async def test_activation_swaps_the_office_for_new_alarms_and_keeps_the_old_one() -> None:
    versions, offices, store = await started()
    before = offices.office("demo")
    result = await versions.upload("demo", NEW_CARD, "coordinator")
    row = await versions.activate("demo", result.number, "admin (token 0011aabb)")
    assert (row.status, row.activated_by, row.key) == (
        ACTIVE,
        "admin (token 0011aabb)",
        "2:2026-12-01",
    )
    assert store.rows[("demo", 1)].status == RETIRED
    new = offices.office_of_device("desk-1")
    assert new is not None and new.rolecard.version == "2:2026-12-01"
    guard = new.rolecard.role("guard")
    assert guard.steps[1].text.startswith("Snakk rolig og lavt")
    assert offices.office_version("demo", "1:2026-11-01") is before
    assert offices.office_version("demo", "2:2026-12-01") is new
    assert offices.office_version("demo", "2026-11-01").rolecard.version.endswith("2026-11-01")
    found = offices.handset_for_token("demo-leader")
    assert found is not None and found[0] is new
    assert await versions.activate("demo", 2, "someone else") == row  # already active


async def test_a_restart_keeps_the_cards_of_open_alarms_reachable() -> None:
    versions, _, store = await started()
    await versions.activate("demo", (await versions.upload("demo", NEW_CARD, "c")).number, "c")
    keep = {("demo", "1:2026-11-01"), ("demo", "2026-11-01"), ("demo", "9:gone")}
    _, offices, _ = await started(store, keep=keep)
    assert offices.office("demo").rolecard.version == "2:2026-12-01"
    assert offices.office_version("demo", "1:2026-11-01").rolecard.version == "1:2026-11-01"


async def test_a_long_card_name_still_fits_the_alarm_record() -> None:
    versions, _, _ = await started()
    long_name = NEW_CARD.replace('version: "2026-12-01"', f'version: "{"x" * 300}"')
    result = await versions.upload("demo", long_name, "c")
    row = await versions.activate("demo", result.number, "c")
    assert len(row.key) <= 128 and version_number(row.key) == 2


# --- acknowledgements -----------------------------------------------------------------------


async def test_acknowledgements_are_for_the_active_version() -> None:
    versions, _, store = await started()
    assert versions.acknowledged("demo") == frozenset()
    assert await versions.acknowledge("demo", "lise") == 1
    assert await versions.acknowledge("demo", "lise") == 1
    assert versions.acknowledged("demo") == {"lise"}
    with pytest.raises(NotFound):
        await versions.acknowledge("demo", "nobody")
    restarted, _, _ = await started(store)
    assert restarted.acknowledged("demo") == {"lise"}  # from the database after a restart
    await versions.activate("demo", (await versions.upload("demo", NEW_CARD, "c")).number, "c")
    assert versions.acknowledged("demo") == frozenset()  # a new card must be read again
    await versions.acknowledge("demo", "per")
    assert versions.acknowledged("demo") == {"per"}
    assert versions.acknowledged("nav-none") == frozenset()
    assert store.acks[("demo", "lise", 1)] < store.acks[("demo", "per", 2)]
