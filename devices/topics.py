"""The native MQTT topic scheme (protocol v1, section 1), so no module spells a topic by hand."""

from __future__ import annotations

import re
from enum import StrEnum

PREFIX = "rollekort/v1"
DEVICE_ID_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")


class TopicKind(StrEnum):
    """The three native topics: what a device sends, what it reports, what it is told."""

    TRIGGER = "trigger"
    STATUS = "status"
    FEEDBACK = "feedback"


TRIGGER = TopicKind.TRIGGER
STATUS = TopicKind.STATUS
FEEDBACK = TopicKind.FEEDBACK

TRIGGER_FILTER = f"{PREFIX}/{TopicKind.TRIGGER}/+"
STATUS_FILTER = f"{PREFIX}/{TopicKind.STATUS}/+"
FEEDBACK_FILTER = f"{PREFIX}/{TopicKind.FEEDBACK}/+"
INGEST_FILTERS: tuple[str, ...] = (TRIGGER_FILTER, STATUS_FILTER)
"""What the service subscribes to: every device's triggers and status."""


def is_device_id(value: str) -> bool:
    """True when `value` is a valid protocol id (`[A-Za-z0-9_.-]{1,64}`)."""
    return DEVICE_ID_RE.fullmatch(value) is not None


def topic_for(kind: TopicKind, device_id: str) -> str:
    """The topic of `kind` for one device; ValueError if the id breaks the protocol."""
    if not is_device_id(device_id):
        raise ValueError(f"invalid device id {device_id!r}: must match [A-Za-z0-9_.-]{{1,64}}")
    return f"{PREFIX}/{kind}/{device_id}"


def trigger_topic(device_id: str) -> str:
    return topic_for(TopicKind.TRIGGER, device_id)


def status_topic(device_id: str) -> str:
    return topic_for(TopicKind.STATUS, device_id)


def feedback_topic(device_id: str) -> str:
    return topic_for(TopicKind.FEEDBACK, device_id)


def parse_topic(topic: str) -> tuple[TopicKind, str] | None:
    """`(kind, device_id)` for a native topic, or None for anything else (never raises)."""
    prefix, sep, rest = topic.rpartition("/")
    if not sep or not is_device_id(rest):
        return None
    head, sep, kind = prefix.rpartition("/")
    if head != PREFIX or not sep:
        return None
    try:
        return TopicKind(kind), rest
    except ValueError:
        return None
