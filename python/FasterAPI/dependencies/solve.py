"""Solving a route's dependencies for one request: `solve` runs them in order (each once per
request unless use_cache=False) and gives the handler's keyword arguments; a yield dependency
is entered on the exit stack of its scope ("function" or "request"), whose code after `yield`
FasterAPI._runtime.runner runs when the response is made or sent.

A dependency declared with max_concurrency waits for a place before it runs, and holds it
until it returns (until the code after `yield` is over, for a yield dependency); a result
taken from the request's cache takes no place."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from ..background import BackgroundTasks
from ..concurrency import contextmanager_in_threadpool, run_in_threadpool
from ..datastructures import Headers
from ..requests import Request
from ..responses import Response, injected_response
from ..security import HEADER_SCHEMES, SecurityScopes
from ..websockets import WebSocket
from .models import Dependant


class Context:
    """One request, as its dependencies and handler share it."""

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
        "channel",
        "raw_headers",
        "headers_only",
    )

    def __init__(
        self,
        app: Any,
        route: Any,
        values: dict[str, Any],
        scope: Any,
        receive: Any,
        send: Any,
        channel: Callable[[], tuple[Any, Any, Any]] | None = None,
    ) -> None:
        self.app, self.route, self.values = app, route, values
        #: The request as ASGI; on the native server, made by `channel` when first asked for
        #: (`raw_headers`, set by the native door, gives its headers without it).
        self.scope, self.receive, self.send = scope, receive, send
        self.channel = channel
        self.raw_headers: Callable[[], Any] | None = None
        self.headers_only: HeadersOnly | None = None
        #: The exits of yield dependencies of scope "request" (and the files to close).
        self.stack = contextlib.AsyncExitStack()
        #: The exits of yield dependencies of scope "function".
        self.function_stack = contextlib.AsyncExitStack()
        self.cache: dict[Any, Any] = {}
        self.request: Request | None = None
        self.response: Response | None = None
        self.tasks: BackgroundTasks | None = None
        self.websocket: WebSocket | None = None

    def asgi(self) -> tuple[Any, Any, Any]:
        """The request's `(scope, receive, send)`, made now if it has not been."""
        if self.scope is None and self.channel is not None:
            self.scope, self.receive, self.send = self.channel()
        return self.scope, self.receive, self.send

    def special(self, what: str, dependant: Dependant) -> Any:
        """The object a parameter annotated with Request, WebSocket, HTTPConnection, Response,
        BackgroundTasks or SecurityScopes gets; one of each per request (scopes are per
        dependency)."""
        if what == "websocket" or (what == "connection" and self.websocket is not None):
            return self.websocket
        if what in ("request", "connection"):
            if self.request is None and type(dependant.call) in HEADER_SCHEMES:
                return self._headers_only()
            if self.request is None:
                scope, receive, send = self.asgi()
                scope["app"] = self.app
                scope["route"] = self.route
                scope["path_params"] = self.route.plan.path_params(scope, self.values)
                self.request = Request(scope, receive, send)
            return self.request
        if what == "response":
            if self.response is None:
                self.response = injected_response()
            return self.response
        if what == "background":
            if self.tasks is None:
                self.tasks = BackgroundTasks()
            return self.tasks
        return SecurityScopes(dependant.scopes)

    def _headers_only(self) -> HeadersOnly:
        view = self.headers_only
        if view is None:
            if self.scope is None and self.raw_headers is not None:
                raw = self.raw_headers()
            else:
                raw = self.asgi()[0]["headers"]
            view = self.headers_only = HeadersOnly(raw)
        return view


class HeadersOnly:
    """What a security scheme of FasterAPI's (security.HEADER_SCHEMES) reads of its request:
    the headers, given without making a Request (on the native server, without an ASGI
    scope)."""

    __slots__ = ("headers",)

    def __init__(self, raw: Any) -> None:
        self.headers = Headers(raw)


async def solve(dependant: Dependant, values: dict[str, Any], ctx: Context) -> dict | None:
    """The keyword arguments of `dependant.call`: its dependencies' results (running them),
    its request values and injected objects. None if any of its request values (or a
    dependency's) is invalid: its error is already in the request's list, and FastAPI does
    not call a dependency it cannot give valid arguments to."""
    kwargs: dict[str, Any] = {}
    valid = True
    for sub in dependant.dependencies:
        # As FastAPI: a dependency's own dependencies are solved before it is looked up in the
        # cache, so those with use_cache=False run again at each of its uses.
        arguments = await solve(sub, values, ctx)
        if arguments is None:
            valid = False
            continue
        key = sub.cache_key
        if sub.use_cache and key in ctx.cache:
            result = ctx.cache[key]
        else:
            result = await call(sub, arguments, ctx)
            ctx.cache.setdefault(key, result)  # use_cache=False leaves the cached one
        if sub.name is not None:
            kwargs[sub.name] = result
    for name, value_key in dependant.args:
        if value_key in values:
            kwargs[name] = values[value_key]
        else:
            valid = False
    for name, what in dependant.specials:
        kwargs[name] = ctx.special(what, dependant)
    return kwargs if valid else None


async def call(dependant: Dependant, kwargs: dict[str, Any], ctx: Context) -> Any:
    """Runs one dependency: awaited, or a `def` one called as the route calls its `def`
    handler (inline on the loop, or in the thread pool with `threadpool=True`), or entered as
    a context manager on the stack of its scope; within its limit, if it has one."""
    kind, limit = dependant.kind, dependant.concurrency
    threads = ctx.route.threadpool
    if kind in ("async_gen", "gen"):
        stack = ctx.function_stack if dependant.scope == "function" else ctx.stack
        manager = dependant.manager(**kwargs)
        if kind == "gen" and threads:
            manager = contextmanager_in_threadpool(manager)
        if limit is not None:
            return await stack.enter_async_context(_limited(manager, limit.get_semaphore()))
        if isinstance(manager, contextlib.AbstractAsyncContextManager):
            return await stack.enter_async_context(manager)
        return stack.enter_context(manager)
    if limit is None:
        return await _run(dependant, kind, kwargs, threads)
    async with limit.get_semaphore():
        return await _run(dependant, kind, kwargs, threads)


async def _run(dependant: Dependant, kind: str, kwargs: dict[str, Any], threads: bool) -> Any:
    if kind == "async":
        return await dependant.call(**kwargs)
    if threads:
        return await run_in_threadpool(dependant.call, **kwargs)
    return dependant.call(**kwargs)


@contextlib.asynccontextmanager
async def _limited(manager: Any, semaphore: Any) -> AsyncIterator[Any]:
    """A yield dependency's context manager (sync or async), entered once `semaphore` has a
    place for it, which it holds until it has exited."""
    async with semaphore:
        if isinstance(manager, contextlib.AbstractAsyncContextManager):
            async with manager as value:
                yield value
        else:
            with manager as value:
                yield value
