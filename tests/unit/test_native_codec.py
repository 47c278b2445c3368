"""The native protocol's topics and payload codec: every rejection reason, the boundaries, and a
property that decoding arbitrary bytes fails only with DecodeError."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.office import Gesture
from devices import native, topics
from devices.native import DecodeError, decode_feedback, decode_status, decode_trigger

PROTOCOL_EXAMPLE = {
    "event": "press",
    "seq": 17,
    "gesture": "single",
    "ts": "2026-11-26T09:14:03.120+01:00",
    "battery": 88,
}


def raw(obj: object) -> bytes:
    return json.dumps(obj).encode()


def press(**fields: Any) -> bytes:
    return raw({"event": "press", "seq": 1} | fields)


def reason_of(payload: bytes, **kwargs: Any) -> str:
    with pytest.raises(DecodeError) as caught:
        decode_trigger(payload, **kwargs)
    assert caught.value.detail
    return caught.value.reason


# -- topics -------------------------------------------------------------------------------------


def test_topics_follow_the_protocol() -> None:
    assert topics.trigger_topic("desk-1") == "rollekort/v1/trigger/desk-1"
    assert topics.status_topic("desk-1") == "rollekort/v1/status/desk-1"
    assert topics.feedback_topic("desk-1") == "rollekort/v1/feedback/desk-1"
    assert topics.INGEST_FILTERS == ("rollekort/v1/trigger/+", "rollekort/v1/status/+")
    assert topics.FEEDBACK_FILTER == "rollekort/v1/feedback/+"


@pytest.mark.parametrize("kind", list(topics.TopicKind))
def test_parse_topic_round_trips(kind: topics.TopicKind) -> None:
    device_id = "Desk_1.a-" + "x" * 55  # 64 characters, every allowed class
    assert topics.parse_topic(topics.topic_for(kind, device_id)) == (kind, device_id)


@pytest.mark.parametrize(
    "topic",
    [
        "",
        "rollekort/v1/trigger/",
        "rollekort/v1/trigger/" + "x" * 65,
        "rollekort/v1/trigger/a b",
        "rollekort/v1/trigger/a/b",
        "rollekort/v1/trigger/+",
        "rollekort/v1/trigger/æøå",
        "rollekort/v2/trigger/desk-1",
        "rollekort/v1/alarm/desk-1",
        "/rollekort/v1/trigger/desk-1",
        "x/rollekort/v1/trigger/desk-1",
        "rollekort/v1/trigger/desk-1\n",
    ],
)
def test_parse_topic_rejects_anything_else(topic: str) -> None:
    assert topics.parse_topic(topic) is None


@pytest.mark.parametrize("device_id", ["", "a/b", "a+", "#", "x" * 65, "ø"])
def test_topic_for_rejects_invalid_ids(device_id: str) -> None:
    with pytest.raises(ValueError, match="invalid device id"):
        topics.trigger_topic(device_id)


def test_gesture_names_match_the_core() -> None:
    assert set(get_args(native.GestureName)) == {g.value for g in Gesture}


# -- trigger events -----------------------------------------------------------------------------


def test_decodes_the_protocol_example() -> None:
    event = decode_trigger(raw(PROTOCOL_EXAMPLE))
    assert event.event == "press"
    assert event.seq == 17
    assert event.gesture == "single"
    assert event.ts == datetime(2026, 11, 26, 8, 14, 3, 120_000, tzinfo=UTC)
    assert event.ts.utcoffset() == timedelta(hours=1)
    assert event.battery == 88


def test_defaults_and_unknown_fields_ignored() -> None:
    event = decode_trigger(press(colour="red", nested={"a": [1, 2]}, gesture_v2="wiggle"))
    assert (event.gesture, event.ts, event.battery) == ("single", None, None)


@pytest.mark.parametrize("event", ["press", "cancel", "test"])
@pytest.mark.parametrize("gesture", ["single", "double", "triple", "hold"])
def test_every_event_and_gesture(event: str, gesture: str) -> None:
    decoded = decode_trigger(raw({"event": event, "seq": 0, "gesture": gesture}))
    assert (decoded.event, decoded.gesture) == (event, gesture)


@pytest.mark.parametrize("seq", [0, 1, native.MAX_SEQ])
def test_seq_boundaries_accepted(seq: int) -> None:
    assert decode_trigger(press(seq=seq)).seq == seq


@pytest.mark.parametrize(
    "seq", [-1, native.MAX_SEQ + 1, True, False, 1.0, 1.5, "1", None, [1], {"n": 1}]
)
def test_seq_must_be_a_non_negative_json_integer(seq: object) -> None:
    assert reason_of(press(seq=seq)) == "invalid"


def test_seq_uses_json_integers_only() -> None:
    assert reason_of(b'{"event": "press", "seq": 1e0}') == "invalid"
    assert reason_of(b'{"event": "press", "seq": 1.0}') == "invalid"


@pytest.mark.parametrize("battery", [0, 100])
def test_battery_boundaries_accepted(battery: int) -> None:
    assert decode_trigger(press(battery=battery)).battery == battery


@pytest.mark.parametrize("battery", [-1, 101, 50.5, "50", True])
def test_battery_out_of_range_or_type(battery: object) -> None:
    assert reason_of(press(battery=battery)) == "invalid"


@pytest.mark.parametrize(
    "fields",
    [
        {"event": "hold"},
        {"event": "PRESS"},
        {"gesture": "quadruple"},
        {"gesture": None},
        {"event": None},
    ],
)
def test_unknown_event_or_gesture(fields: dict[str, object]) -> None:
    assert reason_of(press(**fields)) == "invalid"


@pytest.mark.parametrize("missing", ["event", "seq"])
def test_required_fields(missing: str) -> None:
    fields = {"event": "press", "seq": 1}
    del fields[missing]
    assert reason_of(raw(fields)) == "invalid"


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        ("2026-11-26T09:14:03Z", datetime(2026, 11, 26, 9, 14, 3, tzinfo=UTC)),
        ("2026-11-26T09:14:03.5+00:00", datetime(2026, 11, 26, 9, 14, 3, 500_000, tzinfo=UTC)),
        ("2026-11-26t09:14:03z", datetime(2026, 11, 26, 9, 14, 3, tzinfo=UTC)),
        ("2026-11-26 09:14:03-05:30", datetime(2026, 11, 26, 14, 44, 3, tzinfo=UTC)),
    ],
)
def test_rfc3339_timestamps(ts: str, expected: datetime) -> None:
    decoded = decode_trigger(press(ts=ts)).ts
    assert decoded == expected
    assert decoded is not None and decoded.tzinfo is not None


def test_offset_is_kept() -> None:
    decoded = decode_trigger(press(ts="2026-11-26T09:14:03+01:00")).ts
    assert decoded is not None
    assert decoded.utcoffset() == timezone(timedelta(hours=1)).utcoffset(None)


def test_naive_timestamp_rejected() -> None:
    with pytest.raises(DecodeError) as caught:
        decode_trigger(press(ts="2026-11-26T09:14:03.120"))
    assert caught.value.reason == "invalid"
    assert "ts" in caught.value.detail and "timezone" in caught.value.detail


@pytest.mark.parametrize(
    "ts",
    [
        1_764_144_843,
        1_764_144_843.5,
        "1764144843",
        "2026-11-26",
        "2026-11-26T09:14+01:00",
        "2026-11-26T09:14:03+0100",
        "26.11.2026 09:14:03",
        "2026-13-26T09:14:03Z",
        "2026-11-26T25:14:03Z",
        "",
        True,
    ],
)
def test_non_rfc3339_timestamps_rejected(ts: object) -> None:
    assert reason_of(press(ts=ts)) == "invalid"


def test_null_timestamp_is_absent() -> None:
    assert decode_trigger(press(ts=None)).ts is None


# -- rejection reasons in order -----------------------------------------------------------------


def test_too_large_is_checked_first() -> None:
    assert reason_of(b"\xff" * 4097) == "too_large"
    assert reason_of(b"x" * 11, max_bytes=10) == "too_large"


def test_max_bytes_boundary() -> None:
    payload = press(pad="x" * 100)
    assert decode_trigger(payload, max_bytes=len(payload)).seq == 1
    assert reason_of(payload, max_bytes=len(payload) - 1) == "too_large"


@pytest.mark.parametrize("payload", [b"\xff", b'{"event": "pr\xe9ss", "seq": 1}', b"\xc3"])
def test_not_utf8(payload: bytes) -> None:
    assert reason_of(payload) == "not_utf8"


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b"   ",
        b"{",
        b"{'event': 'press'}",
        b'{"seq": NaN, "event": "press"}',
        b'{"seq": Infinity}',
        b'{"seq": -Infinity}',
        b"\xef\xbb\xbf{}",  # a UTF-8 byte-order mark is not JSON
        b"[" * 3000,  # deeper than the parser's recursion limit
        b'{"event": "press"} trailing',
    ],
)
def test_not_json(payload: bytes) -> None:
    assert reason_of(payload) == "not_json"


@pytest.mark.parametrize("payload", [b"[]", b"1", b'"press"', b"null", b"true", b"[{}]"])
def test_not_object(payload: bytes) -> None:
    assert reason_of(payload) == "not_object"


def test_invalid_detail_names_the_field() -> None:
    with pytest.raises(DecodeError) as caught:
        decode_trigger(press(seq=-1))
    assert caught.value.detail.startswith("seq:")
    assert str(caught.value).startswith("invalid: seq:")


def test_lone_surrogates_are_invalid_not_a_crash() -> None:
    assert reason_of(b'{"event": "\\ud800", "seq": 1}') == "invalid"


# -- status and feedback ------------------------------------------------------------------------


def test_status_example_and_last_will() -> None:
    status = decode_status(raw({"online": True, "battery": 88, "rssi": -61, "firmware": "1.4.2"}))
    assert (status.online, status.battery, status.rssi, status.firmware) == (
        True,
        88,
        -61,
        "1.4.2",
    )
    will = decode_status(b'{"online": false}')
    assert (will.online, will.battery, will.rssi, will.firmware) == (False, None, None, None)


def test_status_ignores_unknown_fields() -> None:
    assert decode_status(raw({"online": True, "uptime": 12, "ip": "10.0.0.2"})).online


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"online": "true"},
        {"online": 1},
        {"online": True, "battery": 101},
        {"online": True, "rssi": -61.5},
        {"online": True, "firmware": 142},
        {"online": True, "firmware": "x" * 65},
    ],
)
def test_status_rejections(fields: dict[str, object]) -> None:
    with pytest.raises(DecodeError) as caught:
        decode_status(raw(fields))
    assert caught.value.reason == "invalid"


def test_empty_status_is_not_json() -> None:
    """An empty retained payload clears a status; it is not a status."""
    with pytest.raises(DecodeError) as caught:
        decode_status(b"")
    assert caught.value.reason == "not_json"


@pytest.mark.parametrize("state", ["received", "accepted", "resolved", "cancelled"])
def test_feedback_round_trip(state: native.FeedbackState) -> None:
    payload = native.encode_feedback("a-2026-000123", state)
    assert json.loads(payload) == {"alarm_id": "a-2026-000123", "state": state}
    assert decode_feedback(payload) == native.Feedback(alarm_id="a-2026-000123", state=state)


@pytest.mark.parametrize(("alarm_id", "state"), [("", "received"), ("a/1", "received"), ("a", "x")])
def test_feedback_refuses_invalid_values(alarm_id: str, state: Any) -> None:
    with pytest.raises(ValueError):
        native.encode_feedback(alarm_id, state)


# -- properties ---------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
offsets = st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23))
)
trigger_like = st.fixed_dictionaries(
    {},
    optional={
        "event": st.sampled_from(["press", "cancel", "test", "other"]) | json_values,
        "seq": st.integers(min_value=-2, max_value=2**64) | json_values,
        "gesture": st.sampled_from(["single", "double", "triple", "hold", "x"]) | json_values,
        "ts": st.datetimes(timezones=st.none() | offsets).map(datetime.isoformat) | json_values,
        "battery": st.integers(min_value=-5, max_value=105) | json_values,
    },
)


@given(st.binary(max_size=600))
def test_decoding_arbitrary_bytes_raises_only_decode_error(payload: bytes) -> None:
    for decode in (decode_trigger, decode_status, decode_feedback):
        with contextlib.suppress(DecodeError):
            decode(payload)


@given(trigger_like)
def test_decoding_trigger_shaped_objects_raises_only_decode_error(obj: dict[str, Any]) -> None:
    try:
        event = decode_trigger(raw(obj))
    except DecodeError as err:
        assert err.reason in ("invalid", "too_large")
    else:
        assert 0 <= event.seq <= native.MAX_SEQ
        assert event.ts is None or event.ts.tzinfo is not None


@given(st.text(max_size=200))
def test_decoding_arbitrary_text_raises_only_decode_error(text: str) -> None:
    with contextlib.suppress(DecodeError):
        decode_trigger(text.encode("utf-8", "surrogatepass"))


def test_a_press_with_a_bad_optional_field_is_kept_and_the_field_named() -> None:
    from devices.native import decode_press

    payload = b'{"event": "press", "seq": 5, "ts": "2026-11-26T09:00:00", "battery": 12.5}'
    event, dropped = decode_press(payload)
    assert (event.event, event.seq, event.ts, event.battery) == ("press", 5, None, None)
    assert dropped == ("battery", "ts")
    event, dropped = decode_press(b'{"event": "press", "seq": 6, "gesture": "wiggle"}')
    assert event.gesture == "single" and dropped == ("gesture",)


def test_a_press_without_a_valid_seq_or_event_is_still_refused() -> None:
    from devices.native import DecodeError, decode_press

    for payload in (
        b'{"event": "press", "seq": "5"}',
        b'{"event": "boom", "seq": 5}',
        b'{"seq": 5}',
    ):
        with pytest.raises(DecodeError) as err:
            decode_press(payload)
        assert err.value.reason == "invalid"
