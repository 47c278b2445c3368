"""Who is present, per office: a person counts while at least one of their handsets is
connected, alive and on duty (a handset can say "off duty", so a person on a break is skipped
without a timeout). Person ids are an office's own, so every question names the office."""

from __future__ import annotations

from collections import defaultdict


class Presence:
    def __init__(self) -> None:
        self._handsets: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._off_duty: set[tuple[str, str]] = set()

    def arrived(self, office_id: str, person_id: str, handset_id: str) -> None:
        self._handsets[(office_id, person_id)].add(handset_id)

    def left(self, office_id: str, person_id: str, handset_id: str) -> None:
        key = (office_id, person_id)
        self._handsets[key].discard(handset_id)
        self._off_duty.discard((office_id, handset_id))
        if not self._handsets[key]:
            del self._handsets[key]

    def set_duty(self, office_id: str, handset_id: str, on: bool) -> None:
        if on:
            self._off_duty.discard((office_id, handset_id))
        else:
            self._off_duty.add((office_id, handset_id))

    def present(self, office_id: str) -> frozenset[str]:
        return frozenset(
            person
            for (office, person), handsets in self._handsets.items()
            if office == office_id and self._on_duty(office, handsets)
        )

    def is_present(self, office_id: str, person_id: str) -> bool:
        return self._on_duty(office_id, self._handsets.get((office_id, person_id), set()))

    def _on_duty(self, office_id: str, handsets: set[str]) -> bool:
        return any((office_id, h) not in self._off_duty for h in handsets)
