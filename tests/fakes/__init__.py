"""In-memory fakes of the service ports; each passes the same contract tests as its real adapter."""

from tests.fakes.store import FakeAlarmStore

__all__ = ["FakeAlarmStore"]
