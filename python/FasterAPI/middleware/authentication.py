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

import inspect
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
    """`AuthenticationMiddleware(app, backend, on_error=None)`: see the module's docstring.
    `backend` is an object with an async `authenticate(conn)` (an AuthenticationBackend
    instance, as Starlette's); `on_error` a function of (conn, exc) returning a Response.
    Anything else is a TypeError here, rather than a 500 on every request."""

    def __init__(
        self,
        app: Any,
        backend: AuthenticationBackend,
        on_error: Callable[[HTTPConnection, AuthenticationError], Response] | None = None,
    ) -> None:
        _check_backend(backend)
        if on_error is not None:
            _check_on_error(on_error)
        self.app = app
        self.backend = backend
        self.on_error: Callable[[HTTPConnection, AuthenticationError], Response] = (
            on_error if on_error is not None else self.default_on_error
        )
        # (a plain function may return an awaitable, as Starlette allows: checked when called)
        self._awaitable_checked = inspect.iscoroutinefunction(backend.authenticate)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        try:
            if self._awaitable_checked:
                auth_result = await self.backend.authenticate(conn)
            else:
                auth_result = await _awaitable(self.backend.authenticate(conn), self.backend)
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


def _check_backend(backend: Any) -> None:
    """A TypeError, naming the option, for a backend the middleware could not ask."""
    if isinstance(backend, type) and not isinstance(
        inspect.getattr_static(backend, "authenticate", None), (staticmethod, classmethod)
    ):
        raise TypeError(
            f"backend must be an instance, got the class {backend.__name__}: "
            f"pass backend={backend.__name__}()"
        )
    authenticate = getattr(backend, "authenticate", None)
    if not callable(authenticate):
        raise TypeError(
            "backend must be an AuthenticationBackend (an object with an async "
            f"authenticate(conn) method), got {backend!r}"
        )
    if getattr(type(backend), "authenticate", None) is AuthenticationBackend.authenticate:
        raise TypeError(f"backend {backend!r} does not define authenticate(conn)")


def _check_on_error(on_error: Any) -> None:
    """A TypeError, naming the option, for an on_error that cannot be called with
    (conn, exc)."""
    if not callable(on_error):
        raise TypeError(
            f"on_error must be a function of (conn, exc) returning a Response, got {on_error!r}"
        )
    try:
        signature = inspect.signature(on_error)
    except (TypeError, ValueError):  # (a builtin without one: taken as it is)
        return
    try:
        signature.bind(None, None)
    except TypeError:
        raise TypeError(
            f"on_error must be a function of (conn, exc) returning a Response, "
            f"got {on_error!r}, which takes {signature}"
        ) from None


async def _awaitable(result: Any, backend: Any) -> Any:
    """What a backend's `authenticate` that is not a coroutine function gave, awaited; a
    TypeError saying so if it is not awaitable."""
    if not inspect.isawaitable(result):
        name = (backend if isinstance(backend, type) else type(backend)).__name__
        raise TypeError(
            f"{name}.authenticate must be async (return an awaitable), returned {result!r}"
        )
    return await result
