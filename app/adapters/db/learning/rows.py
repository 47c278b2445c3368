"""Learning rows to table values and back, so the SQL store and the fake hold the same records.

Enums as their values, tuples as JSON lists, times in UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import datetime
from enum import Enum
from typing import Any

from app.adapters.db.tables import as_utc
from app.core.learning.terms import (
    AlarmReason,
    DebriefStatus,
    IncidentKind,
    Realism,
    ReferenceKind,
    ReportingLine,
    SessionStatus,
    Support,
)
from app.service.learning.ports import (
    AftercareRow,
    DebriefRow,
    DrillRow,
    IncidentRow,
    OutreachRow,
    Reference,
)

Row = DrillRow | DebriefRow | AftercareRow | IncidentRow | OutreachRow


def values(row: Row) -> dict[str, Any]:
    """The row as column values."""
    out: dict[str, Any] = {}
    for f in fields(row):
        value = getattr(row, f.name)
        if isinstance(value, Enum):
            value = value.value
        elif isinstance(value, datetime):
            value = as_utc(value)
        elif f.name == "report_refs":
            value = [
                {"kind": r.kind.value, "ref": r.ref, "reporting_line": r.reporting_line.value}
                for r in value
            ]
        elif isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, dict):
            value = dict(value)
        out[f.name] = value
    return out


def _opt_reason(value: Any) -> AlarmReason | None:
    return None if value is None else AlarmReason(value)


def drill(m: Mapping[str, Any]) -> DrillRow:
    return DrillRow(**{**m, "realism": Realism(m["realism"])})


def debrief(m: Mapping[str, Any]) -> DebriefRow:
    refs = tuple(
        Reference(ReferenceKind(r["kind"]), r["ref"], ReportingLine(r["reporting_line"]))
        for r in m["report_refs"]
    )
    return DebriefRow(
        **{
            **m,
            "status": DebriefStatus(m["status"]),
            "involved": tuple(m["involved"]),
            "report_refs": refs,
        }
    )


def aftercare(m: Mapping[str, Any]) -> AftercareRow:
    return AftercareRow(**{**m, "support": Support(m["support"])})


def incident(m: Mapping[str, Any]) -> IncidentRow:
    return IncidentRow(**{**m, "kind": IncidentKind(m["kind"])})


def session(m: Mapping[str, Any]) -> OutreachRow:
    return OutreachRow(
        **{
            **m,
            "status": SessionStatus(m["status"]),
            "alarm_reason": _opt_reason(m["alarm_reason"]),
            "companions": tuple(m["companions"]),
            "checklist": {str(k): bool(v) for k, v in m["checklist"].items()},
        }
    )


def utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)
