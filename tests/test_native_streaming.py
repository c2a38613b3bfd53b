"""On the native server, a body past 256 KiB (or chunked) to a route that reads it as it
arrives (through its Request, or as a form) is streamed to the route, which runs at once:
`100 Continue` when it first reads, flow control, pipelining, a client that leaves, a body it
does not read. Spoken byte by byte to the server (tests/apps/streaming_app.py)."""

import json
import time

import pytest

from tests.support.raw_http import Reader, request
from tests.support.servers import native_server

pytestmark = pytest.mark.fasterapi_only

LARGE = 1024 * 1024 + 7  # past 256 KiB: streamed


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with native_server(
        tmp_path_factory.mktemp("streaming"), app="app", module="streaming_app"
    ) as server:
        yield server


def test_a_large_body_arrives_in_pieces(server):
    with server.connect() as sock:
        reader = Reader(sock)
        sock.sendall(request("POST", "/count", b"x" * LARGE))
        status, headers, raw = reader.response()
        answer = json.loads(raw)
        assert (status, answer["total"]) == (200, LARGE)
        assert answer["pieces"] > 1  # read as it arrived, not whole
        assert headers.get("connection") != "close"
        # the connection goes on, and a pipelined pair is answered in order
        sock.sendall(request("POST", "/count", b"y" * LARGE) + request("GET", "/seen"))
        assert json.loads(reader.response()[2])["total"] == LARGE
        status, _, raw = reader.response()
        assert status == 200 and "disconnected" in json.loads(raw)


def test_100_continue_is_sent_once_the_route_reads(server):
    with server.connect() as sock:
        reader = Reader(sock)
        head = (
            b"POST /count HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
            b"Content-Length: %d\r\n\r\n" % LARGE
        )
        sock.sendall(head)
        status, _, _ = reader.response()
        assert status == 100
        sock.sendall(b"z" * LARGE)
        status, _, raw = reader.response()
        assert (status, json.loads(raw)["total"]) == (200, LARGE)
        # a route that does not read: no 100, its answer, and the body is not waited for
        sock.sendall(head.replace(b"/count", b"/ignore"))
        status, headers, raw = reader.response()
        assert (status, json.loads(raw)) == (200, {"ignored": True})
        assert headers["connection"] == "close"  # (the body it did not read ends it)
    for path, length in ((b"/tiny", 11), (b"/limited", 300_001)):  # past max_body_size
        with server.connect() as sock:
            sock.sendall(
                b"POST %s HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                b"Content-Length: %d\r\n\r\n" % (path, length)
            )
            status, _, raw = Reader(sock).response()
            assert (status, raw) == (413, b"Content Too Large"), path  # and no 100 first


def test_a_chunked_body_is_streamed_and_counted_against_max_body_size(server):
    def chunked(path, pieces):
        body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
        head = b"POST %s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" % path
        return head + body

    with server.connect() as sock:
        reader = Reader(sock)
        sock.sendall(chunked(b"/count", [b"a" * 70_000] * 5))
        status, _, raw = reader.response()
        assert (status, json.loads(raw)["total"]) == (200, 350_000)
        sock.sendall(chunked(b"/limited", [b"b" * 100_000] * 3))
        status, _, raw = reader.response()
        assert (status, json.loads(raw)) == (200, {"size": 300_000})
    with server.connect() as sock:
        reader = Reader(sock)
        sock.sendall(chunked(b"/limited", [b"c" * 100_000] * 4))
        status, headers, raw = reader.response()
        assert (status, json.loads(raw)) == (413, {"detail": "Content Too Large"})


def test_a_small_chunked_body_not_read_keeps_the_connection(server):
    """The body that arrived with the head is given to the route before it runs: a handler
    that answers without reading a body all in keeps the connection for what follows."""
    with server.connect() as sock:
        reader = Reader(sock)
        chunked = b"POST /ignore HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        sock.sendall(chunked + b"3\r\nabc\r\n0\r\n\r\n" + request("GET", "/seen"))
        status, headers, raw = reader.response()
        assert (status, json.loads(raw)) == (200, {"ignored": True})
        assert headers.get("connection") != "close"
        assert reader.response()[0] == 200


def test_a_large_form_is_parsed_as_it_arrives_and_its_body_is_gone(server):
    boundary = b"xyz"
    data = b"q" * 400_000
    body = (
        b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="f.bin"\r\n\r\n'
        + data
        + b"\r\n--xyz--\r\n"
    )
    content_type = "multipart/form-data; boundary=" + boundary.decode()
    with server.connect() as sock:
        reader = Reader(sock)
        sock.sendall(request("POST", "/upload", body, {"Content-Type": content_type}))
        status, _, raw = reader.response()
        assert (status, json.loads(raw)) == (200, {"size": len(data), "same": True})
        headers = {"Content-Type": content_type, "X-Body": "1"}
        sock.sendall(request("POST", "/upload", body, headers))
        status, _, raw = reader.response()  # Stream consumed, as in FastAPI: not a hang
        assert (status, json.loads(raw)) == (500, {"detail": "Internal Server Error"})


def test_a_client_that_leaves_mid_body_stops_its_route(server):
    with server.connect() as sock:
        sock.sendall(b"POST /left HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % LARGE)
        sock.sendall(b"w" * 300_000)
        time.sleep(0.1)
    deadline = time.monotonic() + 5
    while True:
        with server.connect() as sock:
            sock.sendall(request("GET", "/seen"))
            seen = json.loads(Reader(sock).response()[2])
        if seen["disconnected"] or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    assert seen["disconnected"] == 1
