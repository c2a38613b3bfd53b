"""Serving a request to a route with dependencies: run them in order (each once per request
unless use_cache=False), call the handler with their results and make its response; then the
code after `yield` in yield dependencies of scope "function" runs; then the response is sent,
the background tasks run and, last, the code after `yield` of the other yield dependencies
(scope "request", the default) runs, and the request's uploaded files are closed.

An exception from the handler or a dependency is thrown into the yield dependencies at their
`yield` first, innermost first ("function" ones before "request" ones), so their
try/except/finally see it and may replace it (with an HTTPException, say); the app's
exception handlers answer whatever comes out.

A dependency declared with max_concurrency waits for a place before it runs, and holds it
until it returns (until the code after `yield` is over, for a yield dependency); a result
taken from the request's cache takes no place."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable
from typing import Any

from .._starlette import StarletteResponse
from ..background import BackgroundTasks
from ..concurrency import contextmanager_in_threadpool, run_in_threadpool
from ..exceptions import (
    RequestValidationError,
    WebSocketRequestValidationError,
    endpoint_context,
)
from ..forms import FILES_KEY
from ..requests import Request
from ..responses import RESPONSE_TYPES, Response, injected_response
from ..security import SecurityScopes
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
    )

    def __init__(
        self, app: Any, route: Any, values: dict[str, Any], scope: Any, receive: Any, send: Any
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

    def special(self, what: str, dependant: Dependant) -> Any:
        """The object a parameter annotated with Request, WebSocket, HTTPConnection, Response,
        BackgroundTasks or SecurityScopes gets; one of each per request (scopes are per
        dependency)."""
        if what == "websocket" or (what == "connection" and self.websocket is not None):
            return self.websocket
        if what in ("request", "connection"):
            if self.request is None:
                self.scope["app"] = self.app
                self.scope["path_params"] = self.route.plan.path_params(self.scope, self.values)
                self.request = Request(self.scope, self.receive, self.send)
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


async def solve(dependant: Dependant, values: dict[str, Any], ctx: Context) -> dict | None:
    """The keyword arguments of `dependant.call`: its dependencies' results (running them),
    its request values and injected objects. None if any of its request values (or a
    dependency's) is invalid: its error is already in the request's list, and FastAPI does
    not call a dependency it cannot give valid arguments to."""
    kwargs: dict[str, Any] = {}
    valid = True
    for sub in dependant.dependencies:
        key = sub.cache_key
        if sub.use_cache and key in ctx.cache:
            result = ctx.cache[key]
        else:
            arguments = await solve(sub, values, ctx)
            if arguments is None:
                valid = False
                continue
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


async def serve(
    app: Any,
    route: Any,
    scope: dict[str, Any],
    receive: Any,
    send: Any,
    values: dict[str, Any],
    errors: list[dict[str, Any]] | None,
) -> None:
    """Answers one request to `route`, whose parameters Rust has extracted into `values`
    (with `errors` for the invalid ones)."""
    ctx = Context(app, route, values, scope, receive, send)
    files = values.pop(FILES_KEY, None)
    if files:  # closed last, once the response is sent (or the request failed)
        ctx.stack.push_async_callback(_close_files, files)
    try:
        response = await _in_function_scope(ctx, _respond(app, route, ctx, errors))
    except Exception as exc:
        exc = await _throw_into(ctx.stack, exc)
        await app._handle_exception(scope, receive, send, exc)
        return
    except BaseException as exc:  # cancelled: the dependencies see it too
        await ctx.stack.__aexit__(type(exc), exc, exc.__traceback__)
        raise
    await _finish(ctx, response)


async def serve_websocket(
    app: Any,
    route: Any,
    scope: dict[str, Any],
    receive: Any,
    send: Any,
    values: dict[str, Any],
    errors: list[dict[str, Any]] | None,
) -> None:
    """Runs a WebSocket endpoint for one connection, after its dependencies; when it is over,
    the background tasks run, then the code after `yield` in yield dependencies."""
    ctx = Context(app, route, values, scope, receive, send)
    scope["app"] = app
    scope["path_params"] = route.plan.path_params(scope, values)
    ctx.websocket = websocket = WebSocket(scope, receive, send)
    try:
        await _in_function_scope(ctx, _run_websocket(route, ctx, errors))
    except Exception as exc:
        exc = await _throw_into(ctx.stack, exc)
        await app._handle_websocket_exception(websocket, exc)
        return
    except BaseException as exc:
        await ctx.stack.__aexit__(type(exc), exc, exc.__traceback__)
        raise
    await _finish(ctx)


async def _respond(
    app: Any, route: Any, ctx: Context, errors: list[dict[str, Any]] | None
) -> Response | StarletteResponse:
    """Solves the dependencies, calls the handler and makes its response (not sent)."""
    scope = ctx.scope
    invalid_json = [e for e in errors or () if e["type"] == "json_invalid"]
    if invalid_json:  # as FastAPI: before any dependency runs
        raise RequestValidationError(invalid_json, body=scope.get("fasterapi.body"))
    kwargs = await solve(route.plan.dependant, ctx.values, ctx)
    if errors or kwargs is None:
        raise RequestValidationError(errors or [], body=scope.get("fasterapi.body"))
    if route.is_async:
        result = await route.endpoint(**kwargs)
    elif route.threadpool:
        result = await run_in_threadpool(route.endpoint, **kwargs)
    else:
        result = route.endpoint(**kwargs)
    if isinstance(result, RESPONSE_TYPES):
        return result
    if route.serialize_response is not None:  # the response model's
        result = route.serialize_response(result)
    return app._as_response(route, result, ctx.response)


async def _run_websocket(route: Any, ctx: Context, errors: list[dict[str, Any]] | None) -> None:
    """Solves the dependencies and runs the WebSocket endpoint."""
    kwargs = await solve(route.plan.dependant, ctx.values, ctx)
    if errors or kwargs is None:
        path = ctx.scope.get("root_path", "").rstrip("/") + route.path  # a mount's prefix too
        context = endpoint_context(route.endpoint, "WS", path)
        raise WebSocketRequestValidationError(errors or [], endpoint_ctx=context)
    await route.endpoint(**kwargs)


async def _in_function_scope(ctx: Context, work: Awaitable[Any]) -> Any:
    """Awaits `work`, then runs the code after `yield` of the yield dependencies of scope
    "function", which sees the exception (or cancellation) from `work`, if any, and may
    replace it."""
    try:
        result = await work
    except BaseException as exc:
        raise await _throw_into(ctx.function_stack, exc)  # noqa: B904 - it is `exc` or replaces it
    await ctx.function_stack.aclose()
    return result


async def _finish(ctx: Context, response: Any = None) -> None:
    """Sends `response` (if any) and runs the background tasks, then the code after `yield` in
    yield dependencies, which sees an exception (or cancellation) from either."""
    try:
        if response is not None:
            await response(ctx.scope, ctx.receive, ctx.send)
        if ctx.tasks is not None:
            await ctx.tasks()
    except BaseException as exc:
        await ctx.stack.__aexit__(type(exc), exc, exc.__traceback__)
        raise
    await ctx.stack.aclose()


async def _close_files(files: list[Any]) -> None:
    for file in files:
        await file.close()


async def _throw_into(stack: contextlib.AsyncExitStack, exc: Any) -> Any:
    """Raises `exc` at the `yield` of each yield dependency on `stack`, innermost first;
    returns the exception that comes out (`exc` itself if they let it through or swallow
    it; one that is no Exception, a cancellation say, is raised)."""
    try:
        await stack.__aexit__(type(exc), exc, exc.__traceback__)
    except Exception as replaced:
        return replaced
    return exc
