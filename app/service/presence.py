"""Who is present, per office: a person counts while at least one of their handsets is
connected, alive and on duty (a handset can say "off duty", so a person on a break is skipped
without a timeout). Person ids are an office's own, so every question names the office.

Kept per office and updated incrementally: a handset coming or going touches its own office only,
and `present` answers from a set kept up to date (with 500 offices and 20,000 handsets a connect
storm asked it once per connect, and walking every office's people each time was most of the
storm's cost)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class _Office:
    handsets: dict[str, set[str]] = field(default_factory=dict)  # person -> connected handsets
    off_duty: set[str] = field(default_factory=set)  # handset ids
    present: frozenset[str] = frozenset()

    def refresh(self, person_id: str) -> None:
        """Recount one person (O(their handsets)); `present` is rebuilt only when it changed."""
        here = any(h not in self.off_duty for h in self.handsets.get(person_id, ()))
        if here != (person_id in self.present):
            self.present = self.present | {person_id} if here else self.present - {person_id}


class Presence:
    def __init__(self) -> None:
        self._offices: dict[str, _Office] = {}
        self._person_of: dict[tuple[str, str], str] = {}  # (office, handset) -> person
        self._watchers: list[Callable[[], None]] = []
        self._office_watchers: list[Callable[[str], None]] = []

    def watch(self, changed: Callable[[], None]) -> None:
        """Call `changed` after every change."""
        self._watchers.append(changed)

    def watch_offices(self, changed: Callable[[str], None]) -> None:
        """Call `changed(office_id)` after every change of that office."""
        self._office_watchers.append(changed)

    def _changed(self, office_id: str) -> None:
        for changed in self._watchers:
            changed()
        for office_changed in self._office_watchers:
            office_changed(office_id)

    def _office(self, office_id: str) -> _Office:
        office = self._offices.get(office_id)
        if office is None:
            office = self._offices[office_id] = _Office()
        return office

    def arrived(self, office_id: str, person_id: str, handset_id: str) -> None:
        office = self._office(office_id)
        office.handsets.setdefault(person_id, set()).add(handset_id)
        self._person_of[(office_id, handset_id)] = person_id
        office.refresh(person_id)
        self._changed(office_id)

    def left(self, office_id: str, person_id: str, handset_id: str) -> None:
        office = self._office(office_id)
        handsets = office.handsets.get(person_id)
        if handsets is not None:
            handsets.discard(handset_id)
            if not handsets:
                del office.handsets[person_id]
        office.off_duty.discard(handset_id)
        self._person_of.pop((office_id, handset_id), None)
        office.refresh(person_id)
        self._changed(office_id)

    def set_duty(self, office_id: str, handset_id: str, on: bool) -> None:
        office = self._office(office_id)
        if on:
            office.off_duty.discard(handset_id)
        else:
            office.off_duty.add(handset_id)
        person_id = self._person_of.get((office_id, handset_id))
        if person_id is not None:
            office.refresh(person_id)
        self._changed(office_id)

    def present(self, office_id: str) -> frozenset[str]:
        office = self._offices.get(office_id)
        return frozenset() if office is None else office.present

    def is_present(self, office_id: str, person_id: str) -> bool:
        office = self._offices.get(office_id)
        return office is not None and person_id in office.present
