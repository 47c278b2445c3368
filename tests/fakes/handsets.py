"""The recording HandsetNotifier and FeedbackPort for tests: the simulator's, one implementation
for both (simulator/fakes.py ships with the package, so the scenarios can use them installed)."""

from simulator.fakes import RecordingFeedback, RecordingNotifier

__all__ = ["RecordingFeedback", "RecordingNotifier"]
