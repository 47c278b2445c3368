"""Family feedback commands: only for devices whose entry asks, in each family's own format."""

from __future__ import annotations

import json

from devices.families.feedback import FeedbackCommand, feedback_commands


def test_zigbee2mqtt_sends_the_entrys_payload_to_set() -> None:
    cmd = FeedbackCommand(payload={"buzzer": "short"})
    [(topic, payload)] = feedback_commands("zigbee2mqtt", "zigbee2mqtt/SOS", "received", cmd)
    assert topic == "zigbee2mqtt/SOS/set" and json.loads(payload) == {"buzzer": "short"}
    assert feedback_commands("zigbee2mqtt", "zigbee2mqtt/SOS", "resolved", cmd) == []
    assert feedback_commands("zigbee2mqtt", "zigbee2mqtt/SOS", "received", None) == []
    assert feedback_commands("zigbee2mqtt", "zigbee2mqtt/SOS", "received", FeedbackCommand()) == []


def test_tasmota_buzzer_by_default_and_legacy_takes_none() -> None:
    cmd = FeedbackCommand()
    assert feedback_commands("tasmota", "tasmota_44D83C#1", "accepted", cmd) == [
        ("cmnd/tasmota_44D83C/Buzzer", b"1")
    ]
    assert feedback_commands("tasmota", "cmnd/panic-btn", "accepted", cmd) == []


def test_shelly_gen2_rpc_and_gen1_only_with_a_topic() -> None:
    cmd = FeedbackCommand(payload={"method": "Switch.Set", "params": {"id": 0, "on": True}})
    [(topic, payload)] = feedback_commands("shelly", "shellyplusi4-083af2013a00#0", "received", cmd)
    assert topic == "shellyplusi4-083af2013a00/rpc"
    assert json.loads(payload) == {
        "id": 1,
        "src": "rollekort/feedback",
        "method": "Switch.Set",
        "params": {"id": 0, "on": True},
    }
    assert (
        feedback_commands("shelly", "shellies/b1", "received", FeedbackCommand(payload="on")) == []
    )
    gen1 = FeedbackCommand(topic_suffix="/relay/0/command", payload="on")
    assert feedback_commands("shelly", "shellies/b1#0", "received", gen1) == [
        ("shellies/b1/relay/0/command", b"on")
    ]


def test_esphome_and_native_take_no_family_command() -> None:
    cmd = FeedbackCommand(payload="1")
    assert feedback_commands("esphome", "node#panic", "received", cmd) == []
    assert feedback_commands("native", "desk-1", "received", cmd) == []
