"""The learning API's published schema: statistics, readiness and drill scorecards have no field
that could carry a person, so no per-person table can be read out of them (requirement 32)."""

from __future__ import annotations

from typing import Any

from app.main import create_app
from app.settings import Settings

PERSON_WORDS = ("person", "holder", "people", "name", "participant_ids", "who")
AGGREGATES = ("StatisticsOut", "ReadinessOut", "DrillReportOut")


def _properties(schemas: dict[str, Any], name: str, seen: set[str]) -> set[str]:
    """Every property name reachable from one component schema."""
    if name in seen:
        return set()
    seen.add(name)
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                found.update(_properties(schemas, node["$ref"].rsplit("/", 1)[-1], seen))
            found.update(node.get("properties", {}))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schemas[name])
    return found


def test_aggregates_have_no_field_for_a_person() -> None:
    schema = create_app(Settings()).openapi()
    schemas = schema["components"]["schemas"]
    for name in AGGREGATES:
        fields = _properties(schemas, name, set())
        assert "role_id" in fields or name == "ReadinessOut"
        assert not [f for f in fields if any(w in f for w in PERSON_WORDS)], (name, fields)


def test_every_learning_route_is_in_the_schema() -> None:
    paths = create_app(Settings()).openapi()["paths"]
    for path in (
        "/api/v1/offices/{office_id}/drills",
        "/api/v1/offices/{office_id}/drills/{drill_id}/end",
        "/api/v1/offices/{office_id}/drill-cadence",
        "/api/v1/offices/{office_id}/readiness",
        "/api/v1/offices/{office_id}/statistics",
        "/api/v1/offices/{office_id}/incidents",
        "/api/v1/offices/{office_id}/debriefs",
        "/api/v1/debriefs/{debrief_id}",
        "/api/v1/debriefs/{debrief_id}/aftercare",
        "/api/v1/debriefs/{debrief_id}/close",
        "/api/v1/offices/{office_id}/outreach",
        "/api/v1/offices/{office_id}/outreach/{session_id}/panic",
        "/api/v1/offices/{office_id}/retention",
        "/api/v1/offices/{office_id}/retention/purge",
    ):
        assert path in paths, path
