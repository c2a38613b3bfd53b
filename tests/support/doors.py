"""The two doors a request comes in by, behind one client interface.

- ``asgi``: FasterAPI's TestClient calling the app in process (the ASGI door, as under uvicorn).
- ``native``: the same app object served by FasterAPI's native server (what ``fasterapi run``
  starts) in a forked child process, spoken to over a real socket by an ``httpx.Client``.

Forking lets the native door serve any app a test builds (in a fixture, in the test body), not
only an importable one. The native client talks to ``127.0.0.1:<port>`` while sending what
TestClient sends (``Host: testserver``, ``User-Agent: testclient``, redirects followed), so a
test reads the same through both doors. What the endpoint does to the test process's objects
(a list it appends to, a counter) stays in the child: such a test stays on the ASGI door.

The ``door``, ``client`` and ``make_client`` fixtures of tests/conftest.py are built on
`open_client`.
"""

import logging
import os
import signal
import socket
import sys
import tempfile
import time
import traceback
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from FasterAPI.testclient import TestClient

from tests.support.servers import STARTUP_TIMEOUT, free_port

DOORS = ["asgi", "native"]


class NativeServer:
    """A native server serving an app object in a forked child process."""

    def __init__(self, pid: int, port: int, log: Path) -> None:
        self.pid, self.port, self.log = pid, port, log

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def exit_code(self) -> int | None:
        """The child's exit code once it has ended, else None."""
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        return None if pid == 0 else os.waitstatus_to_exitcode(status)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (a graceful shutdown, as ``fasterapi run`` gets), then SIGKILL if it lingers."""
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if os.waitpid(self.pid, os.WNOHANG)[0]:
                return
            time.sleep(0.02)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)


def _serve_in_child(app: Any, port: int, log: Path, config: dict[str, Any]) -> None:
    """The forked child: serve `app` until SIGTERM, then leave without returning into pytest."""
    code = 1
    try:
        out = open(log, "a", buffering=1)  # noqa: SIM115 - the child ends with os._exit
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        sys.stdout = sys.stderr = out
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_DFL)
        logging.basicConfig(level=logging.INFO, stream=out, force=True)
        from FasterAPI.server import Config, serve

        code = serve(app, Config(host="127.0.0.1", port=port, **config))
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)


@contextmanager
def native_app_server(app: Any, **config: Any) -> Iterator[NativeServer]:
    """`app` served by the native server (`FasterAPI.server.serve`) with `Config(**config)`."""
    port = free_port()
    fd, name = tempfile.mkstemp(prefix=f"native-{port}-", suffix=".log")
    os.close(fd)
    log = Path(name)
    sys.stdout.flush()
    sys.stderr.flush()
    with warnings.catch_warnings():  # 3.12+ warns that forking a threaded process may deadlock
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:
        _serve_in_child(app, port, log, config)
    server = NativeServer(pid, port, log)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            code = server.exit_code()
            if code is not None:
                pytest.fail(f"native server exited with {code}:\n{server.output()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"native server did not start:\n{server.output()}")
                time.sleep(0.02)
        yield server
    finally:
        server.stop()
        log.unlink(missing_ok=True)


class _ToServer(httpx.HTTPTransport):
    """Sends every request to the server on `port`, whatever host its URL names (as TestClient
    sends every request to its app); the Host header keeps the URL's host."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self.port = port

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.url = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        return super().handle_request(request)


@contextmanager
def open_client(app: Any, door: str, **options: Any) -> Iterator[httpx.Client]:
    """A client for `app` through `door` ("asgi" or "native"), its lifespan started.

    `options` are TestClient's (base_url, headers, cookies, follow_redirects) and work on both
    doors.
    """
    if door == "asgi":
        with TestClient(app, **options) as client:
            yield client
        return
    if door != "native":
        raise ValueError(f"unknown door {door!r}")
    headers = {"user-agent": "testclient", **options.pop("headers", {})}
    options.setdefault("base_url", "http://testserver")
    options.setdefault("follow_redirects", True)
    with native_app_server(app) as server:
        transport = _ToServer(server.port)
        with httpx.Client(transport=transport, headers=headers, timeout=30, **options) as client:
            yield client
