"""When a known press key is a new press (a restarted counter) and when it is a redelivery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.service.counters import REDELIVERY_WINDOW, PressCounters
from app.service.ports import PressKey

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
KEY = PressKey("desk-1", 7)


def closed(_alarm_id: str) -> bool:
    return False


def test_a_known_key_of_an_open_alarm_is_a_redelivery() -> None:
    counters = PressCounters()
    counters.remember(KEY, "a-1", T0)
    assert counters.restart_key(KEY, T0 + timedelta(hours=2), lambda a: True) is None
    assert counters.alarm_of(KEY) == "a-1"


def test_a_resend_within_the_window_is_a_redelivery_and_later_a_restart() -> None:
    counters = PressCounters()
    counters.remember(KEY, "a-1", T0)
    assert counters.restart_key(KEY, T0 + REDELIVERY_WINDOW / 2, closed) is None
    fresh = counters.restart_key(KEY, T0 + REDELIVERY_WINDOW, closed)
    assert fresh is not None and fresh.boot.startswith("restart-") and fresh.seq == 7
    # the restarted press is now what the key means: its own resend is a redelivery of it
    counters.remember(fresh, "a-2", T0 + REDELIVERY_WINDOW)
    assert counters.alarm_of(KEY) == "a-2"
    assert counters.restart_key(KEY, T0 + REDELIVERY_WINDOW, lambda a: a == "a-2") is None


def test_far_below_the_newest_seq_is_a_restart_at_once() -> None:
    counters = PressCounters()
    counters.remember(KEY, "a-1", T0)
    counters.remember(PressKey("desk-1", 500), "a-2", T0)
    assert counters.restart_key(KEY, T0 + timedelta(seconds=1), closed) is not None
    # near the newest, a late resend stays a redelivery inside the window
    near = PressKey("desk-1", 450)
    counters.remember(near, "a-3", T0)
    assert counters.restart_key(near, T0 + timedelta(seconds=1), closed) is None


def test_recovered_keys_count_as_long_ago_and_a_restart_key_for_its_base() -> None:
    counters = PressCounters()
    renamed = PressKey("desk-1", 7, boot="restart-1765098000000")
    counters.load({KEY: "a-1", renamed: "a-2"})
    assert counters.alarm_of(KEY) == "a-2"
    assert counters.restart_key(KEY, T0, closed) is not None


def test_a_key_with_the_devices_own_time_is_the_same_press_however_late() -> None:
    """A broker's redelivery after a lost PUBACK, or a button repeating an unanswered press,
    comes back with the same `ts`: never a second alarm, even minutes after the first closed."""
    counters = PressCounters()
    stamped = PressKey("desk-1", 7, device_ts="2026-12-07T09:00:00.000+00:00")
    counters.remember(stamped, "a-1", T0)
    counters.remember(PressKey("desk-1", 500, device_ts="2026-12-07T09:05:00.000+00:00"), "a-2", T0)
    assert counters.restart_key(stamped, T0 + 10 * REDELIVERY_WINDOW, closed) is None


def test_a_boot_id_key_is_a_restart_only_far_below_the_newest() -> None:
    counters = PressCounters()
    booted = PressKey("desk-1", 7, boot="b-1")
    counters.remember(booted, "a-1", T0)
    assert counters.restart_key(booted, T0 + 10 * REDELIVERY_WINDOW, closed) is None
    counters.remember(PressKey("desk-1", 500, boot="b-1"), "a-2", T0)
    assert counters.restart_key(booted, T0 + 10 * REDELIVERY_WINDOW, closed) is not None
