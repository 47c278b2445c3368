"""One codec per device family, all with the interface of `devices.families.base.Codec`.

Why: real buttons from other makers publish their own formats and repeat themselves in their own
ways; each codec turns its family's messages into presses, releases and status that the intake
handles alike, with a de-duplication key that makes a repeat harmless. See docs/devices.md.
"""

from devices.families.base import (
    DEDUPE_WINDOW,
    GESTURES,
    MALFORMED,
    ButtonTest,
    Cancel,
    Codec,
    DeviceSignal,
    Gesture,
    Ignored,
    Press,
    Release,
    Status,
)
from devices.families.esphome import ESPHome
from devices.families.native import Native
from devices.families.shelly import Shelly
from devices.families.tasmota import Tasmota
from devices.families.zigbee2mqtt import Zigbee2Mqtt

__all__ = [
    "DEDUPE_WINDOW",
    "GESTURES",
    "MALFORMED",
    "ButtonTest",
    "Cancel",
    "Codec",
    "DeviceSignal",
    "ESPHome",
    "Gesture",
    "Ignored",
    "Native",
    "Press",
    "Release",
    "Shelly",
    "Status",
    "Tasmota",
    "Zigbee2Mqtt",
]
