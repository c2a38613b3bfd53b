"""The Python side of a route's run.

A route's run, the one place a request to a matched route is served for both doors, is Rust's
(`crates/fasterapi-py/src/run/runner.rs`, `_core.RouteRun`): it reads the body into the
handler's arguments, solves the dependencies (the steps FasterAPI._compiler.dependency_steps
compiles), calls the endpoint (`run_endpoint_function`, the one call site of an HTTP
endpoint), validates and serializes the result through the response model, encodes and sends
the response through the door the request came in by, and hands an exception to the app's
exception handlers. The functions here are what it calls back for the work still done in
Python: reading a body that is not one msgspec Struct (`parse_body`), the validation error
(`validation_error`), making a Response of the route's class (`response_for`), and for a route
with dependencies an exception thrown into the code after `yield` of its yield dependencies
(`fail`, `abort`), whose exits it runs itself when all goes well.

With dependencies, a request is served as FastAPI serves it: the code after `yield` of yield
dependencies of scope "function" runs before the response is sent; then the response is sent,
the background tasks run and, last, the code after `yield` of the other yield dependencies
(scope "request", the default) runs, and the request's uploaded files are closed. An exception
from the handler or a dependency is thrown into the yield dependencies at their `yield` first,
innermost first ("function" ones before "request" ones), so their try/except/finally see it
and may replace it; the app's exception handlers answer whatever comes out.

A WebSocket route runs here (`run_websocket`), with the same dependencies and exits.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from .._compiler.dependency_steps import entered, entered_async
from .._http.forms import read_form
from ..dependencies.solve import Context, solve
from ..exceptions import (
    FastAPIError,
    HTTPException,
    RequestValidationError,
    WebSocketRequestValidationError,
    endpoint_context,
)
from ..responses import Response
from ..websockets import WebSocket


class App(Protocol):
    """Everything the Rust door (`_core.AsgiCall`) and a route's run (`_core.RouteRun`) call on
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

    def _request(
        self, route: Any, scope: dict[str, Any], receive: Any, send: Any, values: dict[str, Any]
    ) -> Any:
        """The Request a route's dependency asks for (one per request)."""

    def _handle_websocket_exception(
        self, websocket: WebSocket, exc: Exception
    ) -> Awaitable[None]: ...


class Door(Protocol):
    """What a route's run (`_core.RouteRun`) asks of the native server's door
    (FasterAPI.server.native.NativeCycle); the ASGI door is Rust's own. Encoding (`json`,
    `whole`) may fail, which the app's exception handlers then answer; writing is the
    transport's, whose errors go up to the server."""

    def prepare(self, route: Any, values: dict[str, Any]) -> Response | None:
        """Gives the handler the Response its signature asks for; returns it (its status
        and headers carry over to the one sent)."""

    def json(self, content: Any, status: int) -> Any:
        """`content` encoded as a whole JSON response (by Rust): its bytes, or what `write`
        takes."""

    def whole(self, response: Response) -> Any:
        """A Response whose body is all there, encoded to be written in one piece."""

    def write(self, data: Any) -> Awaitable[None] | None:
        """Writes an encoded response; or hands it on (to `@app.middleware("http")`'s
        call_next) and gives an awaitable, done once it is out."""

    def make_request(self, route: Any, values: dict[str, Any]) -> Any:
        """The Request a route's dependency asks for, with the ASGI scope made for it."""

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """The request's headers, as an ASGI scope has them (without making one)."""

    def send_response(self, response: Any) -> Awaitable[None]:
        """Sends a Response by its own ASGI call (one that streams, or has background
        tasks); an exception before it starts is answered by the app's handlers."""

    def handle_exception(self, exc: Exception) -> Awaitable[None]:
        """Answers `exc` with the app's exception handlers."""


def parse_body(
    route: Any, raw: Any, media: Any, values: dict[str, Any], errors: list[dict[str, Any]] | None
) -> list[dict[str, Any]] | None:
    """Validates the body `raw` into the handler's arguments in `values` (for a body that is
    not one msgspec Struct, which the route's run decodes itself); returns the request's
    errors with the body's added. `media` is what the body plan reads the body by: the
    Content-Type header for a form, else whether the request is JSON."""
    more: list[dict[str, Any]] = route.body.parse(raw, media, values)
    if more:
        return more if errors is None else errors + more
    return errors


def error_body(route: Any, raw: Any, media: Any) -> Any:
    """The request's body as its RequestValidationError keeps it (`exc.body`), as FastAPI
    keeps it: what a JSON body holds (its text, if it is not valid JSON), None for an empty
    body or a route that reads none, the bytes of another body, a form's FormData (one read
    whole, as bytes, is parsed again for it)."""
    if route.body is None or (isinstance(raw, bytes) and not raw):
        return None
    if route.body.form and isinstance(raw, bytes):
        try:
            return read_form(raw, media)
        except HTTPException:  # (it parsed before, with the route's limits)
            return raw
    if media is True and isinstance(raw, bytes):
        try:
            return json.loads(raw)
        except ValueError:  # invalid JSON (or not UTF-8): its text, as FastAPI's error has it
            return raw.decode("utf-8", "replace")
    return raw


def validation_error(
    route: Any, errors: list[dict[str, Any]], raw: Any, media: Any
) -> RequestValidationError:
    """The RequestValidationError of a request whose parameters or body are invalid."""
    return RequestValidationError(errors, body=error_body(route, raw, media))


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


# -- the exits of yield dependencies -------------------------------------------------------------
#
# The route's run enters a route's yield dependencies itself and runs their exits when all goes
# well; an exception is thrown into them here, with `contextlib`'s rules. An exit is the
# generator of a yield dependency (entered: suspended at its `yield`) or the list of a form's
# uploaded files to close; lists of them are in the order they were entered.


async def fail(
    function_exits: list[Any], request_exits: list[Any], exc: BaseException
) -> Exception:
    """Throws `exc` (from the body, a dependency, the endpoint, the response or a "function"
    exit) into the yield dependencies at their `yield`, "function" ones first; returns the
    exception for the app's handlers to answer. A cancellation (no Exception) goes through
    them and on up."""
    if function_exits:
        try:
            exc = await _throw_into(_stack(function_exits), exc)
        except BaseException as replaced:  # a cancellation: on through the request stack
            exc = replaced
    if isinstance(exc, Exception):
        return await _throw_into(_stack(request_exits), exc)  # type: ignore[no-any-return]
    await _stack(request_exits).__aexit__(type(exc), exc, exc.__traceback__)
    raise exc


async def abort(request_exits: list[Any], exc: BaseException) -> None:
    """An exception while the response went out (or after: a background task, an exit):
    thrown into the remaining yield dependencies of scope "request", then raised for the
    server."""
    await _stack(request_exits).__aexit__(type(exc), exc, exc.__traceback__)
    raise exc


async def close_files(files: list[Any]) -> None:
    """Closes a form's uploaded files, after every exit."""
    for file in files:
        await file.close()


def _stack(exits: list[Any]) -> contextlib.AsyncExitStack[Any]:
    """An exit stack of entered exits, as if each had been entered on it."""
    stack = contextlib.AsyncExitStack()
    for exit in exits:
        if hasattr(exit, "athrow"):
            stack.push_async_exit(entered_async(exit))
        elif hasattr(exit, "throw"):
            stack.push(entered(exit))
        else:
            stack.push_async_callback(close_files, exit)
    return stack


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
    """Runs `work` (the dependencies and the endpoint) in the connection's scopes: the code
    after `yield` of "function" yield dependencies when it is over, then the background
    tasks, then the code after `yield` of the other yield dependencies. An exception is
    thrown into the yield dependencies first, then `answer`ed (by the app's exception
    handlers); a cancellation goes through them and on up."""
    try:
        await _in_function_scope(ctx, work)
    except Exception as exc:
        await answer(await _throw_into(ctx.stack, exc, http=False))
        return
    except BaseException as exc:  # cancelled: the dependencies see it too
        await ctx.stack.__aexit__(type(exc), exc, exc.__traceback__)
        raise
    try:
        if ctx.tasks is not None:
            await ctx.tasks()
    except BaseException as exc:
        await ctx.stack.__aexit__(type(exc), exc, exc.__traceback__)
        raise
    await ctx.stack.aclose()


async def _run_websocket(route: Any, ctx: Context, errors: list[dict[str, Any]] | None) -> None:
    """Solves the dependencies and runs the WebSocket endpoint."""
    steps, endpoint_args = route.websocket_steps
    kwargs = await solve(steps, endpoint_args, ctx)
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
        raise await _throw_into(ctx.function_stack, exc, http=False)  # noqa: B904 - or replaced
    await ctx.function_stack.aclose()
    return result


async def _throw_into(stack: contextlib.AsyncExitStack[Any], exc: Any, http: bool = True) -> Any:
    """Raises `exc` at the `yield` of each yield dependency on `stack`, innermost first;
    returns the exception that comes out: `exc` itself if they let it through, the one that
    replaced it (one that is no Exception, a cancellation say, is raised). An HTTP request's
    Exception that a dependency swallows (a bare `except:` that does not raise again) is
    FastAPI's "Response not awaited" error, a 500: there is no response to send."""
    try:
        swallowed = await stack.__aexit__(type(exc), exc, exc.__traceback__)
    except Exception as replaced:
        return replaced
    if swallowed and http and isinstance(exc, Exception):
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


__all__ = [
    "Door",
    "abort",
    "close_files",
    "fail",
    "parse_body",
    "response_for",
    "run_websocket",
    "validation_error",
]
