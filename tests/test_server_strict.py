"""The native server is strict where the RFCs are: the Host header (RFC 9112 3.2), the request
target's forms (3.2.1-3.2.4), spaces in the target, and WebSocket handshakes that are not
HTTP/1.1 or carry a body. Every refusal is a 400 with a JSON body, after which the connection
ends cleanly. Raw sockets against tests/apps/hardening_app.py."""

import json
import socket

import pytest

from tests.test_native_server import Reader, native_server

pytestmark = pytest.mark.fasterapi_only


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with native_server(tmp_path_factory.mktemp("strict"), module="hardening_app") as running:
        yield running


def send(server, raw: bytes) -> tuple[int, dict, bytes]:
    """(status, headers, body) of the answer to one raw request."""
    with server.connect() as sock:
        sock.sendall(raw)
        return Reader(sock).response()


def refused(server, raw: bytes) -> tuple[int, dict]:
    """(status, JSON body) of a refusal, checking that the connection then ends cleanly."""
    with server.connect() as sock:
        sock.sendall(raw)
        reader = Reader(sock)
        status, _, body = reader.response()
        sock.settimeout(3)
        assert reader.buf == b"" and sock.recv(1) == b"", "the connection stays open"
    return status, json.loads(body)


def masked_text(payload: bytes) -> bytes:
    """A client's WebSocket text frame (masked, as clients must send them)."""
    mask = b"\x01\x02\x03\x04"
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + masked


@pytest.mark.parametrize(
    "raw,detail",
    [
        (b"GET /hello HTTP/1.1\r\n\r\n", "missing Host header"),
        (b"GET /hello HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", "more than one Host header"),
        (b"GET /hello HTTP/1.1\r\nHost: evil.com/x\r\n\r\n", "invalid Host header"),
        (b"GET /hello HTTP/1.1\r\nHost: a:b:c\r\n\r\n", "invalid Host header"),
        (b"GET /hello HTTP/1.1\r\nHost: [zz]:80\r\n\r\n", "invalid Host header"),
        (b"GET /hello HTTP/1.1\r\nHost: h:80x\r\n\r\n", "invalid Host header"),
        (b"GET * HTTP/1.1\r\nHost: h\r\n\r\n", "invalid request target"),
        (b"GET h.example:443 HTTP/1.1\r\nHost: h\r\n\r\n", "invalid request target"),
        (b"GET hello HTTP/1.1\r\nHost: h\r\n\r\n", "invalid request target"),
        (b"GET http://u@a.example/hello HTTP/1.1\r\nHost: h\r\n\r\n", "invalid request target"),
        (b"GET /hel lo HTTP/1.1\r\nHost: h\r\n\r\n", "invalid request target"),
        (b"CONNECT /hello HTTP/1.1\r\nHost: h\r\n\r\n", "invalid request target"),
    ],
)
def test_malformed_hosts_and_targets_are_a_400(server, raw, detail):
    assert refused(server, raw) == (400, {"detail": detail})


@pytest.mark.parametrize(
    "raw,host",
    [
        (b"GET /host HTTP/1.1\r\nHost: [::1]:8000\r\n\r\n", "[::1]:8000"),
        (b"GET /host HTTP/1.1\r\nHost: api.example:80\r\n\r\n", "api.example:80"),
        (b"GET /host HTTP/1.0\r\nHost: h\r\n\r\n", "h"),
        # absolute-form: the target's authority is the host, whatever the Host header says
        (b"GET http://a.example/host HTTP/1.1\r\nHost: b.example\r\n\r\n", "a.example"),
        (b"GET http://a.example:8080/host HTTP/1.1\r\n\r\n", "a.example:8080"),
    ],
)
def test_the_host_the_app_sees(server, raw, host):
    status, _, body = send(server, raw)
    assert (status, json.loads(body)) == (200, {"host": host})


def test_an_absolute_form_target_makes_the_url_on_the_asgi_path(server):
    raw = b"GET http://a.example/url?x=1 HTTP/1.1\r\nHost: b.example\r\n\r\n"
    status, _, body = send(server, raw)
    assert (status, json.loads(body)) == (200, {"url": "http://a.example/url?x=1"})


def test_http10_without_host_and_options_asterisk_are_served(server):
    assert send(server, b"GET /hello HTTP/1.0\r\n\r\n")[:3:2] == (200, b'{"hello":"world"}')
    status, _, _ = send(server, b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n")
    assert status == 404  # no route is "*": the app answers, not the parser


WS = (
    b"GET /ws HTTP/1.{minor}\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: {version}\r\n"
)


def ws(minor: int = 1, version: int = 13, extra: bytes = b"") -> bytes:
    head = WS.replace(b"{minor}", str(minor).encode()).replace(b"{version}", str(version).encode())
    return head + extra


def test_a_websocket_handshake_on_http10_is_a_400(server):
    detail = {"detail": "a WebSocket handshake needs HTTP/1.1"}
    assert refused(server, ws(minor=0) + b"\r\n") == (400, detail)


@pytest.mark.parametrize("framing", [b"Content-Length: 8\r\n", b"Transfer-Encoding: chunked\r\n"])
def test_a_websocket_handshake_with_a_body_is_a_400_never_frames(server, framing):
    # the "body" is a WebSocket frame: it must never reach the app as a message
    raw = ws(extra=framing) + b"\r\n" + masked_text(b"hi")
    assert refused(server, raw) == (400, {"detail": "a WebSocket handshake with a body"})


def test_a_wrong_websocket_version_is_a_426_naming_13(server):
    with server.connect() as sock:
        sock.sendall(ws(version=8) + b"\r\n")
        status, headers, _ = Reader(sock).response()
    assert (status, headers["sec-websocket-version"]) == (426, "13")


def test_a_good_handshake_still_opens(server):
    with server.connect() as sock:
        sock.sendall(ws() + b"\r\n")
        status, headers, _ = Reader(sock).response(head_request=True)
        assert status == 101 and headers["upgrade"].lower() == "websocket"
        sock.sendall(masked_text(b"hi"))
        data = sock.recv(16)
        assert data[:2] == bytes([0x81, 2]) and data[2:4] == b"hi"


def test_asgi_only_clients_see_nothing_new(server):
    """A well-formed request over a raw socket is unaffected (a guard against over-strictness)."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    with sock:
        sock.sendall(b"GET /hello?name=x HTTP/1.1\r\nHost: localhost:8000\r\n\r\n")
        assert Reader(sock).response()[::2] == (200, b'{"hello":"x"}')
