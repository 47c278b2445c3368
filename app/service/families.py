"""Intake for device families other than native (Zigbee2MQTT, Tasmota, Shelly, ESPHome): the
catalogue's codecs turn each message into presses and status, which go the same way as a native
press: de-duplicated by the codec's key, dispatched, supervised. Retained replays, releases and
clearing messages never raise an alarm (the codecs decide; see docs/devices.md)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import structlog

from app.core.office import AlarmMode, Gesture, Office
from app.service.clock import Clock
from app.service.dispatcher import Dispatcher
from app.service.metrics import Metrics
from app.service.offices import OfficeDirectory
from app.service.ports import PressKey
from app.service.supervision import Supervision
from devices.catalogue import Catalogue, DeviceRef, resolve_gesture
from devices.families.base import MALFORMED, Ignored, Press, Release, Status

log = structlog.get_logger(__name__)


def catalogue_of(offices: Iterable[Office]) -> Catalogue:
    """Every trigger of every office, by family and address."""
    return Catalogue(
        DeviceRef(t.device_id, t.family, t.address, t.full_topic)
        for office in offices
        for t in office.triggers.values()
    )


class FamilyIntake:
    def __init__(
        self,
        catalogue: Catalogue,
        offices: OfficeDirectory,
        dispatcher: Dispatcher,
        metrics: Metrics,
        clock: Clock,
        mode_for: Callable[[str], AlarmMode],
        supervision: Supervision | None = None,
    ) -> None:
        self._catalogue = catalogue
        self._offices = offices
        self._dispatcher = dispatcher
        self._metrics = metrics
        self._clock = clock
        self._mode_for = mode_for
        self._supervision = supervision

    async def on_message(self, topic: str, payload: bytes, retained: bool) -> bool:
        """Handle a family message; False when the topic is no device of ours."""
        routed = self._catalogue.decode(topic, payload, retained, self._clock.now())
        if not routed:
            return False
        self._metrics.mqtt_messages.labels("family").inc()
        for ref, signals in routed:
            for signal in signals:
                await self._signal(ref.device_id, signal)
        return True

    async def _signal(self, device_id: str, signal: object) -> None:
        office = self._offices.office_of_device(device_id)
        if office is None:
            return
        match signal:
            case Press():
                await self._press(office, device_id, signal)
            case Status(online=online, battery=battery, tamper=tamper):
                if self._supervision is not None:
                    self._supervision.observe_status(device_id, online, battery, tamper)
            case Release(action=action):
                log.debug("button released (not a cancel)", device_id=device_id, action=action)
            case Ignored(reason=reason, detail=detail) if reason in MALFORMED:
                self._metrics.mqtt_rejected.labels(reason).inc()
                log.warning(
                    "mqtt message rejected", device_id=device_id, reason=reason, detail=detail
                )
            case Ignored(reason=reason):
                log.info("device message ignored", device_id=device_id, reason=reason)

    async def _press(self, office: Office, device_id: str, press: Press) -> None:
        trigger = office.triggers[device_id]
        gesture = resolve_gesture(press, {k: v.value for k, v in trigger.actions.items()})
        if gesture is None:
            self._metrics.mqtt_rejected.labels("unmapped_action").inc()
            log.warning("action not mapped to an alarm", device_id=device_id, action=press.action)
            return
        if self._supervision is not None:
            self._supervision.observe_press(device_id, press.battery)
        key = PressKey(device_id, press.seq, press.dedupe_key)
        await self._dispatcher.press(
            office, key, Gesture(gesture), press.device_ts, press.battery, self._mode_for(office.id)
        )
