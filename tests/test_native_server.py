"""FasterAPI's native HTTP/1.1 server over real sockets: framing, keep-alive, pipelining, limits,
timeouts, errors, disconnects and graceful shutdown. The server runs in a subprocess
(tests/apps/native_app.py); the tests speak raw HTTP to it so every byte is checked."""

import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.support.processes import rss_kib
from tests.support.raw_http import Reader, exchange, request
from tests.support.servers import ROOT, Server, free_port, native_server

pytestmark = pytest.mark.fasterapi_only


@pytest.fixture
def server(tmp_path):
    with native_server(tmp_path) as running:
        yield running


# -- the tests ----------------------------------------------------------------------------------


def test_routes_params_and_errors_over_real_http(server):
    status, headers, body = exchange(server, request("GET", "/hello?name=native"))
    assert (status, json.loads(body)) == (200, {"hello": "native"})
    assert headers["content-type"] == "application/json"
    assert headers["server"] == "fasterapi"
    assert headers["date"].endswith(" GMT") and len(headers["date"]) == 29
    status, _, body = exchange(server, request("GET", "/items/abc"))
    assert status == 422 and json.loads(body)["detail"][0]["loc"] == ["path", "item_id"]
    status, _, body = exchange(server, request("GET", "/nope"))
    assert (status, json.loads(body)) == (404, {"detail": "Not Found"})
    status, _, body = exchange(server, request("GET", "/teapot"))
    assert (status, json.loads(body)) == (418, {"detail": "I'm a teapot"})


def test_responses_injected_response_and_request_over_both_paths(server):
    status, headers, body = exchange(server, request("GET", "/text"))
    assert (status, body, headers["x-kind"]) == (200, b"plain", "text")
    assert headers["content-type"] == "text/plain; charset=utf-8"
    status, headers, body = exchange(server, request("GET", "/tagged"))
    assert (status, json.loads(body), headers["x-tag"]) == (201, {"tagged": True}, "yes")
    status, _, body = exchange(server, request("GET", "/whoami"))  # a Request: the ASGI path
    assert (status, json.loads(body)) == (200, {"path": "/whoami", "client": "127.0.0.1"})


def test_handlers_run_in_a_task_with_their_own_context(server):
    with server.connect() as sock:
        reader = Reader(sock)
        for value, sleep in [("a", 0.01), ("b", 0), ("c", 0.02), ("d", 0)]:
            sock.sendall(request("GET", f"/ctx?value={value}&sleep={sleep}"))
            status, _, body = reader.response()
            assert (status, json.loads(body)) == (
                200,
                {
                    "before": "unset",  # nothing leaks from the request before
                    "after": value,
                    "has_task": True,
                    "same_task": True,
                    "timed_out": True,
                },
            )


def test_keep_alive_serves_many_requests_on_one_connection(server):
    with server.connect() as sock:
        reader = Reader(sock)
        for i in range(5):
            sock.sendall(request("GET", f"/items/{i}"))
            status, headers, body = reader.response()
            assert (status, json.loads(body)) == (200, {"item_id": i})
            assert "connection" not in headers


def test_one_pipelined_burst_takes_every_path_and_is_answered_in_order(server):
    """Back to back on one connection: the short path (a native route, its whole request in),
    its promotions (an error for the exception handlers, a handler that suspends, an injected
    Response), the NativeCycle path (a chunked body) and the ASGI path (a Request, no route),
    and a handler that raises last (500)."""
    json_type = {"Content-Type": "application/json"}
    chunked = {**json_type, "Transfer-Encoding": "chunked"}
    burst = [
        (request("GET", "/hello?name=a"), 200, {"hello": "a"}),
        (request("GET", "/items/x"), 422, None),
        (request("GET", "/teapot"), 418, {"detail": "I'm a teapot"}),
        (request("GET", "/slow?seconds=0.01"), 200, {"slept": 0.01}),
        (request("GET", "/tagged"), 201, {"tagged": True}),
        (request("POST", "/echo", b'{"n":1}', json_type), 200, {"n": 1}),
        (request("POST", "/echo", b'7\r\n{"n":2}\r\n0\r\n\r\n', chunked), 200, {"n": 2}),
        (request("GET", "/whoami"), 200, None),
        (request("GET", "/nowhere"), 404, {"detail": "Not Found"}),
        (request("HEAD", "/hello?name=h"), 200, b""),
        (request("GET", "/hello?name=z"), 200, {"hello": "z"}),
        (request("GET", "/boom"), 500, {"detail": "Internal Server Error"}),
    ]
    with server.connect() as sock:
        sock.sendall(b"".join(raw for raw, _, _ in burst))
        reader = Reader(sock)
        for raw, status, body in burst:
            got_status, headers, got_body = reader.response(head_request=raw.startswith(b"HEAD"))
            assert got_status == status, raw
            if body == b"":
                assert got_body == b"" and headers["content-length"] == "13"
            elif body is not None:
                assert json.loads(got_body) == body, raw
    assert exchange(server, request("GET", "/items/3"))[0] == 200


def test_pipelined_requests_are_answered_in_order(server):
    with server.connect() as sock:
        sock.sendall(
            request("GET", "/slow?seconds=0.2")
            + request("GET", "/items/1")
            + request("POST", "/echo", b'{"n": 2}', {"Content-Type": "application/json"})
            + request("GET", "/items/3")
        )
        reader = Reader(sock)
        bodies = [json.loads(reader.response()[2]) for _ in range(4)]
    assert bodies == [{"slept": 0.2}, {"item_id": 1}, {"n": 2}, {"item_id": 3}]


def test_a_request_arriving_one_byte_at_a_time(server):
    raw = request("POST", "/echo", b'{"slow": "client"}', {"Content-Type": "application/json"})
    with server.connect() as sock:
        for i in range(len(raw)):
            sock.sendall(raw[i : i + 1])
            time.sleep(0.001)
        status, _, body = Reader(sock).response()
    assert (status, json.loads(body)) == (200, {"slow": "client"})


def test_chunked_request_body(server):
    chunked = b'4\r\n{"a"\r\n6;ext=1\r\n: [1, \r\n3\r\n2]}\r\n0\r\nTrailer: x\r\n\r\n'
    headers = {"Transfer-Encoding": "chunked", "Content-Type": "application/json"}
    status, _, body = exchange(server, request("POST", "/echo", chunked, headers))
    assert (status, json.loads(body)) == (200, {"a": [1, 2]})


def test_expect_100_continue(server):
    payload = b'{"expect": true}'
    head = request(
        "POST",
        "/echo",
        b"",
        {
            "Content-Type": "application/json",
            "Content-Length": len(payload),
            "Expect": "100-continue",
        },
    )
    with server.connect() as sock:
        sock.sendall(head)
        reader = Reader(sock)
        assert reader._until(b"\r\n\r\n") == b"HTTP/1.1 100 Continue"
        sock.sendall(payload)
        status, _, body = reader.response()
    assert (status, json.loads(body)) == (200, {"expect": True})


def test_head_has_headers_and_no_body(server):
    with server.connect() as sock:
        sock.sendall(request("HEAD", "/hello") + request("GET", "/hello"))
        reader = Reader(sock)
        status, headers, _ = reader.response(head_request=True)
        assert status == 200 and headers["content-length"] == str(len(b'{"hello":"world"}'))
        # the next response starts right after the head: no body bytes were sent for HEAD
        status, _, body = reader.response()
        assert (status, body) == (200, b'{"hello":"world"}')


def test_connection_close_and_http_1_0(server):
    with server.connect() as sock:
        sock.sendall(request("GET", "/hello", headers={"Connection": "close"}))
        reader = Reader(sock)
        status, headers, _ = reader.response()
        assert status == 200 and headers["connection"] == "close"
        assert reader.closed()
    with server.connect() as sock:
        sock.sendall(request("GET", "/hello", version="1.0"))
        reader = Reader(sock)
        status, headers, body = reader.response()
        assert (status, body) == (200, b'{"hello":"world"}')
        assert reader.closed()
    with server.connect() as sock:  # HTTP/1.0 keep-alive, when asked for
        reader = Reader(sock)
        for _ in range(2):
            sock.sendall(
                request("GET", "/hello", headers={"Connection": "keep-alive"}, version="1.0")
            )
            status, headers, _ = reader.response()
            assert status == 200 and headers["connection"] == "keep-alive"


def test_streaming_response_is_chunked(tmp_path):
    with native_server(tmp_path, app="raw") as server:
        status, headers, body = exchange(server, request("GET", "/stream?5"))
        assert status == 200 and headers["transfer-encoding"] == "chunked"
        assert body == b"".join(b"piece %d\n" % i for i in range(5))
        # an HTTP/1.0 client cannot take chunks: the body ends when the connection closes
        status, headers, body = exchange(server, request("GET", "/stream?2", version="1.0"))
        assert "transfer-encoding" not in headers and body == b"piece 0\npiece 1\n"


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: x\r\nBig: " + b"b" * 70000 + b"\r\n\r\n", 431),
        (b"GET / HTTP/1.1\r\n" + b"".join(b"H%d: v\r\n" % i for i in range(120)) + b"\r\n", 431),
        (b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n", 413),
        (b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400),
        (b"BAD\x01REQUEST\r\n\r\n", 400),
    ],
    ids=[
        "uri-too-long",
        "header-too-large",
        "too-many-headers",
        "body-too-large",
        "conflicting-lengths",
        "malformed",
    ],
)
def test_protocol_limits_answer_and_close(server, raw, status):
    with server.connect() as sock:
        sock.sendall(raw)
        reader = Reader(sock)
        got, headers, body = reader.response()
        assert got == status
        assert headers["connection"] == "close"
        assert "detail" in json.loads(body)
        assert reader.closed()
    # the server is still serving
    assert exchange(server, request("GET", "/items/7"))[0] == 200


def test_slow_headers_time_out_with_408(tmp_path):
    with native_server(tmp_path, timeout_request=0.5) as server:
        with server.connect() as sock:
            sock.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\n")  # never finished
            reader = Reader(sock)
            status, _, _ = reader.response()
            assert status == 408
            assert reader.closed()


def test_a_handler_may_run_longer_than_the_request_timeout(tmp_path):
    """The request timeout is for the client sending its request: a handler that suspends
    past it (alone, or pipelined behind a request answered at once) is not cut off."""
    with native_server(tmp_path, timeout_request=0.3) as server:
        with server.connect() as sock:
            reader = Reader(sock)
            sock.sendall(request("GET", "/slow?seconds=0.8"))
            assert json.loads(reader.response()[2]) == {"slept": 0.8}
            sock.sendall(request("GET", "/items/1") + request("GET", "/slow?seconds=0.8"))
            assert json.loads(reader.response()[2]) == {"item_id": 1}
            assert json.loads(reader.response()[2]) == {"slept": 0.8}


def test_pipelined_requests_past_the_read_limit_behind_a_slow_one(server):
    """600 pipelined requests of 1 KiB behind one that suspends: reading pauses while they
    pile up and resumes as they are answered, until every one is."""
    pad = {"X-Pad": "p" * 1000}
    burst = request("GET", "/slow?seconds=0.2") + request("GET", "/items/7", headers=pad) * 600
    with server.connect(timeout=10) as sock:
        sock.sendall(burst)
        reader = Reader(sock)
        assert json.loads(reader.response()[2]) == {"slept": 0.2}
        for _ in range(600):
            assert json.loads(reader.response()[2]) == {"item_id": 7}


def test_a_slow_reader_of_pipelined_responses_is_not_timed_out(tmp_path):
    """100 pipelined requests for 64 KiB each, read slowly (for several times the request
    timeout, which is for sending requests): every response comes, none is a 408."""
    with native_server(tmp_path, timeout_request=0.5) as server:
        with server.connect(timeout=10) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            sock.sendall(request("GET", "/big") * 100)
            received = b""
            started = time.monotonic()
            while received.count(b"HTTP/1.1 200 OK") < 100 or len(received) < 100 * 65536:
                data = sock.recv(128 * 1024)
                assert data, received[-200:]
                received += data
                time.sleep(0.05)
            assert time.monotonic() - started > 1.0
            assert b"408" not in received.split(b"\r\n\r\n", 1)[0]
            assert received.count(b"HTTP/1.1 ") == 100


@pytest.mark.skipif(
    sys.version_info < (3, 12),
    reason="before 3.12 a task cancelled before it first runs ends unstarted (HostTask)",
)
def test_a_handler_cancelling_its_own_task_on_a_new_connection(server):
    with server.connect() as sock:
        sock.sendall(request("GET", "/cancel-self") + request("GET", "/items/2"))
        reader = Reader(sock)
        assert json.loads(reader.response()[2]) == {"cancelled": True}
        assert json.loads(reader.response()[2]) == {"item_id": 2}


def test_idle_keep_alive_connections_are_closed(tmp_path):
    with native_server(tmp_path, timeout_keep_alive=0.3) as server:
        with server.connect() as sock:
            sock.sendall(request("GET", "/hello"))
            reader = Reader(sock)
            assert reader.response()[0] == 200
            started = time.monotonic()
            assert reader.closed(timeout=5)
            assert time.monotonic() - started < 3


def test_a_raising_handler_gets_a_500_and_the_server_keeps_serving(server):
    status, _, body = exchange(server, request("GET", "/boom"))
    assert (status, json.loads(body)) == (500, {"detail": "Internal Server Error"})
    assert exchange(server, request("GET", "/items/1"))[0] == 200
    server.wait_for_output("RuntimeError: boom")


def test_a_client_that_disconnects_cancels_its_handler(server):
    sock = server.connect()
    sock.sendall(request("GET", "/slow?seconds=30"))
    time.sleep(0.3)
    sock.close()
    server.wait_for_output("slow cancelled", timeout=5)
    assert exchange(server, request("GET", "/items/2"))[0] == 200


def test_yield_dependencies_on_the_native_path_see_the_disconnect(server):
    """A route with yield dependencies runs on the native path; its exits run after the
    response (the background task between), and see the cancellation when the client
    leaves first ("function" scope first, then "request")."""
    status, _, body = exchange(server, request("GET", "/slow-deps?seconds=0"))
    assert (status, json.loads(body)) == (200, {"deps": "session+step"})
    server.wait_for_output("session exit ran")
    output = server.output()
    assert output.index("slow-deps task ran") < output.index("session exit ran")
    sock = server.connect()
    sock.sendall(request("GET", "/slow-deps?seconds=30"))
    time.sleep(0.3)
    sock.close()
    server.wait_for_output("session exit saw CancelledError", timeout=5)
    output = server.output()
    assert output.index("step exit saw CancelledError") < output.index(
        "session exit saw CancelledError"
    )
    assert exchange(server, request("GET", "/items/2"))[0] == 200
    # a dependency that takes a Request (its ASGI scope made during the eager first step)
    sock = server.connect()
    sock.sendall(request("GET", "/slow-request-dep?seconds=30"))
    time.sleep(0.3)
    sock.close()
    server.wait_for_output("slow-request-dep cancelled", timeout=5)


def test_pipelined_requests_finish_their_tasks_and_exits_after_their_responses(tmp_path):
    """Requests sent in one write, whose background tasks and yield-dependency exits
    suspend after their responses are written: each one's run goes on to its end (before
    Python 3.12, a connection's host task that was handed work before it first ran dropped
    it), and the server then stops."""
    with native_server(tmp_path) as server:
        with server.connect() as sock:
            sock.sendall(b"".join(request("GET", f"/pipelined?n={n}") for n in range(3)))
            reader = Reader(sock)
            answers = [reader.response() for _ in range(3)]
        assert [json.loads(body) for _, _, body in answers] == [{"n": n} for n in range(3)]
        for n in range(3):
            server.wait_for_output(f"pipelined exit {n}", timeout=5)
            assert f"pipelined task {n}" in server.output()
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=10) == 0


def test_graceful_shutdown_finishes_requests_in_flight(tmp_path):
    with native_server(tmp_path) as server:
        server.wait_for_output("lifespan startup")
        results: list = []

        def slow_request():
            results.append(exchange(server, request("GET", "/slow?seconds=1")))

        clients = [threading.Thread(target=slow_request) for _ in range(5)]
        for client in clients:
            client.start()
        time.sleep(0.3)  # the requests are in flight
        server.proc.send_signal(signal.SIGTERM)
        for client in clients:
            client.join(timeout=10)
        assert server.proc.wait(timeout=10) == 0
        assert [(status, json.loads(body)) for status, _, body in results] == [
            (200, {"slept": 1.0})
        ] * 5
        assert "lifespan shutdown" in server.output()
        with pytest.raises(OSError):
            server.connect(timeout=1)


def test_shutdown_closes_a_connection_whose_request_made_a_request_object(tmp_path):
    """A request in flight when the server stops is answered with `Connection: close`, also
    when a dependency asked for its Request (an ASGI scope was made for it)."""
    with native_server(tmp_path) as server:
        server.wait_for_output("lifespan startup")
        results: list = []

        def slow_request():
            results.append(exchange(server, request("GET", "/slow-request-dep?seconds=1")))

        client = threading.Thread(target=slow_request)
        client.start()
        time.sleep(0.3)  # in flight
        server.proc.send_signal(signal.SIGTERM)
        client.join(timeout=10)
        assert server.proc.wait(timeout=10) == 0
        [(status, headers, body)] = results
        assert (status, headers.get("connection"), json.loads(body)) == (
            200,
            "close",
            {"who": ""},
        )


def test_a_thousand_concurrent_keep_alive_connections(server):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))
    socks = []
    try:
        for _ in range(1000):
            socks.append(server.connect(timeout=10))
        for i, sock in enumerate(socks):
            sock.sendall(request("GET", f"/items/{i}"))
        readers = [Reader(sock) for sock in socks]
        for i, reader in enumerate(readers):
            status, _, body = reader.response()
            assert (status, json.loads(body)) == (200, {"item_id": i})
        for i, (sock, reader) in enumerate(zip(socks, readers, strict=True)):  # all open
            sock.sendall(request("GET", f"/items/{i + 1}"))
            assert json.loads(reader.response()[2]) == {"item_id": i + 1}
    finally:
        for sock in socks:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_100_mb_upload_is_streamed_not_buffered(tmp_path):
    size = 100_000_000
    with native_server(tmp_path, app="raw") as server:
        before = rss_kib(server.proc.pid)
        peak = before
        piece = b"x" * (1 << 20)
        with server.connect(timeout=30) as sock:
            sock.sendall(request("POST", "/count", b"", {"Content-Length": size}))
            sent = 0
            while sent < size:
                n = min(len(piece), size - sent)
                sock.sendall(piece[:n])
                sent += n
                if sent % (10 << 20) < (1 << 20):
                    peak = max(peak, rss_kib(server.proc.pid))
            status, _, body = Reader(sock).response()
        peak = max(peak, rss_kib(server.proc.pid))
    assert status == 200
    result = json.loads(body)
    assert result["size"] == size and result["pieces"] > 10
    assert peak - before < 30 * 1024, f"RSS grew by {(peak - before) // 1024} MiB"


def test_an_app_asking_to_close_gets_one_connection_header(tmp_path):
    with native_server(tmp_path, app="raw") as server:
        with server.connect() as sock:
            sock.sendall(request("GET", "/close"))
            reader = Reader(sock)  # Reader fails on a duplicate header
            status, headers, body = reader.response()
            assert (status, headers["connection"], body) == (200, "close", b"bye")
            assert reader.closed()


def test_fasterapi_run_with_workers_restarts_a_dead_worker(tmp_path):
    """The real CLI and server: two worker processes share the port; one killed is replaced."""
    port = free_port()
    log = tmp_path / "workers.log"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    command = [
        sys.executable,
        "-m",
        "FasterAPI",
        "run",
        "tests.apps.native_app:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "2",
        "--no-access-log",
    ]
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server("app", port, proc, log)

    def pids_seen(want: int, timeout: float = 20.0) -> set[int]:
        seen: set[int] = set()
        deadline = time.monotonic() + timeout
        while len(seen) < want and time.monotonic() < deadline:
            try:
                status, _, body = exchange(server, request("GET", "/pid"))
                if status == 200:
                    seen.add(json.loads(body)["pid"])
            except OSError:
                time.sleep(0.05)
        return seen

    try:
        first = pids_seen(2)
        assert len(first) == 2, server.output()
        victim = sorted(first)[0]
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 20
        while True:
            now = pids_seen(2, timeout=5)
            if len(now - first) >= 1 and victim not in now:
                break
            assert time.monotonic() < deadline, f"no replacement worker:\n{server.output()}"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        for pid in first | now:
            assert (
                not Path(f"/proc/{pid}").exists()
                or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
            )
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# -- regressions from review -------------------------------------------------------------------


def test_requests_that_never_run_do_not_use_up_limit_concurrency(tmp_path):
    with native_server(tmp_path, limit_concurrency=2, timeout_request=0.3) as server:
        for _ in range(3):  # bodies that never arrive: the client leaves, or is timed out
            with server.connect() as sock:
                sock.sendall(request("POST", "/echo", b"", {"Content-Length": 10}) + b"{")
            with server.connect() as sock:
                sock.sendall(request("POST", "/echo", b"", {"Content-Length": 10}))
                assert Reader(sock).response()[0] == 408
        for i in range(4):
            assert exchange(server, request("GET", f"/items/{i}"))[0] == 200


def test_background_work_outlives_its_connection_and_does_not_block_the_next_request(server):
    with server.connect() as sock:
        reader = Reader(sock)
        sock.sendall(request("GET", "/bg?tag=first"))
        assert json.loads(reader.response()[2]) == {"background": "first"}
        sock.sendall(request("GET", "/slow?seconds=0.05"))  # suspends while "first" runs
        assert json.loads(reader.response()[2]) == {"slept": 0.05}
    with server.connect() as sock:
        sock.sendall(request("GET", "/bg?tag=closing", headers={"Connection": "close"}))
        assert Reader(sock).response()[0] == 200
    server.wait_for_output("first done")
    server.wait_for_output("closing done")


def test_a_timeout_due_before_the_handler_suspends(server):
    with server.connect() as sock:
        reader = Reader(sock)
        for _ in range(3):
            sock.sendall(request("GET", "/budget?remaining=0"))
            assert json.loads(reader.response()[2]) == {"timed_out": True}


def test_a_handler_cancelled_by_itself_closes_its_connection_only(server):
    with server.connect() as sock:
        sock.sendall(request("GET", "/cancelled"))
        reader = Reader(sock)
        assert reader.closed()
    assert exchange(server, request("GET", "/items/9"))[0] == 200


def test_converter_errors_are_422_not_a_reset(server):
    for value in ("nan", "1e20", "abc"):
        status, _, body = exchange(server, request("GET", f"/duration?d={value}"))
        assert status == 422 and json.loads(body)["detail"][0]["loc"] == ["query", "d"]
    status, _, body = exchange(server, request("GET", "/duration?d=90"))
    assert (status, json.loads(body)) == (200, {"seconds": 90.0})


def test_pipelined_requests_do_not_share_contextvars(server):
    with server.connect() as sock:
        sock.sendall(request("GET", "/ctx?value=a&sleep=0.05") + request("GET", "/ctx?value=b"))
        reader = Reader(sock)
        first, second = (json.loads(reader.response()[2]) for _ in range(2))
    assert (first["before"], second["before"]) == ("unset", "unset")


def test_a_body_longer_than_its_content_length_closes_the_connection(tmp_path):
    with native_server(tmp_path, app="raw") as server:
        with server.connect() as sock:
            sock.sendall(request("GET", "/liar") + request("GET", "/stream?1"))
            received = b""
            while data := sock.recv(65536):
                received += data
        # the head went out; then the connection was cut, so the extra bytes never pose as
        # the start of the next response, and no next response follows
        assert received.startswith(b"HTTP/1.1 200 OK\r\n")
        assert b"llo, World" not in received and received.count(b"HTTP/1.1") == 1
        server.wait_for_output("Response content longer than Content-Length")


def test_a_head_sent_a_byte_at_a_time_still_times_out(tmp_path):
    with native_server(tmp_path, timeout_request=0.6) as server:
        with server.connect() as sock:
            started = time.monotonic()
            status = None
            for byte in b"GET /hello HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"y" * 100:
                try:
                    sock.sendall(bytes([byte]))
                except OSError:
                    break
                time.sleep(0.05)
                if time.monotonic() - started > 3:
                    break
            status = Reader(sock).response()[0]
            assert status == 408 and time.monotonic() - started < 3


def test_blank_lines_between_requests_do_not_delay_the_idle_close(tmp_path):
    with native_server(tmp_path, timeout_keep_alive=0.3, timeout_request=5) as server:
        with server.connect() as sock:
            sock.sendall(request("GET", "/hello") + b"\r\n")
            reader = Reader(sock)
            assert reader.response()[0] == 200
            started = time.monotonic()
            assert reader.closed(timeout=4)
            assert time.monotonic() - started < 2 and not reader.buf


def test_a_stream_to_a_slow_reader_waits_instead_of_piling_up(tmp_path):
    with native_server(tmp_path, app="raw") as server:
        before = rss_kib(server.proc.pid)
        with server.connect(timeout=30) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
            sock.sendall(request("GET", "/big?512"))  # 32 MiB
            time.sleep(1.0)  # not reading: the server must wait for us
            peak = rss_kib(server.proc.pid)
            status, headers, body = Reader(sock).response()
    assert status == 200 and headers["transfer-encoding"] == "chunked"
    assert len(body) == 512 * 65536
    assert peak - before < 12 * 1024, f"RSS grew by {(peak - before) // 1024} MiB"
