"""Tasmota as people configure it: a device entry names its FullTopic (`%topic%/%prefix%/`
publishes `tasmota_9CF9D1/stat/RESULT`), and the codec, the subscriptions, the feedback command
and the broker ACL all follow it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import yaml

from app.config.mqtt_access import device_rights
from app.config.schema import DeviceSpec
from devices.catalogue import Catalogue, DeviceRef, check_full_topic
from devices.families import Ignored, Press, Release, Status
from devices.families.feedback import FeedbackCommand, command_topic, feedback_commands
from devices.families.tasmota_topic import FullTopic

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SWAPPED = "%topic%/%prefix%/"
PRESS = b'{"Button1":{"Action":"SINGLE"}}'


def test_a_swapped_full_topic_is_read_and_subscribed_its_way() -> None:
    catalogue = Catalogue([DeviceRef("desk", "tasmota", "tasmota_9CF9D1#1", SWAPPED)])
    assert {
        "tasmota_9CF9D1/stat/+",
        "tasmota_9CF9D1/tele/LWT",
        "tasmota_9CF9D1/tele/STATE",
    } <= set(catalogue.subscriptions())
    assert not any(f.startswith("stat/") for f in catalogue.subscriptions())
    [(ref, signals)] = catalogue.decode("tasmota_9CF9D1/stat/RESULT", PRESS, False, T0)
    assert ref.device_id == "desk" and [type(s) for s in signals] == [Press]
    assert signals[0].gesture == "single"  # type: ignore[union-attr]
    [(_, lwt)] = catalogue.decode("tasmota_9CF9D1/tele/LWT", b"Offline", True, T0)
    assert lwt == [Status(online=False)]
    [(_, clear)] = catalogue.decode(
        "tasmota_9CF9D1/stat/RESULT", b'{"Button1":{"Action":"CLEAR"}}', False, T0
    )
    assert clear == [Release("CLEAR")]
    # The default layout's topic is not this device's any more.
    assert catalogue.decode("stat/tasmota_9CF9D1/RESULT", PRESS, False, T0) == []


def test_devices_with_either_layout_and_fixed_levels_live_side_by_side() -> None:
    refs = [
        DeviceRef("old", "tasmota", "tasmota_44D83C#1"),
        DeviceRef("new", "tasmota", "tasmota_9CF9D1#1", SWAPPED),
        DeviceRef("home", "tasmota", "knapp#1", "nav/oslo/%prefix%/%topic%/"),
        DeviceRef("group", "tasmota", "cmnd/panic-btn", SWAPPED),
    ]
    catalogue = Catalogue(refs)
    cases = {
        "stat/tasmota_44D83C/RESULT": "old",
        "tasmota_9CF9D1/stat/RESULT": "new",
        "nav/oslo/stat/knapp/RESULT": "home",
    }
    for topic, device in cases.items():
        [(ref, signals)] = catalogue.decode(topic, PRESS, False, T0)
        assert (ref.device_id, [type(s) for s in signals]) == (device, [Press]), topic
    [(ref, signals)] = catalogue.decode("panic-btn/cmnd/POWER", b"TOGGLE", False, T0)
    assert ref.device_id == "group" and [type(s) for s in signals] == [Press]
    assert "panic-btn/cmnd/+" in catalogue.subscriptions()
    for elsewhere in ("tasmota_44D83C/stat/RESULT", "stat/knapp/RESULT", "nav/stat/knapp/RESULT"):
        assert catalogue.decode(elsewhere, PRESS, False, T0) == [], elsewhere


def test_a_retained_press_on_the_swapped_layout_still_never_alarms() -> None:
    catalogue = Catalogue([DeviceRef("desk", "tasmota", "tasmota_9CF9D1", SWAPPED)])
    [(_, signals)] = catalogue.decode("tasmota_9CF9D1/stat/RESULT", PRESS, True, T0)
    assert [s.reason for s in signals if isinstance(s, Ignored)] == ["retained"]


@pytest.mark.parametrize(
    ("full_topic", "problem"),
    [
        ("%topic%/%prefix%/", None),
        ("%prefix%/%topic%", None),
        ("nav/%prefix%/%topic%/", None),
        ("%prefix%/%hostname%/", "in place of %hostname%"),
        ("%topic%/", "once each"),
        ("%prefix%/%topic%/%topic%/", "once each"),
        ("%prefix%/+/%topic%/", "wildcard"),
        ("%prefix%//%topic%/", "empty level"),
    ],
)
def test_full_topics_are_checked(full_topic: str, problem: str | None) -> None:
    found = check_full_topic("tasmota", full_topic)
    assert found is None if problem is None else problem in (found or "")


def test_only_tasmota_has_a_full_topic_and_the_office_file_says_so() -> None:
    assert "Tasmota's setting" in (check_full_topic("shelly", SWAPPED) or "")
    entry = {"id": "d", "kind": "fixed", "location": "desk", "family": "tasmota"}
    ok = DeviceSpec.model_validate({**entry, "address": "tasmota_9CF9D1#1", "full_topic": SWAPPED})
    assert ok.to_core().full_topic == SWAPPED
    with pytest.raises(ValueError, match=r"full_topic: .*once each"):
        DeviceSpec.model_validate({**entry, "address": "t#1", "full_topic": "%topic%/"})
    z2m = {**entry, "family": "zigbee2mqtt", "address": "zigbee2mqtt/SOS"}
    with pytest.raises(ValueError, match="full_topic: full_topic is Tasmota's"):
        DeviceSpec.model_validate({**z2m, "full_topic": SWAPPED})


def test_the_buzz_command_and_the_acl_follow_the_full_topic() -> None:
    command = FeedbackCommand()
    assert command_topic("tasmota", "tasmota_9CF9D1#1", command) == "cmnd/tasmota_9CF9D1/Buzzer"
    swapped = command_topic("tasmota", "tasmota_9CF9D1#1", command, SWAPPED)
    assert swapped == "tasmota_9CF9D1/cmnd/Buzzer"
    sent = feedback_commands("tasmota", "tasmota_9CF9D1", "received", command, SWAPPED)
    assert sent == [("tasmota_9CF9D1/cmnd/Buzzer", b"1")]
    entry = yaml.safe_load(
        """
        id: d
        kind: fixed
        location: desk
        family: tasmota
        address: tasmota_9CF9D1#1
        full_topic: "%topic%/%prefix%/"
        feedback: {}
        """
    )
    publish, read = device_rights(DeviceSpec.model_validate(entry))
    assert set(publish) == {
        "tasmota_9CF9D1/stat/+",
        "tasmota_9CF9D1/tele/LWT",
        "tasmota_9CF9D1/tele/STATE",
    }
    assert read == ["tasmota_9CF9D1/cmnd/Buzzer"]


def test_a_full_topic_builds_and_splits_its_topics() -> None:
    layout = FullTopic.parse("nav/%topic%/x/%prefix%/")
    topic = layout.topic("stat", "knapp", "RESULT")
    assert topic == "nav/knapp/x/stat/RESULT"
    assert layout.split(topic) == ("stat", "knapp", "RESULT")
    assert layout.split("nav/knapp/y/stat/RESULT") is None
    assert layout.split("nav/knapp/x/info/RESULT") is None  # not a Tasmota prefix
