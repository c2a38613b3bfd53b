"""One request's ASGI exchange on the native server (`RequestCycle`: the app's receive() and
send(), framed onto the connection by Rust), and the access log lines the server writes."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from .. import _core
from .._http.body import ClientDisconnect

if TYPE_CHECKING:
    from .protocol import HttpProtocol

ERROR_500 = b'{"detail":"Internal Server Error"}'
logger = logging.getLogger("fasterapi.error")


_NO_BODY_STATUSES = frozenset((204, 304))


class ClientDisconnected(OSError):
    """`send` on a connection whose client is gone (ASGI 2.4 asks for an OSError)."""


class RequestCycle:
    """One request's ASGI exchange: the app's receive() and send(), framed onto the connection."""

    __slots__ = (
        "conn",
        "scope",
        "http_minor",
        "keep_alive",
        "expect_continue",
        "task",
        "body",
        "unread",
        "body_complete",
        "final_sent",
        "wakeup",
        "is_disconnected",
        "response_started",
        "response_complete",
        "chunked",
        "remaining",
        "no_body",
        "status",
        "head_only",
        "started",
        "sent",
        "logged",
    )

    def __init__(
        self,
        conn: HttpProtocol,
        scope: dict[str, Any],
        http_minor: int,
        keep_alive: bool,
        expect: bool,
    ) -> None:
        self.conn = conn
        self.scope = scope
        self.http_minor = http_minor
        self.keep_alive = keep_alive
        self.expect_continue = expect
        self.task: asyncio.Task[None] | None = None
        self.body: list[bytes] = []
        self.unread = 0
        self.body_complete = False
        self.final_sent = False
        self.wakeup: asyncio.Future[None] | None = None
        self.is_disconnected = False
        self.response_started = False
        self.response_complete = False
        self.chunked = False
        self.remaining: int | None = None  # body bytes the app's Content-Length still owes
        self.no_body = False
        self.status = 0
        self.head_only = scope["method"] == "HEAD"
        self.started = conn.received_at
        self.sent = 0  # body bytes written
        self.logged = False

    # -- from the connection --------------------------------------------------------------------

    def body_received(self, data: bytes, complete: bool = False) -> None:
        if data:
            self.body.append(data)
            self.unread += len(data)
        if complete:
            self.body_complete = True
        self._wake()

    def disconnected(self) -> None:
        self.is_disconnected = True
        self._wake()
        task = self.task
        if task is not None and not task.done() and not self.response_complete:
            task.cancel()  # the client is gone: stop the handler, as the issue of leaks demands

    def _wake(self) -> None:
        wakeup = self.wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)

    # -- the app's side -------------------------------------------------------------------------

    async def call(self, asgi: Any) -> None:
        """Runs `asgi(scope, receive, send)` for this request: the app, or part of it."""
        conn = self.conn
        try:
            await asgi(self.scope, self.receive, self.send)
        except asyncio.CancelledError:
            if not self.is_disconnected:
                raise
        except BaseException as exc:
            if self.is_disconnected and isinstance(exc, OSError | ClientDisconnect):
                return  # the app stopped because its client left: nothing to report
            logger.error("Exception in ASGI application", exc_info=exc)
            if not self.response_started:
                self.send_error(500, ERROR_500)
            elif not self.response_complete:
                conn.close()  # the response cannot be finished: the client sees it cut short
        else:
            if not self.response_started and not self.is_disconnected:
                logger.error("ASGI callable returned without starting a response.")
                self.send_error(500, ERROR_500)
            elif not self.response_complete and not self.is_disconnected:
                logger.error("ASGI callable returned without completing the response.")
                conn.close()
        finally:
            self.task = None
            if not self.response_complete:
                conn.close()
                if self.response_started:
                    self._log()  # (a response cut short)

    async def receive(self) -> dict[str, Any]:
        while True:
            if self.body or (self.body_complete and not self.final_sent):
                body = self.body
                data = b"".join(body) if len(body) > 1 else (body[0] if body else b"")
                body.clear()
                self.unread = 0
                self.conn.body_drained()
                self.final_sent = self.body_complete
                return {"type": "http.request", "body": data, "more_body": not self.final_sent}
            if self.is_disconnected or self.response_complete:
                return {"type": "http.disconnect"}
            if self.final_sent:
                pass  # the whole body was read: wait for the response to end or the client to go
            elif self.expect_continue and not self.response_started:
                self.expect_continue = False
                self.conn.write(_core.CONTINUE)
            self.wakeup = self.conn.loop.create_future()
            try:
                await self.wakeup
            finally:
                self.wakeup = None

    async def send(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        conn = self.conn
        if self.is_disconnected:
            raise ClientDisconnected("the HTTP client has disconnected")
        if kind == "http.response.start":
            if self.response_started:
                raise RuntimeError("http.response.start sent twice")
            self.response_started = True
            self.status = status = message["status"]
            headers = message.get("headers") or []
            no_body = status < 200 or status in _NO_BODY_STATUSES
            length, connection = framing_headers(headers)
            if connection is not None:  # the server writes Connection itself
                headers = [(k, v) for k, v in headers if k.lower() != b"connection"]
                if b"close" in connection.lower():
                    self.keep_alive = False
            framing: int | _core.Framing
            if no_body:
                framing = _core.Framing.NONE
            elif length is not None:
                framing = length
            elif self.http_minor == 1:
                framing, self.chunked = _core.Framing.CHUNKED, True
            else:  # an HTTP/1.0 client: the body ends when the connection closes
                framing, self.keep_alive = _core.Framing.NONE, False
            if not self.body_complete:  # answered before the body was in: it is not read
                self.keep_alive = False
            self.expect_continue = False
            self.no_body = no_body
            self.remaining = framing if isinstance(framing, int) else None
            try:
                head = _core.response_head(
                    self.http_minor, status, headers, self.keep_alive, framing
                )
            except ValueError as exc:
                self.response_started = False
                raise RuntimeError(f"invalid response header: {exc}") from None
            conn.write(head)
        elif kind == "http.response.body":
            if not self.response_started:
                raise RuntimeError("http.response.body sent before http.response.start")
            if self.response_complete:
                raise RuntimeError("http.response.body sent after the response was complete")
            body = message.get("body", b"")
            more = message.get("more_body", False)
            if self.remaining is not None and not self.head_only:
                # (an answer to HEAD may send the GET body, or none: neither is written)
                self.remaining -= len(body)
                if self.remaining < 0 or (not more and self.remaining > 0):
                    conn.close()  # the framing is broken: nothing more can follow on it
                    word = "longer" if self.remaining < 0 else "shorter"
                    raise RuntimeError(f"Response content {word} than Content-Length")
            if not self.head_only and body and not self.no_body:
                conn.write(_core.chunk(body) if self.chunked else bytes(body))
                self.sent += len(body)
            if not more:
                if self.chunked and not self.head_only:
                    conn.write(_core.LAST_CHUNK)
                self._finish()
            else:
                await conn.drain()
        else:
            raise RuntimeError(f"unexpected ASGI message {kind!r} on an http connection")

    def _finish(self) -> None:
        self.response_complete = True
        self._log()
        if not self.body_complete:
            # The app answered without reading the whole body: it cannot be skipped safely
            # unless it is small; closing keeps the connection's framing sound.
            self.keep_alive = False
        self._wake()
        self.conn.response_complete(self)

    def send_error(self, status: int, body: bytes) -> None:
        headers = [(b"content-type", b"application/json")]
        self.keep_alive = self.keep_alive and self.body_complete
        self.response_started = True
        self.status = status
        self.conn.write(
            _core.response_head(self.http_minor, status, headers, self.keep_alive, len(body))
        )
        if not self.head_only:
            self.conn.write(body)
            self.sent = len(body)
        self._finish()

    def _log(self) -> None:
        if self.logged:
            return
        self.logged = True
        scope = self.scope
        self.conn.answered(
            scope["client"],
            scope["method"],
            scope["path"],
            scope["query_string"],
            self.http_minor,
            self.status,
            self.sent,
            self.started,
        )


def framing_headers(headers: Any) -> tuple[int | None, bytes | None]:
    """The Content-Length and Connection values an app's response headers carry, if any."""
    length = connection = None
    for name, value in headers:
        name = name.lower()
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                raise RuntimeError(f"invalid Content-Length {value!r} in the response") from None
        elif name == b"connection":
            connection = value
    return length, connection
