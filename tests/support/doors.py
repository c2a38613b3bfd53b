"""The two doors a request comes in by, behind one client interface.

- ``asgi``: FasterAPI's TestClient calling the app in process (the ASGI door, as under uvicorn).
- ``native``: the same app object served by FasterAPI's native server (the `Server` that
  ``fasterapi run`` starts: lifespan, listening socket, Rust parser and router, graceful
  shutdown) on its own loop in a thread, spoken to over a real socket by an ``httpx.Client``.

Serving the app object in process lets the native door serve any app a test builds (in a
fixture, in the test body), and lets the test see what the endpoint did (a list it appends to,
dependency exits, background tasks) as it does through TestClient: TestClient returns once the
app's call has ended, and the native client, once it has read a response, waits likewise until
the server has no request in hand (its handler, background tasks and dependency exits, which
run after the response is sent, have ended). The native client talks to
``127.0.0.1:<port>`` while sending what TestClient sends (``Host: testserver``,
``User-Agent: testclient``, redirects followed), so a test reads the same through both doors.

The native client's ``websocket_connect`` is TestClient's over a real socket (the
``websockets`` package's sync client): the same session interface (send_*/receive_*/receive/
close, ``accepted_subprotocol``), raising WebSocketDisconnect when the server closes and
WebSocketDenialResponse when it refuses the handshake with a response of the app's. What only
an in-process call can give is not made up: a server answers a close before ``accept()`` with
a bare 403 (the close code and reason stay on the server: the client sees 1006, as a browser
does), and an exception in the app is the server's to log, not the test's to catch.

The ``door``, ``client`` and ``make_client`` fixtures of tests/conftest.py are built on
`open_client`.
"""

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from FasterAPI.server.serving import Config, Server
from FasterAPI.testclient import TestClient, WebSocketDenialResponse, WebSocketMessages
from FasterAPI.websockets import WebSocketDisconnect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.support.servers import STARTUP_TIMEOUT, free_port

DOORS = ["asgi", "native"]

try:  # the loop `serve` runs on
    from uvloop import Loop as _BaseLoop
except ImportError:
    from asyncio import SelectorEventLoop as _BaseLoop


class _ThreadLoop(_BaseLoop):  # type: ignore[misc,valid-type]
    """The server's loop in a thread of the test process: signals belong to the main thread,
    so the server is stopped by `NativeServer.stop` (what SIGTERM does) instead."""

    def add_signal_handler(self, sig: int, callback: Any, *args: Any) -> None:
        pass


class NativeServer:
    """`app` served by the native server's `Server` (what `serve` and ``fasterapi run`` run) on
    its own loop, in a thread of the test process."""

    def __init__(self, app: Any, **config: Any) -> None:
        self.port = free_port()
        self.server = Server(app, Config(host="127.0.0.1", port=self.port, **config))
        self.loop: asyncio.AbstractEventLoop | None = None
        self.exit_code: int | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=f"native-{self.port}", daemon=True)

    def _run(self) -> None:
        async def main() -> int:
            self.loop = asyncio.get_running_loop()
            return await self.server.run()

        try:
            with asyncio.Runner(loop_factory=_ThreadLoop) as runner:
                self.exit_code = runner.run(main())
        except BaseException as exc:  # reported by start()
            self.error = exc

    def start(self) -> None:
        """Starts serving; returns once the server accepts connections."""
        self.thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if not self.thread.is_alive():
                pytest.fail(f"native server ended ({self.exit_code}) at startup: {self.error!r}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("native server did not start")
                time.sleep(0.01)

    def stop(self, timeout: float = 15.0) -> None:
        """A graceful shutdown, as SIGTERM asks for; the lifespan's shutdown runs."""
        if self.loop is not None and self.thread.is_alive():
            self.loop.call_soon_threadsafe(self.server.should_exit.set)
        self.thread.join(timeout)
        if self.thread.is_alive():
            pytest.fail("native server did not stop")


@contextmanager
def native_app_server(app: Any, **config: Any) -> Iterator[NativeServer]:
    """`app` served by the native server with `Config(**config)`, until the block ends."""
    server = NativeServer(app, **config)
    server.start()
    try:
        yield server
    finally:
        server.stop()


SETTLE_TIMEOUT = 5.0  # seconds a read response waits for the server's work on it to end


def _settle(server: NativeServer) -> None:
    """Waits (SETTLE_TIMEOUT at most) until `server` has no request or WebSocket in hand."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while server.server.state.active and time.monotonic() < deadline:
        time.sleep(0.001)


class _Settling(httpx.SyncByteStream):
    """A response's body that, once read and closed, waits for the server to be idle."""

    def __init__(self, stream: httpx.SyncByteStream, server: NativeServer) -> None:
        self.stream = stream
        self.server = server

    def __iter__(self) -> Iterator[bytes]:
        yield from self.stream

    def close(self) -> None:
        self.stream.close()
        _settle(self.server)


class _ToServer(httpx.HTTPTransport):
    """Sends every request to `server`, whatever host its URL names (as TestClient sends every
    request to its app); the Host header keeps the URL's host. A response, once read, returns
    when the server's work on it has ended, as TestClient's does."""

    def __init__(self, server: NativeServer) -> None:
        super().__init__()
        self.server = server

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.server.port)
        response = super().handle_request(request)
        assert isinstance(response.stream, httpx.SyncByteStream)
        return httpx.Response(
            response.status_code,
            headers=response.headers,
            stream=_Settling(response.stream, self.server),
            extensions=response.extensions,
        )


#: The 403 the native server answers a close before `accept()` with (ASGI's rule for servers).
REFUSAL = (403, b'{"detail":"Forbidden"}')
#: Handshake headers the WebSocket client writes itself.
HANDSHAKE_HEADERS = {"host", "connection", "upgrade", "user-agent"}
RECEIVE_TIMEOUT = 10.0  # seconds a receive waits for the server
CLOSE_TIMEOUT = 0.5  # seconds leaving a session waits for the server's close frame


class NativeWebSocketSession(WebSocketMessages):
    """TestClient's WebSocketTestSession, over a socket to the native server: entering it
    connects, leaving it closes (with 1000) and waits for the server's work on it to end."""

    __test__ = False

    def __init__(self, server: NativeServer, request: httpx.Request, subprotocols: Any) -> None:
        self.server = server
        self.request = request
        self.subprotocols = list(subprotocols or [])
        self.accepted_subprotocol: str | None = None
        self.extra_headers: list[tuple[bytes, bytes]] | None = None
        self._ws: ClientConnection | None = None

    def __enter__(self) -> "NativeWebSocketSession":
        url, headers = self.request.url, self.request.headers
        sock = socket.create_connection(("127.0.0.1", self.server.port))
        try:  # the URL's host is the Host header, as in TestClient's scope
            self._ws = connect(  # entered, as websockets asks; left by close()
                f"ws://{url.netloc.decode()}{url.raw_path.decode()}",
                sock=sock,
                subprotocols=self.subprotocols or None,
                additional_headers=[
                    (name, value)
                    for name, value in headers.multi_items()
                    if name not in HANDSHAKE_HEADERS and not name.startswith("sec-websocket-")
                ],
                user_agent_header=headers.get("user-agent"),
                compression=None,
                open_timeout=RECEIVE_TIMEOUT,
                close_timeout=CLOSE_TIMEOUT,
            ).__enter__()
        except InvalidStatus as exc:
            sock.close()
            _settle(self.server)
            response = exc.response
            body = bytes(response.body or b"")
            if (response.status_code, body) == REFUSAL:
                raise WebSocketDisconnect(1006, "") from None
            raise WebSocketDenialResponse(
                status_code=response.status_code,
                headers=list(response.headers.raw_items()),
                content=body,
            ) from None
        except BaseException:
            sock.close()
            raise
        self.accepted_subprotocol = self._ws.subprotocol
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close(1000)
        _settle(self.server)

    def send(self, message: dict[str, Any]) -> None:
        """Sends an ASGI "websocket.receive" message's text or bytes."""
        assert self._ws is not None
        data = message.get("text")
        self._ws.send(message["bytes"] if data is None else data)

    def receive(self, timeout: float | None = RECEIVE_TIMEOUT) -> dict[str, Any]:
        """The next message from the server, as an ASGI message: "websocket.send", or
        "websocket.close" (every time, once the connection is closed)."""
        assert self._ws is not None
        try:
            data = self._ws.recv(timeout=timeout)
        except ConnectionClosed as exc:
            close = exc.rcvd
            code, reason = (1006, "") if close is None else (close.code, close.reason)
            return {"type": "websocket.close", "code": code, "reason": reason}
        key = "text" if isinstance(data, str) else "bytes"
        return {"type": "websocket.send", key: data}

    def _raise_on_close(self, message: dict[str, Any]) -> None:
        if message["type"] == "websocket.close":
            raise WebSocketDisconnect(message["code"], message["reason"])

    def close(self, code: int = 1000, reason: str | None = None) -> None:
        """Closes the connection: a close frame, then the server's reply is waited for
        CLOSE_TIMEOUT at most (it may be stuck behind what the test left unread, as the
        server's reading is behind its writing) before the socket is dropped; as TestClient
        gives the app a moment to end once the test has left."""
        if self._ws is not None:
            self._ws.close(code, reason or "")


class NativeClient(httpx.Client):
    """An httpx client of the native server, with TestClient's `websocket_connect`."""

    def __init__(self, server: NativeServer, **options: Any) -> None:
        super().__init__(transport=_ToServer(server), **options)
        self.server = server

    def websocket_connect(
        self,
        url: str,
        subprotocols: list[str] | None = None,
        headers: dict[str, str] | None = None,
        **request_options: Any,
    ) -> NativeWebSocketSession:
        """As TestClient's: the client's base URL, headers and cookies go with the handshake,
        and other keywords (`params`...) too; httpx refuses one it does not know."""
        request = self.build_request("GET", url, headers=headers, **request_options)
        return NativeWebSocketSession(self.server, request, subprotocols)


@contextmanager
def open_client(app: Any, door: str, **options: Any) -> Iterator[httpx.Client]:
    """A client for `app` through `door` ("asgi" or "native"), its lifespan started.

    `options` are TestClient's (base_url, headers, cookies, follow_redirects) and work on both
    doors; raise_server_exceptions only means something in process (a server answers 500).
    """
    if door == "asgi":
        with TestClient(app, **options) as client:
            yield client
        return
    if door != "native":
        raise ValueError(f"unknown door {door!r}")
    options.pop("raise_server_exceptions", None)
    headers = {"user-agent": "testclient", **options.pop("headers", {})}
    options.setdefault("base_url", "http://testserver")
    options.setdefault("follow_redirects", True)
    with native_app_server(app) as server:
        with NativeClient(server, headers=headers, timeout=30, **options) as client:
            yield client
