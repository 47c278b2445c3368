"""Req. 5: the role shown on an idle receiver follows acting leaders. On the first day of a
delegation the stand-in's screen says whom she acts for and the absent holder's stops naming the
role; the connected handsets are told that day (just after the office's midnight), not at their
next connect; and again when the delegation ends."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from app.adapters.ws.outbound import office_day, standing_roles_frame
from app.config.loader import load_office_file
from app.core.facts import Delegation
from app.core.office import Office
from app.core.variants import standing_on
from app.service.acting import ActingWatch
from app.service.offices import OfficeDirectory
from simulator.fakes import ManualClock
from tests.conftest import DEMO_OFFICE

FIRST, LAST = date(2026, 12, 8), date(2026, 12, 9)
AWAY = (Delegation("lise", "per", FIRST, LAST),)  # Per acts for Lise, Tuesday and Wednesday


def demo_with_delegation() -> OfficeDirectory:
    loaded = load_office_file(DEMO_OFFICE)
    return OfficeDirectory([replace(loaded, office=replace(loaded.office, delegations=AWAY))])


def roles(frame: dict[str, object]) -> dict[str, object]:
    listed = frame["standing_roles"]
    assert isinstance(listed, list)
    return {r["role_id"]: r["acting_for"] for r in listed}


def test_the_stand_in_shows_whom_she_acts_for_and_the_absent_holder_loses_the_role() -> None:
    office = demo_with_delegation().office("demo")
    before = {s.role.id: s.acting_for for s in standing_on(office, "per", FIRST - timedelta(1))}
    assert before["leader"] is None  # Per is the leader's deputy on an ordinary day
    assert "leader" in {s.role.id for s in standing_on(office, "lise", FIRST - timedelta(1))}
    per = roles(standing_roles_frame("per", office, FIRST))
    assert per["leader"] == "Lise (leder)" and per["guard"] is None
    assert roles(standing_roles_frame("lise", office, FIRST)) == {}  # away: she is asked nothing
    assert roles(standing_roles_frame("lise", office, LAST + timedelta(1)))["leader"] is None


async def test_connected_handsets_hear_of_the_acting_leader_when_her_day_starts_and_ends() -> None:
    # Monday 22:00 UTC is 23:00 in Oslo: an hour before the delegation's first day
    clock = ManualClock(datetime(2026, 12, 7, 22, 0, tzinfo=UTC))
    told: list[tuple[Office, date]] = []
    watch = ActingWatch(
        demo_with_delegation(), clock, lambda o: told.append((o, office_day(o, clock.now())))
    )
    watch.start()
    await clock.run_until(datetime(2026, 12, 7, 22, 58, tzinfo=UTC))
    assert told == []  # still Monday in Oslo
    await clock.run_until(datetime(2026, 12, 7, 23, 2, tzinfo=UTC))
    assert [(o.id, day) for o, day in told] == [("demo", FIRST)]  # within minutes of midnight
    await clock.run_until(datetime(2026, 12, 9, 22, 30, tzinfo=UTC))
    assert len(told) == 1  # Wednesday is the same delegation: nothing new to show
    await clock.run_until(datetime(2026, 12, 9, 23, 2, tzinfo=UTC))
    assert [day for _, day in told] == [FIRST, LAST + timedelta(1)]  # Lise is back
    watch.close()
