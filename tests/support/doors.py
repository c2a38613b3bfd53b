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
from FasterAPI.testclient import TestClient

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


class _Settling(httpx.SyncByteStream):
    """A response's body that, once read and closed, waits for the server to be idle."""

    def __init__(self, stream: httpx.SyncByteStream, server: NativeServer) -> None:
        self.stream = stream
        self.server = server

    def __iter__(self) -> Iterator[bytes]:
        yield from self.stream

    def close(self) -> None:
        self.stream.close()
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while self.server.server.state.active and time.monotonic() < deadline:
            time.sleep(0.001)


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
        transport = _ToServer(server)
        with httpx.Client(transport=transport, headers=headers, timeout=30, **options) as client:
            yield client
