"""Fuzzing every parser of outside input with hypothesis: each device family's codec, the native
trigger, status and feedback decoders, and the handset frame parser. Whatever arrives, a parser
either returns its result or says why it refused: it never raises anything else (a codec's
`codec_error` is its own crash caught at the boundary, so it counts as a failure here)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.adapters.ws.inbound import BadFrame, parse_frame
from devices.catalogue import Catalogue, DeviceRef
from devices.families import Ignored
from devices.native import DecodeError, decode_feedback, decode_press, decode_status
from tests.unit.test_device_families import CASES

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
# Words the families and the protocol use, so generated objects reach past the first check.
WORDS = [
    "action", "click", "event", "event_cnt", "battery", "POWER", "Button1", "Action", "params",
    "events", "component", "id", "method", "NotifyEvent", "state", "input", "sos", "seq", "ts",
    "gesture", "online", "rssi", "firmware", "alarm_id", "type", "token", "role_id", "step",
    "on", "resume", "nonce", "single", "double", "hold", "press", "cancel", "test", "ON", "OFF",
    "single_push", "long_push", "event_type", "tamper", "voltage", "linkquality", "hello",
    "accept", "decline", "step_done", "all_clear", "lockdown", "pong", "duty", "acknowledge",
]  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(WORDS)
    | st.text(max_size=12)
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(WORDS) | st.text(max_size=6), inner, max_size=6)
    ),
    max_leaves=20,
)
PAYLOADS = st.one_of(
    st.binary(max_size=300),
    JSON.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(st.sampled_from(WORDS), JSON, max_size=8).map(lambda v: json.dumps(v).encode()),
)
TOPICS = sorted(
    {
        (c.values[0], c.values[1]["address"], m["topic"])
        for c in CASES
        for m in c.values[1]["messages"]
    }
)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(where=st.sampled_from(TOPICS), payload=PAYLOADS, retained=st.booleans())
def test_no_family_codec_crashes_on_any_payload(
    where: tuple[str, str, str], payload: bytes, retained: bool
) -> None:
    family, address, topic = where
    catalogue = Catalogue([DeviceRef("dev-1", family, address)])
    for _, signals in catalogue.decode(topic, payload, retained, T0):
        crashed = [s for s in signals if isinstance(s, Ignored) and s.reason == "codec_error"]
        assert not crashed, (family, topic, payload, crashed)


@FUZZ
@given(payload=PAYLOADS)
def test_native_decoders_return_or_refuse_with_a_reason(payload: bytes) -> None:
    for decode in (decode_press, decode_status, decode_feedback):
        try:
            decode(payload)
        except DecodeError as refused:
            assert refused.reason and refused.detail


def _frames() -> st.SearchStrategy[str]:
    typed = st.fixed_dictionaries(
        {"type": st.sampled_from(WORDS)}, optional={w: JSON for w in WORDS[:30] if w != "type"}
    )
    return st.one_of(st.text(max_size=200), JSON.map(json.dumps), typed.map(json.dumps))


@FUZZ
@given(text=_frames())
def test_handset_frame_parser_returns_a_frame_or_says_why(text: str) -> None:
    try:
        frame: Any = parse_frame(text)
    except BadFrame as refused:
        assert refused.message
    else:
        assert frame.type
