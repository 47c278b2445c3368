"""Coverage under a reconnect storm: handsets coming and going in one office recheck that office
only, once per burst, and its leader hears one notice per real change of coverage."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from app.core.office import NamedAssignment, Office, Stance, Trigger, TriggerKind
from app.core.supervision import Coverage
from app.service import supervision as supervision_module
from app.service.clock import SystemClock
from app.service.offices import OfficeDirectory
from app.service.presence import Presence
from app.service.supervision import COALESCE_S, Supervision
from tests.unit.office_fixtures import office, role

BASE = office(
    role("leader", NamedAssignment("lise", ("per",)), leader=True, stance=Stance.EXTERNAL_CONTACT)
)


def office_named(office_id: str) -> Office:
    triggers = {
        f"desk-{office_id}": Trigger(f"desk-{office_id}", TriggerKind.FIXED, "reception"),
    }
    return replace(BASE, id=office_id, triggers=triggers)


@dataclass
class Loaded:
    office: Office
    handset_tokens: dict[str, str] = field(default_factory=dict)
    api_tokens: tuple[Any, ...] = ()


async def test_a_storm_in_one_office_rechecks_it_once_and_no_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    offices = OfficeDirectory([Loaded(office_named(o)) for o in ("o1", "o2", "o3")])
    presence = Presence()
    notices: list[tuple[str, Coverage]] = []
    supervision = Supervision(offices, presence, SystemClock(), lambda o, c: notices.append((o, c)))
    supervision.start({})
    assert {o for o, c in notices if c.degraded} == {"o1", "o2", "o3"}  # nobody is connected
    notices.clear()

    computed: list[str] = []
    real = supervision_module.coverage

    def counting(office: Office, *args: Any) -> Coverage:
        computed.append(office.id)
        return real(office, *args)

    monkeypatch.setattr(supervision_module, "coverage", counting)
    for _ in range(20):  # per's handset flaps, then lise arrives for good
        presence.arrived("o1", "per", "hs-per")
        presence.left("o1", "per", "hs-per")
    presence.arrived("o1", "lise", "hs-lise")
    assert computed == [], "nothing is rechecked on the connect's own path"
    await asyncio.sleep(COALESCE_S * 3)
    try:
        assert computed == ["o1"]
        assert [(o, c.degraded) for o, c in notices] == [("o1", False)]
        assert supervision.coverage("o1").reasons == ()
    finally:
        supervision.close()


async def test_a_welcome_during_a_storm_reuses_the_last_coverage_and_the_recheck_corrects_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    offices = OfficeDirectory([Loaded(office_named("o1"))])
    presence = Presence()
    notices: list[tuple[str, Coverage]] = []
    supervision = Supervision(offices, presence, SystemClock(), lambda o, c: notices.append((o, c)))
    supervision.start({})
    notices.clear()
    computed: list[str] = []
    real = supervision_module.coverage

    def counting(office: Office, *args: Any) -> Coverage:
        computed.append(office.id)
        return real(office, *args)

    monkeypatch.setattr(supervision_module, "coverage", counting)
    try:
        presence.arrived("o1", "lise", "hs-lise")  # the welcome comes right after the arrival
        welcomed = supervision.coverage("o1", pending_ok=True)
        assert computed == [] and welcomed.degraded  # what every handset was last told
        assert not supervision.coverage("o1").degraded  # as of now, for everyone else
        await asyncio.sleep(COALESCE_S * 3)
        assert [(o, c.degraded) for o, c in notices] == [("o1", False)]  # the welcomed hear it
        assert not supervision.coverage("o1", pending_ok=True).degraded
    finally:
        supervision.close()
