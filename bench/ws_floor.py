"""The websocket floor: the same server stack (uvicorn + FastAPI websockets) sending one frame
stamped with CLOCK_MONOTONIC, so the client can take the one-way hop time on this machine."""

from __future__ import annotations

import json
import sys
import time

import uvicorn
from fastapi import FastAPI, WebSocket, WebSocketDisconnect

from app.main import ACCEPT_BACKLOG, WS_PER_MESSAGE_DEFLATE

app = FastAPI()


@app.websocket("/ws")
async def floor(ws: WebSocket) -> None:
    await ws.accept()
    try:
        while True:
            await ws.receive_text()
            await ws.send_text(json.dumps({"type": "floor", "sent_ns": time.monotonic_ns()}))
    except WebSocketDisconnect:
        return


if __name__ == "__main__":
    # the service's own websocket setting (no compression): the same stack, set the same
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="warning",
        ws_per_message_deflate=WS_PER_MESSAGE_DEFLATE,
        backlog=ACCEPT_BACKLOG,
    )
