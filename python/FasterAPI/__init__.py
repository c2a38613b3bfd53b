"""FasterAPI: FastAPI's developer experience with a Rust core.

Everything users import is re-exported here; FastAPI's module paths
(FasterAPI.responses, FasterAPI.testclient, ...) exist too, and so do faster-api-web's
(FasterAPI.app, FasterAPI.request, FasterAPI.response, FasterAPI.router, FasterAPI.websocket,
FasterAPI.openapi.generator, FasterAPI.openapi.ui): see docs/migrating-from-faster-api-web.md.
"""

from . import status
from ._core import __version__ as __version__
from .applications import FastAPI, Faster
from .background import BackgroundTask, BackgroundTasks
from .concurrency import run_in_threadpool
from .datastructures import FormData, Headers, QueryParams, State, UploadFile
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
    UJSONResponse,
)
from .router import RadixRouter
from .routing import APIRoute, APIRouter, APIWebSocketRoute, FasterRouter
from .security import (
    APIKeyCookie,
    APIKeyHeader,
    APIKeyQuery,
    HTTPBasic,
    HTTPBasicCredentials,
    OAuth2PasswordBearer,
    OAuth2PasswordRequestForm,
    SecurityScopes,
)
from .sse import EventSourceResponse
from .staticfiles import StaticFiles
from .subinterpreters import SubInterpreterPool, run_in_subinterpreter
from .websockets import WebSocket, WebSocketDisconnect, WebSocketState


def __getattr__(name: str):  # imported on demand: the server, and the extras httpx and jinja2
    if name == "run":  # FasterAPI.run(app): the native server, which imports the app
        from .server import run

        return run
    if name == "TestClient":
        from .testclient import TestClient

        return TestClient
    if name == "Jinja2Templates":
        from .templating import Jinja2Templates

        return Jinja2Templates
    raise AttributeError(f"module 'FasterAPI' has no attribute {name!r}")


__all__ = [
    "APIKeyCookie",
    "APIKeyHeader",
    "APIKeyQuery",
    "APIRoute",
    "APIRouter",
    "APIWebSocketRoute",
    "BackgroundTask",
    "BackgroundTasks",
    "BaseHTTPMiddleware",
    "Body",
    "CORSMiddleware",
    "Cookie",
    "Depends",
    "EventSourceResponse",
    "FastAPI",
    "Faster",
    "FasterRouter",
    "File",
    "FileResponse",
    "Form",
    "FormData",
    "GZipMiddleware",
    "HTMLResponse",
    "HTTPBasic",
    "HTTPBasicCredentials",
    "HTTPException",
    "HTTPSRedirectMiddleware",
    "Header",
    "Headers",
    "JSONResponse",
    "Jinja2Templates",
    "OAuth2PasswordBearer",
    "OAuth2PasswordRequestForm",
    "ORJSONResponse",
    "Path",
    "PlainTextResponse",
    "Query",
    "QueryParams",
    "RadixRouter",
    "RedirectResponse",
    "Request",
    "RequestValidationError",
    "Response",
    "Security",
    "SecurityScopes",
    "State",
    "StaticFiles",
    "StreamingResponse",
    "SubInterpreterPool",
    "TestClient",
    "TrustedHostMiddleware",
    "UJSONResponse",
    "UploadFile",
    "WebSocket",
    "WebSocketDisconnect",
    "WebSocketException",
    "WebSocketRequestValidationError",
    "WebSocketState",
    "jsonable_encoder",
    "run_in_subinterpreter",
    "run_in_threadpool",
    "status",
]
