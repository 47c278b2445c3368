"""Percentiles and the ratio table a benchmark prints (medians, p99, max, in milliseconds)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class Summary:
    name: str
    count: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    @classmethod
    def of(cls, name: str, samples_ns: list[int]) -> Summary:
        ms = [s / 1e6 for s in samples_ns]
        cuts = statistics.quantiles(ms, n=100, method="inclusive")
        return cls(name, len(ms), statistics.median(ms), cuts[98], max(ms))

    def __add__(self, other: Summary) -> Summary:
        """The floor: two hops in series, percentile by percentile (an upper bound for p99)."""
        return Summary(
            f"{self.name} + {other.name}",
            min(self.count, other.count),
            self.p50_ms + other.p50_ms,
            self.p99_ms + other.p99_ms,
            self.max_ms + other.max_ms,
        )
