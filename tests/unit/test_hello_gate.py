"""The hello gate (app/adapters/ws/hello_gate.py): a cap on sockets not yet said hello, sized by
default to the handsets the service knows, refusals logged once per ten seconds."""

from __future__ import annotations

import structlog

from app.adapters.ws.hello_gate import MIN_CAP, HelloGate, pre_hello_cap


def test_the_cap_is_the_setting_when_given_else_the_handsets_known() -> None:
    assert pre_hello_cap(5, 20_000) == 5
    assert pre_hello_cap(None, 20_000) == 20_000  # a whole country reconnecting at once
    assert pre_hello_cap(None, 3) == MIN_CAP  # a small office still has room for a site


def test_over_the_cap_a_connection_is_refused_until_a_place_frees() -> None:
    gate = HelloGate()
    assert gate.enter(cap=2)
    assert gate.enter(cap=2)
    assert not gate.enter(cap=2)
    gate.leave()
    assert gate.enter(cap=2)
    assert gate.waiting == 2


def test_refusals_are_one_log_line_per_ten_seconds() -> None:
    now = [0.0]
    gate = HelloGate(monotonic=lambda: now[0])
    with structlog.testing.capture_logs() as logs:
        for _ in range(50):
            assert not gate.enter(cap=0)
        now[0] = 11.0
        assert not gate.enter(cap=0)
    lines = [e for e in logs if "waiting for hello" in e["event"]]
    assert [e["refused"] for e in lines] == [1, 50]
