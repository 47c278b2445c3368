"""Domain errors mapped to HTTP in one place, with a body that says what to do."""

from __future__ import annotations

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError

log = structlog.get_logger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(
            {"error": {"code": exc.code, "message": exc.message}},
            status_code=exc.status,
            headers=headers,
        )

    @app.exception_handler(DataError)
    async def _data_error(request: Request, exc: DataError) -> JSONResponse:
        """A value the database cannot store (out of range, not text) that the edge checks
        missed: the caller's input, so a 422 and one log line, not a 500 and a traceback."""
        log.warning("request refused by the database", path=request.url.path, error=exc.orig)
        message = "a value is out of range or cannot be stored"
        return JSONResponse({"error": {"code": "bad_value", "message": message}}, status_code=422)
