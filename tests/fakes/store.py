"""FakeAlarmStore for tests: the simulator's in-memory store, one implementation for both."""

from simulator.memory_store import FakeAlarmStore, PressRecord

__all__ = ["FakeAlarmStore", "PressRecord"]
