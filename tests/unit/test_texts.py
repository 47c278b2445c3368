"""Server texts travel as codes with parameters (docs/protocol.md, "Texts as codes"): every
language table knows every code, with the same parameters, and every coded frame the service
builds carries a code those tables know, plus the English text for old clients."""

from __future__ import annotations

import re

from app.adapters.ws import outbound
from app.adapters.ws.texts import LANGS, coded, render, table
from app.core.office import NamedAssignment
from app.core.supervision import Coverage, CoverageStatus, DeviceHealth, coverage
from tests.unit.office_fixtures import T0, office, role

FIELDS = re.compile(r"\{(\w+)\}")


def test_every_language_has_every_code_with_the_same_parameters() -> None:
    english = table("en")
    for lang in LANGS:
        other = table(lang)
        assert set(other) == set(english), lang
        for code, template in other.items():
            assert set(FIELDS.findall(template)) == set(FIELDS.findall(english[code])), code


def test_a_coded_text_keeps_its_parameters_and_renders_english_for_old_clients() -> None:
    frame = coded("reminder.unfilled", {"role": "Vekter"})
    assert frame["code"] == "reminder.unfilled" and frame["params"] == {"role": "Vekter"}
    assert "Vekter" in frame["text"] and frame["text"].startswith("Nobody has taken")
    assert render("reminder.unfilled", {"role": "Vekter"}, "nb").startswith("Ingen har tatt")


def test_coverage_problems_are_codes_the_tables_know() -> None:
    o = office(role("leader", NamedAssignment("lise", ("per",)), leader=True))
    health = {d: DeviceHealth(d, last_seen=T0, online=False, battery=5) for d in o.triggers}
    cover = coverage(o, health, frozenset(), T0, T0)
    frame = outbound.coverage_frame(cover)
    assert frame["code"] == "coverage.degraded"
    codes = {p["code"] for p in frame["coverage"]["problems"]}
    assert {"trigger_offline", "trigger_battery_low", "role_absent", "no_handset"} <= codes
    for problem in frame["coverage"]["problems"]:
        assert f"coverage.{problem['code']}" in table("nb"), problem
    assert frame["text"].startswith("COVERAGE DEGRADED: ")
    assert frame["coverage"]["reasons"] == list(cover.reasons)
    ok = outbound.coverage_frame(Coverage(o.id, CoverageStatus.OK, ()))
    assert ok["code"] == "coverage.ok" and ok["text"] == "Coverage OK"
