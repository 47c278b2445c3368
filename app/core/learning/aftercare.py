"""Who a debrief owes after-care: everyone the alarm touched, leaders and acting leaders included.

Leaders are the ones after-care forgets (report 4.3), so the leader role's holder, or whoever it
was first offered to when nobody took it (the leader or the acting leader standing in), is always
on the list. Pure: computed from the alarm's timeline and the card's leader roles.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from app.core import events as ev


def debrief_id_for(alarm_id: str) -> str:
    """One debrief per alarm, with an id derived from it, so creating it twice is a no-op."""
    return "d-" + alarm_id.removeprefix("a-")


def involved(events: Sequence[ev.Event], leader_role_ids: Iterable[str]) -> tuple[str, ...]:
    """The presser (a worn trigger's holder), everyone who took a role or asked for help, and the
    leader roles' holders, or the people first offered a leader role nobody took; in timeline
    order, each once."""
    leaders = frozenset(leader_role_ids)
    found: list[str] = []

    def add(*people: str | None) -> None:
        found.extend(p for p in people if p is not None and p not in found)

    taken: set[str] = set()
    first_offer: dict[str, tuple[str, ...]] = {}
    for e in events:
        if isinstance(e, ev.AlarmRaised):
            add(e.presser_id)
        elif isinstance(e, ev.RoleAccepted):
            add(e.person_id)
            taken.add(e.role_id)
        elif isinstance(e, ev.HelpRequested):
            add(e.person_id)
        elif isinstance(e, ev.RoleOffered) and e.role_id in leaders:
            first_offer.setdefault(e.role_id, e.person_ids)
    for role_id, people in first_offer.items():
        if role_id not in taken:
            add(*people)
    return tuple(found)


def missing_aftercare(involved_ids: Iterable[str], covered: Iterable[str]) -> tuple[str, ...]:
    """The involved people without an after-care entry yet; the debrief cannot close until none."""
    done = frozenset(covered)
    return tuple(p for p in involved_ids if p not in done)
