"""Input checks every HTTP request gets before any route sees it (issue 12, hole 6).

A NUL character in a path, a query or a body (raw, or as the JSON escape `\\u0000`) is refused
with 422: PostgreSQL cannot store it in text, so it used to come back as a 500 from deep in the
database driver, and no field of this API has a use for it. Bodies are bounded too (413), so no
client can make a route buffer megabytes.
"""

from __future__ import annotations

import json

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger(__name__)

MAX_BODY_BYTES = 1024 * 1024
"""Above every body this API takes (role-card files are capped at 256 KiB by their route)."""
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _has_nul(data: bytes) -> bool:
    lowered = data.lower()
    return b"\x00" in data or b"%00" in lowered or b"\\u0000" in lowered


class EdgeChecks:
    """Refuses NUL anywhere in a request, and bodies over `MAX_BODY_BYTES`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _has_nul(scope.get("raw_path") or b"") or _has_nul(scope.get("query_string", b"")):
            await _refuse(send, scope, 422, "not_text", "a NUL character is not allowed in a URL")
            return
        if scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            if len(body) > MAX_BODY_BYTES:
                limit = f"the body is over {MAX_BODY_BYTES // 1024} KiB"
                await _refuse(send, scope, 413, "too_large", limit)
                return
            if not message.get("more_body", False):
                break
        if _has_nul(bytes(body)):
            await _refuse(send, scope, 422, "not_text", "a NUL character is not allowed in text")
            return
        await self.app(scope, _replay(bytes(body), receive), send)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


async def _refuse(send: Send, scope: Scope, status: int, code: str, message: str) -> None:
    log.warning("request refused", status=status, reason=code, path=scope.get("path", ""))
    body = json.dumps({"error": {"code": code, "message": message}}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
