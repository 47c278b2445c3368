"""The pure learning core: figures, statistics, drill scorecards, overdue checks, retention
cut-off and outreach deadlines, from hand-written timelines and an explicit `now`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.core.learning.aftercare import debrief_id_for, involved, missing_aftercare
from app.core.learning.drills import Window, compare, last_finished, mode_at, score_all, scorecard
from app.core.learning.figures import AlarmFigures, figures, median, percentile
from app.core.learning.outreach import Checklist, advice, alarm_key, checkout_due_at, is_overdue
from app.core.learning.readiness import add_months, drill_due, past_retention, retention_cutoff
from app.core.learning.statistics import office_statistics
from app.core.learning.terms import AlarmReason, IncidentKind, SessionStatus
from app.core.office import AlarmMode
from tests.unit.learning_timelines import ROLES, timeline

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def fig(alarm_id: str, at: datetime, **kw: object) -> AlarmFigures:
    found = figures(alarm_id, timeline(alarm_id, at, **kw), ROLES)  # type: ignore[arg-type]
    assert found is not None
    return found


# --- one alarm ---------------------------------------------------------------------------


def test_figures_of_a_resolved_alarm_are_per_role_and_name_nobody() -> None:
    f = fig("a-1", T0, accepts={"guard": 4, "leader": 9}, clear_after=300)
    assert f.mode is AlarmMode.REAL and f.outcome == "resolved"
    assert f.first_accept_s == 4 and f.all_clear_s == 300
    assert f.role_accept_s == {"guard": 4, "leader": 9}
    assert f.roles_unclaimed == ("police-contact",)
    kinds = {(d.kind, d.role_id): d.count for d in f.deviations}
    assert kinds == {("not_taken", "police-contact"): 1}
    assert f.participants == 2
    assert "lise" not in repr(f) and "gro" not in repr(f)  # no person survives into figures


def test_a_cancelled_alarm_has_no_unclaimed_roles_and_no_all_clear_time() -> None:
    f = fig("a-2", T0, accepts={}, cancel_after=10)
    assert f.outcome == "cancelled" and f.all_clear_s is None and f.roles_unclaimed == ()


def test_an_accept_after_the_all_clear_does_not_count_as_taken() -> None:
    events = timeline("a-3", T0, accepts={"leader": 5}, clear_after=60)
    late = timeline("a-3", T0, accepts={"guard": 90}, clear_after=None)[-1]
    f = figures("a-3", [*events, late], ROLES)
    assert f is not None and "guard" in f.roles_unclaimed and "guard" not in f.role_accept_s


def test_a_timeline_without_an_alarm_has_no_figures() -> None:
    assert figures("a-4", timeline("a-4", T0)[:1], ROLES) is None


def test_median_and_nearest_rank_percentile() -> None:
    assert median([]) is None and percentile([], 90) is None
    assert median([3, 1, 2]) == 2 and median([4, 1, 2, 3]) == 2.5
    assert percentile(list(range(1, 11)), 90) == 9 and percentile([5], 90) == 5


# --- statistics ----------------------------------------------------------------------------


def test_statistics_keep_drills_apart_count_tests_and_incidents() -> None:
    day = timedelta(days=1)
    alarms = [
        fig("r1", T0, accepts={"leader": 10, "guard": 4}, clear_after=100),
        fig("r2", T0 + day, accepts={"leader": 20}, clear_after=200),
        fig("r3", T0 + 2 * day, accepts={"leader": 30, "guard": 6}, cancel_after=50),
        fig("d1", T0 + 3 * day, mode=AlarmMode.DRILL, accepts={"leader": 2}, clear_after=40),
        fig("t1", T0 + 4 * day, mode=AlarmMode.TEST, accepts={"leader": 1}),
        fig("old", T0 - day, accepts={"leader": 999}),
    ]
    kinds = [IncidentKind.VERBAL_ABUSE, IncidentKind.THREAT_PHONE, IncidentKind.VERBAL_ABUSE]
    s = office_statistics(alarms, kinds, T0, T0 + 10 * day)
    assert s.alarms == {AlarmMode.REAL: 3, AlarmMode.DRILL: 1, AlarmMode.TEST: 1}
    assert (s.real.alarms, s.real.resolved, s.real.cancelled) == (3, 2, 1)
    assert s.real.first_accept.count == 3 and s.real.first_accept.median_s == 6
    assert s.real.all_clear.median_s == 150 and s.real.all_clear.p90_s == 200
    assert s.real.roles_unclaimed == {"guard": 1, "police-contact": 2}
    guard = next(r for r in s.real.roles if r.role_id == "guard")
    assert (guard.alarms, guard.taken, guard.unclaimed) == (3, 2, 1)
    assert s.drill.alarms == 1 and s.drill.first_accept.median_s == 2
    assert s.incidents == {IncidentKind.THREAT_PHONE: 1, IncidentKind.VERBAL_ABUSE: 2}
    assert s.incidents_total == 3


def test_the_period_is_half_open() -> None:
    alarms = [fig("a", T0), fig("b", T0 + timedelta(days=1))]
    s = office_statistics(alarms, [], T0, T0 + timedelta(days=1))
    assert s.alarms[AlarmMode.REAL] == 1


# --- drills --------------------------------------------------------------------------------


def test_a_window_makes_presses_drills_until_it_ends_or_is_ended() -> None:
    w = Window("dr-1", T0, T0 + timedelta(minutes=30))
    assert mode_at([w], T0 - timedelta(seconds=1)) is AlarmMode.REAL
    assert mode_at([w], T0) is AlarmMode.DRILL
    assert mode_at([w], T0 + timedelta(minutes=30)) is AlarmMode.REAL
    ended = Window("dr-1", T0, T0 + timedelta(minutes=30), ended_at=T0 + timedelta(minutes=5))
    assert mode_at([ended], T0 + timedelta(minutes=6)) is AlarmMode.REAL
    assert last_finished([w, ended], T0 + timedelta(minutes=10)) == T0 + timedelta(minutes=5)
    assert last_finished([w], T0 + timedelta(minutes=10)) is None  # still open


def test_scorecard_counts_roles_not_people_and_compares_with_earlier_drills() -> None:
    month = timedelta(days=30)
    windows = [
        Window(f"dr-{i}", T0 + i * month, T0 + i * month + timedelta(hours=1)) for i in range(3)
    ]
    drill = AlarmMode.DRILL
    minute = timedelta(minutes=1)
    alarms = [
        fig("x0", T0 + minute, mode=drill, accepts={"leader": 20, "guard": 10}),
        fig("x1", T0 + month + minute, mode=drill, accepts={"leader": 10}),
        fig("x2", T0 + 2 * month + minute, mode=drill, accepts={"leader": 6, "guard": 5}),
        fig("real", T0 + 2 * month + 2 * minute, accepts={"leader": 1}),
    ]
    scored = score_all(windows, alarms)
    first, _, last = (card for _w, card, _c in scored)
    assert first.alarms == 1 and first.first_accept_s == 10
    assert last.alarms == 1  # the real alarm in the window is not part of the drill
    assert last.roles_not_taken == ("police-contact",)
    assert {(d.kind, d.role_id) for d in last.deviations} == {("not_taken", "police-contact")}
    assert last.participants == 2
    comparison = scored[-1][2]
    assert comparison.earlier_drills == 2
    assert comparison.first_accept_median_s == 10  # (10 + 10) / 2
    assert comparison.first_accept_change_s == -5
    assert comparison.role_accept_median_s == {"leader": 15, "guard": 10}
    assert scored[0][2].earlier_drills == 0 and scored[0][2].first_accept_change_s is None


def test_a_drill_without_alarms_scores_nothing_and_is_left_out_of_comparisons() -> None:
    empty = scorecard("dr-0", [])
    assert empty.alarms == 0 and empty.first_accept_s is None and empty.participants == 0
    assert compare(empty, [empty]).earlier_drills == 0


# --- readiness and retention ---------------------------------------------------------------


def test_add_months_keeps_the_day_or_takes_the_months_last() -> None:
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2027, 11, 15, tzinfo=UTC), 3) == datetime(2028, 2, 15, tzinfo=UTC)


def test_a_drill_13_months_ago_with_a_12_month_cadence_is_overdue() -> None:
    now = datetime(2027, 4, 2, 9, 0, tzinfo=UTC)
    due = drill_due(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), 12, now)
    assert due.overdue and due.due_at == datetime(2027, 3, 2, 9, 0, tzinfo=UTC)
    assert due.days_overdue == 31
    fresh = drill_due(datetime(2026, 6, 1, tzinfo=UTC), 12, now)
    assert not fresh.overdue and fresh.days_overdue is None
    never = drill_due(None, 6, now)
    assert never.overdue and never.due_at is None and never.days_overdue is None


def test_retention_cut_off() -> None:
    now = datetime(2027, 1, 1, tzinfo=UTC)
    assert retention_cutoff(now, 365) == datetime(2026, 1, 1, tzinfo=UTC)
    assert past_retention(datetime(2025, 12, 31, 23, 59, tzinfo=UTC), now, 365)
    assert not past_retention(datetime(2026, 1, 1, tzinfo=UTC), now, 365)


# --- outreach ------------------------------------------------------------------------------


def test_outreach_is_overdue_only_when_active_and_past_the_grace_period() -> None:
    end = T0 + timedelta(hours=1)
    assert checkout_due_at(end, 600) == end + timedelta(minutes=10)
    assert not is_overdue(SessionStatus.ACTIVE, end, 600, end + timedelta(minutes=9))
    assert is_overdue(SessionStatus.ACTIVE, end, 600, end + timedelta(minutes=10))
    assert not is_overdue(SessionStatus.CHECKED_OUT, end, 600, end + timedelta(hours=5))
    assert not is_overdue(SessionStatus.ALARMED, end, 600, end + timedelta(hours=5))
    assert alarm_key("os-1", AlarmReason.OVERDUE) == "os-1:overdue"


def test_outreach_checklist_advice() -> None:
    assert advice(Checklist(), 0) == ()
    assert advice(Checklist(environment_risk=True), 0) == ("risk_go_two",)
    assert advice(Checklist(environment_risk=True), 1) == ()
    both = advice(Checklist(violence_history=True, police_should_assist=True), 1)
    assert both == ("violence_history_meet_at_office", "police_should_assist")


# --- after-care ----------------------------------------------------------------------------


def test_involved_are_presser_takers_helpers_and_the_leader_even_when_nobody_took_it() -> None:
    events = timeline(
        "a-9", T0, accepts={"guard": 4}, help_from="ola", presser="kari", clear_after=60
    )
    people = involved(events, ["leader"])
    assert people == ("kari", "gro", "ola", "lise")  # lise: offered the leader role, took none
    taken = timeline("a-9", T0, accepts={"police-contact": 3, "leader": 5})
    assert involved(taken, ["leader"]) == ("per", "lise")
    assert missing_aftercare(people, ["gro", "lise"]) == ("kari", "ola")
    assert debrief_id_for("a-0123") == "d-0123"
