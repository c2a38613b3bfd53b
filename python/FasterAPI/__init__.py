"""FasterAPI: FastAPI's developer experience with a Rust core.

Everything users import is re-exported here; FastAPI's module paths
(FasterAPI.responses, FasterAPI.testclient, ...) exist too.
"""

from . import status
from .applications import FastAPI, Faster
from .background import BackgroundTasks
from .concurrency import run_in_threadpool
from .datastructures import Headers, QueryParams, State, UploadFile
from .encoders import jsonable_encoder
from .exceptions import (
    HTTPException,
    RequestValidationError,
    WebSocketException,
    WebSocketRequestValidationError,
)
from .middleware.base import BaseHTTPMiddleware
from .middleware.cors import CORSMiddleware
from .middleware.gzip import GZipMiddleware
from .middleware.httpsredirect import HTTPSRedirectMiddleware
from .middleware.trustedhost import TrustedHostMiddleware
from .params import Body, Cookie, Depends, File, Form, Header, Path, Query, Security
from .requests import Request
from .responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    ORJSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from .routing import APIRoute, APIRouter, APIWebSocketRoute, FasterRouter
from .staticfiles import StaticFiles
from .websockets import WebSocket, WebSocketDisconnect, WebSocketState

__version__ = "0.1.0"


def __getattr__(name: str):  # optional extras, imported on demand: httpx, jinja2
    if name == "TestClient":
        from .testclient import TestClient

        return TestClient
    if name == "Jinja2Templates":
        from .templating import Jinja2Templates

        return Jinja2Templates
    raise AttributeError(f"module 'FasterAPI' has no attribute {name!r}")


__all__ = [
    "APIRoute",
    "APIRouter",
    "APIWebSocketRoute",
    "BackgroundTasks",
    "BaseHTTPMiddleware",
    "Body",
    "CORSMiddleware",
    "Cookie",
    "Depends",
    "FastAPI",
    "Faster",
    "FileResponse",
    "GZipMiddleware",
    "FasterRouter",
    "File",
    "Form",
    "HTMLResponse",
    "HTTPSRedirectMiddleware",
    "HTTPException",
    "Header",
    "Headers",
    "JSONResponse",
    "Jinja2Templates",
    "ORJSONResponse",
    "Path",
    "PlainTextResponse",
    "Query",
    "QueryParams",
    "RedirectResponse",
    "Request",
    "RequestValidationError",
    "Response",
    "Security",
    "State",
    "StaticFiles",
    "StreamingResponse",
    "TestClient",
    "TrustedHostMiddleware",
    "UploadFile",
    "WebSocket",
    "WebSocketDisconnect",
    "WebSocketException",
    "WebSocketRequestValidationError",
    "WebSocketState",
    "jsonable_encoder",
    "run_in_threadpool",
    "status",
]
