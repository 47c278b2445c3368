"""Who is present: a person counts while at least one of their handsets is connected and alive."""

from __future__ import annotations

from collections import defaultdict


class Presence:
    def __init__(self) -> None:
        self._handsets: dict[str, set[str]] = defaultdict(set)

    def arrived(self, person_id: str, handset_id: str) -> None:
        self._handsets[person_id].add(handset_id)

    def left(self, person_id: str, handset_id: str) -> None:
        self._handsets[person_id].discard(handset_id)
        if not self._handsets[person_id]:
            del self._handsets[person_id]

    def present(self) -> frozenset[str]:
        return frozenset(self._handsets)

    def is_present(self, person_id: str) -> bool:
        return person_id in self._handsets
