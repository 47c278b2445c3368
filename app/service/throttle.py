"""Repeats and the raise reach the handsets as at most one `alarm_update` per alarm per
second; the last state wins.

A flood of repeats changes an alarm many times a second; each update frame carries the whole
state, so a handset needs only the newest. The first repeat's update after a quiet second goes
out at once; the ones within the second after it are folded into one, sent when the second is
over. The raise's own update is held for its first second: every handset of the office has
just heard of the alarm in its offer, notice or presser frame, and the update adds only the
role table, in which nobody holds anything yet. The first accept, almost always within that
second when a burst of alarms loads the service most, carries the table with its holder; an
office's 40 handsets then get one update frame less per alarm. An update for anything a person
did or the alarm's course (an accept, a step, a deadline, the all-clear) goes out at once and
replaces a held one, whose state it supersedes: nobody waits a second to see that the guard
took the role. Offers, notices and the closed frame are never held. (The metrics of the
notifier below, such as the time to the first accept, see every such update.)
"""

from __future__ import annotations

from datetime import datetime, timedelta

from app.core import events as ev
from app.core.alarm import AlarmState
from app.core.office import Office
from app.service.clock import Cancellable, Clock
from app.service.ports import HandsetNotifier

UPDATE_EVERY = timedelta(seconds=1)
Held = tuple[AlarmState, Office, ev.Event | None]


class UpdateThrottle:
    def __init__(self, clock: Clock, notifier: HandsetNotifier) -> None:
        self._clock = clock
        self._notifier = notifier
        self._sent: dict[str, datetime] = {}  # alarm → when its last update went out
        self._held: dict[str, Held] = {}
        self._timers: dict[str, Cancellable] = {}

    def update(
        self, state: AlarmState, office: Office, last: ev.Event | None, *, raised: bool = False
    ) -> None:
        """`raised`: the decision raised the alarm; its frames have told every handset."""
        alarm_id, now = state.alarm_id, self._clock.now()
        if raised:
            self._sent[alarm_id] = now  # as if sent: the raise's frames said what it says
            self._hold(alarm_id, now, (state, office, last))
            return
        sent = self._sent.get(alarm_id)
        if last is not None and not isinstance(last, ev.PressRepeated):
            self._drop_held(alarm_id)  # this state is newer than the held one
            self._sent[alarm_id] = now
            self._notifier.update(state, office, last)
            return
        if sent is None or now - sent >= UPDATE_EVERY:
            self._sent[alarm_id] = now
            self._notifier.update(state, office, last)
            return
        self._hold(alarm_id, sent, (state, office, last))

    def _hold(self, alarm_id: str, sent: datetime, update: Held) -> None:
        """Keep the newest state, sent a second after the last update went out."""
        if alarm_id not in self._held:
            due = sent + UPDATE_EVERY
            self._timers[alarm_id] = self._clock.call_at(due, lambda: self._release(alarm_id))
        self._held[alarm_id] = update

    def _release(self, alarm_id: str) -> None:
        self._timers.pop(alarm_id, None)
        held = self._held.pop(alarm_id, None)
        if held is not None:
            self._sent[alarm_id] = self._clock.now()
            self._notifier.update(*held)

    def forget(self, alarm_id: str) -> None:
        """The alarm closed: a held update would only repeat what the closed frame says."""
        self._sent.pop(alarm_id, None)
        self._drop_held(alarm_id)

    def _drop_held(self, alarm_id: str) -> None:
        self._held.pop(alarm_id, None)
        timer = self._timers.pop(alarm_id, None)
        if timer is not None:
            timer.cancel()

    def close(self) -> None:
        for alarm_id in list(self._timers):
            self.forget(alarm_id)
