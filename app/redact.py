"""Secrets out of every line the service writes: passwords inside URLs (`scheme://user:pw@host`)
and the configured secrets themselves, wherever they appear (a banner, a log line, a traceback).

Why: logs are copied to places with weaker access than the service's settings (a support ticket,
a log shipper), and the service's broker password opens every device topic (issue 12, hole 3).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from urllib.parse import quote, urlsplit

MASK = "***"
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]*:)[^\s@/]*@")


def redact_url(text: str) -> str:
    """`text` with the password of every URL in it replaced by `***` (user and host kept)."""
    return _URL_PASSWORD.sub(lambda m: f"{m.group('head')}{MASK}@", text)


def url_password(url: str | None) -> str | None:
    """The password inside a URL, when there is one."""
    if not url:
        return None
    try:
        return urlsplit(url).password
    except ValueError:
        return None


class Redactor:
    """Masks URL passwords and each known secret (also in its URL-encoded form)."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        known = {s for s in secrets if s and len(s) >= 4}  # a 1-3 char "secret" would mask words
        known |= {quote(s, safe="") for s in known}
        self._secrets = sorted(known, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        text = redact_url(text)
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text


class RedactingFormatter(logging.Formatter):
    """A stdlib formatter whose whole output (message and traceback) goes through a Redactor."""

    def __init__(self, redactor: Redactor, fmt: str = "%(message)s") -> None:
        super().__init__(fmt)
        self._redactor = redactor

    def format(self, record: logging.LogRecord) -> str:
        return self._redactor(super().format(record))
