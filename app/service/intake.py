"""MQTT intake: every message from a device is validated, routed, and either handled or
rejected with a logged, counted reason. Returning normally means "acknowledge"; raising means
"do not acknowledge, deliver it again" and is reserved for failures we can recover from.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import structlog

from app.core.office import AlarmMode, Gesture
from app.service.dispatcher import Dispatcher
from app.service.families import FamilyIntake
from app.service.metrics import Metrics
from app.service.offices import OfficeDirectory
from app.service.ports import PressKey
from app.service.supervision import Supervision
from devices import native, topics

log = structlog.get_logger(__name__)


ModeSource = Callable[[str], AlarmMode]


class Intake:
    def __init__(
        self,
        offices: OfficeDirectory,
        dispatcher: Dispatcher,
        metrics: Metrics,
        max_bytes: int,
        mode_for: ModeSource | None = None,
        supervision: Supervision | None = None,
        families: FamilyIntake | None = None,
    ) -> None:
        self._offices = offices
        self._dispatcher = dispatcher
        self._metrics = metrics
        self._max_bytes = max_bytes
        self._mode_for = mode_for or (lambda office_id: AlarmMode.REAL)
        self._supervision = supervision
        self._families = families

    def on_message(self, topic: str, payload: bytes, retained: bool) -> Coroutine[Any, Any, object]:
        """Validate and route one message. A press is decided and its offers handed out before
        this returns; the coroutine returned finishes the work (for a press: until the alarm is
        durable), so await it before acknowledging the message."""
        parsed = topics.parse_topic(topic)
        if parsed is None:
            return self._not_native(topic, payload, retained)
        kind, device_id = parsed
        if kind == topics.TRIGGER:
            work = self._trigger(device_id, payload, retained)
            self._metrics.mqtt_messages.labels(kind).inc()  # counted after a press's offers
            return work
        self._metrics.mqtt_messages.labels(kind).inc()
        if kind == topics.STATUS:
            self._status(device_id, payload)
        return _nothing()

    async def _not_native(self, topic: str, payload: bytes, retained: bool) -> None:
        if self._families is None or not await self._families.on_message(topic, payload, retained):
            self._reject("bad_topic", topic=topic)

    def _trigger(
        self, device_id: str, payload: bytes, retained: bool
    ) -> Coroutine[Any, Any, object]:
        office = self._offices.office_of_device(device_id)
        if office is None:
            self._reject("unknown_device", device_id=device_id)
            return _nothing()
        try:
            trigger, dropped = native.decode_press(payload, max_bytes=self._max_bytes)
        except native.DecodeError as err:
            self._reject(err.reason, device_id=device_id, detail=err.detail)
            return _nothing()
        key = PressKey(
            device_id, trigger.seq, trigger.ts.isoformat() if trigger.ts else "", trigger.boot or ""
        )
        if retained and trigger.event != "test":
            # a retained trigger is an old message replayed to every new subscriber: never an
            # alarm nor a cancel (docs/devices.md), whatever its seq
            self._reject("retained", device_id=device_id, seq=trigger.seq)
            return _nothing()
        if trigger.event == "press":
            mode = self._mode_for(office.id)  # a drill window turns presses into drills
            pressed = self._dispatcher.press(
                office, key, Gesture(trigger.gesture), trigger.ts, trigger.battery, mode
            )
            # the offers are out: what is left is bookkeeping, not worth a press's latency
            self._noted(device_id, trigger, dropped, retained)
            return pressed
        self._noted(device_id, trigger, dropped, retained)
        if trigger.event == "cancel":
            return self._dispatcher.cancel(office, key)
        return self._button_test(key)

    def _noted(
        self, device_id: str, trigger: native.TriggerEvent, dropped: tuple[str, ...], retained: bool
    ) -> None:
        """A trigger message's logs, counters and device health."""
        for field in dropped:
            self._metrics.mqtt_repaired.labels(field).inc()
            log.warning("bad optional field dropped, press kept", device_id=device_id, field=field)
        if retained:
            log.warning("retained trigger message; de-duplicated by seq", device_id=device_id)
        if self._supervision is not None and trigger.event == "press":
            self._supervision.observe_press(device_id, trigger.battery, trigger.seq, trigger.boot)
        elif self._supervision is not None:
            self._supervision.observe_press(device_id, trigger.battery)
        log.info("trigger", device_id=device_id, trigger_event=trigger.event, seq=trigger.seq)

    async def _button_test(self, key: PressKey) -> None:
        await self._dispatcher.button_test(key)
        if self._supervision is not None:
            self._supervision.observe_test(key.device_id)

    def _status(self, device_id: str, payload: bytes) -> None:
        if self._offices.office_of_device(device_id) is None:
            self._reject("unknown_device", device_id=device_id)
            return
        try:
            status = native.decode_status(payload, max_bytes=self._max_bytes)
        except native.DecodeError as err:
            self._reject(err.reason, device_id=device_id, detail=err.detail)
            return
        log.info("device status", device_id=device_id, online=status.online, battery=status.battery)
        if self._supervision is not None:
            self._supervision.observe_status(device_id, status.online, status.battery)

    def _reject(self, reason: str, **context: object) -> None:
        self._metrics.mqtt_rejected.labels(reason).inc()
        log.warning("mqtt message rejected", reason=reason, **context)


async def _nothing() -> None:
    """What is left to do for a message handled (or rejected) on the spot: nothing."""
