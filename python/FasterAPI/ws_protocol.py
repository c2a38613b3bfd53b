"""One WebSocket connection of the native server, after the parser saw an upgrade request.

The frames are parsed, checked and written by Rust (`_core.WebSocketSession`: tungstenite);
this module turns them into the ASGI websocket messages the app receives and sends. The
handshake answer (101, or 403 when the app closes before accepting) is Rust's too.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import TYPE_CHECKING, Any

from . import _core
from .exceptions import _close_reason

if TYPE_CHECKING:
    from .http_protocol import HttpProtocol

logger = logging.getLogger("fasterapi.error")
access_logger = logging.getLogger("fasterapi.access")

#: Received messages the app has not read yet above which the socket is not read.
HIGH_WATER = 64
#: Seconds to wait for the client's reply to our close frame before dropping the connection.
CLOSE_TIMEOUT = 5.0


class ClientDisconnected(OSError):
    """`send` on a WebSocket whose client is gone (ASGI asks for an IOError subclass)."""


class WebSocketCycle:
    """The ASGI exchange of one WebSocket connection: `receive` and `send` for the app."""

    def __init__(self, conn: HttpProtocol, scope: dict[str, Any]) -> None:
        self.conn = conn
        self.scope = scope
        self.session = _core.WebSocketSession(conn.config.ws_max_size)
        self.messages: deque[dict[str, Any]] = deque()
        self.wakeup: asyncio.Future | None = None
        self.task: asyncio.Task | None = None
        self.connect_sent = False
        #: The app accepted (the 101 is written), or refused, the connection.
        self.response_started = False
        self.accepted = False
        #: We sent a close frame (or the 403): the app may send nothing more.
        self.close_sent = False
        #: The connection is over for the app: the client closed it, broke the protocol or left.
        self.gone = False
        self.disconnect: dict[str, Any] = {"type": "websocket.disconnect", "code": 1006}
        self.read_paused = False
        #: HttpProtocol stops handing out parser events while this is set.
        self.body_complete = True

    # -- from the connection --------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        session = self.session
        events = session.feed(data)
        output = session.take_output()  # pongs, and the reply to a close
        if output:
            self.conn.write(output)
        for event in events:
            kind = event[0]
            if kind == "text":
                self.messages.append({"type": "websocket.receive", "text": event[1]})
            elif kind == "bytes":
                self.messages.append({"type": "websocket.receive", "bytes": event[1]})
            else:  # "close" from the client, or "error": the protocol was broken
                self._gone(event[1], event[2])
                self.conn.close()
                break
        if len(self.messages) > HIGH_WATER and not self.read_paused and not self.gone:
            self.read_paused = True
            self.conn.transport.pause_reading()  # type: ignore[union-attr]
        self._wake()

    def disconnected(self) -> None:
        """The connection was lost."""
        self._gone(1006, "")

    def shutdown(self) -> None:
        """The server is stopping: close with 1001 (going away); the app sees a disconnect."""
        if self.accepted and not self.close_sent:
            self._send_close(1001, "")
        self._gone(1001, "")

    def _gone(self, code: int, reason: str) -> None:
        if not self.gone:
            self.gone = True
            self.disconnect = {"type": "websocket.disconnect", "code": code, "reason": reason}
            self.messages.append(self.disconnect)
        self._wake()

    def _wake(self) -> None:
        wakeup = self.wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)

    # -- the app's side -------------------------------------------------------------------------

    async def run(self, asgi: Any) -> None:
        """Runs `asgi(scope, receive, send)` for this connection, then closes it."""
        try:
            await asgi(self.scope, self.receive, self.send)
        except asyncio.CancelledError:
            if not self.gone:
                raise
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
        """Waits (a while) for the client's reply to our close frame, then closes."""
        conn = self.conn
        deadline = conn.loop.time() + CLOSE_TIMEOUT
        while self.accepted and not self.gone and not conn.closing:
            left = deadline - conn.loop.time()
            if left <= 0:
                break
            self.wakeup = conn.loop.create_future()
            try:
                await asyncio.wait_for(self.wakeup, left)
            except TimeoutError:
                break
            finally:
                self.wakeup = None
        conn.close()

    async def receive(self) -> dict[str, Any]:
        if not self.connect_sent:
            self.connect_sent = True
            return {"type": "websocket.connect"}
        while not self.messages:
            if self.gone:
                return self.disconnect
            self.wakeup = self.conn.loop.create_future()
            try:
                await self.wakeup
            finally:
                self.wakeup = None
        message = self.messages.popleft()
        if self.read_paused and len(self.messages) <= HIGH_WATER // 2 and not self.gone:
            self.read_paused = False
            self.conn.transport.resume_reading()  # type: ignore[union-attr]
        return message

    async def send(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if not self.response_started:
            if kind == "websocket.accept":
                self._accept(message)
            elif kind == "websocket.close":
                self._refuse(403)
            else:
                raise RuntimeError(
                    f'expected "websocket.accept" or "websocket.close", but got {kind!r}'
                )
            return
        if self.gone:
            raise ClientDisconnected("the WebSocket client has disconnected")
        if self.close_sent:
            raise RuntimeError(f"{kind!r} sent after the WebSocket was closed")
        if kind == "websocket.send":
            text = message.get("text")
            if text is not None:
                self.conn.write(self.session.send_text(text))
            else:
                self.conn.write(self.session.send_bytes(message.get("bytes") or b""))
            await self.conn.drain()
        elif kind == "websocket.close":
            self._send_close(message.get("code", 1000), message.get("reason") or "")
        else:
            raise RuntimeError(f'expected "websocket.send" or "websocket.close", but got {kind!r}')

    def _accept(self, message: dict[str, Any]) -> None:
        conn = self.conn
        try:
            response = _core.websocket_handshake(
                self.scope["headers"], message.get("subprotocol"), message.get("headers") or []
            )
        except ValueError as exc:
            raise RuntimeError(f"invalid websocket.accept: {exc}") from None
        self.response_started = self.accepted = True
        conn.write(response)
        self._log(101)
        early = conn.parser.take_buffered()  # frames the client sent behind its handshake
        if early:
            self.data_received(early)

    def _refuse(self, status: int) -> None:
        self.response_started = self.close_sent = True
        self.conn.write(_core.websocket_reject(status))
        self._log(status)
        self._gone(1006, "")
        self.conn.close()

    def _send_close(self, code: int, reason: str) -> None:
        self.close_sent = True
        self.conn.write(self.session.close(code, _close_reason(reason)))

    def _log(self, status: int) -> None:
        if self.conn.config.access_log:
            scope = self.scope
            query = scope["query_string"]
            target = scope["path"] + ("?" + query.decode("latin-1") if query else "")
            client = scope["client"]
            who = f"{client[0]}:{client[1]}" if client else "-"
            access_logger.info('%s - "WebSocket %s" %d', who, target, status)


def websocket_scope(conn: HttpProtocol, event: tuple[Any, ...]) -> dict[str, Any]:
    """The ASGI websocket scope of a parser "websocket" event."""
    from .http_protocol import _forwarded

    _, _method, path, raw_path, query, http_minor, headers = event
    state, config = conn.state, conn.config
    client, scheme = conn.client, "http"
    if config.proxy_headers and state.trusts(client):
        client, scheme = _forwarded(headers, client, scheme)
    protocols = [
        token.strip()
        for name, value in headers
        if name == b"sec-websocket-protocol"
        for token in value.decode("latin-1").split(",")
        if token.strip()
    ]
    return {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1" if http_minor else "1.0",
        "server": conn.server,
        "client": client,
        "scheme": "wss" if scheme == "https" else "ws",
        "root_path": config.root_path,
        "path": config.root_path + path,
        "raw_path": raw_path,
        "query_string": query,
        "headers": headers,
        "subprotocols": protocols,
        "state": state.app_state.copy(),
        "extensions": {},
    }
