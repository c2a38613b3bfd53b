"""The native server's short path for FasterAPI routes: no ASGI scope, no message dicts.

When the app is a FasterAPI app, the Rust parser matches each request head against the app's
routes and runs the route's parameter plan itself. For a route marked native, it hands over a
`_core.RouteEvent` (route, kwargs, errors, media...), and `NativeCycle` gathers the body and
awaits the route's run (`_core.RouteRun`, the same run as the ASGI door's, dependencies
included) with itself as the door: it writes the whole response, encoded by Rust, in one
write; the background tasks and the code after `yield` run after it. What needs ASGI (a
dependency's `Request`, an exception to hand to the app's handlers, a streaming response) gets
the request's scope from `channel`, made then, once, with a `RequestCycle` for its receive and
send. A body that the route may read as it arrives (a form, or a body its Request may stream),
past 256 KiB or chunked, is not gathered: the route runs at once and reads it through that
RequestCycle, which the connection feeds (`NativeCycle.stream`).

Shorter still, a request whose whole body has arrived (and needs no `100 Continue`) is served
inside the parser's own call (`HttpParser.serve`, the short path of `_core.ShortPath`): the
route's run encodes and writes its response in Rust, and no NativeCycle is made unless the run
needs one (a Request, a response that sends itself, an exception for the app's handlers, a
handler that suspends): it is then `promoted` from where the run is, which goes on with it.

Handlers run eagerly: a handler that does not suspend runs to the end inside `data_received`
and never waits for a turn of the event loop, while `asyncio.current_task()`, contextvars and
cancellation work as in any task. On the short path, and before Python 3.12 (no eager tasks in
asyncio), the handler's first step runs with `HostTask`, one task per connection, entered; on
Python 3.12+ a NativeCycle runs it in an `eager_start=True` task.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import functools
import sys
import types
from asyncio.tasks import _enter_task, _leave_task
from typing import TYPE_CHECKING, Any

from .. import _core
from .._body_limit import CONTENT_TOO_LARGE, LimitedReceive
from .._http.body import ClientDisconnect
from .._http.forms import stream_form
from ..applications import Faster
from ..exceptions import HTTPException
from ..middleware.securityheaders import secured
from ..responses import Response, inject_response
from ..routing import APIRoute
from .cycle import ERROR_500, RequestCycle, logger

if TYPE_CHECKING:
    from .protocol import HttpProtocol

EAGER_TASKS = sys.version_info >= (3, 12)
_JSON_TYPE = [(b"content-type", b"application/json")]


@types.coroutine
def _resume(coro: Any, yielded: Any, context: contextvars.Context | None, exc: Any = None) -> Any:
    """Goes on driving `coro` from where its eager first step suspended (on `yielded`), inside
    the task that awaits this; every step runs in the request's own `context` (if given: else
    in the awaiting task's). `exc`, if given, is thrown into `coro` first (a cancellation that
    arrived before the task took over)."""
    while True:
        if exc is not None:
            step, arg, exc = coro.throw, exc, None
        else:
            try:
                value = yield yielded
            except BaseException as error:  # a cancellation, or an exception for the handler
                step, arg = coro.throw, error
            else:
                step, arg = coro.send, value
        try:
            yielded = step(arg) if context is None else context.run(step, arg)
        except StopIteration as stop:
            return stop.value


class HostTask:
    """A connection's task for native handlers, before Python 3.12.

    Each handler's first step runs eagerly inside `data_received`, with this task entered as
    the current task, so `asyncio.current_task()`, timeouts and anyio cancel scopes see a real
    task. A handler that suspends carries on inside the same task, so the task it started in is
    the task it finishes in. While the task is busy (a handler, or a background task after its
    response), the connection's next request gets a new HostTask.
    """

    __slots__ = ("loop", "task", "job", "waiter", "busy", "closed")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.job: tuple[Any, Any, contextvars.Context] | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.busy = False
        self.closed = False
        if EAGER_TASKS:
            # started at once, so that a handler cancelling it in the first job's first step
            # cancels the job (before 3.12, such a cancellation ends the task unstarted, and
            # the job with it)
            self.task = asyncio.Task(self._main(), loop=loop, eager_start=True)  # type: ignore[call-arg,unused-ignore]
        else:
            self.task = loop.create_task(self._main())

    @property
    def free(self) -> bool:
        return not (self.busy or self.closed or self.task.done())

    def step(self, coro: Any, context: contextvars.Context | None = None) -> None:
        """Runs `coro`'s first step now (in `context`, else a copy of the current one); if it
        suspends, the host task takes it from there."""
        if context is None:
            context = contextvars.copy_context()
        loop = self.loop
        _enter_task(loop, self.task)
        try:
            yielded = context.run(coro.send, None)
        except StopIteration:
            return
        finally:
            _leave_task(loop, self.task)
        self.job = (coro, yielded, context)
        self.busy = True
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def done(self) -> bool:
        """Whether the work in hand is over (as a RequestCycle asks of its task)."""
        return not self.busy or self.task.done()

    def cancel(self) -> None:
        """Cancels the handler the task is running (its client went away)."""
        if self.busy:
            self.task.cancel()

    def close(self) -> None:
        """The connection is gone: end the task once the work in hand (if any) is done."""
        self.closed = True
        if not self.busy:
            self.task.cancel()

    async def _main(self) -> None:
        # (a job handed over before this first runs is run even if closed meanwhile: the
        # connection moved on to a pipelined request while it was still busy)
        while not self.closed or self.job is not None:
            cancelled = None
            if self.job is None:
                self.waiter = self.loop.create_future()
                try:
                    await self.waiter
                except asyncio.CancelledError as exc:
                    if self.job is None:
                        return  # closed while idle
                    cancelled = exc  # asked for during the job's eager step: it is the job's
                finally:
                    self.waiter = None
            coro, yielded, context = self.job  # type: ignore[misc]
            try:
                await _resume(coro, yielded, context, cancelled)
            except asyncio.CancelledError:
                return  # this task was cancelled: a new one serves what comes next
            finally:
                self.job = None
                self.busy = False


def wrap_send(
    send: Any,
    cors: _core.CorsSend | None,
    gzip: _core.GzipAnswer | None,
    security: _core.SecurityHeaders | None,
) -> Any:
    """`send` through these middleware that the server runs itself (the request's answers of
    CORS, GZip, SecurityHeaders), outermost last."""
    if gzip is not None and gzip.outer:
        send = gzip.middleware.responder(send, gzip.coding)
    if cors is not None:
        send = cors.wrap(send)
    if gzip is not None and not gzip.outer:
        send = gzip.middleware.responder(send, gzip.coding)
    if security is not None:
        send = secured(security, send)
    return send


def native_dispatcher(app: Any) -> Any:
    """The route dispatcher the parser may use for `app`, or None for any other ASGI app."""
    if not isinstance(app, Faster):
        return None
    if app._middleware_first() and not app._server_runs_middleware():
        return None  # middleware must see every request: all of them go through ASGI
    return app._dispatcher or app._build_dispatcher()


@dataclasses.dataclass(frozen=True)
class RoutePath:
    """Which path one route's requests take on the native server: the native path
    (`native`), or the ASGI path, and why (`reasons`: for a native route, the requests that
    still take the ASGI path)."""

    methods: tuple[str, ...]
    path: str
    native: bool
    reasons: tuple[str, ...]
    #: On the native path, the `@app.middleware("http")` functions the server calls first.
    http_middleware: tuple[str, ...] = ()

    def __str__(self) -> str:
        if not self.native:
            where = "ASGI path: " + "; ".join(self.reasons)
        else:
            where = "native path"
            if self.http_middleware:
                where += ", through http middleware " + ", ".join(self.http_middleware)
            if self.reasons:
                where += "; ASGI path for " + "; ".join(self.reasons)
        return f"{','.join(self.methods)} {self.path}: {where}"


def route_paths(app: Any) -> list[RoutePath]:
    """For each HTTP route of a FasterAPI app, which path the native server serves its
    requests by, and why (what `fasterapi run --log-level debug` prints at startup)."""
    if not isinstance(app, Faster):
        return []
    whole_app = native_dispatcher(app) is not None
    http = tuple(_name(m.dispatch_func) for m in app._http_middleware) if whole_app else ()
    middleware = ", ".join(
        _name(cls) + (f"({_name(kwargs['dispatch'])})" if "dispatch" in kwargs else "")
        for cls, _, kwargs in app.user_middleware
    )
    paths = []
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        reasons = []
        if not whole_app:
            reasons.append(
                f"the app has middleware ({middleware or 'an overridden middleware stack'}), "
                "which every request goes through"
            )
        if http and route.streams_body:
            what = "a form body" if route.body is not None else "a body (a Request may stream it)"
            reasons.append(f"{what} past 256 KiB, or chunked, through the http middleware")
        native = whole_app and route.native
        methods = tuple(sorted(route.methods))
        paths.append(RoutePath(methods, route.path, native, tuple(reasons), http))
    return paths


def _name(thing: Any) -> str:
    """A callable's or a class's name; an instance's class name (HTTPBearer())."""
    return getattr(thing, "__name__", None) or type(thing).__name__


class NativeCycle:
    """One request on a native route: the body is gathered, then the handler runs."""

    __slots__ = (
        "conn",
        "event",
        "route",
        "request",
        "cors",
        "gzip",
        "security",
        "http_minor",
        "keep_alive",
        "head_only",
        "body",
        "body_size",
        "too_large",
        "body_complete",
        "raw",
        "task",
        "is_disconnected",
        "response_started",
        "response_complete",
        "asgi_cycle",
        "streamed",
        "receive",
        "started",
    )

    def __init__(self, conn: HttpProtocol, event: _core.RouteEvent) -> None:
        self.event = event
        self.route = event.route
        self.request = request = event.request
        #: The CORS headers its responses get (CORSMiddleware run natively), or None.
        self.cors = event.cors
        #: GZipMiddleware, when the server runs the app's (_core.GzipAnswer), or None.
        self.gzip = event.gzip
        #: SecurityHeadersMiddleware's headers, when the server runs the app's, or None.
        self.security = event.security
        self.conn = conn
        self.http_minor = request.http_minor
        self.keep_alive = request.keep_alive and not conn.state.shutting_down
        self.head_only = request.method == "HEAD"
        self.body: list[bytes] = []
        self.body_size = 0
        #: The body passed the route's max_body_size (FasterAPI._body_limit): a 413.
        self.too_large = False
        self.body_complete = False
        #: The whole body, once gathered.
        self.raw = b""
        #: What cancel() stops while the handler runs: its task, or its HostTask.
        self.task: Any = None
        self.is_disconnected = False
        self.response_started = False
        self.response_complete = False
        #: The request as ASGI, once something asked for it (`channel`).
        self.asgi_cycle: RequestCycle | None = None
        #: Its body is read as it arrives, by the route's Request or form (`stream`).
        self.streamed = event.streamed
        #: The `receive` of `channel`, once made.
        self.receive: Any = None
        #: When its bytes came in (time.perf_counter()), for the access log's duration.
        self.started = conn.received_at

    # -- from the connection --------------------------------------------------------------------

    #: The whole body is gathered before the handler runs (the parser caps its size), so
    #: reading from the socket never pauses for it.
    unread = 0

    def refuse_oversized(self) -> bool:
        """Answers FastAPI's plain-text 413 at once when the Content-Length passes the
        route's max_body_size (the body is then never read); through the app's http
        middleware, if any."""
        limit = self.route.max_body_size
        length = self.request.content_length
        if limit is None or length is None or length <= limit:
            return False
        if self.conn.state.http_chain is not None:  # the http middleware see the 413 too
            self.too_large = True  # (the body is not read, and the connection then ends)
            self.keep_alive = False
            self._start()
            return True
        self.send_error(413, CONTENT_TOO_LARGE.encode(), b"text/plain; charset=utf-8", True)
        return True

    def stream(self) -> None:
        """Its body (past 256 KiB, or chunked) is read as it arrives by its form or Request:
        through the RequestCycle made now (`channel`), which the connection gives the body
        to, with flow control and `100 Continue` as on the ASGI path. The connection starts
        the route (`_start`) once it has given it what has arrived (a handler that answers
        without reading a body all in keeps the connection)."""
        self.channel()

    def body_received(self, data: bytes, complete: bool = False) -> None:
        if self.too_large:
            return  # dropped: the 413 is on its way
        route = self.route
        reads = route.body is not None or route.solve or route.request_params
        if data and (reads or self.conn.state.http_chain):
            # (a route that reads no body, nor is given a Request, drops it, unless an http
            # middleware may read it)
            self.body_size += len(data)
            limit = route.max_body_size
            if reads and limit is not None and self.body_size > limit:  # chunked, too long
                self.too_large = True  # the app answers 413
                self.keep_alive = False
                self.body.clear()
                self._start()
                return
            self.body.append(data)
        if complete and not self.body_complete:
            self.body_complete = True
            if not self.response_complete:
                self._start()

    def _start(self) -> None:
        conn = self.conn
        conn.state.active += 1  # run() takes it off when it ends
        if EAGER_TASKS:
            task = asyncio.Task(self.run(), loop=conn.loop, eager_start=True)  # type: ignore[call-arg,unused-ignore]
            if not task.done():
                self.task = task
                asgi = self.asgi_cycle
                if asgi is not None and asgi.task is None:  # made during the first step
                    asgi.task = task
            return
        conn.host_task()
        self.task = conn.host  # until run() ends
        asgi = self.asgi_cycle
        if asgi is not None and asgi.task is None:  # (made before: `stream`)
            asgi.task = conn.host
        conn.host.step(self.run())

    def disconnected(self) -> None:
        self.is_disconnected = True
        asgi = self.asgi_cycle
        if asgi is not None:  # a Request made from it sees the client gone
            asgi.is_disconnected = True
            asgi._wake()
        task = self.task
        if task is not None and not self.response_complete:
            task.cancel()  # (once the response is out, its background tasks and exits go on)

    # -- the handler ----------------------------------------------------------------------------

    async def run(self) -> None:
        if self.streamed:
            await self.finish(self._run_streamed())
            return
        self.raw = b"".join(self.body)
        chain = self.conn.state.http_chain
        if chain is not None:  # through the app's `@app.middleware("http")` first
            await self.finish(chain.serve(self))
        elif self.too_large:
            await self.finish(self.handle_exception(HTTPException(413, CONTENT_TOO_LARGE)))
        else:
            await self.finish(_core.RouteRun.native(self, self.event, self.raw))

    async def _run_streamed(self) -> None:
        """The route's run, its form parsed as it arrives (its files spooled to disk), or its
        Request reading the body from `receive`, as on the ASGI door."""
        raw: Any = b""
        if self.route.body is not None:  # a form
            scope, receive, _send = self.channel()
            media = self.event.media  # (a form's Content-Type)
            assert not isinstance(media, bool)
            try:
                raw = await stream_form(receive, await receive(), media)
            except ClientDisconnect:
                raise
            except Exception as exc:  # 413 past max_body_size, a malformed form
                await self.handle_exception(exc)
                return
            # what a Request's body() gives, or its form() (a multipart one, as parsed)
            scope["fasterapi.body" if isinstance(raw, bytes) else "fasterapi.form"] = raw
        await _core.RouteRun.native(self, self.event, raw)

    async def finish(self, run: Any) -> None:
        """Awaits the request's `run` to its end, and answers what it raises."""
        conn = self.conn
        try:
            await run
        except (ClientDisconnect, asyncio.CancelledError):
            if not self.is_disconnected:  # (the connection tells the RequestCycle, if any)
                if self.asgi_cycle is not None and self.asgi_cycle.is_disconnected:
                    return
                if not self.response_complete:
                    conn.close()  # cancelled by something else: this response cannot finish
                raise
        except Exception as exc:  # after the response started (a yield dependency's exit)
            if not (self.is_disconnected and isinstance(exc, OSError)):
                self._error(exc)
        finally:
            conn.state.request_done()
            self.task = None

    def _error(self, exc: Exception) -> None:
        """An exception no handler answered: logged, and answered 500 if nothing was sent."""
        logger.error("Exception in ASGI application", exc_info=exc)
        asgi = self.asgi_cycle
        if not (self.response_started or (asgi is not None and asgi.response_started)):
            self.send_error(500, ERROR_500)
        elif not (self.response_complete or (asgi is not None and asgi.response_complete)):
            self.conn.close()  # the response cannot be finished: the client sees it cut short

    # -- from the short path (_core.ShortPath) ---------------------------------------------------

    @classmethod
    def promoted(
        cls, conn: HttpProtocol, event: _core.RouteEvent, raw: bytes, written: bool
    ) -> NativeCycle:
        """The request the short path is serving, as a NativeCycle from now on: its body
        `raw` is in, and its response is out if `written` (the run goes on with its
        background tasks and exits); else the connection's request in flight is this."""
        cycle = cls(conn, event)
        cycle.raw = raw
        cycle.body_complete = True
        if written:
            cycle.response_started = cycle.response_complete = True
        else:
            conn.cycle = cycle
            conn._disarm()  # no request timeout while its handler runs (as _start_native)
        return cycle

    def adopt(self, run: Any, yielded: Any, context: contextvars.Context) -> None:
        """The short path's `run` suspended (on `yielded`) inside the connection's host task
        (`HttpProtocol.host_task`): that task carries it on, in the request's `context`."""
        conn = self.conn
        conn.state.active += 1  # finish() takes it off when it ends
        self.task = host = conn.host
        asgi = self.asgi_cycle
        if asgi is not None and asgi.task is None:  # made before it suspended
            asgi.task = host
        host.step(self.finish(_resume(run, yielded, None)), context)

    def failed(self, exc: BaseException) -> None:
        """The short path's run raised `exc` before it suspended: as `finish` answers it."""
        if isinstance(exc, (ClientDisconnect, asyncio.CancelledError)):
            if not self.response_complete:
                self.conn.close()  # this response cannot finish
        elif isinstance(exc, Exception):
            self._error(exc)
        else:
            raise exc

    # -- the door (FasterAPI._runtime.runner.Door, what _core.RouteRun asks of it) ----------------

    def prepare(self, route: Any, values: dict[str, Any]) -> Response | None:
        """Gives the handler its Request (made with the request's ASGI scope, `channel`)
        and the Response its signature asks for; returns the Response."""
        if route.request_params:
            request = self.make_request(route, values)
            for name in route.request_params:
                values[name] = request
        return inject_response(route, values) if route.response_params else None

    def make_request(self, route: Any, values: dict[str, Any]) -> Any:
        scope, receive, send = self.channel()
        return self.conn.state.app._request(route, scope, receive, send, values)

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """The request's headers, as an ASGI scope has them."""
        return self.request.head_event().headers

    def make_scope(self) -> dict[str, Any]:
        """The request's ASGI scope."""
        scope = self.conn.scope(self.request.head_event())
        root_path = self.conn.state.app.root_path  # FastAPI(root_path=...), as AsgiCall sets it
        if root_path:
            scope["root_path"] = root_path
        return scope

    def channel(self, scope: dict[str, Any] | None = None) -> tuple[dict[str, Any], Any, Any]:
        """The request as ASGI, `(scope, receive, send)`: made once, when something asks for
        it (a Request, a response that sends itself, an exception handler), with `scope` if
        given; the body as read is its `receive`'s, and from then on the connection hears
        of a disconnect through it (a Request's `is_disconnected`)."""
        cycle = self.asgi_cycle
        if cycle is None:
            conn = self.conn
            if scope is None:
                scope = self.make_scope()
                scope["route"] = self.route  # (as FastAPI's routing sets it)
            expect = self.streamed and self.request.expect_continue
            cycle = RequestCycle(conn, scope, self.http_minor, self.keep_alive, expect)
            self.receive = cycle.receive
            if self.streamed:  # the body comes to it as it arrives, counted if limited
                limit = self.route.max_body_size
                if limit is not None:
                    self.receive = LimitedReceive(cycle.receive, limit)
            elif self.route.body is not None and not self.too_large:
                # read by the run, as on the ASGI door: Request.body() has it, and
                # `receive` has nothing more to give
                scope["fasterapi.body"] = self.raw
                cycle.body_complete = cycle.final_sent = True
            else:  # unread (a body cut off at max_body_size stays incomplete: the connection
                cycle.body_received(self.raw, complete=not self.too_large)  # then ends)
            cycle.task = self.task  # a disconnect or the shutdown timeout still cancels it
            conn.cycle = cycle
            self.asgi_cycle = cycle
        return cycle.scope, self.receive, self._through_middleware(cycle.send, cycle.scope)

    def _through_middleware(self, send: Any, scope: dict[str, Any]) -> Any:
        """The `send` a response goes out by through the app's middleware that the server
        runs itself (CORS, GZip), outermost last; an unhandled error's 500, outside them,
        goes by `send` itself (the scope's "fasterapi.outer_send")."""
        if self.cors is None and self.gzip is None and self.security is None:
            return send
        scope["fasterapi.outer_send"] = send
        return wrap_send(send, self.cors, self.gzip, self.security)

    def json(self, content: Any, status: int) -> bytes:
        if self.gzip is not None or self.security is not None:
            return self._encode(status, _JSON_TYPE, _core.encode_json(content))
        self._shutting_down()
        headers = None if self.cors is None else self.cors.apply(_JSON_TYPE)
        return _core.json_response(
            content, status, self.http_minor, self.keep_alive, self.head_only, headers
        )

    def whole(self, response: Response) -> bytes:
        # (the headers are left as they are: a Response may be sent again)
        return self._encode(response.status_code, response.raw_headers, response.body)

    def _encode(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
        """A whole response, through the app's middleware that the server runs itself
        (CORS, GZip), innermost first."""
        headers, body = self.through(status, headers, body, self.cors, self.gzip, self.security)
        headers = self._connection_header(headers)
        self._shutting_down()
        return _core.whole_response(
            status, headers, body, self.http_minor, self.keep_alive, self.head_only
        )

    def _shutting_down(self) -> None:
        """The server's shutdown ends the connection after this response: it told the
        request's RequestCycle, if one was made (the connection's cycle then); so does a
        body streamed to the route and not all read (it cannot be skipped safely)."""
        asgi = self.asgi_cycle
        if asgi is not None and not (asgi.keep_alive and asgi.body_complete):
            self.keep_alive = False

    def through(
        self,
        status: int,
        headers: Any,
        body: bytes,
        cors: _core.CorsSend | None,
        gzip: _core.GzipAnswer | None,
        security: _core.SecurityHeaders | None,
    ) -> tuple[Any, bytes]:
        """A whole response's headers and body through these middleware that the server
        runs itself (the request's answers of CORS, GZip, SecurityHeaders), innermost
        first."""
        if security is not None:
            headers = security.apply(headers)
        if gzip is not None and not gzip.outer:
            headers, body = self._gzip(gzip, status, headers, body)
        if cors is not None:
            headers = cors.apply(headers)
        if gzip is not None and gzip.outer:
            headers, body = self._gzip(gzip, status, headers, body)
        return headers, body

    def send_response(self, response: Any) -> Any:
        return self._asgi(functools.partial(self.conn.state.app._send_response, response))

    def handle_exception(self, exc: Exception) -> Any:
        app = self.conn.state.app

        def handle(scope: Any, receive: Any, send: Any) -> Any:
            return app._handle_exception(scope, receive, send, exc)

        return self._asgi(handle)

    def _gzip(
        self, gzip: _core.GzipAnswer, status: int, headers: Any, body: bytes
    ) -> tuple[Any, bytes]:
        """GZipMiddleware's answer; to a HEAD request it sees the empty body the response
        sends (and so, with its Content-Length kept, usually leaves it as it is)."""
        if not self.head_only:
            return gzip.apply(status, headers, body)
        changed, packed = gzip.apply(status, headers, b"")
        return (headers, body) if changed is headers else (changed, packed)

    def _connection_header(self, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """The headers without Connection, which the server writes itself; an app's
        `Connection: close` is honoured."""
        for name, value in headers:
            if name.lower() == b"connection":
                if b"close" in value.lower():
                    self.keep_alive = False
                return [h for h in headers if h[0].lower() != b"connection"]
        return headers

    def write(self, data: bytes) -> None:
        self.response_started = True
        asgi = self.asgi_cycle
        if asgi is not None:  # the response is this cycle's after all; a Request made from
            self.conn.cycle = self  # the RequestCycle hears it is over (`receive` gives
            asgi.response_started = asgi.response_complete = True  # http.disconnect)
            asgi._wake()
            self.body_complete = asgi.body_complete  # (a body streamed may not be all in)
        self.conn.write(data)
        self._log_and_finish(data)

    async def _asgi(self, asgi: Any) -> None:
        """Finishes the request through ASGI: `asgi(scope, receive, send)` on the request's
        RequestCycle (`channel`)."""
        scope, receive, send = self.channel()
        cycle = self.asgi_cycle
        assert cycle is not None
        self.conn.cycle = cycle
        await cycle.call(lambda _scope, _receive, _send: asgi(scope, receive, send))

    def send_error(
        self,
        status: int,
        body: bytes,
        content_type: bytes = b"application/json",
        app_answer: bool = False,
    ) -> None:
        """An error answered before the handler runs (503 over --limit-concurrency, 413 past
        max_body_size, which is the app's answer: `app_answer`, through the middleware the
        server runs itself) or after it failed (500); the connection then ends."""
        headers = [(b"content-type", content_type)]  # Content-Length: whole_response
        self.keep_alive = False
        if app_answer:
            self.write(self._encode(status, headers, body))
            return
        self.write(
            _core.whole_response(status, headers, body, self.http_minor, False, self.head_only)
        )

    def _log_and_finish(self, response: bytes) -> None:
        self.response_complete = True
        conn = self.conn
        state = conn.state
        if state.access_log is not None or state.request_limit is not None:
            head = self.request.head_event()
            path = conn.config.root_path + head.path
            status = int(response[9:12])  # "HTTP/1.1 200 ..."
            body_bytes = len(response) - response.find(b"\r\n\r\n") - 4
            client = conn.forwarded_client(head.headers)
            conn.answered(
                client,
                head.method,
                path,
                head.query,
                self.http_minor,
                status,
                body_bytes,
                self.started,
            )
        conn.response_complete(self)
