"""The timeline's tamper evidence as the API shows it (docs/reliability.md)."""

from __future__ import annotations

from pydantic import BaseModel

from app.service.ports import ChainCheck


class ChainOut(BaseModel):
    """Checked on every read: `ok`, `broken` (with the first problem found) or `unsealed`."""

    state: str
    reason: str | None
    length: int

    @classmethod
    def of(cls, check: ChainCheck) -> ChainOut:
        return cls(state=check.state, reason=check.reason, length=check.length)
