"""Structured logs (structlog over the stdlib), one line per event with its context; every line,
structlog's and the stdlib's (uvicorn, amqtt, paho) alike, has its secrets masked (app.redact)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

import structlog

from app.redact import RedactingFormatter, Redactor


def configure_logging(
    level: str = "INFO", json: bool = False, secrets: Iterable[str | None] = ()
) -> Redactor:
    """Set up both logging stacks; returns the redactor so banners can use it too."""
    redactor = Redactor(secrets)
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter(redactor))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    for noisy in ("amqtt", "transitions", "aiosqlite", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )

    def redacted(_: Any, __: str, line: Any) -> Any:  # after the renderer: the rendered line
        return redactor(line)

    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
            redacted,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
    )
    return redactor
