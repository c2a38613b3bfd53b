"""`fasterapi run`'s --header/--server-header/--date-header, the access log
(--access-log-format) and --limit-max-requests at their edges, over real sockets on the native
server: the WebSocket handshake's answer and access line, a format checked with each field's
type, a retiring worker's connections with a response in flight, pipelined requests or an open
WebSocket."""

import json
import socket
import time

import httpx
import pytest
from FasterAPI.server import Config
from FasterAPI.server.cli import check_options
from FasterAPI.server.discovery import UsageError

from tests.support.raw_http import Reader
from tests.support.servers import native_server
from tests.test_server_options import cli_server, head_of

pytestmark = pytest.mark.fasterapi_only

HANDSHAKE = (
    b"GET /echo/lobby HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


def read_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


# -- response headers ---------------------------------------------------------------------------


def test_websocket_101_gets_the_server_headers(tmp_path):
    # uvicorn's 101 carries its default headers (date, server, every --header); the native
    # server's refusals do, its 101 did not: --header was silently left off the handshake
    headers = [("X-Served-By", "edge-1")]
    with native_server(tmp_path, module="ws_app", headers=headers) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(HANDSHAKE)
            head = read_head(sock)
    assert head.startswith(b"HTTP/1.1 101 "), head
    fields = head_of(head)
    assert fields.get("x-served-by") == ["edge-1"], head
    assert len(fields.get("date", [])) == 1 and fields.get("server") == ["fasterapi"], head


# -- the access log ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["%(duration_ms)x", "%(request_line)s %(duration_ms)o"])
def test_access_log_format_is_checked_with_real_types(fmt):
    # duration_ms is a float: a format that takes only integers passed the startup check (made
    # with 0) and then raised on every request ("Exception in ASGI application", no record)
    with pytest.raises(UsageError, match="access_log_format"):
        check_options(Config(access_log_format=fmt), 1, False, spell=lambda name: name)


def test_access_log_format_applies_to_websocket_and_rejected_lines(tmp_path):
    # with a format of the operator's, the WebSocket handshake's and a refused request's lines
    # were still uvicorn's, and their records carried no fields
    fmt = "ACCESS %(method)s %(path)s %(status)d %(bytes)d"
    with native_server(tmp_path, module="ws_app", access_log_format=fmt) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(HANDSHAKE)
            assert read_head(sock).startswith(b"HTTP/1.1 101 ")
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: no\r\n\r\n")
            assert read_head(sock).startswith(b"HTTP/1.1 400 ")
        time.sleep(0.3)
        output = server.output()
    lines = [line for line in output.splitlines() if line.startswith("INFO:fasterapi.access:")]
    assert len(lines) == 2, output
    assert all(line.startswith("INFO:fasterapi.access:ACCESS ") for line in lines), lines


# -- --limit-max-requests: the worker's gentle drain ---------------------------------------------

HOLD_APP = """
import asyncio, os
from pathlib import Path
from FasterAPI import Faster, WebSocket
from FasterAPI.responses import StreamingResponse

app = Faster()
RELEASE = Path(__file__).with_name("release")


@app.websocket("/ws")
async def ws(websocket: WebSocket):
    await websocket.accept()
    while True:
        await websocket.receive_text()


async def held():
    while not RELEASE.exists():
        await asyncio.sleep(0.02)


@app.get("/health")
async def health():
    return {}


@app.get("/pid")
async def pid():
    return {"pid": os.getpid()}


@app.get("/hold")
async def hold():
    await held()
    return {"pid": os.getpid()}


@app.get("/stream")
async def stream():
    async def pieces():
        yield b"first\\n"
        await held()
        yield b"last\\n"

    return StreamingResponse(pieces())
"""


def wait_for_successor(base: str, first_pid: int, out) -> None:
    """Until a new worker answers: the old one, past the limit, has then been told to stop
    (the supervisor SIGTERMs it as its successor is ready), and drains."""
    deadline = time.monotonic() + 30
    while httpx.get(base + "/pid", trust_env=False).json()["pid"] == first_pid:
        assert time.monotonic() < deadline, out()
        time.sleep(0.05)
    time.sleep(0.5)


@pytest.fixture
def hold_server(tmp_path):
    (tmp_path / "hold_app.py").write_text(HOLD_APP)
    options = ["--workers", "1", "--limit-max-requests", "2", "--no-access-log"]
    with cli_server(tmp_path, "hold_app:app", *options, cwd=tmp_path) as (base, out):
        yield base, tmp_path / "release", out


def test_retiring_worker_answers_after_a_streamed_response(hold_server):
    # a streaming response in flight when the old worker drains had its head (keep-alive)
    # out already; the connection was then closed at its end, so the client's next request
    # on it was lost, where an idle connection's next request is answered (Connection: close)
    base, release, out = hold_server
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        reader = Reader(sock)
        sock.sendall(b"GET /pid HTTP/1.1\r\nHost: x\r\n\r\n")
        first_pid = json.loads(reader.response()[2])["pid"]  # (request 1 of 2)
        sock.sendall(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")
        reader.wait_for(b"first")
        with httpx.Client(base_url=base, trust_env=False) as client:
            assert client.get("/pid").json()["pid"] == first_pid  # request 2: the limit
        wait_for_successor(base, first_pid, out)
        release.touch()
        _, headers, body = reader.response()
        assert body == b"first\nlast\n"
        if "close" not in headers.get("connection", ""):  # it said the connection goes on
            sock.sendall(b"GET /pid HTTP/1.1\r\nHost: x\r\n\r\n")
            _, headers, body = reader.response()  # (ConnectionError if it was dropped)
            assert json.loads(body)["pid"] == first_pid


def test_retiring_worker_answers_pipelined_requests(hold_server):
    # docs/server.md: "no request a client sent is dropped": a request pipelined behind one
    # in flight when the old worker drains was dropped (the one in flight answered with
    # Connection: close)
    base, release, out = hold_server
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        reader = Reader(sock)
        sock.sendall(b"GET /pid HTTP/1.1\r\nHost: x\r\n\r\n")
        first_pid = json.loads(reader.response()[2])["pid"]  # (request 1 of 2)
        sock.sendall(
            b"GET /hold HTTP/1.1\r\nHost: x\r\n\r\nGET /pid?pipelined HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        time.sleep(0.2)
        with httpx.Client(base_url=base, trust_env=False) as client:
            assert client.get("/pid").json()["pid"] == first_pid  # request 2: the limit
        wait_for_successor(base, first_pid, out)
        release.touch()
        answers = [reader.response()[2] for _ in range(2)]  # (ConnectionError if dropped)
    assert answers[0] and answers[1], answers


def test_retiring_worker_closes_websockets_with_service_restart(hold_server):
    # as uvicorn closes them on shutdown: 1012 tells the client to connect again
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    base, _, out = hold_server
    with connect(base.replace("http", "ws") + "/ws", open_timeout=10) as websocket:
        first_pid = httpx.get(base + "/pid", trust_env=False).json()["pid"]
        assert httpx.get(base + "/pid", trust_env=False).json()["pid"] == first_pid  # the limit
        wait_for_successor(base, first_pid, out)
        with pytest.raises(ConnectionClosed) as closed:
            websocket.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012
