"""Tasmota's FullTopic: where a device puts `%prefix%` (cmnd, stat, tele) and `%topic%` in the
topics it publishes and reads. The default is `%prefix%/%topic%/` (`stat/tasmota_9CF9D1/RESULT`);
many installations (Home Assistant's own Tasmota tests among them) use `%topic%/%prefix%/`
(`tasmota_9CF9D1/stat/RESULT`), and some put fixed levels around them (`home/%prefix%/%topic%/`).

Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PREFIX, TOPIC = "%prefix%", "%topic%"
PREFIXES = ("cmnd", "stat", "tele")
DEFAULT_FULL_TOPIC = "%prefix%/%topic%/"
_TOKEN = re.compile(r"%[a-z]+%")


@dataclass(frozen=True)
class FullTopic:
    """A parsed FullTopic: its levels, each `%prefix%`, `%topic%` or a fixed word."""

    levels: tuple[str, ...]

    @classmethod
    def parse(cls, text: str | None) -> FullTopic:
        """The FullTopic of a device entry (None: the default); ValueError says what is wrong."""
        levels = tuple((DEFAULT_FULL_TOPIC if text is None else text).rstrip("/").split("/"))
        for level in levels:
            if not level or "+" in level or "#" in level:
                raise ValueError(f"full_topic {text!r}: empty level or MQTT wildcard")
            token = _TOKEN.search(level)
            if token is not None and level not in (PREFIX, TOPIC):
                raise ValueError(
                    f"full_topic {text!r}: only {PREFIX} and {TOPIC} are filled in here; "
                    f"write the device's own value in place of {token.group()}"
                )
        if levels.count(PREFIX) != 1 or levels.count(TOPIC) != 1:
            raise ValueError(f"full_topic {text!r}: needs {PREFIX} and {TOPIC} once each")
        return cls(levels)

    def base(self, prefix: str, topic: str) -> str:
        """The topic without its last level: `cmnd/tasmota_9CF9D1` by default."""
        filled = {PREFIX: prefix, TOPIC: topic}
        return "/".join(filled.get(level, level) for level in self.levels)

    def topic(self, prefix: str, topic: str, command: str) -> str:
        """`stat/tasmota_9CF9D1/RESULT` by default, `tasmota_9CF9D1/stat/RESULT` swapped."""
        return f"{self.base(prefix, topic)}/{command}"

    def split(self, mqtt_topic: str) -> tuple[str, str, str] | None:
        """(prefix, topic, last level) of a topic published this way, or None. The device's
        topic may span several levels (a legacy ButtonTopic may); the others are one each."""
        got = mqtt_topic.split("/")
        width = len(got) - len(self.levels)  # levels of the device topic, beyond the command's
        if width < 1:
            return None
        at = self.levels.index(TOPIC)
        before, after = self.levels[:at], self.levels[at + 1 :]
        head, middle = got[:at], got[at : at + width]
        tail, command = got[at + width : -1], got[-1]
        prefix = ""
        for want, level in zip((*before, *after), (*head, *tail), strict=True):
            if want == PREFIX:
                prefix = level
            elif want != level:
                return None
        if prefix not in PREFIXES or not all(middle) or not command:
            return None
        return prefix, "/".join(middle), command


DEFAULT = FullTopic.parse(None)
