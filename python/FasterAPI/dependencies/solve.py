"""Solving a WebSocket route's dependencies for one connection: `solve` runs them in order
(each once per connection unless use_cache=False) and gives the endpoint's keyword arguments;
a yield dependency is entered on the exit stack of its scope ("function" or "request"), whose
code after `yield` FasterAPI._runtime.runner runs when the endpoint is over. (An HTTP route's
dependencies are compiled into steps its run takes in Rust: FasterAPI._compiler.dependency_steps,
crates/fasterapi-py/src/run/runner.rs; `HeadersOnly` is what that gives a security scheme.)

"""

from __future__ import annotations

import contextlib
from typing import Any

from .._compiler.dependency_steps import (
    ASYNC,
    ASYNC_GEN,
    BACKGROUND,
    CONNECTION,
    HEADERS,
    REQUEST,
    RESPONSE,
    SLOT,
    SYNC,
    THREAD,
    VALUE,
    WEBSOCKET,
    Argument,
    Step,
    entered,
    entered_async,
)
from ..background import BackgroundTasks
from ..concurrency import run_in_threadpool
from ..datastructures import Headers
from ..requests import Request
from ..responses import Response, injected_response
from ..security import SecurityScopes
from ..websockets import WebSocket


class Context:
    """One connection, as its dependencies and endpoint share it."""

    __slots__ = (
        "app",
        "route",
        "values",
        "scope",
        "receive",
        "send",
        "stack",
        "function_stack",
        "cache",
        "request",
        "response",
        "tasks",
        "websocket",
    )

    def __init__(
        self,
        app: Any,
        route: Any,
        values: dict[str, Any],
        scope: Any,
        receive: Any,
        send: Any,
    ) -> None:
        self.app, self.route, self.values = app, route, values
        self.scope, self.receive, self.send = scope, receive, send
        #: The exits of yield dependencies of scope "request" (and the files to close).
        self.stack = contextlib.AsyncExitStack()
        #: The exits of yield dependencies of scope "function".
        self.function_stack = contextlib.AsyncExitStack()
        self.cache: dict[Any, Any] = {}
        self.request: Request | None = None
        self.response: Response | None = None
        self.tasks: BackgroundTasks | None = None
        self.websocket: WebSocket | None = None

    def special(self, source: int, key: Any) -> Any:
        """The object a parameter annotated with Request, WebSocket, HTTPConnection, Response,
        BackgroundTasks or SecurityScopes gets (its step argument's `source`); one of each
        per connection (scopes are per dependency)."""
        if source in (WEBSOCKET, CONNECTION):
            return self.websocket
        if source in (REQUEST, HEADERS):
            if self.request is None:
                scope, receive, send = self.scope, self.receive, self.send
                scope["app"] = self.app
                scope["route"] = self.route
                scope["path_params"] = self.route.plan.path_params(scope, self.values)
                self.request = Request(scope, receive, send)
            return self.request
        if source == RESPONSE:
            if self.response is None:
                self.response = injected_response()
            return self.response
        if source == BACKGROUND:
            if self.tasks is None:
                self.tasks = BackgroundTasks()
            return self.tasks
        return SecurityScopes(list(key))


class HeadersOnly:
    """What a security scheme of FasterAPI's (security.HEADER_SCHEMES) reads of its request:
    the headers, which a route's run gives it without making a Request (on the native server,
    without an ASGI scope)."""

    __slots__ = ("headers",)

    def __init__(self, raw: Any) -> None:
        self.headers = Headers(raw)


async def solve(
    steps: list[Step], endpoint_args: list[Argument], ctx: Context
) -> dict[str, Any] | None:
    """Takes the steps of a route's dependencies (FasterAPI._compiler.dependency_steps) and
    gives the endpoint's keyword arguments; None if any of its request values (or a
    dependency's) is invalid: its error is already in the request's list, and FastAPI does
    not call a dependency it cannot give valid arguments to."""
    slots: list[Any] = []
    for kind, call, args, function_scope in steps:
        kwargs = _arguments(args, slots, ctx)
        if kwargs is None:
            slots.append(_INVALID)
            continue
        if kind == ASYNC:
            result = await call(**kwargs)
        elif kind == SYNC:
            result = call(**kwargs)
        elif kind == THREAD:
            result = await run_in_threadpool(call, **kwargs)
        else:
            stack = ctx.function_stack if function_scope else ctx.stack
            if kind == ASYNC_GEN:
                result = await stack.enter_async_context(entered_async(call(**kwargs)))
            else:
                result = stack.enter_context(entered(call(**kwargs)))
        slots.append(result)
    return _arguments(endpoint_args, slots, ctx)


#: The slot of a dependency that was not called.
_INVALID = object()


def _arguments(args: list[Argument], slots: list[Any], ctx: Context) -> dict[str, Any] | None:
    kwargs: dict[str, Any] = {}
    for name, source, key in args:
        if source == VALUE:
            if key not in ctx.values:
                return None
            kwargs[name] = ctx.values[key]
        elif source == SLOT:
            if slots[key] is _INVALID:
                return None
            kwargs[name] = slots[key]
        else:
            kwargs[name] = ctx.special(source, key)
    return kwargs
