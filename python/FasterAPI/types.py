"""Type aliases FastAPI exports in `fastapi.types`, for annotations in apps and plugins, and
the ASGI ones (Starlette's `starlette.types`), faster-api-web's `ASGIApp` among them."""

from __future__ import annotations

import types
from collections.abc import Awaitable, Callable, MutableMapping
from enum import Enum
from typing import Any, TypeVar, Union

#: A decorator's target, returned unchanged (`@app.get(...)`).
DecoratedCallable = TypeVar("DecoratedCallable", bound=Callable[..., Any])
UnionType = getattr(types, "UnionType", Union)
#: response_model_include / _exclude: a set of field names, or a dict of them by position.
IncEx = set[int] | set[str] | dict[int, Any] | dict[str, Any]
#: The schema name given to each model and enum in the OpenAPI document.
ModelNameMap = dict[type[Any] | type[Enum], str]
#: What identifies one solved dependency in a request's cache: its callable, its security
#: scopes and its scope.
DependencyCacheKey = tuple[Callable[..., Any] | None, tuple[str, ...], str]

#: The ASGI connection scope, message, receive and send callables, and application.
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
