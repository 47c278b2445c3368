"""Who is present, per office: a person counts while at least one of their handsets is
connected, alive and on duty (a handset can say "off duty", so a person on a break is skipped
without a timeout). Person ids are an office's own, so every question names the office."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable


class Presence:
    def __init__(self) -> None:
        self._handsets: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._off_duty: set[tuple[str, str]] = set()
        self._watchers: list[Callable[[], None]] = []
        self._generations: defaultdict[str, int] = defaultdict(int)

    def generation(self, office_id: str) -> int:
        """Counts an office's changes: the same number means the same answers about it
        (prepared raises use it)."""
        return self._generations[office_id]

    def watch(self, changed: Callable[[], None]) -> None:
        """Call `changed` after every change."""
        self._watchers.append(changed)

    def _changed(self, office_id: str) -> None:
        self._generations[office_id] += 1
        for changed in self._watchers:
            changed()

    def touched(self, office_id: str) -> None:
        """Something a decision reads beside presence changed (a check-in, a checked-out
        trigger): it counts as a change of the office."""
        self._changed(office_id)

    def arrived(self, office_id: str, person_id: str, handset_id: str) -> None:
        self._handsets[(office_id, person_id)].add(handset_id)
        self._changed(office_id)

    def left(self, office_id: str, person_id: str, handset_id: str) -> None:
        key = (office_id, person_id)
        self._handsets[key].discard(handset_id)
        self._off_duty.discard((office_id, handset_id))
        if not self._handsets[key]:
            del self._handsets[key]
        self._changed(office_id)

    def set_duty(self, office_id: str, handset_id: str, on: bool) -> None:
        if on:
            self._off_duty.discard((office_id, handset_id))
        else:
            self._off_duty.add((office_id, handset_id))
        self._changed(office_id)

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
