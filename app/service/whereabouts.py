"""Where people are, as their handsets said: check-in at a desk or room (until check-out, off
duty, a check-in elsewhere or the shift's end) and worn triggers checked out to a person.

Kept in memory like presence: after a restart the handset page checks in again once it is
welcomed (docs/protocol.md), and until then the office file's roster answers for fixed places.
A decision reads them at the press, as it reads presence; the handset endpoint rechecks the
office's coverage after each change (lone reception and "never alone" depend on them).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from app.core.whereabouts import Carry, CheckIn, Whereabouts

#: A check-in without a shift end lasts this long at most (a forgotten check-out expires).
DEFAULT_SHIFT = timedelta(hours=12)


def _minute(at: datetime) -> datetime:
    """Ends fall on whole minutes, so a decision made a little ahead sees the same answer."""
    return at.replace(second=0, microsecond=0)


class Places:
    def __init__(self) -> None:
        self._check_ins: defaultdict[str, dict[str, CheckIn]] = defaultdict(dict)
        self._carried: defaultdict[str, dict[str, Carry]] = defaultdict(dict)

    def check_in(
        self,
        office_id: str,
        person_id: str,
        location_id: str,
        now: datetime,
        until: datetime | None,
    ) -> CheckIn:
        end = _minute(until if until is not None and until > now else now + DEFAULT_SHIFT)
        entry = CheckIn(person_id, location_id, now, end)
        self._check_ins[office_id][person_id] = entry
        return entry

    def check_out(self, office_id: str, person_id: str) -> bool:
        """Off duty or the end of a shift checks out too; True when there was a check-in."""
        return self._check_ins[office_id].pop(person_id, None) is not None

    def carry(
        self,
        office_id: str,
        device_id: str,
        person_id: str,
        location_id: str | None,
        now: datetime,
        until: datetime | None,
    ) -> Carry:
        end = _minute(until if until is not None and until > now else now + DEFAULT_SHIFT)
        entry = Carry(device_id, person_id, location_id, now, end)
        self._carried[office_id][device_id] = entry
        return entry

    def give_back(self, office_id: str, device_id: str) -> bool:
        return self._carried[office_id].pop(device_id, None) is not None

    def snapshot(self, office_id: str, now: datetime) -> Whereabouts:
        """What holds now: entries whose end has passed are left out (and forgotten)."""
        ins = self._check_ins.get(office_id, {})
        carried = self._carried.get(office_id, {})
        for table in (ins, carried):
            for key in [k for k, v in table.items() if v.until is not None and v.until <= now]:
                del table[key]
        return Whereabouts(tuple(ins.values()), tuple(carried.values()))
