"""Which codec reads which family, what to subscribe to, and which device a message is for.

Why: the service subscribes once for every device of every office and must hand each message to
the codec of the device it came from, with that device's address. Codecs keep a little memory
per address (last state, last press), so a `Catalogue` holds one codec per family for the life
of the process; build a new one when the offices change, and subscribe to its `subscriptions()`.
Pure: no app imports, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from devices import topics
from devices.families import (
    DEDUPE_WINDOW,
    GESTURES,
    Codec,
    DeviceSignal,
    ESPHome,
    Gesture,
    Native,
    Press,
    Shelly,
    Tasmota,
    Zigbee2Mqtt,
)
from devices.families.base import split_address
from devices.families.tasmota_topic import FullTopic

FAMILIES: Mapping[str, type[Codec]] = {
    codec.family: codec for codec in (Native, Zigbee2Mqtt, Tasmota, Shelly, ESPHome)
}
"""Equal to the office file's `DeviceFamily` values (a unit test keeps them in step)."""


def codec_for(family: str, **options: Any) -> Codec:
    """A new codec for `family` (options: `window`, `max_bytes`); keep it, it remembers state."""
    try:
        return FAMILIES[family](**options)
    except KeyError:
        raise ValueError(f"unknown device family {family!r}") from None


def check_address(family: str, address: str | None) -> str | None:
    """What is wrong with a device entry's `address:` for its family, or None (for the schema)."""
    if family not in FAMILIES:
        return f"unknown device family {family!r}"
    problem = FAMILIES[family]().check_address(address)
    if problem is None and family != "native" and address and address.startswith(topics.PREFIX):
        problem = f"{topics.PREFIX}/... is the native topic scheme; use family: native"
    return problem


def check_full_topic(family: str, full_topic: str | None) -> str | None:
    """What is wrong with a device entry's `full_topic:` (Tasmota only), or None."""
    if full_topic is None:
        return None
    if family != "tasmota":
        return f"full_topic is Tasmota's setting; a {family} device has none"
    try:
        FullTopic.parse(full_topic)
    except ValueError as err:
        return str(err)
    return None


def device_topics(family: str, address: str, full_topic: str | None = None) -> list[str]:
    """The topic filters one (non-native) device publishes on: what to subscribe to for it."""
    codec = codec_for(family)
    if isinstance(codec, Tasmota):
        codec.use_full_topic(address, full_topic)
    return codec.subscriptions(address)


def resolve_gesture(press: Press, actions: Mapping[str, str]) -> Gesture | None:
    """The gesture a press means for one device: with an `actions:` mapping in its entry only the
    listed actions count (a remote's dimming buttons stay quiet); without one, the codec's
    default for the family's action word. None: not a press of this device's alarm."""
    if not actions:
        return press.gesture
    mapped = actions.get(press.action)
    return next((g for g in GESTURES if g == mapped), None)


@dataclass(frozen=True)
class DeviceRef:
    """One device entry: its id, family and address (None for a native device: its id), and
    for Tasmota the FullTopic it publishes with (None: the default `%prefix%/%topic%/`)."""

    device_id: str
    family: str
    address: str | None = None
    full_topic: str | None = None

    @property
    def resolved(self) -> str:
        return self.address if self.address is not None else self.device_id


class Catalogue:
    """The devices of all offices, indexed by family and topic base."""

    def __init__(
        self,
        devices: Iterable[DeviceRef],
        *,
        window: timedelta = DEDUPE_WINDOW,
        native_max_bytes: int | None = None,
    ) -> None:
        self._codecs: dict[str, Codec] = {}
        self._index: dict[tuple[str, str], list[DeviceRef]] = {}
        owners: dict[tuple[str, str], str] = {}
        for ref in devices:
            problem = check_address(ref.family, ref.address) or check_full_topic(
                ref.family, ref.full_topic
            )
            if problem is not None:
                raise ValueError(f"device {ref.device_id}: {problem}")
            owner = owners.setdefault((ref.family, ref.resolved), ref.device_id)
            if owner != ref.device_id:
                raise ValueError(
                    f"devices {owner} and {ref.device_id} have the same {ref.family} address "
                    f"{ref.resolved!r}: one press would raise two alarms"
                )
            if ref.family not in self._codecs:
                options: dict[str, Any] = {"window": window}
                if ref.family == "native" and native_max_bytes is not None:
                    options["max_bytes"] = native_max_bytes
                self._codecs[ref.family] = codec_for(ref.family, **options)
            codec = self._codecs[ref.family]
            if isinstance(codec, Tasmota):
                codec.use_full_topic(ref.resolved, ref.full_topic)
            base = split_address(ref.resolved)[0]
            self._index.setdefault((ref.family, base), []).append(ref)

    def codec(self, family: str) -> Codec | None:
        return self._codecs.get(family)

    def subscriptions(self) -> list[str]:
        """Every filter to subscribe to: the native wildcards (so an unknown native device is
        still seen and reported) and each family device's own topics."""
        filters = set(topics.INGEST_FILTERS)
        for (family, _), refs in self._index.items():
            if family != "native":
                for ref in refs:
                    filters.update(self._codecs[family].subscriptions(ref.resolved))
        return sorted(filters)

    def route(self, topic: str) -> list[DeviceRef]:
        """The devices a topic belongs to (several when they share a base, e.g. i3 inputs)."""
        found: list[DeviceRef] = []
        for family, codec in self._codecs.items():
            base = codec.match(topic)
            if base is not None:
                found += self._index.get((family, base), [])
        return found

    def decode(
        self, topic: str, payload: bytes, retained: bool, received_at: datetime
    ) -> list[tuple[DeviceRef, list[DeviceSignal]]]:
        """Each device the message is for, with what it says; empty: no device of ours."""
        return [
            (
                ref,
                self._codecs[ref.family].decode(
                    ref.resolved, topic, payload, retained, received_at
                ),
            )
            for ref in self.route(topic)
        ]
