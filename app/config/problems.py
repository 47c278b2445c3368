"""A problem in an office file as a coordinator reads it: file:line:col, the field, the message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.config.rules.base import Severity


@dataclass(frozen=True)
class Problem:
    severity: Severity
    path: str
    line: int | None
    column: int | None
    message: str
    source: str = "<office>"

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}:{self.column}" if self.column is not None else f":{self.line}"
        parts = [where, self.path, "warning" if self.severity is Severity.WARNING else ""]
        return ": ".join([p for p in parts if p] + [self.message])


class OfficeFileError(Exception):
    """The office file cannot be used; `problems` lists every error (and warning) found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        n = len(self.errors)
        head = f"{n} error{'s' if n != 1 else ''} in the office file"
        super().__init__("\n".join([head, *map(str, self.problems)]))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]


def sorted_problems(problems: Sequence[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line is None, p.line or 0, p.column or 0))
