"""faster-api-web's module path for the response classes: `from FasterAPI.response import
JSONResponse`. They are FastAPI's (FasterAPI.responses, FasterAPI.sse); ORJSONResponse and
UJSONResponse are JSONResponses (deprecated, as in FastAPI 0.165), whose encoder (in Rust) is
faster than either."""

from .responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    ORJSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
    UJSONResponse,
)
from .sse import EventSourceResponse, ServerSentEvent

__all__ = [
    "EventSourceResponse",
    "FileResponse",
    "HTMLResponse",
    "JSONResponse",
    "ORJSONResponse",
    "PlainTextResponse",
    "RedirectResponse",
    "Response",
    "ServerSentEvent",
    "StreamingResponse",
    "UJSONResponse",
]
