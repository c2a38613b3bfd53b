"""Starlette's authentication (`starlette.authentication`): what AuthenticationMiddleware
(FasterAPI.middleware.authentication) asks a backend for, the users and credentials it puts
on the connection (`request.user`, `request.auth`), and `requires`, which guards an endpoint
by the credentials' scopes.

A backend subclasses `AuthenticationBackend` and defines `async authenticate(conn)`: it reads
the connection (an HTTP request or a WebSocket's handshake) and gives back
`(AuthCredentials(scopes), user)`, or None when it carries no credentials (the user is then
an `UnauthenticatedUser`), or raises `AuthenticationError` for credentials that are wrong (the
middleware then answers 400, or what its `on_error` gives).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from .dependencies.models import is_coroutine_callable
from .exceptions import HTTPException
from .requests import HTTPConnection, Request
from .responses import RedirectResponse
from .websockets import WebSocket

_Endpoint = TypeVar("_Endpoint", bound=Callable[..., Any])


def has_required_scope(conn: HTTPConnection, scopes: Sequence[str]) -> bool:
    """Whether the connection's credentials (`conn.auth.scopes`) have every one of `scopes`."""
    granted = conn.auth.scopes
    return all(scope in granted for scope in scopes)


def requires(
    scopes: str | Sequence[str],
    status_code: int = 403,
    redirect: str | None = None,
) -> Callable[[_Endpoint], _Endpoint]:
    """Guards an endpoint, as Starlette's: a request whose credentials lack one of `scopes`
    gets HTTPException(`status_code`), or, with `redirect` (a route's name), a 303 to that
    route with `?next=` the URL asked for; a WebSocket is closed. The endpoint needs a
    parameter named `request` (or `websocket`), which it is given the connection by: on a
    FastAPI route, `request: Request` next to its other parameters, which it keeps (the
    decorated function has the endpoint's signature, through functools.wraps)."""
    scopes_list = [scopes] if isinstance(scopes, str) else list(scopes)

    def decorator(func: _Endpoint) -> _Endpoint:
        names = list(inspect.signature(func).parameters)
        found = [i for i, name in enumerate(names) if name in ("request", "websocket")]
        if not found:
            raise Exception(f'No "request" or "websocket" argument on function "{func}"')
        idx = found[0]  # (its position, for a call that passes it positionally)
        type_ = names[idx]

        def connection(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            return kwargs.get(type_, args[idx] if idx < len(args) else None)

        def refusal(request: Request) -> RedirectResponse:
            """The answer to a request without the scopes: a redirect, or the error raised."""
            if redirect is None:
                raise HTTPException(status_code=status_code)
            next_query = urlencode({"next": str(request.url)})
            return RedirectResponse(
                url=f"{request.url_for(redirect)}?{next_query}", status_code=303
            )

        if type_ == "websocket":  # (always awaited)

            @functools.wraps(func)
            async def websocket_wrapper(*args: Any, **kwargs: Any) -> None:
                websocket = connection(args, kwargs)
                assert isinstance(websocket, WebSocket)
                if not has_required_scope(websocket, scopes_list):
                    await websocket.close()
                else:
                    await func(*args, **kwargs)

            return websocket_wrapper  # type: ignore[return-value]

        if is_coroutine_callable(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                request = connection(args, kwargs)
                assert isinstance(request, Request)
                if not has_required_scope(request, scopes_list):
                    return refusal(request)
                return await func(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            request = connection(args, kwargs)
            assert isinstance(request, Request)
            if not has_required_scope(request, scopes_list):
                return refusal(request)
            return func(*args, **kwargs)

        return sync_wrapper  # type: ignore[return-value]

    return decorator


class AuthenticationError(Exception):
    """Raised by a backend for credentials that do not check out: AuthenticationMiddleware
    answers 400 with its message (or what its `on_error` gives)."""


class AuthenticationBackend:
    """What AuthenticationMiddleware asks who a connection is: subclass it and define
    `authenticate`."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        """The connection's credentials and user, or None when it carries none."""
        raise NotImplementedError()


class AuthCredentials:
    """What the connection is allowed: its `scopes` (a list), which `requires` checks."""

    def __init__(self, scopes: Sequence[str] | None = None) -> None:
        self.scopes = [] if scopes is None else list(scopes)


class BaseUser:
    """A user, as a backend gives it: subclass it with your user's data."""

    @property
    def is_authenticated(self) -> bool:
        raise NotImplementedError()

    @property
    def display_name(self) -> str:
        raise NotImplementedError()

    @property
    def identity(self) -> str:
        raise NotImplementedError()


class SimpleUser(BaseUser):
    """An authenticated user known by a name."""

    def __init__(self, username: str) -> None:
        self.username = username

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return self.username


class UnauthenticatedUser(BaseUser):
    """The user of a connection the backend found no credentials on."""

    @property
    def is_authenticated(self) -> bool:
        return False

    @property
    def display_name(self) -> str:
        return ""


__all__ = [
    "AuthCredentials",
    "AuthenticationBackend",
    "AuthenticationError",
    "BaseUser",
    "SimpleUser",
    "UnauthenticatedUser",
    "has_required_scope",
    "requires",
]
