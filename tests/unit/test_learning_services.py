"""The learning services on in-memory fakes and a manual clock: drill windows and scorecards,
readiness, the debrief life cycle, statistics and retention (outreach: test_learning_outreach)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.core.learning.terms import (
    DebriefStatus,
    IncidentKind,
    Realism,
    ReferenceKind,
    ReportingLine,
    Support,
)
from app.core.office import AlarmMode
from app.service.learning.bundle import Learning
from app.service.learning.ports import Conflict, DebriefRow, IncidentRow, Invalid, Reference
from tests.unit.learning_timelines import timeline
from tests.unit.learning_world import MIN, T0, World


@pytest.fixture
def w(tmp_path: Path) -> World:
    return World(tmp_path)


# --- drills --------------------------------------------------------------------------------


async def test_a_drill_window_turns_presses_into_drills_until_it_ends(w: World) -> None:
    drills = w.learning.drills
    assert drills.mode_for("demo") is AlarmMode.REAL
    row = await drills.start("demo", 30, Realism.SOFT, "brannøvelse etterpå", "token:ab")
    assert drills.mode_for("demo") is AlarmMode.DRILL and drills.mode_for("other") is AlarmMode.REAL
    with pytest.raises(Conflict) as refused:
        await drills.start("demo", 30, Realism.SOFT, None, "token:ab")
    assert refused.value.code == "drill_open"
    await w.clock.advance(30 * 60)
    assert drills.mode_for("demo") is AlarmMode.REAL  # the window ran out by itself
    again = await drills.start("demo", 60, Realism.FULL_SCALE, None, "token:ab")
    await w.clock.advance(5 * 60)
    ended = await drills.end("demo", again.drill_id, "Vi var trege med politikontakt", "token:ab")
    assert ended.ended_at == T0 + 35 * MIN and drills.mode_for("demo") is AlarmMode.REAL
    assert (await w.store.drill(row.drill_id)) == row


async def test_open_windows_survive_a_restart(w: World) -> None:
    await w.learning.drills.start("demo", 30, Realism.STANDARD, None, "token:ab")
    again = Learning.build(w.store, w.alarms, w.offices, w.clock, w.raise_alarm)
    assert again.drills.mode_for("demo") is AlarmMode.REAL  # not loaded yet
    await again.start()
    assert again.drills.mode_for("demo") is AlarmMode.DRILL
    await again.close()


async def test_drill_history_scores_each_drill_from_its_alarms(w: World) -> None:
    drills = w.learning.drills
    first = await drills.start("demo", 30, Realism.SOFT, None, "token:ab")
    await w.alarm(
        timeline("a-d1", w.clock.now() + MIN, mode=AlarmMode.DRILL, accepts={"leader": 20})
    )
    await w.clock.advance(40 * 24 * 3600)
    second = await drills.start("demo", 30, Realism.STANDARD, None, "token:ab")
    accepts = {"leader": 8, "guard": 4, "police-contact": 6}
    await w.alarm(timeline("a-d2", w.clock.now() + MIN, mode=AlarmMode.DRILL, accepts=accepts))
    await w.alarm(timeline("a-r", w.clock.now() + 2 * MIN, accepts={"leader": 1}))
    history = await drills.history("demo")
    assert [r.drill.drill_id for r in history] == [second.drill_id, first.drill_id]
    latest = history[0]
    assert latest.open and latest.scorecard.alarms == 1
    assert latest.scorecard.first_accept_s == 4 and latest.scorecard.roles_not_taken == ()
    assert latest.comparison.earlier_drills == 1
    assert latest.comparison.first_accept_median_s == 20
    assert latest.comparison.first_accept_change_s == -16
    assert history[1].scorecard.roles_not_taken == ("guard", "police-contact")


async def test_readiness_warns_when_the_drill_is_overdue(w: World) -> None:
    ready = await w.learning.readiness("demo")
    assert ready.drill_overdue and ready.last_drill_at is None
    assert ready.drill_cadence_months == 12 and not ready.cadence_set
    row = await w.learning.drills.start("demo", 30, Realism.SOFT, None, "token:ab")
    await w.clock.advance(3600)
    ready = await w.learning.readiness("demo")
    assert not ready.drill_overdue and ready.last_drill_at == row.planned_end
    assert ready.days_since_last_drill == 0
    await w.learning.drills.set_cadence("demo", 12, "token:ab")
    await w.clock.advance(396 * 24 * 3600)  # 13 months later
    ready = await w.learning.readiness("demo")
    assert ready.cadence_set and ready.drill_overdue and ready.days_overdue == 31
    assert ready.next_drill_due == datetime(2027, 3, 2, 9, 30, tzinfo=UTC)


# --- debriefs ------------------------------------------------------------------------------


async def test_every_real_alarm_gets_a_debrief_when_it_closes(w: World) -> None:
    real = await w.alarm(timeline("a-r1", T0, accepts={"leader": 5, "guard": 3}, presser="kari"))
    drill = await w.alarm(timeline("a-d1", T0, mode=AlarmMode.DRILL, accepts={"leader": 5}))
    still_open = await w.alarm(timeline("a-o1", T0, clear_after=None))
    debriefs = w.learning.debriefs
    created = await debriefs.on_alarm_closed(real)
    assert created is not None and created.involved == ("kari", "gro", "lise")
    assert await debriefs.on_alarm_closed(real) == created  # once per alarm
    assert await debriefs.on_alarm_closed(drill) is None
    assert await debriefs.on_alarm_closed(still_open) is None
    assert await debriefs.on_alarm_closed("a-unknown") is None


async def test_the_debrief_list_opens_missing_ones_and_puts_open_ones_first(w: World) -> None:
    older = await w.alarm(timeline("a-old", T0, accepts={"leader": 5}))
    newer = await w.alarm(timeline("a-new", T0 + MIN, accepts={"leader": 5}, cancel_after=10))
    views = await w.learning.debriefs.for_office("demo")  # the hook never ran: made lazily
    assert [v.debrief.alarm_id for v in views] == [newer, older]
    await w.learning.debriefs.add_aftercare(
        views[0].debrief.debrief_id, "lise", [Support.LEADER_TALK], T0 + 2 * MIN
    )
    await w.learning.debriefs.close(views[0].debrief.debrief_id, "token:ab")
    views = await w.learning.debriefs.for_office("demo")
    assert [v.debrief.alarm_id for v in views] == [older, newer]  # open first


async def test_closing_needs_aftercare_for_everyone_involved_leaders_included(w: World) -> None:
    alarm_id = await w.alarm(
        timeline("a-1", T0, accepts={"guard": 3}, help_from="per", presser="kari")
    )
    row = await w.learning.debriefs.on_alarm_closed(alarm_id)
    assert row is not None and row.involved == ("kari", "gro", "per", "lise")
    debriefs = w.learning.debriefs
    view = await debriefs.update(
        row.debrief_id,
        what_happened="Høy stemme i mottaket",
        what_we_learn="Vekter kom raskt",
        references=[
            Reference(ReferenceKind.DEVIATION, "Avvik 2026-113", ReportingLine.STATE),
            Reference(ReferenceKind.DEVIATION, "Kommune 77", ReportingLine.MUNICIPAL),
            Reference(ReferenceKind.POLICE, "Anmeldelse 2026/9", ReportingLine.STATE),
        ],
    )
    assert [r.reporting_line for r in view.debrief.report_refs][:2] == [
        ReportingLine.STATE, ReportingLine.MUNICIPAL,
    ]  # fmt: skip
    with pytest.raises(Conflict) as refused:
        await debriefs.close(row.debrief_id, "token:ab")
    assert refused.value.code == "aftercare_missing" and "lise" in refused.value.message
    later = T0 + timedelta(hours=2)
    await w.clock.advance(3 * 3600)
    for person in ("kari", "gro", "per"):
        await debriefs.add_aftercare(row.debrief_id, person, [Support.COLLEAGUE_TALK], later)
    with pytest.raises(Invalid):
        await debriefs.add_aftercare(row.debrief_id, "stranger", [Support.OTHER], later)
    with pytest.raises(Invalid):
        await debriefs.add_aftercare(row.debrief_id, "lise", [Support.OTHER], T0 + 4 * 60 * MIN)
    view = await debriefs.get(row.debrief_id)
    assert view.missing_aftercare == ("lise",)
    view = await debriefs.add_aftercare(
        row.debrief_id, "lise", [Support.OCCUPATIONAL_HEALTH, Support.PSYCHOLOGIST], later
    )
    closed = await debriefs.close(row.debrief_id, "token:ab")
    assert closed.debrief.status is DebriefStatus.CLOSED and closed.missing_aftercare == ()
    assert {a.support for a in closed.aftercare if a.person_id == "lise"} == {
        Support.OCCUPATIONAL_HEALTH, Support.PSYCHOLOGIST,
    }  # fmt: skip
    with pytest.raises(Conflict):
        await debriefs.update(row.debrief_id, what_we_change="mer")


# --- statistics and retention --------------------------------------------------------------


async def test_statistics_come_from_the_timelines_and_drills_stay_out_of_real(w: World) -> None:
    await w.alarm(timeline("a-1", T0, accepts={"leader": 10, "guard": 5}))
    await w.alarm(timeline("a-2", T0 + MIN, mode=AlarmMode.DRILL, accepts={"leader": 2}))
    await w.learning.incidents.log("demo", IncidentKind.VERBAL_ABUSE, T0, "handset:hs-per")
    with pytest.raises(Invalid):
        await w.learning.incidents.log("demo", IncidentKind.OTHER, T0, "x", location_id="mars")
    stats = await w.learning.statistics.office("demo", T0 - MIN, T0 + timedelta(days=1))
    assert stats.alarms[AlarmMode.REAL] == 1 and stats.alarms[AlarmMode.DRILL] == 1
    assert stats.real.first_accept.median_s == 5 and stats.drill.first_accept.median_s == 2
    assert stats.real.roles_unclaimed == {"police-contact": 1}
    assert stats.incidents_total == 1
    for person in ("lise", "gro", "per", "kari"):
        assert f"'{person}'" not in repr(stats)


async def test_retention_blanks_free_text_past_the_offices_period(w: World) -> None:
    old = DebriefRow("d-old", "demo", "a-old", T0 - timedelta(days=40), (), what_happened="x")
    new = DebriefRow("d-new", "demo", "a-new", T0 - timedelta(days=10), (), what_happened="y")
    for row in (old, new):
        await w.store.add_debrief(row)
    note = IncidentRow("in-1", "demo", IncidentKind.THREAT_PHONE, T0 - timedelta(days=400), T0, "t")
    await w.store.add_incident(replace(note, note="ringte og truet"))
    done = await w.learning.retention.purge()
    assert done["demo"].incidents == 1 and done["demo"].debriefs == 0  # default 365 days
    await w.learning.retention.set_days("demo", 30, "token:ab")
    done = await w.learning.retention.purge(["demo"])
    assert done["demo"].debriefs == 1 and done["demo"].incidents == 0
    purged = await w.store.debrief("d-old")
    assert purged is not None and purged.what_happened == "" and purged.purged_at == T0
    kept = await w.store.debrief("d-new")
    assert kept is not None and kept.what_happened == "y"
