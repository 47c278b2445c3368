"""The manual clock for tests: the simulator's, so tests and scenarios share one implementation."""

from simulator.fakes import ManualClock, settle

__all__ = ["ManualClock", "settle"]
