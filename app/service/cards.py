"""Which card an alarm runs on: resolved once when it is raised (variant by place, kind, time,
level and guard), remembered for the alarm's life, rebuilt from its record after a restart;
and the dispatch context each decision gets (presence, the office-local day, the guard)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from app.core.alarm import AlarmState
from app.core.assignment import DispatchContext
from app.core.facts import guest_id
from app.core.office import Gesture, Office, Person
from app.core.variants import card_from_record, guard_on_duty_at, resolve_rolecard
from app.core.whereabouts import placed
from app.service.presence import Presence
from app.service.whereabouts import Places

Acknowledged = Callable[[str], frozenset[str] | None]


class AlarmCards:
    def __init__(
        self,
        presence: Presence,
        acknowledged: Acknowledged | None = None,
        neighbours: Callable[[str], Office | None] | None = None,
        places: Places | None = None,
    ) -> None:
        self._presence = presence
        self.places = places or Places()
        self._acknowledged = acknowledged
        self._neighbours = neighbours or (lambda office_id: None)
        self._by_alarm: dict[str, Office] = {}

    def for_new_alarm(
        self, office: Office, device_id: str, gesture: Gesture, now: datetime
    ) -> Office:
        """The office as this alarm will see it: its card resolved for the situation."""
        trigger = office.triggers.get(device_id)
        if trigger is None:
            return office  # the core refuses an unknown device with a clear code
        trigger = placed(trigger, self.places.snapshot(office.id, now))  # a pendant's room
        local = _local(office, now)
        card = resolve_rolecard(
            office, trigger, trigger.level_for(gesture), local, self._guard_on_duty(office, local)
        )
        return replace(office, rolecard=card, people=self._with_guests(office))

    def _with_guests(self, office: Office) -> dict[str, Person]:
        """The office's people, and the staff of offices offered a role in its alarms, as
        `office:person` with the office named (so every handset shows who took what)."""
        people = dict(office.people)
        for share in office.facts.sharing:
            other = self._neighbours(share.office_id) if share.offers_role else None
            for person in other.people.values() if other else ():
                guest = guest_id(other.id, person.id) if other else person.id
                people[guest] = Person(guest, f"{person.name} ({other.name if other else ''})")
        return people

    def remember(self, alarm_id: str, office: Office) -> None:
        self._by_alarm[alarm_id] = office

    def forget(self, alarm_id: str) -> None:
        self._by_alarm.pop(alarm_id, None)

    def of(self, alarm_id: str, current: Office) -> Office:
        return self._by_alarm.get(alarm_id, current)

    def fuller(
        self, alarm: Office, office: Office, device_id: str, gesture: Gesture, now: datetime
    ) -> Office:
        """The alarm's card with the roles a raised level brings (a hold after "come by"):
        roles the alarm has keep their definitions; the new card's other roles are added."""
        upgraded = self.for_new_alarm(office, device_id, gesture, now).rolecard
        have = {r.id for r in alarm.rolecard.roles}
        added = tuple(r for r in upgraded.roles if r.id not in have)
        if not added:
            return alarm
        card = replace(
            alarm.rolecard, roles=(*alarm.rolecard.roles, *added), variant_id=upgraded.variant_id
        )
        return replace(alarm, rolecard=card)

    def rebuild(self, state: AlarmState, office: Office, variants: Sequence[str | None]) -> Office:
        """The alarm's card from its record: the variant it was raised with and any it was
        extended with since, keeping the roles as first dispatched."""
        card = card_from_record(
            office.rolecard, variants[-1], [s.role_id for s in state.slots], earlier=variants[:-1]
        )
        rebuilt = replace(
            office,
            rolecard=replace(card, version=state.rolecard_version),
            people=self._with_guests(office),
        )
        self._by_alarm[state.alarm_id] = rebuilt
        return rebuilt

    def context(
        self, office: Office, now: datetime, busy: frozenset[str] = frozenset()
    ) -> DispatchContext:
        local = _local(office, now)
        guests = {
            guest_id(share.office_id, person)
            for share in office.facts.sharing
            if share.offers_role
            for person in self._presence.present(share.office_id)
        }
        return DispatchContext(
            office=office,
            present=self._presence.present(office.id) | guests,
            today=local.date(),
            guard_on_duty=self._guard_on_duty(office, local),
            acknowledged=self._acknowledged(office.id) if self._acknowledged else None,
            busy=busy,
            whereabouts=self.places.snapshot(office.id, now),
            local=local,
        )

    def _guard_on_duty(self, office: Office, local: datetime) -> bool:
        """Scheduled on duty, and (when guards carry handsets) one of them is present."""
        guard = office.facts.guard
        if guard is None or not guard_on_duty_at(office, local):
            return False
        return not guard.people or any(
            self._presence.is_present(office.id, p) for p in guard.people
        )


def _local(office: Office, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(office.facts.timezone))
