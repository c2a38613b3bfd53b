"""The native server against hostile or careless clients, over raw sockets: bounded memory per
connection, connections freed when they close, empty lines, half-closed input, lingering close
after errors, HEAD on every path, and what the access log says of rejections.

The apps are tests/apps/hardening_app.py: `app` (native short path) and `wrapped` (the same
routes behind a middleware, so that every request goes through ASGI).
"""

import json
import socket
import threading
import time

import pytest

from tests.apps import hardening_app
from tests.support.processes import rss_kib
from tests.support.raw_http import Reader, exchange, request
from tests.support.servers import native_server, running_server

pytestmark = pytest.mark.fasterapi_only


def hardening_server(tmp_path, app="app", **config):
    return native_server(tmp_path, app=app, module="hardening_app", **config)


def clean_end(sock: socket.socket, timeout: float = 5.0) -> bytes:
    """Everything the server sends until it closes; a reset (instead of a clean end of stream)
    fails the test, as it would make a client lose the response it has not read yet."""
    sock.settimeout(timeout)
    data = b""
    while True:
        chunk = sock.recv(65536)  # ConnectionResetError propagates: that is the failure
        if not chunk:
            return data
        data += chunk


def hello(reader: Reader) -> bool:
    """Whether the next response is /hello's."""
    status, _, body = reader.response()
    return (status, body) == (200, b'{"hello":"world"}')


# -- 1. a client that pipelines and never reads -------------------------------------------------


def test_a_pipelining_client_that_never_reads_cannot_grow_the_server(tmp_path):
    """Reading stops while responses pile up unsent: what the client sends stays in the kernel's
    buffers (and then its sendall blocks), not in the server's memory."""
    one = request("GET", "/hello")
    batch = one * (1024 * 1024 // len(one))  # 1 MiB of requests
    with hardening_server(tmp_path) as server:
        before = rss_kib(server.proc.pid)
        sock = server.connect(timeout=2)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        sent = 0
        try:
            while sent < 256 * 1024 * 1024:
                sock.sendall(batch)
                sent += len(batch)
        except TimeoutError:
            pass  # the server stopped reading: the kernel's buffers are full
        grown = rss_kib(server.proc.pid) - before
        assert sent < 64 * 1024 * 1024, f"the server read {sent >> 20} MiB it could not answer"
        assert grown < 32 * 1024, f"RSS grew by {grown >> 10} MiB"
        reader = Reader(sock)
        sock.settimeout(10)
        for _ in range(1000):  # reading again lets it go on, in order
            assert hello(reader)
        sock.close()
        assert exchange(server, request("GET", "/hello"))[0] == 200


# -- 2. freed on close --------------------------------------------------------------------------


def test_closed_connections_are_freed_without_the_cycle_collector(tmp_path):
    """With the cycle collector off, a connection that only it could free would stay alive.
    After 1,000 connections of every kind have closed, none is left."""
    with hardening_server(tmp_path) as server:
        assert exchange(server, request("GET", "/gc/off"))[2] == b'{"enabled":false}'
        for i in range(1000):
            with server.connect() as sock:
                kind = i % 5
                if kind == 0:  # native route, keep-alive then close
                    sock.sendall(request("GET", "/hello"))
                    Reader(sock).response()
                elif kind == 1:  # the ASGI path: a 404
                    sock.sendall(request("GET", "/nowhere"))
                    Reader(sock).response()
                elif kind == 2:  # a streamed response
                    sock.sendall(request("GET", "/stream"))
                    Reader(sock).response()
                elif kind == 3:  # half a request head, then gone
                    sock.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n")
                else:  # a protocol error (400)
                    sock.sendall(b"BAD\r\n\r\n")
                    Reader(sock).response()
        time.sleep(0.5)  # the last closes reach the server
        _, _, body = exchange(server, request("GET", "/protocols"))
        # the connection asking is the one alive
        assert body == b'{"alive":1}', body


# -- 3. empty lines -----------------------------------------------------------------------------


def test_empty_lines_alone_do_not_keep_a_connection_open(tmp_path):
    with hardening_server(tmp_path, timeout_keep_alive=0.5, timeout_request=5) as server:
        with server.connect() as sock:
            started = time.monotonic()
            closed = False
            while time.monotonic() - started < 4:
                try:
                    sock.sendall(b"\r\n")
                except OSError:
                    closed = True
                    break
                time.sleep(0.05)
            assert closed or Reader(sock).closed(timeout=0.1)
            assert time.monotonic() - started < 3


def test_a_few_empty_lines_before_a_request_are_skipped_more_are_a_400(tmp_path):
    with hardening_server(tmp_path) as server:
        assert exchange(server, b"\r\n\r\n" + request("GET", "/hello"))[0] == 200
        with server.connect() as sock:
            sock.sendall(request("GET", "/hello") + b"\r\n\r\n" + request("GET", "/hello"))
            reader = Reader(sock)
            assert reader.response()[0] == 200 and reader.response()[0] == 200
        with server.connect() as sock:
            sock.sendall(b"\r\n" * 50 + request("GET", "/hello"))
            status, _, body = Reader(sock).response()
            assert status == 400 and b"empty lines" in body
            assert clean_end(sock) == b""


# -- 4. end of input ----------------------------------------------------------------------------


def test_a_partial_head_then_end_of_input_closes_at_once(tmp_path):
    with hardening_server(tmp_path, timeout_request=30) as server:
        with server.connect() as sock:
            sock.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n")
            sock.shutdown(socket.SHUT_WR)
            started = time.monotonic()
            assert clean_end(sock, timeout=5) == b""
            assert time.monotonic() - started < 2


def test_complete_pipelined_requests_then_end_of_input_are_all_answered(tmp_path):
    with hardening_server(tmp_path) as server:
        with server.connect() as sock:
            targets = ["/hello?name=a", "/items/2", "/nowhere", "/hello?name=b"]
            sock.sendall(b"".join(request("GET", t) for t in targets))
            sock.shutdown(socket.SHUT_WR)
            reader = Reader(sock)
            answers = [reader.response()[:3:2] for _ in targets]
            assert answers == [
                (200, b'{"hello":"a"}'),
                (200, b'{"item_id":2}'),
                (404, b'{"detail":"Not Found"}'),
                (200, b'{"hello":"b"}'),
            ]
            assert reader.closed()


def test_a_half_close_behind_a_request_in_flight_still_gets_every_answer(tmp_path):
    """The first request is still running (it sleeps) when the end of input arrives: the
    requests pipelined behind it show the client half-closed, not left (the socket fuzzer
    saw such answers cut short)."""
    with hardening_server(tmp_path) as server:
        with server.connect() as sock:
            targets = ["/sleep?seconds=0.3", "/hello?name=a", "/items/3"]
            sock.sendall(b"".join(request("GET", t) for t in targets))
            sock.shutdown(socket.SHUT_WR)
            reader = Reader(sock)
            answers = [reader.response()[::2] for _ in targets]
            assert answers == [
                (200, b'{"slept":0.3}'),
                (200, b'{"hello":"a"}'),
                (200, b'{"item_id":3}'),
            ]
            assert reader.closed()


# -- 6. lingering close -------------------------------------------------------------------------


def test_a_431_is_read_whole_then_a_clean_end_not_a_reset(tmp_path):
    """200 KB of headers: the server answers 431 once it has 64 KiB, while the client is still
    sending. It must read and drop the rest before closing, or the client's kernel gets a reset
    and the client never shows the 431."""
    with hardening_server(tmp_path) as server:
        with server.connect(timeout=10) as sock:
            head = b"GET /hello HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"y" * 200_000 + b"\r\n\r\n"
            sender = threading.Thread(target=_send_quietly, args=(sock, head))
            sender.start()
            time.sleep(0.3)  # the response is written while the rest is still arriving
            sender.join(10)
            data = clean_end(sock)
            assert data.startswith(b"HTTP/1.1 431 "), data[:80]
            assert data.endswith(b'{"detail":"Request Header Fields Too Large"}')


def _send_quietly(sock: socket.socket, data: bytes) -> None:
    try:
        sock.sendall(data)
    except OSError:
        pass


def test_a_lingering_connection_is_closed_after_its_byte_budget(tmp_path):
    """A client that keeps sending after a 400 is dropped, not read forever."""
    with hardening_server(tmp_path) as server:
        with server.connect(timeout=10) as sock:
            sock.sendall(b"BAD\r\n\r\n")
            started = time.monotonic()
            with pytest.raises(OSError):  # a reset or a broken pipe: we were cut off
                while time.monotonic() - started < 8:
                    sock.sendall(b"x" * 65536)
            assert time.monotonic() - started < 6


# -- 7. a client that leaves stops its stream ---------------------------------------------------


def _leave_a_stream(port: int, target: str) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request("GET", target))
        received = b""
        while len(received) < 3 * 4096:
            received += sock.recv(65536)
        assert received.startswith(b"HTTP/1.1 200 ")


def _closed_streams(port: int) -> list:
    """What /closed says, asked on a new connection (the loop must still be turning)."""
    deadline = time.monotonic() + 5
    while True:
        _, _, body = _over_tcp(port, request("GET", "/closed"))
        closed = json.loads(body)["closed"]
        if closed or time.monotonic() > deadline:
            return closed
        time.sleep(0.05)


@pytest.mark.parametrize("door", ["native", "uvicorn"])
@pytest.mark.parametrize("target,kind", [("/endless", "async"), ("/endless-sync", "sync")])
def test_an_endless_stream_stops_when_its_client_leaves(tmp_path, door, target, kind):
    """The generator never awaits: without a checkpoint per item it would hold the event
    loop forever once its client has gone. It is closed (its `finally` runs) and the server
    goes on answering."""
    if door == "native":
        context = hardening_server(tmp_path)
    else:
        context = running_server("uvicorn", tmp_path, "tests.apps.hardening_app:app")
    with context as running:
        port = running.port if door == "native" else running["port"]
        _leave_a_stream(port, target)
        assert _closed_streams(port) == [kind]
        if door == "native":
            assert "Traceback" not in running.output()


# -- 8. no pending task destroyed ---------------------------------------------------------------


def test_a_stream_then_a_pipelined_request_leaves_no_pending_task_behind(tmp_path):
    with hardening_server(tmp_path) as server:
        for _ in range(20):
            with server.connect() as sock:
                sock.sendall(request("GET", "/stream") + request("GET", "/hello"))
                reader = Reader(sock)
                assert reader.response()[2] == b"piece 0\npiece 1\npiece 2\n"
                assert reader.response()[0] == 200
        time.sleep(0.3)
        assert exchange(server, request("GET", "/gc"))[0] == 200
        time.sleep(0.3)
        assert "Task was destroyed" not in server.output()


# -- 9. HEAD on every path ----------------------------------------------------------------------

HEAD_CASES = [
    ("/hello", 200),
    ("/stream", 200),
    ("/nowhere", 404),
    ("/missing-item", 404),
    ("/only-post", 405),
    ("/items/abc", 422),
    ("/boom", 500),
]


@pytest.mark.parametrize("app", ["app", "wrapped"])
@pytest.mark.parametrize("target,status", HEAD_CASES)
def test_head_gets_the_get_status_and_headers_and_keeps_the_connection(
    tmp_path, app, target, status
):
    with hardening_server(tmp_path, app=app) as server:
        with server.connect() as sock:
            sock.sendall(request("GET", target))
            reader = Reader(sock)
            get_status, get_headers, get_body = reader.response()
            sock.sendall(request("HEAD", target) + request("GET", "/hello"))
            head_status, head_headers, _ = reader.response(head_request=True)
            # the next pipelined request is answered on the same connection
            assert hello(reader)
        assert get_status == head_status == status
        if "content-length" in get_headers:
            assert head_headers["content-length"] == str(len(get_body))
        assert head_headers.get("content-type") == get_headers.get("content-type")
        if status != 500:
            assert "Traceback" not in server.output()


@pytest.mark.parametrize("app", ["app", "wrapped"])
def test_head_through_both_doors_matches_get(make_client, app):
    """HEAD's status and headers are GET's, without a body, through either door."""
    client = make_client(getattr(hardening_app, app), raise_server_exceptions=False)
    for target, status in HEAD_CASES:
        get, head = client.get(target), client.head(target)
        assert get.status_code == head.status_code == status, target
        assert head.content == b"", target
        assert head.headers.get("content-type") == get.headers.get("content-type"), target
        if "content-length" in get.headers:
            assert head.headers["content-length"] == str(len(get.content)), target


@pytest.mark.parametrize("app", ["app", "wrapped"])
def test_head_under_uvicorn_matches_get(tmp_path, app):
    """The same answers where FasterAPI (not the server) writes them."""
    with running_server("uvicorn", tmp_path, f"tests.apps.hardening_app:{app}") as base:
        for target, status in HEAD_CASES:
            # (uvicorn closes the connection after an app's error: a connection per request)
            get_status, get_headers, get_body = _over_tcp(base["port"], request("GET", target))
            head_status, head_headers, _ = _over_tcp(base["port"], request("HEAD", target), True)
            assert get_status == head_status == status, target
            if "content-length" in get_headers:
                assert head_headers["content-length"] == str(len(get_body)), target


def _over_tcp(port: int, raw: bytes, head_request: bool = False):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(raw)
        return Reader(sock).response(head_request)


# -- 14. the access log -------------------------------------------------------------------------


@pytest.mark.parametrize("access_log", [True, False])
def test_rejected_requests_follow_the_access_log_switch(tmp_path, access_log):
    with hardening_server(tmp_path, access_log=access_log) as server:
        assert exchange(server, b"BAD\r\n\r\n")[0] == 400
        assert exchange(server, request("GET", "/hello"))[0] == 200
        time.sleep(0.2)
        out = server.output()
        assert ('"- - -" 400' in out) is access_log
        assert ('"GET /hello HTTP/1.1" 200' in out) is access_log
