"""Running a decision's effects: pushes to handsets, deadlines and reminders on the clock,
feedback to the presser's device, and alerts to contacts outside the office.

Pushes and timers run as soon as a decision is made; feedback and external alerts run after
the decision is committed, because they tell someone outside that something is recorded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any, Protocol

import structlog

from app.core import effects as fx
from app.core import events as ev
from app.core.alarm import AlarmState, AlarmStatus, SlotStatus
from app.core.draft import Decision
from app.core.office import Contact, Office
from app.service.clock import Cancellable, Clock
from app.service.external import alert_for
from app.service.notify import DeliveryReport, ExternalNotifier
from app.service.ports import FeedbackPort, HandsetNotifier
from app.service.throttle import UpdateThrottle
from devices.families.feedback import FeedbackCommand, feedback_commands

log = structlog.get_logger(__name__)


class AlarmTicks(Protocol):
    """Where a deadline, a reminder or an outside delivery report goes back in: the dispatcher,
    which turns each into a command for its alarm."""

    async def expire(self, office_id: str, alarm_id: str, role_id: str, offer_no: int) -> None:
        """An offer's deadline passed."""

    async def remind(self, office_id: str, alarm_id: str, role_id: str) -> None:
        """A role's reminder is due."""

    async def delivered(
        self, office_id: str, alarm_id: str, role_id: str, report: DeliveryReport
    ) -> None:
        """The outbound notifier reported on an external alert."""

    async def record_repeats(self, office_id: str, alarm_id: str) -> None:
        """Held repeats are due to be recorded (app.core.repeats)."""


class EffectRunner:
    """Built by the composition root and handed to the dispatcher, which registers itself as
    the `AlarmTicks` its timers and reports go back to (`answer_to`)."""

    def __init__(
        self,
        *,
        notifier: HandsetNotifier,
        feedback: FeedbackPort,
        external: ExternalNotifier,
        clock: Clock,
    ) -> None:
        self._notifier = notifier
        self._feedback = feedback
        self._external = external
        self._clock = clock
        self._ticks: AlarmTicks | None = None
        # alarm → (kind, role) → its timer: a closing alarm's are found without a scan of all
        self._timers: dict[str, dict[tuple[str, str], Cancellable]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._updates = UpdateThrottle(clock, notifier)

    def answer_to(self, ticks: AlarmTicks) -> None:
        """Where timers and delivery reports go back to (the dispatcher, when it is built)."""
        self._ticks = ticks

    @property
    def _back(self) -> AlarmTicks:
        if self._ticks is None:
            raise RuntimeError("EffectRunner.answer_to was never called")
        return self._ticks

    @property
    def pending_timers(self) -> int:
        return sum(len(of_alarm) for of_alarm in self._timers.values())

    def push(self, state: AlarmState, office: Office, decision: Decision) -> None:
        last = decision.events[-1] if decision.events else None
        n = self._notifier
        if state.status is not AlarmStatus.OPEN:
            self.disarm(state)  # first: a late press on a closed alarm may hold repeats
            self._updates.forget(state.alarm_id)  # the closed frame says the last word
        for effect in decision.effects:
            match effect:
                case fx.PushOffer(person_id=person, role_id=role):
                    n.offer(state, office, person, role)
                case fx.PushNotice(person_ids=persons):
                    n.notice(state, office, persons)
                case fx.PushShared(office_ids=offices):
                    n.shared(state, office, offices)
                case fx.PushAssembly(role_id=role, person_ids=persons):
                    n.assembly(state, office, role, persons)
                case fx.PushReminder(role_id=role, person_ids=persons, kind=kind):
                    n.reminder(state, office, role, persons, kind.value)
                case fx.PushUpdate():
                    raised = any(isinstance(e, ev.AlarmRaised) for e in decision.events)
                    self._updates.update(state, office, last, raised=raised)
                case fx.PushClosed():
                    n.closed(state, office)
                case fx.PushLockdown(on=on):
                    n.lockdown(state, office, on)
                case fx.PushPresser(person_id=person, state=feedback):
                    n.presser(state, office, person, feedback.value)
                case fx.ArmDeadline(role_id=role, offer_no=no, due_at=due):
                    self._arm_deadline(state, role, no, due)
                case fx.ArmReminder(role_id=role, due_at=due):
                    self._arm_reminder(state, role, due)
                case fx.HoldRepeats(due_at=due):
                    self._arm_repeats(state, due)

    def after_commit(self, state: AlarmState, office: Office, decision: Decision) -> None:
        for effect in decision.effects:
            match effect:
                case fx.SendFeedback(device_id=device, state=feedback_state):
                    payload = {"alarm_id": effect.alarm_id, "state": feedback_state.value}
                    self._spawn(self._feedback.send(device, payload))
                    self._family_feedback(office, device, feedback_state.value)
                case fx.NotifyExternal(role_id=role, contact_ids=contacts):
                    self._spawn(self._alert(state, office, role, contacts))

    def _family_feedback(self, office: Office, device_id: str, state: str) -> None:
        """A family device whose entry opts in also gets its own buzz or blink command."""
        trigger = office.triggers.get(device_id)
        if trigger is None or trigger.feedback is None:
            return
        command = FeedbackCommand(**trigger.feedback)
        address = trigger.address or trigger.device_id
        commands = feedback_commands(trigger.family, address, state, command, trigger.full_topic)
        for topic, body in commands:
            self._spawn(self._feedback.send_command(topic, body))

    def feedback(self, device_id: str, payload: dict[str, Any]) -> None:
        self._spawn(self._feedback.send(device_id, payload))

    async def _alert(
        self, state: AlarmState, office: Office, role_id: str, contacts: tuple[str, ...]
    ) -> None:
        report = await self._external.notify(alert_for(state, office, role_id, contacts))
        await self._back.delivered(office.id, state.alarm_id, role_id, report)

    def arm_all(self, state: AlarmState, office: Office) -> None:
        """After a restart: every running deadline and every reminder not yet sent."""
        for running in state.slots:
            if running.due_at and running.status in (SlotStatus.OFFERED, SlotStatus.UNFILLED):
                self._arm_deadline(state, running.role_id, running.offer_no, running.due_at)
        slots = {s.role_id: s for s in state.slots}
        for role in office.rolecard.roles:
            slot = slots.get(role.id)
            if (
                role.contact is Contact.POLICE
                and slot is not None
                and not slot.reminded
                and not slot.steps_done
            ):
                due = state.raised_at + timedelta(seconds=2 * role.accept_within_s)
                self._arm_reminder(state, role.id, due)

    def _arm_deadline(self, state: AlarmState, role_id: str, offer_no: int, due: datetime) -> None:
        office_id, alarm_id = state.office_id, state.alarm_id
        self._arm(
            alarm_id,
            ("deadline", role_id),
            due,
            lambda: self._back.expire(office_id, alarm_id, role_id, offer_no),
        )

    def _arm_repeats(self, state: AlarmState, due: datetime) -> None:
        office_id, alarm_id = state.office_id, state.alarm_id
        timer = ("repeats", "")
        if timer not in self._timers.get(alarm_id, {}):  # one per held second
            self._arm(alarm_id, timer, due, lambda: self._back.record_repeats(office_id, alarm_id))

    def _arm_reminder(self, state: AlarmState, role_id: str, due: datetime) -> None:
        office_id, alarm_id = state.office_id, state.alarm_id
        self._arm(
            alarm_id,
            ("reminder", role_id),
            due,
            lambda: self._back.remind(office_id, alarm_id, role_id),
        )

    def _arm(
        self,
        alarm_id: str,
        timer: tuple[str, str],  # (kind, role): one of each per alarm
        due: datetime,
        make: Callable[[], Coroutine[Any, Any, None]],
    ) -> None:
        of_alarm = self._timers.setdefault(alarm_id, {})
        previous = of_alarm.pop(timer, None)
        if previous is not None:
            previous.cancel()

        def fire() -> None:
            remaining = self._timers.get(alarm_id)
            if remaining is not None:
                remaining.pop(timer, None)
                if not remaining:
                    del self._timers[alarm_id]
            self._spawn(make())

        of_alarm[timer] = self._clock.call_at(due, fire)

    def disarm(self, state: AlarmState) -> None:
        for handle in self._timers.pop(state.alarm_id, {}).values():
            handle.cancel()

    def close(self) -> None:
        for of_alarm in self._timers.values():
            for handle in of_alarm.values():
                handle.cancel()
        self._timers.clear()
        self._updates.close()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
