"""What every device family's codec has in common, so the intake handles one kind of result.

Each family announces a press its own way (a JSON `action`, a plain word on a command topic, a
counter, an ON/OFF state topic) and repeats itself in its own way (a clearing message, retained
state, the same press on two topics, broker redelivery). A codec turns one MQTT message into a
list of `DeviceSignal`s and gives every press a `dedupe_key`: equal for the same press however
often it arrives, different for a new one. The dispatcher already ignores a press key it has seen
(for the de-duplication horizon, across restarts), so a codec only has to get the key right.

Rules every codec keeps: a retained message never raises an alarm; a release is a `Release`,
never a cancel; an empty or clearing message is `Ignored`; a codec never raises (a codec bug
becomes `Ignored("codec_error")` rather than a redelivery loop that would block every device).

Pure: no app imports, no I/O, no asyncio. A codec keeps a little memory per address (the last
state, the last press of a window), so keep one instance per family for the process's life.
"""

from __future__ import annotations

import hashlib
import json
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, Literal, get_args

Gesture = Literal["single", "double", "triple", "hold"]
GESTURES: tuple[Gesture, ...] = get_args(Gesture)  # == app.core.office.Gesture (a test checks)

MAX_PAYLOAD_BYTES = 16384
"""Families send more than native buttons (Shelly status notifications run to several KiB)."""
MAX_KEY_CHARS = 64
"""A dedupe key is stored as the press's `device_ts` (String(64)); longer keys are hashed."""
DEDUPE_WINDOW = timedelta(seconds=2)
"""The same action from the same address within this time of its first sighting is one press."""
MALFORMED = frozenset({"too_large", "not_utf8", "not_json", "not_object", "invalid"})
"""`Ignored` reasons that mean a broken message (count as rejected); the others are normal."""
SELECTOR = "#"
"""`base#n` in an address picks one input/button/entity of a device (never in an MQTT topic)."""


@dataclass(frozen=True)
class Press:
    """A person pressed: `action` is the family's own word, `gesture` its default meaning (None
    when the codec does not know the word; the device entry's `actions:` may still map it)."""

    action: str
    gesture: Gesture | None
    dedupe_key: str
    device_ts: datetime | None = None
    seq: int = 0
    battery: int | None = None
    repaired: tuple[str, ...] = ()  # native only: optional fields dropped to keep the press


@dataclass(frozen=True)
class Release:
    """The button went up, a hold ended, a state cleared: informative, never a cancel."""

    action: str


@dataclass(frozen=True)
class Cancel:
    """Native only: the presser withdraws (protocol v1 `event: cancel`)."""

    dedupe_key: str
    seq: int


@dataclass(frozen=True)
class ButtonTest:
    """Native only: a routine test press (protocol v1 `event: test`)."""

    dedupe_key: str
    seq: int


@dataclass(frozen=True)
class Status:
    """What a message says about the device; None means "this message did not say"."""

    online: bool | None = None
    battery: int | None = None
    tamper: bool | None = None
    rssi: int | None = None

    @property
    def empty(self) -> bool:
        return self == Status()


@dataclass(frozen=True)
class Ignored:
    """Nothing to act on; `reason` is short and machine-readable (see MALFORMED)."""

    reason: str
    detail: str = ""


DeviceSignal = Press | Release | Cancel | ButtonTest | Status | Ignored


class Malformed(ValueError):
    """Raised inside a codec, returned to the caller as `Ignored(reason, detail)`."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class Codec(ABC):
    """One family's messages in, signals out. Addresses are `base` or `base#selector`."""

    family: ClassVar[str]

    def __init__(
        self, *, window: timedelta = DEDUPE_WINDOW, max_bytes: int = MAX_PAYLOAD_BYTES
    ) -> None:
        self.max_bytes = max_bytes
        self.window = PressWindow(window)

    @abstractmethod
    def subscriptions(self, address: str) -> list[str]:
        """The topic filters to subscribe to for one device."""

    @abstractmethod
    def match(self, topic: str) -> str | None:
        """The address base a topic of this family belongs to (not its selector), or None."""

    def check_address(self, address: str | None) -> str | None:
        """What is wrong with an office file's `address:` for this family, or None."""
        if address is None:
            return f"a {self.family} device needs an address"
        base, selector = split_address(address)
        return check_base(base) or (check_selector(selector) if selector is not None else None)

    def decode(
        self, address: str, topic: str, payload: bytes, retained: bool, received_at: datetime
    ) -> list[DeviceSignal]:
        """Signals of one message for the device at `address`; never raises."""
        try:
            return self._decode(address, topic, payload, retained, received_at)
        except Malformed as exc:
            return [Ignored(exc.reason, exc.detail)]
        except Exception as exc:  # a codec bug must not turn into an endless redelivery
            return [Ignored("codec_error", f"{type(exc).__name__}: {exc}")]

    @abstractmethod
    def _decode(
        self, address: str, topic: str, payload: bytes, retained: bool, received_at: datetime
    ) -> list[DeviceSignal]: ...


class PressWindow:
    """Keys for families without a counter: the same identity from the same address within the
    window of its first sighting gets the first sighting's key (a follow-up, a second topic, a
    quick redelivery); later it is a new press. Only in-process memory: after a restart a
    redelivered press gets a new key, and the dispatcher records it as a repeat of the open
    alarm (the device already has one), never as a second alarm."""

    def __init__(self, window: timedelta) -> None:
        self._window = window
        self._seen: dict[str, dict[str, tuple[datetime, str]]] = {}

    def key(self, address: str, identity: str, at: datetime, prefix: str, stamp: str = "") -> str:
        recent = {
            k: v for k, v in self._seen.get(address, {}).items() if abs(at - v[0]) <= self._window
        }
        self._seen[address] = recent
        if identity in recent:
            return recent[identity][1]
        key = make_key(prefix, identity, stamp or stamp_of(at))
        recent[identity] = (at, key)
        return key


# -- helpers for codecs ----------------------------------------------------------------------------

_RELEASE_END = re.compile(r"(?:^|_)(?:release|stop|clear)$")
_WORDS: tuple[tuple[Gesture, frozenset[str]], ...] = (
    ("triple", frozenset({"triple", "tripple", "quadruple", "quad", "penta", "many", "multiple"})),
    ("double", frozenset({"double"})),
    ("hold", frozenset({"hold", "long", "emergency", "sos", "panic"})),
    ("single", frozenset({"single", "click", "press", "pressed", "short", "on", "toggle", "push"})),
)


def is_release(action: str) -> bool:
    """`release`, `hold_release`, `2_short_release`, `brightness_stop`, Tasmota `CLEAR`."""
    return _RELEASE_END.search(action.lower()) is not None


def action_gesture(action: str) -> Gesture | None:
    """The default gesture of a family's action word, by its parts: `1_single` and `single_left`
    are single, `long_press` and `emergency` hold, `double_push` double; None when unknown."""
    words = set(re.split(r"[\s_\-]+", action.lower()))
    for gesture, names in _WORDS:
        if words & names:
            return gesture
    return None


def make_key(prefix: str, *parts: str) -> str:
    key = ":".join((prefix, *parts))
    if len(key) <= MAX_KEY_CHARS and key.isprintable():
        return key
    return f"{prefix}:{hashlib.sha256(key.encode()).hexdigest()[: MAX_KEY_CHARS - len(prefix) - 1]}"


def stamp_of(at: datetime) -> str:
    """A compact UTC time to the millisecond, for keys."""
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%f")[:-3]


def split_address(address: str) -> tuple[str, str | None]:
    base, sep, selector = address.partition(SELECTOR)
    return base, (selector if sep else None)


def check_base(base: str) -> str | None:
    if not base or len(base) > 200:
        return "the address must be 1 to 200 characters"
    if any(c in base for c in "+#\0") or base.startswith("$"):
        return "the address may not contain MQTT wildcards (+, #) or start with $"
    if base.startswith("/") or base.endswith("/") or "//" in base:
        return "the address may not start or end with / or contain //"
    return None


def check_selector(selector: str) -> str | None:
    ok = re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", selector) is not None
    return None if ok else f"the part after {SELECTOR} must be a button, input or entity name"


def text_of(payload: bytes, max_bytes: int) -> str:
    if len(payload) > max_bytes:
        raise Malformed("too_large", f"{len(payload)} bytes, at most {max_bytes} allowed")
    try:
        return payload.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise Malformed("not_utf8", f"byte {exc.start} is not UTF-8") from None


def json_of(payload: bytes, max_bytes: int) -> Any:
    text = text_of(payload, max_bytes)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise Malformed("not_json", str(exc) or type(exc).__name__) from None


def object_of(payload: bytes, max_bytes: int) -> dict[str, Any]:
    obj = json_of(payload, max_bytes)
    if not isinstance(obj, dict):
        raise Malformed("not_object", f"expected a JSON object, got {type(obj).__name__}")
    return obj


def word_of(payload: bytes, max_bytes: int, words: dict[str, bool]) -> bool:
    """A payload that is one of a few words (case-insensitive), e.g. online/offline."""
    text = text_of(payload, max_bytes).lower()
    if text not in words:
        raise Malformed("invalid", f"expected one of {sorted(words)}, got {text[:40]!r}")
    return words[text]


def percent_of(value: object) -> int | None:
    """A battery level from a number or numeric string ("100.00" from old converters)."""
    number = int_of(value)
    return number if number is not None and 0 <= number <= 100 else None


def int_of(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return round(float(value))
    except (ValueError, OverflowError):
        return None


def bool_of(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def epoch_of(value: object) -> datetime | None:
    """Unix seconds (a float from Shelly) as an aware time; None if absent or not plausible."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not 946_684_800 <= value <= 4_102_444_800:  # 2000 to 2100: a device without a clock
        return None
    return datetime.fromtimestamp(value, UTC)
