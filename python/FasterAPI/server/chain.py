"""`@app.middleware("http")` on the native server: the app's BaseHTTPMiddleware run around a
native route's run, with no ASGI stack in between.

An app whose middleware are BaseHTTPMiddleware (`@app.middleware("http")`, or a subclass that
only brings its `dispatch`) next to each other, besides those the server runs itself
(FasterAPI.applications.Faster._native_stack), keeps its native routes on the native path:
the parser matches the route and extracts its parameters, and `HttpChain` calls each
middleware's `dispatch(request, call_next)` itself, the innermost `call_next` running the
route's run (`_core.RouteRun`) with `ChainDoor` as its door. No ASGI scope is passed down
layers, no ExceptionMiddleware runs, no task is made and the request is not routed again.

What call_next gives is, as with BaseHTTPMiddleware, a StreamingResponse with the route's
status and headers: for a response whose body is all there (JSON, a Response), a `_Whole`
that the server writes in one piece if the middleware returns it with its body untouched
(headers changed or not); else the route's response streamed on as it sends it. The route's
run goes on after the response is out: its background tasks and the code after `yield` of its
dependencies. The route's exceptions are answered by the app's handlers; one nobody handles
goes up through the `dispatch` functions (which may catch it) to the app's
ServerErrorMiddleware, as in the stack.

The middleware the server runs itself are split where the http middleware are: those outside
them change the response the outermost `dispatch` returns, as the native path does for any
route; those inside them (CORS, GZip, Compress, SecurityHeaders) change the route's response
before call_next gives it.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from .. import _core
from .._body_limit import CONTENT_TOO_LARGE
from ..exceptions import HTTPException
from ..middleware.base import _Downstream, _Whole, cancel, first_response, throw_into
from ..middleware.compress import CompressMiddleware
from ..middleware.cors import CORSMiddleware
from ..middleware.exceptions import SCOPE_KEY
from ..middleware.gzip import GZipMiddleware
from ..middleware.securityheaders import SecurityHeadersMiddleware
from ..requests import Request
from .native import wrap_send

if TYPE_CHECKING:
    from .native import NativeCycle

_NONE = (None, None, None)


class HttpChain:
    """The app's `@app.middleware("http")` functions, outermost first, around its routes."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.dispatches = [middleware.dispatch_func for middleware in app._http_middleware]
        #: The stack inside the innermost http middleware: what serves a request that a
        #: dispatch function changed (its path, method, query, headers or body).
        self.inner = app._http_middleware[-1].app
        self.errors = app._built_stack  # the stack's ServerErrorMiddleware
        self.handlers = app._exception_middleware.scope_handlers
        inside = app._inside_http
        self.cors_inside = CORSMiddleware in inside
        self.gzip_inside = GZipMiddleware in inside or CompressMiddleware in inside
        self.security_inside = SecurityHeadersMiddleware in inside

    @classmethod
    def of(cls, app: Any) -> HttpChain | None:
        """The chain of `app`, when the native server runs its middleware and it has http
        middleware; else None."""
        if not getattr(app, "_http_middleware", None) or not app._server_runs_middleware():
            return None
        return cls(app)

    def serve(self, cycle: NativeCycle) -> Any:
        """Serves `cycle`'s request through the http middleware, then its route: the
        awaitable."""
        inside: tuple[Any, Any, Any] = _NONE
        if self.cors_inside or self.gzip_inside or self.security_inside:
            inside = (
                cycle.cors if self.cors_inside else None,
                cycle.gzip if self.gzip_inside else None,
                cycle.security if self.security_inside else None,
            )
            # (the cycle applies those outside, to what dispatch returns)
            cycle.cors = None if self.cors_inside else cycle.cors
            cycle.gzip = None if self.gzip_inside else cycle.gzip
            cycle.security = None if self.security_inside else cycle.security
        return _Call(self, cycle, inside).run()


class _Call:
    """One request through the chain."""

    __slots__ = ("chain", "cycle", "inside", "scope", "target", "downstream")

    def __init__(self, chain: HttpChain, cycle: NativeCycle, inside: Any) -> None:
        self.chain = chain
        self.cycle = cycle
        self.inside = inside
        scope = self.scope = cycle.make_scope()
        scope["app"] = chain.app
        #: What the route was matched and its parameters read from.
        headers = scope["headers"]
        self.target = (scope["method"], scope["path"], scope["query_string"], headers, len(headers))
        #: The route's run, once call_next started it.
        self.downstream: _Downstream | None = None

    async def run(self) -> None:
        cycle = self.cycle
        try:
            response = await self.layer(0)
        except Exception as exc:
            if self.downstream is not None:  # the route is cancelled, as in Starlette
                await cancel(self.downstream)
            cycle.channel(self.scope)
            await cycle._asgi(functools.partial(self.server_error, exc))
            return
        except BaseException as exc:  # cancelled: so is the route, which cleans up
            await self.throw(exc)
            raise
        try:
            if type(response) is _Whole and response.untouched:
                status, headers = response.status_code, response.raw_headers
                cycle.write(cycle._encode(status, headers, response.whole_body))
            else:
                cycle.channel(self.scope)
                await cycle._asgi(response)
        except BaseException as exc:  # (cancelled while sending: by the shutdown's timeout)
            await self.throw(exc)
            raise
        await self.end()

    async def throw(self, exc: BaseException) -> None:
        """`exc` (a cancellation) thrown into the route's run where it waits, which cleans
        up; what it raises then is dropped."""
        if self.downstream is not None:
            await throw_into(self.downstream, exc)

    def server_error(self, exc: Exception, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        """The stack's ServerErrorMiddleware's answer to `exc`, outside the middleware the
        server runs (then `exc` raised again, for the server to log)."""
        send = scope.pop("fasterapi.outer_send", send)
        return self.chain.errors._answer(scope, receive, send, exc)

    async def end(self) -> None:
        """The route's run goes on after the response: its background tasks, its exits."""
        downstream = self.downstream
        if downstream is not None:
            await downstream.finish()

    def layer(self, i: int, outside: tuple[Request, ...] = ()) -> Any:
        """The `i`th http middleware's dispatch, called: the awaitable of its response;
        `outside`: the Requests the dispatch functions outside it were given."""
        called = False

        async def call_next(_request: Request) -> Any:
            nonlocal called
            if called:
                raise RuntimeError("call_next() can be called once per request")
            called = True
            if i + 1 < len(self.chain.dispatches):
                return await self.layer(i + 1, (*outside, request))
            return await self.route(self._body_below((*outside, request)))

        given = False

        async def receive() -> dict[str, Any]:
            # the body, all in, in one message, as the dispatch functions outside left it
            nonlocal given
            if given:
                return await self.receive()
            given = True
            return {"type": "http.request", "body": self._body_below(outside), "more_body": False}

        request = Request(self.scope, receive)
        return self.chain.dispatches[i](request, call_next)

    def _body_below(self, outside: tuple[Request, ...]) -> bytes:
        """The body a dispatch function (or the route) is given, as in Starlette: as the
        nearest one outside it left it (read with body(), and maybe replaced with
        `request._body`; or read with stream(): gone, empty), else as it came."""
        for request in reversed(outside):
            body = getattr(request, "_body", None)
            if body is not None:
                return body  # type: ignore[no-any-return]
            if request._streamed:
                return b""
        return self.cycle.raw

    async def route(self, body: bytes) -> Any:
        """The route's run, until its response is out: what call_next gives. A request a
        dispatch function changed (its path, method, query, headers, or `body` as the
        dispatch functions left it) is served by the stack inside the http middleware instead
        (routed again, its parameters read again, from what the middleware made of it)."""
        scope = self.scope
        method, path, query, headers, count = self.target
        raw = self.cycle.raw
        if (
            scope["headers"] is not headers
            or len(headers) != count
            or (scope["method"], scope["path"], scope["query_string"]) != (method, path, query)
            or (body is not raw and body != raw)
        ):
            return await self.stack(body)
        if self.cycle.route.body is not None:  # read by the run: a Request has it at once
            scope["fasterapi.body"] = raw  # (else it reads it from `receive`, as it came)
        scope["route"] = self.cycle.route
        scope[SCOPE_KEY] = self.chain.handlers  # (the route's errors go up, as in the stack)
        self.downstream = _Downstream(self._run, scope, self.app_receive)
        return await first_response(self.downstream)

    async def stack(self, body: bytes) -> Any:
        """The request as a dispatch function changed it (with `body`), through the stack
        inside the http middleware (ASGI): what call_next gives."""
        # (the middleware the server runs inside the http middleware are in that stack)
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await self.app_receive()

        self.downstream = _Downstream(self.chain.inner, self.scope, receive)
        return await first_response(self.downstream)

    def _run(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        cycle = self.cycle
        door = ChainDoor(cycle, scope, receive, send, self.inside)
        if cycle.too_large:
            app = self.chain.app
            if cycle.request.content_length is not None:  # refused before it is read
                return app._content_too_large(scope, receive, door.send)
            exc = HTTPException(413, CONTENT_TOO_LARGE)
            return app._handle_exception(scope, receive, door.send, exc)
        return _core.RouteRun.native(door, cycle.event, cycle.raw)

    async def app_receive(self) -> dict[str, Any]:
        """The route's receive: the client's messages, or a disconnect once the
        middleware's response is out (so that a response it dropped stops streaming)."""
        downstream = self.downstream
        if downstream is None or downstream.response_sent:
            return {"type": "http.disconnect"}
        return await downstream.until_sent(self.receive())

    async def receive(self) -> dict[str, Any]:
        """The request's receive (the body is all in, and a Request has it): made when
        something asks."""
        _scope, receive, _send = self.cycle.channel(self.scope)
        return await receive()  # type: ignore[no-any-return]


class ChainDoor:
    """The door of a route's run inside `@app.middleware("http")` (what FasterAPI._runtime.
    runner.Door declares): its response goes to the innermost call_next, a whole one as
    `(status, headers, body)`, one that sends itself as ASGI messages, through the
    middleware the server runs inside the http middleware."""

    __slots__ = ("cycle", "scope", "receive", "send", "plain_send", "inside")

    def __init__(
        self,
        cycle: NativeCycle,
        scope: dict[str, Any],
        receive: Any,
        send: Any,
        inside: tuple[Any, Any, Any],
    ) -> None:
        self.cycle = cycle
        self.scope = scope
        self.receive = receive
        self.plain_send = send
        self.inside = inside
        #: What a response that sends itself goes by.
        self.send = send if inside is _NONE else wrap_send(send, *inside)

    def prepare(self, route: Any, values: dict[str, Any]) -> Any:
        app = self.cycle.conn.state.app
        return app._prepare(route, self.scope, self.receive, self.send, values)

    def make_request(self, route: Any, values: dict[str, Any]) -> Any:
        app = self.cycle.conn.state.app
        return app._request(route, self.scope, self.receive, self.send, values)

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        return self.cycle.raw_headers()

    def json(self, content: Any, status: int) -> tuple[int, Any, bytes]:
        body = _core.encode_json(content)
        headers = [(b"content-length", b"%d" % len(body)), (b"content-type", b"application/json")]
        return self._through(status, headers, body)

    def whole(self, response: Any) -> tuple[int, Any, bytes]:
        # (the headers are copied: a Response may be sent again)
        return self._through(response.status_code, list(response.raw_headers), response.body)

    def _through(self, status: int, headers: Any, body: bytes) -> tuple[int, Any, bytes]:
        if self.inside is not _NONE:
            headers, body = self.cycle.through(status, headers, body, *self.inside)
        return status, headers, body

    def write(self, response: tuple[int, Any, bytes]) -> Any:
        """Hands the response to call_next: the awaitable, done once it is out."""
        return self.plain_send(response)

    def send_response(self, response: Any) -> Any:
        app = self.cycle.conn.state.app
        return app._send_response(response, self.scope, self.receive, self.send)

    def handle_exception(self, exc: Exception) -> Any:
        app = self.cycle.conn.state.app
        return app._handle_exception(self.scope, self.receive, self.send, exc)
