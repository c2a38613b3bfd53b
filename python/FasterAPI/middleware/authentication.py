"""AuthenticationMiddleware, as Starlette's: each HTTP request and WebSocket handshake is
shown to a backend (FasterAPI.authentication.AuthenticationBackend), and what it gives is
put on the connection, `scope["auth"]` (`request.auth`: AuthCredentials) and `scope["user"]`
(`request.user`: a BaseUser; UnauthenticatedUser with no scopes when the backend gives None).
An AuthenticationError from the backend is answered with `on_error(conn, exc)`'s response
(by default a 400 with the error's message, as plain text); a WebSocket is then closed
(1000), as Starlette does.

A pure-ASGI middleware: on the native server an app with it takes the middleware stack for
every request. (Made a BaseHTTPMiddleware with only a `dispatch`, the server's chain of http
middleware would run it around the native route's run instead, FasterAPI.server.chain; it
was measured dearer than the stack there, and twice as dear under an ASGI server: see
docs/authentication.md.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    UnauthenticatedUser,
)
from ..requests import HTTPConnection
from ..responses import PlainTextResponse, Response


class AuthenticationMiddleware:
    def __init__(
        self,
        app: Any,
        backend: AuthenticationBackend,
        on_error: Callable[[HTTPConnection, AuthenticationError], Response] | None = None,
    ) -> None:
        self.app = app
        self.backend = backend
        self.on_error: Callable[[HTTPConnection, AuthenticationError], Response] = (
            on_error if on_error is not None else self.default_on_error
        )

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        try:
            auth_result = await self.backend.authenticate(conn)
        except AuthenticationError as exc:
            response = self.on_error(conn, exc)
            if scope["type"] == "websocket":  # refused before accept(); the response dropped
                await send({"type": "websocket.close", "code": 1000})
            else:
                await response(scope, receive, send)
            return
        if auth_result is None:
            auth_result = AuthCredentials(), UnauthenticatedUser()
        scope["auth"], scope["user"] = auth_result
        await self.app(scope, receive, send)

    @staticmethod
    def default_on_error(conn: HTTPConnection, exc: Exception) -> Response:
        return PlainTextResponse(str(exc), status_code=400)
