"""The native server's short path for FasterAPI routes: no ASGI scope, no message dicts.

When the app is a FasterAPI app, the Rust parser matches each request head against the app's
routes and runs the route's parameter plan itself. For a route marked native (one that does not
take a `Request`), it hands over `("route", route, kwargs, errors, is_json, request)`, and
`NativeCycle` calls the handler and writes the whole response, encoded by Rust, in one write.
Anything off that path (an exception to hand to the app's handlers, a streaming response, a
background task) builds the ASGI scope then and finishes through the ASGI `RequestCycle`.

On Python 3.12+ the handler's task starts eagerly (`eager_start=True`): a handler that does not
suspend runs to the end at once and never waits for a turn of the event loop, while
`asyncio.current_task()`, contextvars and cancellation work as in any task. Before 3.12 asyncio
has no eager tasks, so the handler runs as an ordinary task.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, Any

from . import _core
from .body import ClientDisconnect
from .concurrency import run_in_threadpool
from .exceptions import RequestValidationError
from .responses import Response

if TYPE_CHECKING:
    from .http_protocol import HttpProtocol

if sys.version_info >= (3, 12):

    def start_task(loop: asyncio.AbstractEventLoop, coro: Any) -> asyncio.Task:
        return asyncio.Task(coro, loop=loop, eager_start=True)

else:

    def start_task(loop: asyncio.AbstractEventLoop, coro: Any) -> asyncio.Task:
        return loop.create_task(coro)


def native_dispatcher(app: Any) -> Any:
    """The route dispatcher the parser may use for `app`, or None for any other ASGI app."""
    from .applications import Faster

    if not isinstance(app, Faster):
        return None
    return app._dispatcher or app._build_dispatcher()


class NativeCycle:
    """One request on a native route: the body is gathered, then the handler runs."""

    __slots__ = (
        "conn",
        "route",
        "kwargs",
        "errors",
        "is_json",
        "request",
        "http_minor",
        "keep_alive",
        "head_only",
        "body",
        "body_complete",
        "task",
        "is_disconnected",
        "response_started",
        "response_complete",
    )

    def __init__(self, conn: HttpProtocol, event: tuple[Any, ...]) -> None:
        _, self.route, self.kwargs, self.errors, self.is_json, request = event
        self.conn = conn
        self.request = request
        self.http_minor = request.http_minor
        self.keep_alive = request.keep_alive and not conn.state.shutting_down
        self.head_only = request.method == "HEAD"
        self.body: list[bytes] = []
        self.body_complete = False
        self.task: asyncio.Task | None = None
        self.is_disconnected = False
        self.response_started = False
        self.response_complete = False
        if request.expect_continue:
            conn.write(_core.CONTINUE)  # the body is read in any case

    # -- from the connection --------------------------------------------------------------------

    #: The whole body is gathered before the handler runs (the parser caps its size), so
    #: reading from the socket never pauses for it.
    unread = 0

    def body_received(self, data: bytes, complete: bool = False) -> None:
        if data:
            self.body.append(data)
        if complete and not self.body_complete:
            self.body_complete = True
            if not self.response_complete:
                self.task = start_task(self.conn.loop, self.run())

    def disconnected(self) -> None:
        self.is_disconnected = True
        task = self.task
        if task is not None and not task.done():
            task.cancel()

    # -- the handler ----------------------------------------------------------------------------

    async def run(self) -> None:
        conn = self.conn
        app = conn.state.app
        route = self.route
        kwargs = self.kwargs
        errors = self.errors
        raw = b"".join(self.body)
        try:
            body = route.body
            if body is not None:
                try:  # the fast path: a msgspec Struct straight from JSON bytes
                    kwargs[body.fast_name] = body.fast(raw) if self.is_json else body.not_fast()
                except Exception:  # the full parse words the errors
                    more = body.parse(raw, self.is_json, kwargs)
                    if more:
                        errors = (errors or []) + more
            if errors is not None:
                raise RequestValidationError(errors, body=raw if body is not None else None)
            injected = None
            if route.response_params:
                injected = Response()
                injected.status_code = None
                del injected.headers["content-length"]
                for name in route.response_params:
                    kwargs[name] = injected
            if route.is_async:
                result = await route.endpoint(**kwargs)
            elif route.threadpool:
                result = await run_in_threadpool(route.endpoint, **kwargs)
            else:
                result = route.endpoint(**kwargs)
            if route.json_fast_path and not isinstance(result, Response):
                data = _core.json_response(
                    result, route.status_code, self.http_minor, self.keep_alive, self.head_only
                )
                return self._write(data)
            response = (
                result
                if isinstance(result, Response)
                else app._as_response(route, result, injected)
            )
            if response.background is None and response.sent_whole:
                data = _core.whole_response(
                    response.status_code,
                    response.raw_headers,
                    response.body,
                    self.http_minor,
                    self.keep_alive,
                    self.head_only,
                )
                return self._write(data)
            await self._asgi(raw, response)
        except (ClientDisconnect, asyncio.CancelledError):
            if not self.is_disconnected:
                raise
        except Exception as exc:  # the app's exception handlers answer it, through ASGI

            def handle(scope: Any, receive: Any, send: Any, exc: Exception = exc) -> Any:
                return app._handle_exception(scope, receive, send, exc)

            await self._asgi(raw, handle)
        finally:
            conn.state.active -= 1
            self.task = None

    def _write(self, data: bytes) -> None:
        self.response_started = True
        self.conn.write(data)
        self._log_and_finish(int(data[9:12]))

    async def _asgi(self, raw: bytes, asgi: Any) -> None:
        """Finishes the request through ASGI: `asgi(scope, receive, send)` on a RequestCycle
        with this request's scope and (already read) body."""
        from .http_protocol import RequestCycle

        conn = self.conn
        scope = conn.scope(self.request.head_event())
        cycle = RequestCycle(conn, scope, self.http_minor, self.keep_alive, False)
        cycle.body_received(raw, complete=True)
        conn.cycle = cycle
        await cycle.call(asgi)

    def send_error(self, status: int, body: bytes) -> None:
        """An error answered before the handler runs (503 over --limit-concurrency)."""
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        self.keep_alive = False
        self._write(
            _core.whole_response(status, headers, body, self.http_minor, False, self.head_only)
        )

    def _log_and_finish(self, status: int) -> None:
        self.response_complete = True
        conn = self.conn
        if conn.config.access_log:
            from .http_protocol import log_access

            head = self.request.head_event()
            path = conn.config.root_path + head[2]
            log_access(conn.client, head[1], path, head[4], self.http_minor, status)
        conn.response_complete(self)
