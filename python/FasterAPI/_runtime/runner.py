"""The one place a route runs, for both doors.

Given a matched route, the values Rust extracted for it (with the errors of those it could not
read) and its body as read, `run` produces the response: it reads the body into the handler's
arguments, solves the dependencies, calls the endpoint (`run_endpoint_function`, the one call
site of an endpoint), validates and serializes the result through the response model, sends
the response through the door the request came in by, then runs the code after `yield` and
the background tasks. An exception goes to the app's exception handlers.

A door (`Door`) is how a request came in and how its response goes out: the ASGI door
(`_core.AsgiDoor`, for `app(scope, receive, send)`: Rust's `asgi/app.rs` runs the route with
it) encodes the response as ASGI messages; the native server's
(`FasterAPI.server.native.NativeCycle`) as the bytes it writes. `run` gives the encoded
response back to the door's caller, which sends it. Rust does the bytes on either side; what
happens between is here.

With dependencies (`route.solve`), the request is served as FastAPI serves it (see
`run_with_dependencies`): the code after `yield` of yield dependencies of scope "function" runs
before the response is sent; then the response is sent, the background tasks run and, last,
the code after `yield` of the other yield dependencies (scope "request", the default) runs,
and the request's uploaded files are closed. An exception from the handler or a dependency is
thrown into the yield dependencies at their `yield` first, innermost first ("function" ones
before "request" ones), so their try/except/finally see it and may replace it; the app's
exception handlers answer whatever comes out.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar

from .._http.forms import FILES_KEY
from ..concurrency import run_in_threadpool
from ..dependencies.solve import Context, solve
from ..exceptions import (
    FastAPIError,
    RequestValidationError,
    WebSocketRequestValidationError,
    endpoint_context,
)
from ..responses import RESPONSE_TYPES, Response
from ..websockets import WebSocket

Encoded = TypeVar("Encoded")
_Encoded_co = TypeVar("_Encoded_co", covariant=True)


class App(Protocol):
    """Everything the Rust doors (`_core.AsgiCall`, `_core.AsgiDoor`) and a route's run call on
    the app (FasterAPI.applications.Faster, which the runner does not import: the app imports
    the runner), declared in one place; applications.py has mypy check that Faster provides it.
    """

    #: Its ExceptionMiddleware, whose `scope_handlers` in the scope say a call came through the
    #: middleware stack (Rust reads it: crates/fasterapi-py/src/asgi/app.rs `in_stack`).
    _exception_middleware: Any

    def _asgi_other(self, scope: dict[str, Any], receive: Any, send: Any) -> Awaitable[None]:
        """A call off the route path: through the middleware, lifespan, the first request."""

    def _no_route(
        self, scope: dict[str, Any], receive: Any, send: Any, allow: Any
    ) -> Awaitable[None]:
        """No route matched (`allow`: the methods the path has, for a 405; else None)."""

    def _content_too_large(self, scope: dict[str, Any], receive: Any, send: Any) -> Awaitable[None]:
        """A Content-Length past the route's max_body_size."""

    def _prepare(
        self, route: Any, scope: dict[str, Any], receive: Any, send: Any, values: dict[str, Any]
    ) -> Response | None: ...

    def _send_response(
        self, response: Any, scope: dict[str, Any], receive: Any, send: Any
    ) -> Awaitable[None]: ...

    def _handle_exception(
        self, scope: dict[str, Any], receive: Any, send: Any, exc: Exception
    ) -> Awaitable[None]: ...

    def _handle_websocket_exception(
        self, websocket: WebSocket, exc: Exception
    ) -> Awaitable[None]: ...

    def _serve_dependant(
        self,
        scope: dict[str, Any],
        receive: Any,
        send: Any,
        route: Any,
        values: dict[str, Any],
        errors: list[dict[str, Any]] | None,
        raw: Any = None,
        media: Any = None,
    ) -> Awaitable[None]: ...


class Door(Protocol[_Encoded_co]):
    """How a request came in and how its response goes out. Encoding (`json`, `whole`) may
    fail, which the app's exception handlers then answer; sending the encoded response is the
    caller's (the transport's), whose errors go up to the server."""

    def prepare(self, route: Any, values: dict[str, Any]) -> Response | None:
        """Gives the handler the Request and the Response its signature asks for; returns
        the injected Response, whose status and headers carry over to the one sent."""

    def json(self, content: Any, status: int) -> _Encoded_co:
        """`content` encoded as a JSON response (by Rust)."""

    def whole(self, response: Response) -> _Encoded_co:
        """A Response whose body is all there, encoded to be sent in one piece."""

    def send_response(self, response: Any) -> Awaitable[None]:
        """Sends a Response by its own ASGI call (one that streams, or has background
        tasks); an exception before it starts is answered by the app's handlers."""

    def handle_exception(self, exc: Exception) -> Awaitable[None]:
        """Answers `exc` with the app's exception handlers."""


def run_endpoint_function(route: Any, values: dict[str, Any]) -> Any:
    """Calls the route's endpoint with `values` (FastAPI's name; the one place an endpoint is
    called): an `async def` one gives its coroutine, a `def` one on a route that asks for the
    thread pool (the drop-in mode's default, as FastAPI) a coroutine that runs it there, and
    these are awaited (`route.awaited`); any other `def` one runs inline, on the event loop,
    and gives its result (see the Async/Await primer). Not a coroutine itself: the request
    path awaits one frame less."""
    if route.is_async:
        return route.endpoint(**values)
    if route.threadpool:
        return run_in_threadpool(route.endpoint, **values)
    return route.endpoint(**values)


def read_body(
    route: Any, raw: Any, media: Any, values: dict[str, Any], errors: list[dict[str, Any]] | None
) -> list[dict[str, Any]] | None:
    """Validates the body `raw` into the handler's arguments in `values`, straight from JSON
    bytes to a msgspec Struct where the route has such a decoder; returns the request's
    errors with the body's added. `media` is what the body plan reads the body by: the
    Content-Type header for a form, else whether the request is JSON."""
    body = route.body
    if media is True and body.fast is not None:
        try:
            values[body.fast_name] = body.fast(raw)
            return errors
        except Exception:  # invalid: the full parse words the errors
            pass
    more: list[dict[str, Any]] = body.parse(raw, media, values)
    if more:
        return more if errors is None else errors + more
    return errors


def error_body(route: Any, raw: Any, media: Any) -> Any:
    """The request's body as its RequestValidationError keeps it (`exc.body`), as FastAPI
    keeps it: what a JSON body holds (its text, if it is not valid JSON), None for an empty
    body or a route that reads none, the bytes of another body, a form as read."""
    if route.body is None or (isinstance(raw, bytes) and not raw):
        return None
    if media is True and isinstance(raw, bytes):
        try:
            return json.loads(raw)
        except ValueError:  # invalid JSON (or not UTF-8): its text, as FastAPI's error has it
            return raw.decode("utf-8", "replace")
    return raw


def response_for(route: Any, result: Any, injected: Response | None) -> Response:
    """The Response for a handler's (serialized) result; status and headers set on an
    injected `response: Response` parameter carry over, as in FastAPI."""
    status = (injected and injected.status_code) or route.status_code
    if status < 200 or status in (204, 304):
        response = Response(status_code=status)
    else:
        response = route.response_class(result, status_code=status)
    if injected is not None:
        response.raw_headers.extend(injected.raw_headers)
    return response


async def run(
    route: Any,
    door: Door[Encoded],
    values: dict[str, Any],
    errors: list[dict[str, Any]] | None,
    raw: Any,
    media: Any,
) -> Encoded | None:
    """Serves one request to `route` (one without dependencies) through `door`: `values`
    are what Rust extracted (`errors` for what it could not read), `raw` the body as read.
    Returns the response, encoded by the door, for the caller to send; None when it has been
    answered already (a streamed response, or the exception handlers')."""
    try:
        if route.body is not None:
            errors = read_body(route, raw, media, values, errors)
        if errors is not None:
            raise RequestValidationError(errors, body=error_body(route, raw, media))
        injected = door.prepare(route, values) if route.prepare else None
        result = run_endpoint_function(route, values)
        if route.awaited:
            result = await result
        encoded = None
        if not isinstance(result, RESPONSE_TYPES):
            if route.serialize_response is not None:  # the response model's
                result = route.serialize_response(result)
            if route.json_fast_path:
                encoded = door.json(result, route.status_code)
            else:
                result = response_for(route, result, injected)
        if encoded is None and (
            isinstance(result, Response) and result.background is None and result.sent_whole
        ):
            encoded = door.whole(result)
    except Exception as exc:
        await door.handle_exception(exc)
        return None
    if encoded is None:  # a Response that streams, or has background tasks: its own ASGI call
        await door.send_response(result)
    return encoded


# -- routes with dependencies --------------------------------------------------------------------


async def run_with_dependencies(
    app: App,
    route: Any,
    scope: dict[str, Any],
    receive: Any,
    send: Any,
    values: dict[str, Any],
    errors: list[dict[str, Any]] | None,
    raw: Any = None,
    media: Any = None,
) -> None:
    """Serves one request to a route with dependencies (see the module's docstring)."""
    ctx = Context(app, route, values, scope, receive, send)

    def answer(exc: Exception) -> Awaitable[None]:
        return app._handle_exception(scope, receive, send, exc)

    await _in_scopes(ctx, _respond(route, ctx, errors, raw, media), answer)


async def run_websocket(
    app: App,
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

    def answer(exc: Exception) -> Awaitable[None]:
        return app._handle_websocket_exception(websocket, exc)

    await _in_scopes(ctx, _run_websocket(route, ctx, errors), answer)


async def _in_scopes(
    ctx: Context, work: Awaitable[Any], answer: Callable[[Exception], Awaitable[None]]
) -> None:
    """Runs `work` (the dependencies and the endpoint) in the request's scopes: the code after
    `yield` of "function" yield dependencies when it is over, then the response sent (if it
    made one) and the background tasks, then the code after `yield` of the other yield
    dependencies. An exception is thrown into the yield dependencies first, then `answer`ed
    (by the app's exception handlers); a cancellation goes through them and on up."""
    try:
        response = await _in_function_scope(ctx, work)
    except Exception as exc:
        await answer(await _throw_into(ctx, ctx.stack, exc))
        return
    except BaseException as exc:  # cancelled: the dependencies see it too
        await ctx.stack.__aexit__(type(exc), exc, exc.__traceback__)
        raise
    await _finish(ctx, response)


async def _respond(
    route: Any, ctx: Context, errors: list[dict[str, Any]] | None, raw: Any, media: Any
) -> Any:
    """Reads the body, solves the dependencies, calls the handler and makes its response (not
    sent)."""
    if route.body is not None:
        errors = read_body(route, raw, media, ctx.values, errors)
    files = ctx.values.pop(FILES_KEY, None)
    if files:  # closed last, once the response is sent (or the request failed)
        ctx.stack.push_async_callback(_close_files, files)
    invalid_json = [e for e in errors or () if e["type"] == "json_invalid"]
    if invalid_json:  # as FastAPI: before any dependency runs
        raise RequestValidationError(invalid_json, body=error_body(route, raw, media))
    kwargs = await solve(route.plan.dependant, ctx.values, ctx)
    if errors or kwargs is None:
        raise RequestValidationError(errors or [], body=error_body(route, raw, media))
    result = run_endpoint_function(route, kwargs)
    if route.awaited:
        result = await result
    if isinstance(result, RESPONSE_TYPES):
        return result
    if route.serialize_response is not None:  # the response model's
        result = route.serialize_response(result)
    return response_for(route, result, ctx.response)


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
        raise await _throw_into(ctx, ctx.function_stack, exc)  # noqa: B904 - `exc`, or replaced
    await ctx.function_stack.aclose()
    return result


async def _finish(ctx: Context, response: Any = None) -> None:
    """Sends `response` (if any) and runs the background tasks, then the code after `yield` in
    yield dependencies, which sees an exception (or cancellation) from either."""
    try:
        if response is not None:
            await response(ctx.scope, ctx.receive, ctx.send)
        # (the request's tasks, unless the response ran them as its own background)
        if ctx.tasks is not None and getattr(response, "background", None) is not ctx.tasks:
            await ctx.tasks()
    except BaseException as exc:
        await ctx.stack.__aexit__(type(exc), exc, exc.__traceback__)
        raise
    await ctx.stack.aclose()


async def _close_files(files: list[Any]) -> None:
    for file in files:
        await file.close()


async def _throw_into(ctx: Context, stack: contextlib.AsyncExitStack[Any], exc: Any) -> Any:
    """Raises `exc` at the `yield` of each yield dependency on `stack`, innermost first;
    returns the exception that comes out: `exc` itself if they let it through, the one that
    replaced it (one that is no Exception, a cancellation say, is raised). An HTTP request's
    Exception that a dependency swallows (a bare `except:` that does not raise again) is
    FastAPI's "Response not awaited" error, a 500: there is no response to send."""
    try:
        swallowed = await stack.__aexit__(type(exc), exc, exc.__traceback__)
    except Exception as replaced:
        return replaced
    if swallowed and ctx.websocket is None and isinstance(exc, Exception):
        return FastAPIError(RESPONSE_NOT_AWAITED)
    return exc


#: FastAPI's words for a request whose exception a yield dependency swallowed.
RESPONSE_NOT_AWAITED = (
    "Response not awaited. There's a high chance that the application code is raising an "
    "exception and a dependency with yield has a block with a bare except, or a block with "
    "except Exception, and is not raising the exception again. Read more about it in the "
    "docs: https://fastapi.tiangolo.com/tutorial/dependencies/dependencies-with-yield/"
    "#dependencies-with-yield-and-except"
)


__all__ = ["Door", "run", "run_endpoint_function", "run_websocket", "run_with_dependencies"]
