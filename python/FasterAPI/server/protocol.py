"""One HTTP/1.1 connection of the native server, as an asyncio Protocol.

The bytes are parsed and framed by Rust (`_core.HttpParser`), which hands this protocol events:
a request head (`HeadEvent`, or a `RouteEvent` for a route it ran itself), pieces of its body
(`BodyEvent`), its end (`EndEvent`), a WebSocket handshake (`UpgradeEvent`), or a protocol error
with the complete error response to write (`ErrorEvent`). Each request runs the app through ASGI
(`RequestCycle`), or the route directly (`NativeCycle`); requests on one connection are answered
one at a time, in order, so pipelining needs no extra bookkeeping. Reading pauses while a
request's unread body piles up (flow control), and timers close slow or idle connections.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from typing import TYPE_CHECKING, Any

from .. import _core
from .access import client_text
from .cycle import RequestCycle, logger
from .native import HostTask, NativeCycle
from .websocket import WebSocketCycle, websocket_scope

if TYPE_CHECKING:
    from .serving import ServerState, TrustedProxies


#: Unread request bytes (a body the app has not read, or pipelined requests waiting) above
#: which the connection stops reading from the socket, and below which it reads again.
HIGH_WATER = 256 * 1024
LOW_WATER = 64 * 1024
#: After an error response that ends the connection, the client's bytes still arriving are read
#: and dropped for at most this long and this many bytes before closing (nginx's lingering close),
#: so the client reads the whole response instead of a connection reset.
LINGER_SECONDS = 2.0
LINGER_BYTES = 1024 * 1024
_ERROR_503 = b'{"detail":"Service Unavailable"}'
#: What HttpParser.serve did (FasterAPI._core's short path): answered, the connection going on
#: or ending (else 0, nothing served, or 3, the request went on in Python).
_ANSWERED, _ANSWERED_CLOSE = 1, 2


class HttpProtocol(asyncio.Protocol):
    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.config = state.config
        self.loop = asyncio.get_running_loop()
        self.parser = _core.HttpParser(self.config.max_body_size, state.dispatcher)
        self.transport: asyncio.Transport | None = None
        self.cycle: RequestCycle | NativeCycle | WebSocketCycle | None = None
        self.server: tuple[str, int] | None = None
        self.client: tuple[str, int] | None = None
        self.behind_proxy = False
        #: When (time.perf_counter()) the last bytes came in: the start of a request's duration,
        #: noted only for the access log (`timed`).
        self.received_at = 0.0
        self.timed = state.access_log is not None
        #: When (loop time) `on_deadline` fires; the server's ticker checks it (ServerState.tick),
        #: which costs far less per request than a call_later timer.
        self.deadline: float | None = None
        self.on_deadline: Any = None
        self.read_paused = False
        self.write_paused = False
        #: Resolved by resume_writing() (or the connection's end) for a stream waiting in drain().
        self.drain_waiter: asyncio.Future[None] | None = None
        self.eof = False
        self.closing = False
        #: Bytes still dropped before closing after an error response (see _linger), or None.
        self.linger_left: int | None = None
        self.pumping = False
        #: The context each request's context is copied from, so none inherits another's.
        self.base_context = contextvars.copy_context()
        #: The task native handlers run in (FasterAPI.server.native.HostTask), made on first use.
        self.host: Any = None
        #: Set once the connection is upgraded: every byte then goes to the WebSocket.
        self.websocket: WebSocketCycle | None = None
        #: The short path (FasterAPI.server.native), when the server's app allows it.
        self.short: _core.ShortPath | None = None
        #: A request whose body streams to its route, which `_pump` starts (NativeCycle.stream).
        self.streaming: NativeCycle | None = None

    # -- asyncio callbacks ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.state.connections.add(self)
        self.server = _address(transport.get_extra_info("sockname"))
        self.client = _address(transport.get_extra_info("peername"))
        #: Whether the peer is a proxy whose X-Forwarded-* headers are believed.
        self.behind_proxy = self.config.proxy_headers and self.state.trusts(self.client)
        if self.state.short_path and not self.state.shutting_down:
            self.short = _core.ShortPath(
                self,
                transport.write,  # type: ignore[attr-defined]
                self.loop,
                self.base_context,
                self.state.reports_requests,
            )
        self._arm_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        self.state.connections.discard(self)
        self.closing = True
        self._disarm()
        if self.cycle is not None:
            self.cycle.disconnected()
        if self.host is not None:
            self.host.close()
        self.release_drain()
        # Nothing of the connection stays tied to it: what is still running (a handler, a
        # background task) holds its cycle, not the other way round.
        self.transport = None
        self.cycle = self.websocket = self.host = self.short = None
        self.on_deadline = None

    def eof_received(self) -> bool | None:
        """The client sent its last byte. A request in flight with nothing behind it counts it
        as a disconnect, as in uvicorn (its handler is cancelled): the client is gone. With
        requests pipelined behind it, or none in flight, the client has half-closed after
        sending them: every complete one is answered before closing, and a request head cut
        short is dropped at once."""
        self.eof = True
        if self.linger_left is not None or self.websocket is not None:
            return None  # the transport closes
        cycle = self.cycle
        if cycle is not None and not (cycle.body_complete and self.parser.buffered):
            return None  # the transport closes; the request in flight sees a disconnect
        if cycle is None:
            self._pump()  # answers what is complete, and closes once nothing more is
        return True  # our side stays open until the answers are written

    def data_received(self, data: bytes) -> None:
        if self.websocket is not None:
            self.websocket.data_received(data)
            return
        if self.timed:  # (no clock read per read when nothing is logged)
            self.received_at = time.perf_counter()
        if self.linger_left is not None:
            self.linger_left -= len(data)  # dropped: the connection is ending
            if self.linger_left <= 0:
                self.close()
            return
        parser = self.parser
        idle = self.cycle is None and not parser.buffered
        parser.feed(data)
        short = self.short
        if idle and short is not None and not (self.write_paused or self.closing):
            # the usual case, in short: whole requests, each answered inside `serve`
            served = parser.serve(short)
            while served == _ANSWERED:
                if not parser.buffered:  # all answered: _arm_idle() and _flow(), inlined
                    self.deadline = self.loop.time() + self.config.timeout_keep_alive
                    self.on_deadline = HttpProtocol._idle_timeout
                    if self.read_paused:
                        self._flow()
                    return
                if self.write_paused:  # the client reads slowly: the rest waits
                    break
                served = parser.serve(short)
            if served == _ANSWERED_CLOSE:
                self.close()
                return
            # (else the rest goes the long way: a request in Python, or not whole)
        if idle and parser.buffered and self.cycle is None:
            self._arm_request()  # a request head has begun: all of it must arrive in time
        self._pump()
        self._flow()

    def _flow(self) -> None:
        """Reading pauses while more than HIGH_WATER bytes wait unread (pipelined requests
        behind a response the client does not read, or a body the app reads slowly), and
        resumes once they are down to LOW_WATER: a connection holds a bounded amount."""
        transport = self.transport
        if transport is None or self.closing or self.websocket is not None:
            return  # (a WebSocket does its own flow control)
        cycle = self.cycle
        unread = self.parser.buffered + (cycle.unread if cycle is not None else 0)
        if not self.read_paused and unread > HIGH_WATER:
            self.read_paused = True
            transport.pause_reading()
            if cycle is not None and cycle.unread > HIGH_WATER:
                self._disarm()  # the app is slow, not the client
        elif self.read_paused and unread <= LOW_WATER:
            self.read_paused = False
            transport.resume_reading()

    def pause_writing(self) -> None:
        self.write_paused = True  # the client reads slowly: stop answering pipelined requests
        if self.websocket is not None:
            self.websocket.update_reading()  # and stop reading what would need answers

    def resume_writing(self) -> None:
        self.write_paused = False
        self.release_drain()
        if self.websocket is not None:
            self.websocket.update_reading()
        elif self.cycle is None and not self.closing:
            self._pump()
            if self.cycle is None and self.deadline is None and not self.closing:
                self._arm_next()  # (its timer was off while writing was paused)

    async def drain(self) -> None:
        """Waits while the transport's write buffer is over its high-water mark (a slow client
        reading a big stream). Several tasks may wait (a WebSocket's senders): one future,
        shielded so that cancelling one of them leaves the others waiting."""
        if self.write_paused and not self.closing:
            if self.drain_waiter is None:
                self.drain_waiter = self.loop.create_future()
            await asyncio.shield(self.drain_waiter)

    def release_drain(self) -> None:
        waiter, self.drain_waiter = self.drain_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- request processing ---------------------------------------------------------------------

    def _pump(self) -> None:
        """Handles the parser's events until it needs more bytes or a response is in flight."""
        if self.pumping:
            return  # a response finished inside this loop, which carries on by itself
        self.pumping = True
        try:
            answered = self._pump_events()
        finally:
            self.pumping = False
        streaming, self.streaming = self.streaming, None
        if streaming is not None and not self.closing:
            streaming._start()  # its body, as far as it has arrived, is in its RequestCycle
        if answered and not self.closing:  # what response_complete() does after a response
            if self.cycle is None:
                self._arm_next()
            self._flow()

    def _pump_events(self) -> bool:
        """The loop of `_pump`; whether the short path answered any request (whose
        response_complete() was not called)."""
        parser = self.parser
        answered = False
        while not self.closing:
            cycle = self.cycle
            if cycle is not None:
                if cycle.body_complete:
                    return answered  # the next pipelined request waits for this response
            elif self.write_paused:
                return answered  # resume_writing() goes on
            elif self.short is not None:
                served = parser.serve(self.short)
                if served == _ANSWERED:
                    answered = True
                    continue
                if served == _ANSWERED_CLOSE:
                    self.close()
                    return False
                if served:  # the request went on in Python, which took care of it
                    continue
            event = parser.next_event()
            if event is None:
                if self.eof and cycle is None:
                    self.close()
                return answered
            # (`type(event) is`: the event classes are final, and it costs less than isinstance)
            if type(event) is _core.RouteEvent:
                self._start_native(event)
            elif type(event) is _core.BodyEvent:
                # (a body's events follow its head's, which made `cycle`)
                assert isinstance(cycle, (NativeCycle, RequestCycle))
                cycle.body_received(event.data)
                if cycle.unread <= HIGH_WATER:
                    # the next piece of the body must come in time (else _flow pauses reading)
                    self._arm_request()
            elif type(event) is _core.EndEvent:
                assert isinstance(cycle, (NativeCycle, RequestCycle))
                self._disarm()  # before the handler runs: it may finish, and arm keep-alive
                cycle.body_received(b"", complete=True)
            elif type(event) is _core.HeadEvent:
                self._start(event)
            elif type(event) is _core.UpgradeEvent:
                self._start_websocket(event)
                return False  # (no timeout for a WebSocket)
            else:  # an ErrorEvent: the connection cannot continue
                self._protocol_error(event.status, event.response)
                return False
        return False

    def _start(self, head: _core.HeadEvent) -> None:
        self._disarm()
        state = self.state
        keep_alive = head.keep_alive and not state.shutting_down
        scope = self.scope(head)
        self.cycle = cycle = RequestCycle(
            self, scope, head.http_minor, keep_alive, head.expect_continue
        )
        if self._over_limit(cycle):
            return
        cycle.task = self._run(cycle.call(state.app))
        self._arm_request()  # until the body is in

    def _start_native(self, event: _core.RouteEvent) -> None:
        """A request for a route the parser matched and extracted itself
        (FasterAPI.server.native)."""
        self._disarm()
        if (
            event.streamed
            and self.state.http_chain is not None
            or self.state.app._server_https_redirect
            and self._scheme(event) == "http"
        ):
            # a body streamed through `@app.middleware("http")` goes by the stack; so does a
            # request HTTPSRedirectMiddleware, run by the stack, answers
            self._start(event.request.head_event())
            if event.complete:  # (no EndEvent follows)
                assert isinstance(self.cycle, RequestCycle)
                self._disarm()
                self.cycle.body_received(b"", complete=True)
            return
        self.cycle = cycle = NativeCycle(self, event)
        if self._over_limit(cycle) or cycle.refuse_oversized():
            return
        if event.streamed:  # the route reads its body as it arrives (`100 Continue` then)
            cycle.stream()
            self.streaming = cycle  # started by _pump
            self._arm_request()  # until the body is in
            return
        if event.request.expect_continue:
            self.write(_core.CONTINUE)  # the body is read in any case
        if event.complete:  # no body to wait for
            cycle.body_received(b"", complete=True)
        else:
            self._arm_request()  # until the body is in

    def _start_websocket(self, event: _core.UpgradeEvent) -> None:
        """An upgrade request: the app answers it as a WebSocket (FasterAPI.server.websocket)."""
        self._disarm()  # an open WebSocket has no idle or request timeout
        rejection = _core.websocket_check(event.headers)
        if rejection is None and self._at_limit():
            rejection = _core.websocket_reject(503)
        if rejection is not None:
            self.write(rejection)
            self.close()
            return
        self.cycle = self.websocket = cycle = WebSocketCycle(self, websocket_scope(self, event))
        cycle.task = self._run(cycle.run(self.state.app))

    def host_task(self) -> asyncio.Task[None]:
        """The task a native handler's first step runs in (see HostTask): the connection's,
        or a new one while that one is busy with an earlier request's work."""
        host = self.host
        if host is not None:
            if host.free:
                return host.task  # type: ignore[no-any-return]
            host.close()  # it ends once its work is done, instead of idling unheld
        self.host = host = HostTask(self.loop)
        task: asyncio.Task[None] = host.task
        return task

    def promote(self, event: _core.RouteEvent, raw: bytes, written: bool) -> NativeCycle:
        """The request the short path is serving, as a NativeCycle (NativeCycle.promoted)."""
        return NativeCycle.promoted(self, event, raw, written)

    def short_answered(
        self,
        method: str,
        path: str,
        query: bytes,
        minor: int,
        status: int,
        body_bytes: int,
        forwarded_for: bytes | None,
    ) -> None:
        """The short path wrote a response (its path is the app's, without the root path)."""
        client = self.client
        if forwarded_for is not None and self.behind_proxy:
            client = _forwarded_client(forwarded_for.decode("latin-1"), client, self.state.proxies)
        path = self.config.root_path + path
        self.answered(client, method, path, query, minor, status, body_bytes, self.received_at)

    def answered(
        self,
        client: tuple[str, int] | None,
        method: str,
        path: str,
        query: bytes,
        minor: int,
        status: int,
        body_bytes: int,
        started: float,
    ) -> None:
        """A request's response is written (or as much of it as will be): its access record
        (`client` as its scope says: behind a trusted proxy, the one it names), and one more
        request towards --limit-max-requests."""
        state = self.state
        if state.access_log is not None:
            state.access_log.request(
                client, method, path, query, minor, status, body_bytes, started
            )
        if state.request_limit is not None:
            state.count_request()

    def forwarded_client(self, headers: Any) -> tuple[str, int] | None:
        """The client a request's scope gives: behind a trusted proxy, the one it names."""
        if not self.behind_proxy:
            return self.client
        client: tuple[str, int] | None
        client, _ = _forwarded(headers, self.client, self.state.scheme, self.state.proxies)
        return client

    def _scheme(self, event: _core.RouteEvent) -> str:
        """The scheme a request came by, as its ASGI scope would say (`connection_scope`)."""
        state = self.state
        if self.behind_proxy:
            headers = event.request.head_event().headers
            return _forwarded(headers, self.client, state.scheme, state.proxies)[1]
        return state.scheme

    def _run(self, call: Any) -> asyncio.Task[None]:
        """Runs a request's (or a WebSocket's) ASGI call in a task with a context of its own,
        counted in `state.active` until it ends (even if cancelled before it starts)."""
        state = self.state
        state.active += 1
        task = self.loop.create_task(call, context=self.base_context.copy())
        task.add_done_callback(state.request_done)
        return task

    def _at_limit(self) -> bool:
        """Whether --limit-concurrency requests (or WebSockets) are already in flight."""
        limit = self.config.limit_concurrency
        return limit is not None and self.state.active >= limit

    def _over_limit(self, cycle: Any) -> bool:
        """Answers 503 when --limit-concurrency requests are already in flight."""
        if not self._at_limit():
            return False
        cycle.send_error(503, _ERROR_503)
        return True

    def scope(self, head: _core.HeadEvent) -> dict[str, Any]:
        """The ASGI scope of a request head."""
        scope = self.connection_scope("http", head)
        scope["method"] = head.method
        return scope

    def connection_scope(
        self, kind: str, head: _core.HeadEvent | _core.UpgradeEvent
    ) -> dict[str, Any]:
        """What an ASGI scope of `kind` ("http" or "websocket") says of the connection and the
        request's target: the client and scheme (from proxy headers when trusted), the paths."""
        state = self.state
        config = self.config
        headers = head.headers
        client, scheme = self.client, state.scheme  # https over TLS
        if self.behind_proxy:
            client, scheme = _forwarded(headers, client, scheme, state.proxies)
        if kind == "websocket":
            scheme = "wss" if scheme == "https" else "ws"
        return {
            "type": kind,
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1" if head.http_minor else "1.0",
            "server": self.server,
            "client": client,
            "scheme": scheme,
            "root_path": config.root_path,
            "path": config.root_path + head.path,
            "raw_path": head.raw_path,
            "query_string": head.query,
            "headers": headers,
            "state": state.app_state.copy(),
        }

    def response_complete(self, cycle: RequestCycle | NativeCycle) -> None:
        """Called when `cycle`'s response is written: go on with the next request, or close."""
        if self.cycle is not cycle:
            return
        self.cycle = None
        if not cycle.body_complete:  # answered before the body was in (a 413, say)
            self._linger()
            return
        if not cycle.keep_alive or self.closing or (self.eof and not self.parser.buffered):
            self.close()
            return
        state = self.state
        if state.shutting_down and not state.retiring and not self.parser.buffered:
            self.close()
            return
        self._flow()
        self._arm_next()
        if self.parser.buffered and not self.pumping:
            # the next pipelined request starts outside any task
            self.loop.call_soon(self._pump, context=self.base_context)

    def body_drained(self) -> None:
        """The app read the unread body down: read from the socket again."""
        if self.read_paused and not self.closing and self.transport is not None:
            self._flow()
            if not self.read_paused:
                self._arm_request()

    def _protocol_error(self, status: int, response: bytes) -> None:
        cycle = self.cycle
        if cycle is not None and cycle.task is not None:
            # The body of the request in flight is broken: the app sees a disconnect.
            cycle.disconnected()
        if cycle is None or not cycle.response_started:
            self.write(response)
            if self.state.access_log is not None:
                self.state.access_log.rejected(self.client, status, self.received_at)
            logger.debug("%s: request rejected with %d", client_text(self.client), status)
            self._linger()
        else:
            self.close()

    # -- writing and closing --------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def close(self) -> None:
        self.closing = True
        self._disarm()
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    def _linger(self) -> None:
        """Ends the connection after an error response while the client may still be sending:
        our side is shut (the response is flushed first), then what arrives is dropped for at
        most LINGER_SECONDS and LINGER_BYTES, so that the client does not see a reset (which
        would lose the response it has not read yet) before the connection closes."""
        transport = self.transport
        if transport is None or transport.is_closing() or self.eof:
            self.close()
            return
        self.closing = True
        self.linger_left = LINGER_BYTES
        try:
            transport.write_eof()
        except (NotImplementedError, OSError, RuntimeError):
            self.close()
            return
        if self.read_paused:
            self.read_paused = False
            transport.resume_reading()
        self.deadline = self.loop.time() + LINGER_SECONDS
        self.on_deadline = HttpProtocol.close

    def shutdown(self) -> None:
        """Graceful shutdown: the response in flight ends the connection, and an idle one is
        closed now. On a retiring server (past --limit-max-requests, its successor serving:
        `ServerState.retiring`) the response in flight keeps its keep-alive (a streamed one
        may have said so already), and the connection is then idle: it ends when its
        keep-alive time is up, or with the next request (a pipelined one too), answered with
        `Connection: close`: no request a client sent on it is lost. An open WebSocket is
        closed with 1001 (going away), or on a retiring server with 1012 (service restart),
        as uvicorn closes them."""
        self.short = None  # (its responses keep the connection open)
        retiring = self.state.retiring
        if self.websocket is not None:
            self.websocket.shutdown(1012 if retiring else 1001)
        elif retiring:
            return  # (the connection goes idle, or is already: see above)
        elif self.cycle is None:
            self.close()
        else:
            self.cycle.keep_alive = False

    # -- timers ---------------------------------------------------------------------------------

    def _arm(self, seconds: float, callback: Any) -> None:
        """`callback` is a plain function of the protocol (HttpProtocol._idle_timeout, not
        a bound method, which would tie the protocol to itself and outlive its connection)."""
        if not self.closing:
            self.deadline = self.loop.time() + seconds
            self.on_deadline = callback

    def _arm_request(self) -> None:
        """The request (its head, or the next piece of its body) must arrive in time; not
        while writing is paused: the server waits for the client to read its responses, and
        reads no request meanwhile (resume_writing() arms it again)."""
        if self.write_paused:
            self._disarm()
            return
        self._arm(self.config.timeout_request, HttpProtocol._request_timeout)

    def _arm_next(self) -> None:
        """Between requests: the next one must arrive in time if it has begun, else the
        connection may idle a while."""
        if self.parser.buffered:
            self._arm_request()
        else:
            self._arm_idle()

    def _arm_idle(self) -> None:
        """An idle keep-alive connection is closed after a while."""
        self._arm(self.config.timeout_keep_alive, HttpProtocol._idle_timeout)

    def _disarm(self) -> None:
        self.deadline = None

    def check_deadline(self, now: float) -> None:
        deadline = self.deadline
        if deadline is not None and now >= deadline:
            self.deadline = None
            self.on_deadline(self)

    def _idle_timeout(self) -> None:
        if self.cycle is None and not self.parser.buffered:
            self.close()

    def _request_timeout(self) -> None:
        """The client was too slow sending a request head or body: 408, then close."""
        cycle = self.cycle
        if cycle is not None and cycle.response_started:
            self.close()
            return
        if cycle is not None:
            cycle.disconnected()
        self.write(_core.error_response(408, "Request Timeout"))
        self._linger()


def _address(value: Any) -> tuple[str, int] | None:
    if isinstance(value, tuple) and len(value) >= 2:
        return (str(value[0]), int(value[1]))
    return None


def _forwarded(headers: Any, client: Any, scheme: str, proxies: TrustedProxies) -> tuple[Any, str]:
    """Client address and scheme from X-Forwarded-For / X-Forwarded-Proto, as uvicorn reads them:
    the last X-Forwarded-Proto counts; every X-Forwarded-For is one list, the headers joined
    in order with ", " (a proxy may add a header instead of extending one), in which the
    client is the first hop from the right that is not a trusted proxy, with the port the hop
    gives, else 0 (TrustedProxies.client)."""
    forwarded_for: list[str] = []
    for name, value in headers:
        if name == b"x-forwarded-proto":
            proto = value.decode("latin-1").split(",")[-1].strip().lower()
            if proto in ("http", "https", "ws", "wss"):
                scheme = "https" if proto in ("https", "wss") else "http"
        elif name == b"x-forwarded-for":
            forwarded_for.append(value.decode("latin-1"))
    if forwarded_for:
        client = _forwarded_client(", ".join(forwarded_for), client, proxies)
    return client, scheme


def _forwarded_client(forwarded_for: str, client: Any, proxies: TrustedProxies) -> Any:
    """The client an X-Forwarded-For list (all of a request's, joined) names, else `client`."""
    host, port = proxies.client(forwarded_for)
    return (host, port) if host else client
