"""The way in to `GET /ws/handset`: a place below the cap on sockets not yet said hello
(app.adapters.ws.hello_gate, else 1013), accept, then `hello` with a known token within 5 s, or
close 4401."""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from fastapi import WebSocket, WebSocketDisconnect

from app.adapters.ws import inbound
from app.adapters.ws.hello_gate import pre_hello_cap
from app.core.office import Handset, Office
from app.services import Services

log = structlog.get_logger(__name__)

UNAUTHORISED = 4401
TRY_AGAIN_LATER = 1013


async def admit(ws: WebSocket, services: Services) -> tuple[Office, Handset, bool] | None:
    """The handset's office, its handset and whether it confirms offers; None once refused."""
    gate = services.hello_gate
    if not gate.enter(pre_hello_cap(services.settings.max_pre_hello, services.offices.handsets)):
        with contextlib.suppress(Exception):  # the client may have given up meanwhile
            await ws.accept()
            await ws.close(TRY_AGAIN_LATER, "too many connections waiting for hello")
        return None
    try:
        if not await _accepted(ws):
            return None
        return await _hello(ws, services)
    finally:
        gate.leave()


async def _accepted(ws: WebSocket) -> bool:
    """Accept; False when the client is already gone (a storm's handset that gave up)."""
    try:
        await ws.accept()
    except (OSError, RuntimeError, WebSocketDisconnect):
        return False
    return True


async def _hello(ws: WebSocket, services: Services) -> tuple[Office, Handset, bool] | None:
    try:
        message = await _receive_hello(ws, services.settings.hello_timeout_s)
        frame = inbound.parse_frame(message)
    except TimeoutError:
        log.info("handset hello timed out", code=UNAUTHORISED)
        await _refuse(ws, "hello expected within 5 s")
        return None
    except (inbound.BadFrame, KeyError, RuntimeError):
        await _refuse(ws, "hello expected")
        return None
    except WebSocketDisconnect:
        return None
    if not isinstance(frame, inbound.Hello):
        await _refuse(ws, "hello expected")
        return None
    found = services.offices.handset_for_token(frame.token)
    if found is None:
        log.warning("handset refused: unknown token")
        await _refuse(ws, "unknown token")
        return None
    return (*found, frame.receipts)


HELLO_TICK_S = 0.5


async def _receive_hello(ws: WebSocket, timeout_s: float) -> str:
    """The hello, within `timeout_s` of the server's own time: the wait is counted in ticks of
    `HELLO_TICK_S`, each from when the loop got to it, so a server busy with a reconnect storm
    (the loop seconds behind) does not refuse handsets whose hello is already waiting for it.
    TimeoutError when a handset stays silent that long."""
    for _ in range(max(1, round(timeout_s / HELLO_TICK_S))):
        try:
            async with asyncio.timeout(HELLO_TICK_S):
                return await ws.receive_text()
        except TimeoutError:
            continue
    raise TimeoutError


async def _refuse(ws: WebSocket, reason: str) -> None:
    """Close with 4401; a client already gone (a storm's timed-out hello) is no error."""
    with contextlib.suppress(Exception):
        await ws.close(UNAUTHORISED, reason)
