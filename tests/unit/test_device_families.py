"""Every recorded payload in tests/fixtures/devices/ through its family's codec, and the codecs'
promises: retained never alarms, a codec never raises, keys fit the press table, addresses are
checked, and the office file carries a device's family, address and action mapping."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, get_args

import pytest
import yaml

from app.config.schema import DeviceFamily
from app.core.office import Gesture, Level
from devices.catalogue import FAMILIES, Catalogue, DeviceRef, check_address, resolve_gesture
from devices.families import ButtonTest, Cancel, DeviceSignal, Ignored, Press, Release, Status
from devices.families.base import GESTURES, MALFORMED, MAX_KEY_CHARS
from tests.unit.test_office_file import BASE, edit, problems_of

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "devices"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _cases() -> list[Any]:
    docs = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(FIXTURES.glob("*.yaml"))]
    return [
        pytest.param(d["family"], c, id=f"{d['family']}:{c['name']}")
        for d in docs
        for c in d["cases"]
    ]


CASES = _cases()


def _label(key: str, want: str | None, labels: dict[str, str]) -> str:
    """The expected label when `key` is consistent with it (same label, same key; new label,
    new key), else the key itself, so a mismatch shows in the assertion."""
    if want is None:
        return key
    if labels.get(want) == key:
        return want
    if want not in labels and key not in labels.values():
        labels[want] = key
        return want
    return f"<key {key!r}>"


def _view(signal: DeviceSignal, want: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    """The signal in the fixture's shape, with only the fields the fixture names."""
    if isinstance(signal, Press):
        spec = want.get("press") or {}
        got: dict[str, Any] = {
            "action": signal.action,
            "gesture": signal.gesture,
            "key": _label(signal.dedupe_key, spec.get("key"), labels),
        }
        extra = {
            "seq": signal.seq,
            "battery": signal.battery,
            "device_ts": signal.device_ts.isoformat() if signal.device_ts else None,
            "key_is": signal.dedupe_key,
            "repaired": list(signal.repaired),
        }
        got.update({k: v for k, v in extra.items() if k in spec})
        return {"press": got}
    if isinstance(signal, Cancel | ButtonTest):
        spec = want.get("cancel") or want.get("test") or {}
        got = {"key": _label(signal.dedupe_key, spec.get("key"), labels), "seq": signal.seq}
        if "key_is" in spec:
            got["key_is"] = signal.dedupe_key
        return {"cancel" if isinstance(signal, Cancel) else "test": got}
    if isinstance(signal, Release):
        return {"release": signal.action}
    if isinstance(signal, Status):
        return {"status": {k: v for k, v in asdict(signal).items() if v is not None}}
    return {"ignored": signal.reason}


@pytest.mark.parametrize(("family", "case"), CASES)
def test_recorded_payloads(family: str, case: dict[str, Any]) -> None:
    assert case.get("source") and case.get("quirk"), "every recording names its source and quirk"
    catalogue = Catalogue([DeviceRef("dev-1", family, case["address"])])
    labels: dict[str, str] = {}
    for n, message in enumerate(case["messages"]):
        retained, at = bool(message.get("retained")), T0 + timedelta(seconds=message["at"])
        routed = catalogue.decode(message["topic"], str(message["payload"]).encode(), retained, at)
        assert [ref.device_id for ref, _ in routed] == ["dev-1"], f"message {n} not routed"
        signals = routed[0][1]
        expected = message["expect"]
        got = [_view(s, w, labels) for s, w in zip(signals, expected, strict=False)]
        got += [_view(s, {}, labels) for s in signals[len(expected) :]]
        assert got == expected, f"message {n}: {message['topic']} {message['payload']!r}"
        if retained and family != "native":
            assert not any(isinstance(s, Press) for s in signals), "a retained message alarmed"
        assert all(len(s.dedupe_key) <= MAX_KEY_CHARS for s in signals if isinstance(s, Press))


def test_every_family_has_recordings() -> None:
    assert {p.values[0] for p in CASES} == set(FAMILIES)


def test_gestures_and_families_match_the_app() -> None:
    assert set(GESTURES) == {g.value for g in Gesture}
    assert set(FAMILIES) == set(get_args(DeviceFamily))


# -- codecs never raise, and garbage never alarms ---------------------------------------------

GARBAGE = [
    b"",
    b"\xff\xfe",
    b"null",
    b"[]",
    b"{}",
    b"ON ON",
    b'{"action": 5, "click": ["single"], "battery": "x", "sos": "yes"}',
    b'{"event": "S", "event_cnt": true}',
    b'{"method": "NotifyEvent", "params": {"events": "single_push"}}',
    b'{"method": "NotifyEvent", "params": {"events": [{"component": 1, "event": null}]}}',
    b'{"Button1": {"Action": ""}, "Wifi": "strong"}',
    b'{"event_type": 3}',
    b"[" * 5000 + b"]" * 5000,
    b"x" * 70000,
]


@pytest.mark.parametrize(("family", "case"), CASES)
def test_codecs_never_raise_and_garbage_never_alarms(family: str, case: dict[str, Any]) -> None:
    """Every topic we have a recording for, with payloads no device sends."""
    catalogue = Catalogue([DeviceRef("dev-1", family, case["address"])])
    for topic in {m["topic"] for m in case["messages"]}:
        for payload in GARBAGE:
            [(_, signals)] = catalogue.decode(topic, payload, False, T0)
            assert not any(isinstance(s, Press | Cancel | ButtonTest) for s in signals), payload
            assert not any(isinstance(s, Ignored) and s.reason == "codec_error" for s in signals)


DEVICES = [
    DeviceRef("z", "zigbee2mqtt", "zigbee2mqtt/Resepsjon SOS"),
    DeviceRef("t", "tasmota", "tasmota_44D83C#1"),
    DeviceRef("tl", "tasmota", "cmnd/panic-btn"),
    DeviceRef("s1", "shelly", "shellies/shellybutton1-A4CF12F45301"),
    DeviceRef("s2", "shelly", "shellyplusi4-083af2013a00#0"),
    DeviceRef("e", "esphome", "resepsjon-panikk#panic_button"),
    DeviceRef("n", "native", None),
]


def test_malformed_reasons_are_reported_as_such() -> None:
    catalogue = Catalogue(DEVICES)
    [(_, signals)] = catalogue.decode("stat/tasmota_44D83C/RESULT", b"{", False, T0)
    assert signals == [Ignored("not_json", signals[0].detail)] and "not_json" in MALFORMED


# -- catalogue: subscriptions, routing, addresses -----------------------------------------------


def test_subscriptions_cover_every_device_and_the_native_wildcards() -> None:
    filters = Catalogue(DEVICES).subscriptions()
    assert {
        "rollekort/v1/trigger/+",
        "zigbee2mqtt/Resepsjon SOS/action",
        "stat/tasmota_44D83C/+",
        "cmnd/panic-btn/+",
        "shellies/shellybutton1-A4CF12F45301/input_event/+",
        "shellyplusi4-083af2013a00/events/rpc",
        "resepsjon-panikk/binary_sensor/panic_button/state",
    } <= set(filters)
    assert len(filters) == len(set(filters))


def test_two_inputs_of_one_device_are_two_devices() -> None:
    base = "shellies/shellyix3-A4CF12F474C7"
    refs = [DeviceRef("desk", "shelly", f"{base}#0"), DeviceRef("door", "shelly", f"{base}#1")]
    catalogue = Catalogue(refs)
    routed = catalogue.decode(f"{base}/input_event/1", b'{"event":"S","event_cnt":5}', False, T0)
    pressed = [ref.device_id for ref, s in routed if any(isinstance(x, Press) for x in s)]
    assert pressed == ["door"]
    assert catalogue.route(f"{base}/online") == refs
    assert catalogue.route("zigbee2mqtt/somebody else") == []


def test_the_same_address_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="two alarms"):
        Catalogue([DeviceRef("a", "tasmota", "panic#1"), DeviceRef("b", "tasmota", "panic#1")])


@pytest.mark.parametrize(
    ("family", "address", "problem"),
    [
        ("zigbee2mqtt", None, "needs its topic"),
        ("zigbee2mqtt", "Resepsjon SOS", "base topic and the friendly name"),
        ("zigbee2mqtt", "zigbee2mqtt/a#1", "no #part"),
        ("zigbee2mqtt", "zigbee2mqtt/+", "wildcards"),
        ("tasmota", "panic#left", "button number"),
        ("esphome", "resepsjon-panikk", "node and the entity"),
        ("shelly", "shellies/x/", "start or end with /"),
        ("native", "desk 1", "device id"),
        ("shelly", "rollekort/v1/trigger/x", "native topic scheme"),
        ("zigbee", "x/y", "unknown device family"),
        ("native", None, None),
        ("native", "desk-1", None),
        ("zigbee2mqtt", "zigbee2mqtt/Resepsjon/SOS knapp", None),
        ("tasmota", "cmnd/panic-btn#2", None),
        ("shelly", "shellies/shellyix3-A4CF12F474C7#2", None),
        ("shelly", "shellyplusi4-083af2013a00#bthomedevice:200", None),
        ("esphome", "nav/resepsjon-panikk#panic_button", None),
    ],
)
def test_addresses_are_checked(family: str, address: str | None, problem: str | None) -> None:
    found = check_address(family, address)
    assert found is None if problem is None else problem in (found or "")


# -- gestures, windows, keys ---------------------------------------------------------------------


def test_actions_mapping_decides_when_given() -> None:
    press = Press("arm_day_zones", None, "k")
    assert resolve_gesture(press, {}) is None
    assert resolve_gesture(press, {"arm_day_zones": "hold"}) == "hold"
    assert resolve_gesture(Press("single", "single", "k"), {"emergency": "hold"}) is None
    assert resolve_gesture(Press("single", "single", "k"), {}) == "single"


def test_the_window_ends_and_a_new_press_gets_a_new_key() -> None:
    catalogue = Catalogue([DeviceRef("z", "zigbee2mqtt", "zigbee2mqtt/sos")])

    def key(at_s: float) -> str:
        [(_, [press])] = catalogue.decode(
            "zigbee2mqtt/sos/action", b"emergency", False, T0 + timedelta(seconds=at_s)
        )
        assert isinstance(press, Press)
        return press.dedupe_key

    assert key(0) == key(1.9) != key(2.5) == key(4.4)


def test_keys_are_bounded_and_printable() -> None:
    node = "nav/" + "resepsjon/" * 15 + "panikk"
    catalogue = Catalogue([DeviceRef("e", "esphome", f"{node}#knapp")])
    payload = b'{"event_type": "\\u0007' + b"x" * 90 + b'"}'
    [(_, [press])] = catalogue.decode(f"{node}/event/knapp/state", payload, False, T0)
    assert isinstance(press, Press)
    assert len(press.dedupe_key) <= MAX_KEY_CHARS and press.dedupe_key.isprintable()


# -- the office file -----------------------------------------------------------------------------

Z2M_DEVICE = """\
  - id: sos-1
    family: zigbee2mqtt
    address: zigbee2mqtt/Resepsjon SOS
    actions: {emergency: hold, 1_single: single}
    gestures: {hold: acute}
    kind: fixed
    location: reception
"""


def test_office_file_names_family_address_and_actions() -> None:
    from app.config.loader import load_office_text

    text = edit("api_tokens:\n", Z2M_DEVICE + "api_tokens:\n")
    trigger = load_office_text(text, "t.yaml").office.triggers["sos-1"]
    assert (trigger.family, trigger.address) == ("zigbee2mqtt", "zigbee2mqtt/Resepsjon SOS")
    assert trigger.actions == {"emergency": Gesture.HOLD, "1_single": Gesture.SINGLE}
    assert trigger.level_for(Gesture.HOLD) is Level.ACUTE
    native = load_office_text(BASE, "t.yaml").office.triggers["desk-1"]
    assert (native.address, dict(native.actions)) == (None, {})


def test_office_file_reports_a_missing_or_wrong_address() -> None:
    missing = edit("    address: zigbee2mqtt/Resepsjon SOS\n", "", Z2M_DEVICE)
    problems = problems_of(edit("api_tokens:\n", missing + "api_tokens:\n"))
    assert any("address" in p.message and "zigbee2mqtt" in p.message for p in problems), problems
    wrong = edit("{emergency: hold, 1_single: single}", "{emergency: loud}", Z2M_DEVICE)
    problems = problems_of(edit("api_tokens:\n", wrong + "api_tokens:\n"))
    assert any("actions" in p.path for p in problems), problems


def test_the_documented_device_entry_loads() -> None:
    from app.config.schema import DeviceSpec

    doc = (Path(__file__).resolve().parents[2] / "docs" / "devices.md").read_text()
    block = doc.split("```yaml\n", 1)[1].split("```", 1)[0]
    [entry] = yaml.safe_load(block)["devices"]
    trigger = DeviceSpec.model_validate(entry).to_core()
    assert (trigger.family, trigger.address) == ("zigbee2mqtt", "zigbee2mqtt/Resepsjon SOS")
