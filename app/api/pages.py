"""Pages the service serves without a build step: the coordinator console and the handset's
service worker (served from the root so that its scope can cover `/handset`)."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter
from fastapi.responses import FileResponse

router = APIRouter(include_in_schema=False)
STATIC = resources.files("app.web") / "static"
NO_CACHE = {"Cache-Control": "no-cache"}


@router.get("/console")
async def console_page() -> FileResponse:
    return FileResponse(str(STATIC / "console.html"), headers=NO_CACHE)


@router.get("/sw.js")
async def service_worker() -> FileResponse:
    """The handset's service worker; registered with scope `/handset`."""
    return FileResponse(str(STATIC / "sw.js"), media_type="text/javascript", headers=NO_CACHE)
