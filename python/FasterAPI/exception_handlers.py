"""FastAPI's default exception handlers (`fastapi.exception_handlers`): an HTTPException's
`{"detail": ...}` answer, the 422 of a RequestValidationError, and the close codes of a
WebSocket's errors. Apps that add their own handlers can call these to keep the default."""

from __future__ import annotations

from typing import Any

from .exceptions import (
    HTTPException,
    RequestValidationError,
    WebSocketException,
    WebSocketRequestValidationError,
    _close_reason,
)
from .responses import JSONResponse, Response
from .websockets import encode_text_json


async def http_exception_handler(request: Any, exc: HTTPException) -> Any:
    headers = getattr(exc, "headers", None)
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=headers)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)


async def request_validation_exception_handler(request: Any, exc: RequestValidationError) -> Any:
    return JSONResponse({"detail": exc.errors()}, status_code=422)


async def websocket_request_validation_exception_handler(
    websocket: Any, exc: WebSocketRequestValidationError
) -> None:
    """Closes the connection with 1008 (policy violation) and the errors as JSON, cut to
    the 123 bytes a close frame's reason may hold."""
    await websocket.close(code=1008, reason=_close_reason(encode_text_json(exc.errors())))


async def websocket_exception_handler(websocket: Any, exc: WebSocketException) -> None:
    await websocket.close(code=exc.code, reason=exc.reason)
