"""Starlette's classes, where Starlette is installed, so that apps written against Starlette
directly (`starlette.exceptions.HTTPException`, `starlette.requests.Request`,
`starlette.responses.Response`) and integrations that hook FastAPI through Starlette (its
`Match`, its `ServerErrorMiddleware`, a patched `Starlette.__call__`) behave as they do under
FastAPI. Without Starlette, stand-ins that nothing is an instance of."""

from __future__ import annotations

import enum
from typing import Any

try:
    from starlette.exceptions import HTTPException as StarletteHTTPException
    from starlette.exceptions import WebSocketException as StarletteWebSocketException
    from starlette.middleware.errors import (
        ServerErrorMiddleware as StarletteServerErrorMiddleware,
    )
    from starlette.responses import Response as StarletteResponse
    from starlette.routing import Match
    from starlette.websockets import WebSocketDisconnect as StarletteWebSocketDisconnect

    INSTALLED = True
except ImportError:  # Starlette is optional: the bases are plain exceptions then

    class Match(enum.Enum):  # type: ignore[no-redef]
        """How a route matches a request (Starlette's enum, where Starlette is installed)."""

        NONE = 0
        PARTIAL = 1
        FULL = 2

    class StarletteServerErrorMiddleware:  # type: ignore[no-redef]
        """Stands in for Starlette's ServerErrorMiddleware where Starlette is not installed."""

    class StarletteHTTPException(Exception):  # type: ignore[no-redef]
        """Stands in for Starlette's HTTPException where Starlette is not installed."""

    class StarletteWebSocketException(Exception):  # type: ignore[no-redef]
        """Stands in for Starlette's WebSocketException where Starlette is not installed."""

    class StarletteResponse:  # type: ignore[no-redef]
        """Stands in for Starlette's Response where Starlette is not installed."""

    class StarletteWebSocketDisconnect(Exception):  # type: ignore[no-redef]
        """Stands in for Starlette's WebSocketDisconnect where Starlette is not installed."""

    INSTALLED = False


def patched_starlette_call() -> Any:
    """`Starlette.__call__` where something replaced it (sentry-sdk's Starlette integration
    wraps every Starlette app's calls so), else None. A FastAPI app is a Starlette app, so
    such a patch applies to it: FasterAPI's app calls it in the same place (see
    Faster.middleware_stack)."""
    starlette_app = starlette_class("applications", "Starlette")
    if starlette_app is None:
        return None
    call = starlette_app.__call__
    if getattr(call, "__module__", None) == "starlette.applications":
        return None  # Starlette's own
    return call


def starlette_class(module: str, name: str) -> Any:
    """Starlette's `module.name` if Starlette is installed (and already imported, so that
    this costs nothing when the app does not use it), else None."""
    import sys

    found = sys.modules.get(f"starlette.{module}")
    return getattr(found, name, None) if found is not None else None


#: Starlette's classes that a parameter annotation may name, and what FasterAPI gives for each
#: (see signature._special): the most derived first.
_SPECIAL = (
    ("websockets", "WebSocket", "websocket"),
    ("requests", "Request", "request"),
    ("requests", "HTTPConnection", "connection"),
    ("responses", "Response", "response"),
    ("background", "BackgroundTasks", "background"),
)


def special_parameter(annotation: Any) -> str | None:
    """What a parameter annotated with one of Starlette's classes is given, as FastAPI gives
    it (`request: starlette.requests.Request` gets the request), or None."""
    if not isinstance(annotation, type) or not annotation.__module__.startswith("starlette."):
        return None
    for module, name, kind in _SPECIAL:
        cls = starlette_class(module, name)
        if cls is not None and issubclass(annotation, cls):
            return kind
    return None


def register_as_starlettes(cls: type, module: str, name: str) -> None:
    """Makes `isinstance(x, starlette.<module>.<name>)` true for instances of FasterAPI's
    `cls` (a virtual subclass: Starlette's connection classes are ABCs, being Mappings), for
    plugins that check (slowapi refuses anything but a Starlette Request). Nothing to do
    without Starlette."""
    base = starlette_class(module, name)
    if base is not None:
        base.register(cls)
