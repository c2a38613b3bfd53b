"""One request's ASGI exchange on the native server (`RequestCycle`: the app's receive() and
send(), framed onto the connection by Rust), and the access log lines the server writes."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .. import _core
from .._http.body import ClientDisconnect

if TYPE_CHECKING:
    from .protocol import HttpProtocol

ERROR_500 = b'{"detail":"Internal Server Error"}'
logger = logging.getLogger("fasterapi.error")


access_logger = logging.getLogger("fasterapi.access")


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
            self._log()
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
        self._log()
        self._finish()

    def _log(self) -> None:
        if self.conn.config.access_log:
            scope = self.scope
            log_access(
                scope["client"],
                scope["method"],
                scope["path"],
                scope["query_string"],
                self.http_minor,
                self.status,
            )


def log_access(client: Any, method: str, path: str, query: bytes, minor: int, status: int) -> None:
    """One access-log line, as uvicorn writes it; its parts are also the record's attributes
    (`client`, `method`, `path`, `query`, `http_version`, `status`), for a structured
    formatter (FasterAPI.logger.JSONFormatter). The path and the query are written
    percent-encoded (`log_path`, `log_query`), so no request can put a line break, a
    terminal escape or a quote in the line."""
    if not access_logger.isEnabledFor(logging.INFO):
        return
    address = client_text(client)
    path_text = log_path(path)
    query_text = log_query(query)
    fields = {
        "client": address,
        "method": method,
        "path": path_text,
        "query": query_text,
        "http_version": f"1.{minor}",
        "status": status,
    }
    target = path_text + ("?" + query_text if query_text else "")
    access_logger.info(
        '%s - "%s %s HTTP/1.%d" %d', address, method, target, minor, status, extra=fields
    )


def log_websocket(client: Any, path: str, query: bytes, status: int) -> None:
    """The access-log line of a WebSocket handshake's answer (101, or a refusal)."""
    target = _target(path, query)
    access_logger.info('%s - "WebSocket %s" %d', client_text(client), target, status)


def _target(path: str, query: bytes) -> str:
    query_text = log_query(query)
    return log_path(path) + ("?" + query_text if query_text else "")


#: What `log_path` writes as it is: the printable ASCII characters a browser (or httpx) does
#: not percent-encode in a path (WHATWG URL's path percent-encode set), but "%" (a decoded
#: path's "%" was sent as "%25").
_PATH_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '"#%<>?`{}')
_PLAIN_PATH = re.compile(f"[{re.escape(_PATH_SAFE)}]*")
#: A query byte `log_query` percent-encodes: not printable ASCII, or '"'.
_QUERY_UNSAFE = re.compile(rb"[^\x21\x23-\x7e]")


def log_path(path: str) -> str:
    """A (decoded) request path as the access log writes it: percent-encoded again as a
    browser sends it, so as uvicorn logs the path such a client sent (its raw path, a '"'
    written %22); a line break, an escape or any other control character, a space, a quote,
    a non-ASCII character (as UTF-8) and "%" are written %XX."""
    if _PLAIN_PATH.fullmatch(path):  # (most paths: no copy)
        return path
    return quote(path, safe=_PATH_SAFE, errors="backslashreplace")


def log_query(query: bytes) -> str:
    """A query string as the access log writes it: as it was sent (as uvicorn logs it), but
    a byte that is not printable ASCII, or a '"', written %XX."""
    if not query:
        return ""
    if _QUERY_UNSAFE.search(query) is not None:
        query = _QUERY_UNSAFE.sub(_percent_encoded, query)
    return query.decode("ascii")


def _percent_encoded(match: re.Match[bytes]) -> bytes:
    return b"%%%02X" % match[0][0]


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


def client_text(client: tuple[str, int] | None) -> str:
    return f"{client[0]}:{client[1]}" if client else "-"
