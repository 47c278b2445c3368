"""FakeVersionStore: the VersionStore port in memory, for service tests that need no database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from app.adapters.db.tables import as_utc
from app.service.rolecards.versions import (
    ACTIVE,
    RETIRED,
    UPLOADED,
    NewVersion,
    UnknownVersion,
    VersionRow,
    VersionStore,
)


class FakeVersionStore:
    """Same behaviour as SqlAlchemyVersionStore; `rows` and `acks` are open for tests to read."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, int], VersionRow] = {}
        self.acks: dict[tuple[str, str, int], datetime] = {}

    async def add(
        self,
        office_id: str,
        content: str,
        label: str,
        at: datetime,
        by: str,
        errors: int,
        warnings: int,
    ) -> int:
        number = 1 + max((n for o, n in self.rows if o == office_id), default=0)
        self.rows[(office_id, number)] = VersionRow(
            office_id=office_id,
            number=number,
            label=label,
            content=content,
            uploaded_at=as_utc(at),
            uploaded_by=by,
            status=UPLOADED,
            activated_at=None,
            activated_by=None,
            errors=errors,
            warnings=warnings,
        )
        return number

    async def activate(self, office_id: str, number: int, at: datetime, by: str) -> None:
        at = as_utc(at)
        row = self.rows.get((office_id, number))
        if row is None:
            raise UnknownVersion(office_id, number)
        if row.status == ACTIVE:
            return
        for key, other in self.rows.items():
            if other.office_id == office_id and other.status == ACTIVE:
                self.rows[key] = replace(other, status=RETIRED)
        self.rows[(office_id, number)] = replace(
            row, status=ACTIVE, activated_at=at, activated_by=by
        )

    async def active(self, office_id: str) -> VersionRow | None:
        mine = [r for r in self.rows.values() if r.office_id == office_id and r.status == ACTIVE]
        return mine[0] if mine else None

    async def history(self, office_id: str) -> list[VersionRow]:
        mine = [r for r in self.rows.values() if r.office_id == office_id]
        return sorted(mine, key=lambda r: r.number, reverse=True)

    async def get(self, office_id: str, number: int) -> VersionRow | None:
        return self.rows.get((office_id, number))

    async def acknowledge(self, office_id: str, person_id: str, number: int, at: datetime) -> None:
        self.acks.setdefault((office_id, person_id, number), as_utc(at))

    async def acknowledged(self, office_id: str, number: int) -> set[str]:
        return {p for o, p, n in self.acks if o == office_id and n == number}

    async def actives(self) -> dict[str, VersionRow]:
        return {r.office_id: r for r in self.rows.values() if r.status == ACTIVE}

    async def active_acks(self) -> dict[str, set[str]]:
        actives = await self.actives()
        found: dict[str, set[str]] = {}
        for o, p, n in self.acks:
            if o in actives and actives[o].number == n:
                found.setdefault(o, set()).add(p)
        return found

    async def seed(self, versions: Sequence[NewVersion]) -> list[VersionRow]:
        rows = []
        for n in versions:
            number = await self.add(n.office_id, n.content, n.label, n.at, n.by, 0, n.warnings)
            await self.activate(n.office_id, number, n.at, n.by)
            rows.append(self.rows[(n.office_id, number)])
        return rows


if TYPE_CHECKING:
    _implements_the_port: type[VersionStore] = FakeVersionStore
