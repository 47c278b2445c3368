"""The examples in docs/protocol.md are real: every JSON example decodes with the codec that
reads it, so the documentation cannot drift from the wire."""

from __future__ import annotations

import json
import re

from devices import native
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "protocol.md").read_text()
EXAMPLES = [json.loads(block) for block in re.findall(r"```json\n(.*?)\n```", DOC, re.S)]


def by_keys(*keys: str) -> list[dict[str, object]]:
    return [e for e in EXAMPLES if isinstance(e, dict) and all(k in e for k in keys)]


def test_the_document_has_the_three_native_examples() -> None:
    assert by_keys("event", "seq") and by_keys("online") and by_keys("alarm_id", "state")


def test_the_trigger_example_decodes() -> None:
    for example in by_keys("event", "seq"):
        event = native.decode_trigger(json.dumps(example).encode())
        assert event.event == example["event"] and event.seq == example["seq"]


def test_the_status_example_decodes() -> None:
    for example in by_keys("online"):
        assert native.decode_status(json.dumps(example).encode()).online is example["online"]


def test_the_feedback_example_decodes_and_matches_what_the_service_encodes() -> None:
    for example in by_keys("alarm_id", "state"):
        decoded = native.decode_feedback(json.dumps(example).encode())
        assert json.loads(native.encode_feedback(decoded.alarm_id, decoded.state)) == example
