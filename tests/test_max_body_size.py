"""`max_body_size` on the app, a route, a router and include_router, answered as FastAPI 0.165
answers it: a Content-Length past the limit gets a plain-text 413 before the body is read, a
chunked body that grows past it gets `{"detail": "Content Too Large"}`, the most specific limit
wins, and bad values are refused. Through both doors (on the native server: its native routes
and, behind a middleware, the ASGI path), under uvicorn, and over a raw socket on the native
server (a body far past the limit)."""

import json
import socket

import pytest
from FasterAPI import APIRouter, Faster

from tests.apps import body_limit_app
from tests.support.raw_http import Reader
from tests.support.servers import native_server, running_server

BODY = b'{"a":"' + b"x" * 200 + b'"}'  # 208 bytes: past every limit but /big's
PLAIN = (413, "text/plain; charset=utf-8", b"Content Too Large")
JSON = (413, "application/json", b'{"detail":"Content Too Large"}')
OK = (200, "application/json", b'{"n":1}')

#: (path, answer with a Content-Length, answer when chunked), as FastAPI 0.165 gives them
CASES = [
    ("/app", PLAIN, JSON),
    ("/route", PLAIN, JSON),
    ("/big", OK, OK),  # the route's own limit wins over the app's, even when larger
    ("/nobody", PLAIN, (200, "application/json", b'{"ok":true}')),
    ("/depends", PLAIN, JSON),
    ("/router/r", PLAIN, JSON),
    ("/inc/r", PLAIN, JSON),
]


def raw_post(path: str, chunked: bool) -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
    if not chunked:
        return f"{head}Content-Length: {len(BODY)}\r\n\r\n".encode() + BODY
    pieces = [BODY[:100], BODY[100:]]
    chunks = b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in pieces)
    return f"{head}Transfer-Encoding: chunked\r\n\r\n".encode() + chunks + b"0\r\n\r\n"


def over_socket(port: int, raw: bytes) -> tuple[int, str, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw)
        status, headers, body = Reader(sock).response()
    return status, headers["content-type"], body


@pytest.mark.parametrize("app", ["app", "wrapped"])
def test_the_limits(make_client, app):
    client = make_client(getattr(body_limit_app, app))
    for path, whole, chunked in CASES:
        headers = {"content-type": "application/json"}
        r = client.post(path, content=BODY, headers=headers)
        assert (r.status_code, r.headers["content-type"], r.content) == whole, path
        r = client.post(path, content=iter([BODY[:100], BODY[100:]]), headers=headers)
        assert (r.status_code, r.headers["content-type"], r.content) == chunked, path


def test_under_uvicorn(tmp_path):
    with running_server("uvicorn", tmp_path, "tests.apps.body_limit_app:app") as base:
        for path, whole, chunked in CASES:
            assert over_socket(base["port"], raw_post(path, chunked=False)) == whole, path
            assert over_socket(base["port"], raw_post(path, chunked=True)) == chunked, path


@pytest.mark.fasterapi_only
def test_the_native_server_stops_at_the_limit_and_the_client_reads_the_413(tmp_path):
    """A 50 MB body for a route limited to 10 bytes: the answer comes before the body is
    read, the connection then ends cleanly (lingering close), and the server stays up."""
    with native_server(tmp_path, module="body_limit_app") as server:
        with server.connect(timeout=10) as sock:
            head = b"POST /route HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            sock.sendall(head + b"Content-Length: 50000000\r\n\r\n" + b"x" * 65536)
            reader = Reader(sock)
            assert reader.response()[::2] == (413, b"Content Too Large")
            sock.settimeout(10)
            while sock.recv(65536):  # the server drops what follows, then closes cleanly
                pass
        assert over_socket(server.port, raw_post("/big", chunked=False))[0] == 200


@pytest.mark.parametrize("bad", [-1, True, 1.5, "10"])
def test_bad_values_are_refused_as_fastapi_refuses_them(bad):
    message = "max_body_size must be a non-negative integer or None"
    with pytest.raises(ValueError, match=message):
        Faster(max_body_size=bad)
    with pytest.raises(ValueError, match=message):
        APIRouter(max_body_size=bad)
    with pytest.raises(ValueError, match=message):
        Faster().post("/x", max_body_size=bad)(lambda: None)
    with pytest.raises(ValueError, match=message):
        Faster().include_router(APIRouter(), max_body_size=bad)


def test_the_limit_is_not_in_the_openapi_document():
    operation = body_limit_app.app.openapi()["paths"]["/route"]["post"]
    assert set(operation) == {"summary", "operationId", "requestBody", "responses"}
    assert json.dumps(operation).count("max_body") == 0
