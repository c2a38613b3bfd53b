"""One WebSocket connection of the native server, after the parser saw an upgrade request.

The frames are parsed, checked, inflated and deflated (permessage-deflate) and written by Rust
(`_core.WebSocketSession`); this module turns them into the ASGI websocket messages the app
receives and sends. The handshake answer (101, with the extension agreed, or 403 when the app
closes before accepting) is Rust's too. The server
offers the "websocket.http.response" extension: an app may refuse the handshake with an HTTP
response of its own (a 401 from an auth dependency, say), written instead of the 101.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import TYPE_CHECKING, Any

from .. import _core
from ..exceptions import _close_reason
from ..websockets import DENIAL_EXTENSION, WebSocketDisconnect
from .cycle import ClientDisconnected, framing_headers

if TYPE_CHECKING:
    from .protocol import HttpProtocol

logger = logging.getLogger("fasterapi.error")

#: Received messages (or bytes of them) the app has not read yet above which the socket is
#: not read until it catches up.
HIGH_WATER = 64
HIGH_WATER_BYTES = 1024 * 1024
#: Seconds to wait for the client's reply to our close frame, and for our last bytes to drain,
#: before dropping the connection.
CLOSE_TIMEOUT = 5.0
#: What the app may send (bytes, each send counting SEND_COST more) without its sends having
#: yielded to the loop before a send yields (asyncio.sleep(0)): an endpoint sending in a loop,
#: with nothing else to await while the socket takes its bytes, never lets the loop run
#: otherwise (the client's close frame and connection_lost, other connections, shutdown).
YIELD_BYTES = 256 * 1024
SEND_COST = 4096


class WebSocketCycle:
    """The ASGI exchange of one WebSocket connection: `receive` and `send` for the app."""

    #: What the connection asks of the cycle it serves: a WebSocket does its own flow control
    #: (nothing counts as unread request body), and its connection serves no next request.
    unread = 0
    keep_alive = False

    def __init__(self, conn: HttpProtocol, scope: dict[str, Any]) -> None:
        self.conn = conn
        #: When the handshake came in (time.perf_counter()), for the access record.
        self.started = conn.received_at
        self.scope = scope
        config = conn.config
        self.session = _core.WebSocketSession(config.ws_max_size, config.ws_per_message_deflate)
        self.ping_interval: float | None = config.ws_ping_interval
        self.ping_timeout: float | None = config.ws_ping_timeout
        #: Bytes received before the app accepted: fed to the session after the 101.
        self.early: bytearray | None = bytearray()
        self.messages: deque[dict[str, Any]] = deque()
        self.queued_bytes = 0
        self.wakeup: asyncio.Future[None] | None = None  # receive() waiting
        self.close_waiter: asyncio.Future[None] | None = None  # _closed() waiting
        self.task: asyncio.Task[None] | None = None
        self.connect_sent = False
        #: The app accepted (the 101 is written), or refused, the connection.
        self.response_started = False
        self.accepted = False
        #: The app is sending the body of its denial response ("websocket.http.response").
        self.denying = False
        #: We sent a close frame (or the refusal): the app may send nothing more.
        self.close_sent = False
        #: The connection is over for the app: the client closed it, broke the protocol, left,
        #: or the server is shutting down.
        self.gone = False
        #: The app has returned: what arrives now is only waited through for the close reply.
        self.finished = False
        self.disconnect: dict[str, Any] = {"type": "websocket.disconnect", "code": 1006}
        self.read_paused = False
        #: What the app has sent (YIELD_BYTES) since its sends last let the loop run.
        self.unyielded = 0
        #: HttpProtocol stops handing out parser events while this is set.
        self.body_complete = True

    # -- from the connection --------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self.early is not None:  # not accepted yet: keep it, in order, for after the 101
            self.early += data
            self.update_reading()
            return
        session = self.session
        events = session.feed(data)
        output = session.take_output()  # pongs, and the reply to a close
        if output:
            self.conn.write(output)
        for event in events:
            if isinstance(event, _core.WebSocketMessage):
                if not self.gone and not self.finished:
                    message = event.data
                    key = "text" if isinstance(message, str) else "bytes"
                    self.messages.append({"type": "websocket.receive", key: message})
                    self.queued_bytes += len(message)
            else:  # the client's close, or a protocol error (event.error)
                self._gone(event.code, event.reason)
                self.conn.close()
                break
        self._keep_alive()
        self.update_reading()
        self._wake()

    def disconnected(self) -> None:
        """The connection was lost."""
        self._gone(1006, "")

    def shutdown(self, code: int = 1001) -> None:
        """The server is stopping: close with `code`, 1001 (going away), or 1012 (service
        restart: a worker being replaced, whose client may connect again at once); the app
        sees a disconnect. A client that does not answer is dropped after CLOSE_TIMEOUT."""
        if self.accepted and not self.close_sent:
            self._send_close(code, "")
        self._gone(code, "")
        self.conn.loop.call_later(CLOSE_TIMEOUT, self._abort)

    def update_reading(self) -> None:
        """Pauses reading while the app is behind or the client does not read what we write
        (pongs included), and resumes it when both have caught up."""
        transport = self.conn.transport
        if transport is None or self.conn.closing:
            return
        if self.early is not None:
            behind = len(self.early) > HIGH_WATER_BYTES
        else:
            behind = not self.finished and (
                len(self.messages) > HIGH_WATER or self.queued_bytes > HIGH_WATER_BYTES
            )
        pause = behind or self.conn.write_paused
        if pause != self.read_paused:
            self.read_paused = pause
            if pause:
                transport.pause_reading()
            else:
                transport.resume_reading()

    def _gone(self, code: int, reason: str) -> None:
        if not self.gone:
            self.gone = True
            self.disconnect = {"type": "websocket.disconnect", "code": code, "reason": reason}
            if not self.finished:
                self.messages.append(self.disconnect)
            self.conn.release_drain()  # a send waiting for the client to read gives up
        self._wake()

    def _wake(self) -> None:
        for waiter in (self.wakeup, self.close_waiter):
            if waiter is not None and not waiter.done():
                waiter.set_result(None)

    def _abort(self) -> None:
        transport = self.conn.transport
        if transport is not None:
            transport.abort()

    # -- keep-alive -----------------------------------------------------------------------------

    def _keep_alive(self) -> None:
        """Bytes came in: the client is alive; ping it after ping_interval of silence."""
        if self.ping_interval is not None and self.accepted and not self.close_sent:
            self.conn._arm(self.ping_interval, _ping)

    def _ping(self) -> None:
        if self.close_sent or self.gone:
            return
        self.conn.write(self.session.ping())
        if self.ping_timeout is not None:
            self.conn._arm(self.ping_timeout, _ping_timed_out)

    def _ping_timed_out(self) -> None:
        """No byte, not even the pong, came back in time: the connection is dead."""
        self._gone(1006, "")
        self._abort()

    # -- the app's side -------------------------------------------------------------------------

    async def run(self, asgi: Any) -> None:
        """Runs `asgi(scope, receive, send)` for this connection, then closes it."""
        try:
            await asgi(self.scope, self.receive, self.send)
        except asyncio.CancelledError:
            if not self.gone:
                raise
        except WebSocketDisconnect as exc:
            # The endpoint let the client's disconnect through, as FastAPI's may (TestClient
            # raises it to the test): the client is gone, nothing went wrong. Not so if the
            # client is still there: the app raised it itself.
            if not self.gone:
                logger.error("Exception in ASGI application", exc_info=exc)
            self._end(1011)
        except BaseException as exc:
            logger.error("Exception in ASGI application", exc_info=exc)
            self._end(1011)
        else:
            if not self.response_started:
                logger.error("ASGI callable returned without sending handshake.")
            self._end(1000)
        finally:
            self.task = None
            await self._closed()

    def _end(self, code: int) -> None:
        """The app is over: a 500 if it never answered the handshake, else a close frame."""
        if not self.response_started:
            self._refuse(500)
        elif not self.close_sent and not self.gone:
            self._send_close(code, "")

    async def _closed(self) -> None:
        """Waits (a while) for the client's reply to our close frame, then closes; a client
        that does not read our last bytes is dropped after CLOSE_TIMEOUT."""
        self.finished = True
        self.messages.clear()
        self.queued_bytes = 0
        self.update_reading()  # the close reply must be read even if the app read nothing
        conn = self.conn
        deadline = conn.loop.time() + CLOSE_TIMEOUT
        while self.accepted and not self.gone and not conn.closing:
            left = deadline - conn.loop.time()
            if left <= 0:
                break
            self.close_waiter = conn.loop.create_future()
            try:
                await asyncio.wait_for(self.close_waiter, left)
            except TimeoutError:
                break
            finally:
                self.close_waiter = None
        conn.close()
        if conn.transport is not None:
            conn.loop.call_later(CLOSE_TIMEOUT, self._abort)

    async def receive(self) -> dict[str, Any]:
        if not self.connect_sent:
            self.connect_sent = True
            return {"type": "websocket.connect"}
        while not self.messages:
            if self.gone:
                return self.disconnect
            self.wakeup = self.conn.loop.create_future()
            self.unyielded = 0
            try:
                await self.wakeup
            finally:
                self.wakeup = None
        message = self.messages.popleft()
        data = message.get("text") or message.get("bytes")
        if data:
            self.queued_bytes -= len(data)
        if self.read_paused:
            self.update_reading()
        return message

    async def send(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if not self.response_started:
            if kind == "websocket.accept":
                self._accept(message)
            elif kind == "websocket.close":
                self._refuse(403)
            elif kind == "websocket.http.response.start":
                self._deny(message)
            else:
                raise RuntimeError(
                    'expected "websocket.accept", "websocket.close" or '
                    f'"websocket.http.response.start", but got {kind!r}'
                )
            return
        if self.denying:
            await self._deny_body(message)
            return
        if self.gone:
            raise ClientDisconnected("the WebSocket client has disconnected")
        if self.close_sent:
            raise RuntimeError(f"{kind!r} sent after the WebSocket was closed")
        if kind == "websocket.send":
            conn = self.conn
            transport = conn.transport
            if transport is None or transport.is_closing():
                # A write failed (the client has gone): connection_lost is on its way, but an
                # app that does not yield would never see it.
                self._gone(1006, "")
                raise ClientDisconnected("the WebSocket client has disconnected")
            text, data = message.get("text"), message.get("bytes")
            if text is not None:
                if not isinstance(text, str):
                    raise TypeError(f"websocket.send: 'text' must be a str, not {type(text)}")
                output = self.session.send_text(text)
            elif data is not None:
                output = self.session.send_bytes(bytes(data))
            else:
                raise RuntimeError("websocket.send needs a 'text' or a 'bytes' value")
            conn.write(output)
            if conn.write_paused:
                self.unyielded = 0
                await conn.drain()
            else:
                self.unyielded += len(output) + SEND_COST
                if self.unyielded > YIELD_BYTES:
                    self.unyielded = 0
                    await asyncio.sleep(0)  # the loop's turn (see YIELD_BYTES)
        elif kind == "websocket.close":
            self._send_close(message.get("code", 1000), message.get("reason") or "")
        else:
            raise RuntimeError(f'expected "websocket.send" or "websocket.close", but got {kind!r}')

    def _accept(self, message: dict[str, Any]) -> None:
        conn = self.conn
        if self.gone:  # the client left, or the server is stopping: do not open it now
            self._refuse(503)
            return
        try:
            response = self.session.accept(
                self.scope["headers"], message.get("subprotocol"), message.get("headers") or []
            )
        except ValueError as exc:
            raise RuntimeError(f"invalid websocket.accept: {exc}") from None
        self.response_started = self.accepted = True
        conn.write(response)
        self._log(101)
        # What the client sent behind its handshake, then while the app decided, in order.
        early = conn.parser.take_buffered() + bytes(self.early or b"")
        self.early = None
        self._keep_alive()
        if early:
            self.data_received(early)
        else:
            self.update_reading()

    def _deny(self, message: dict[str, Any]) -> None:
        """Starts the app's denial response: its head, written instead of the 101 (the
        connection closes after its body)."""
        status = message["status"]
        if not isinstance(status, int) or not 200 <= status <= 599:
            raise RuntimeError(f"a WebSocket denial response's status is 200-599, not {status!r}")
        headers = [
            (name, value)
            for name, value in message.get("headers") or []
            if name.lower() != b"connection"  # it closes: the server says so itself
        ]
        length, _ = framing_headers(headers)
        # Without a Content-Length the body ends when the connection closes.
        framing = _core.Framing.NONE if length is None or status in (204, 304) else length
        minor = 0 if self.scope.get("http_version") == "1.0" else 1
        try:
            head = _core.response_head(minor, status, headers, False, framing)
        except ValueError as exc:
            raise RuntimeError(f"invalid response header: {exc}") from None
        self.response_started = self.close_sent = self.denying = True
        self.early = None
        self.conn.write(head)
        self._log(status)

    async def _deny_body(self, message: dict[str, Any]) -> None:
        """A part of the denial response's body; the last one closes the connection."""
        kind = message["type"]
        if kind != "websocket.http.response.body":
            raise RuntimeError(f'expected "websocket.http.response.body", but got {kind!r}')
        if self.gone:
            raise ClientDisconnected("the WebSocket client has disconnected")
        body = message.get("body", b"")
        if body:
            self.conn.write(bytes(body))
        if message.get("more_body", False):
            await self.conn.drain()
            return
        self.denying = False
        self._gone(1006, "")
        self.conn.close()

    def _refuse(self, status: int) -> None:
        self.response_started = self.close_sent = True
        self.early = None
        self.conn.write(_core.websocket_reject(status))
        self._log(status)
        self._gone(1006, "")
        self.conn.close()

    def _send_close(self, code: int, reason: str) -> None:
        try:
            output = self.session.close(code, _close_reason(reason))
        except ValueError as exc:
            raise RuntimeError(f"invalid websocket.close: {exc}") from None
        self.close_sent = True
        self.conn.write(output)

    def _log(self, status: int) -> None:
        access_log = self.conn.state.access_log
        if access_log is not None:
            scope = self.scope
            access_log.websocket(
                scope["client"], scope["path"], scope["query_string"], status, self.started
            )


def websocket_scope(conn: HttpProtocol, event: _core.UpgradeEvent) -> dict[str, Any]:
    """The ASGI websocket scope of a WebSocket handshake."""
    scope = conn.connection_scope("websocket", event)
    scope["subprotocols"] = [
        token.strip()
        for name, value in event.headers
        if name == b"sec-websocket-protocol"
        for token in value.decode("latin-1").split(",")
        if token.strip()
    ]
    scope["extensions"] = {DENIAL_EXTENSION: {}}
    return scope


# The connection's deadline callbacks take the connection, so that it holds no bound method of
# an object that points back at it (HttpProtocol._arm).


def _ping(conn: HttpProtocol) -> None:
    if conn.websocket is not None:
        conn.websocket._ping()


def _ping_timed_out(conn: HttpProtocol) -> None:
    if conn.websocket is not None:
        conn.websocket._ping_timed_out()
