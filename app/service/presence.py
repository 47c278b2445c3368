"""Who is present: a person counts while at least one of their handsets is connected, alive and
on duty (a handset can say "off duty", so a person on a break is skipped without a timeout)."""

from __future__ import annotations

from collections import defaultdict


class Presence:
    def __init__(self) -> None:
        self._handsets: dict[str, set[str]] = defaultdict(set)
        self._off_duty: set[str] = set()

    def arrived(self, person_id: str, handset_id: str) -> None:
        self._handsets[person_id].add(handset_id)

    def left(self, person_id: str, handset_id: str) -> None:
        self._handsets[person_id].discard(handset_id)
        self._off_duty.discard(handset_id)
        if not self._handsets[person_id]:
            del self._handsets[person_id]

    def set_duty(self, handset_id: str, on: bool) -> None:
        if on:
            self._off_duty.discard(handset_id)
        else:
            self._off_duty.add(handset_id)

    def present(self) -> frozenset[str]:
        return frozenset(p for p, hs in self._handsets.items() if hs - self._off_duty)

    def is_present(self, person_id: str) -> bool:
        return bool(self._handsets.get(person_id, set()) - self._off_duty)
