"""The native server is strict where the RFCs are: the Host header (RFC 9112 3.2), the request
target's forms (3.2.1-3.2.4), spaces in the target, and WebSocket handshakes that are not
HTTP/1.1 or carry a body (RFC 6455 4.1). Every refusal is a 400 (426 for a WebSocket version)
with a JSON body saying why, after which the connection ends cleanly; the valid requests around
them keep working. Raw sockets against tests/apps/hardening_app.py, whose `/host` (a native
route with a Header parameter) and `/url` (a Request: the ASGI path) show the host the app saw."""

import json

import pytest
from FasterAPI import _core

from tests.support.raw_http import Reader, exchange
from tests.support.servers import native_server

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
    """(status, JSON body) of a refusal, checking its headers and that the connection then
    ends cleanly, with nothing after the response."""
    with server.connect() as sock:
        sock.sendall(raw)
        reader = Reader(sock)
        status, headers, body = reader.response()
        assert headers["connection"] == "close"
        assert headers["content-type"] == "application/json"
        sock.settimeout(3)
        assert reader.buf == b"" and sock.recv(1) == b"", "the connection stays open"
    return status, json.loads(body)


def masked_text(payload: bytes) -> bytes:
    """A client's WebSocket text frame (masked, as clients must send them)."""
    mask = b"\x01\x02\x03\x04"
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + masked


# -- Host (RFC 9112 3.2) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw,detail",
    [
        (b"GET /hello HTTP/1.1\r\n\r\n", "missing Host header"),
        (b"GET /hello HTTP/1.1\r\nX-Host: a\r\n\r\n", "missing Host header"),
        (b"GET /hello HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", "more than one Host header"),
        (b"GET /hello HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", "more than one Host header"),
        (b"GET /hello HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", "more than one Host header"),
    ],
)
def test_host_missing_or_repeated_is_a_400(server, raw, detail):
    assert refused(server, raw) == (400, {"detail": detail})


@pytest.mark.parametrize(
    "host",
    [
        "evil.com/x",
        "a b",
        "user@a.example",
        "a:b:c",
        "h:80x",
        "h:65536",
        "::1",
        "[::1",
        "[::1]x",
        "[zz]:80",
        "[ff]",
        "a%zz",
        'h"x',
    ],
)
@pytest.mark.parametrize("version", ["1.1", "1.0"])
def test_a_host_that_is_not_host_port_is_a_400(server, host, version):
    raw = f"GET /hello HTTP/{version}\r\nHost: {host}\r\n\r\n".encode()
    assert refused(server, raw) == (400, {"detail": "invalid Host header"})


@pytest.mark.parametrize(
    "raw,host",
    [
        (b"GET /host HTTP/1.1\r\nHost: [::1]:8000\r\n\r\n", "[::1]:8000"),
        (b"GET /host HTTP/1.1\r\nHost: [::1]\r\n\r\n", "[::1]"),
        (b"GET /host HTTP/1.1\r\nHost: api.example:80\r\n\r\n", "api.example:80"),
        (b"GET /host HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n", "127.0.0.1:8000"),
        (b"GET /host HTTP/1.0\r\nHost: h\r\n\r\n", "h"),
        # absolute-form: the target's authority is the host, whatever the Host header says
        (b"GET http://a.example/host HTTP/1.1\r\nHost: b.example\r\n\r\n", "a.example"),
        (b"GET http://a.example:8080/host HTTP/1.1\r\n\r\n", "a.example:8080"),
        (b"GET https://[::1]:8443/host HTTP/1.0\r\n\r\n", "[::1]:8443"),
    ],
)
def test_the_host_the_app_sees_on_the_native_path(server, raw, host):
    status, _, body = send(server, raw)
    assert (status, json.loads(body)) == (200, {"host": host})


def test_an_absolute_form_target_makes_the_url_on_the_asgi_path(server):
    raw = b"GET http://a.example/url?x=1 HTTP/1.1\r\nHost: b.example\r\n\r\n"
    status, _, body = send(server, raw)
    assert (status, json.loads(body)) == (200, {"url": "http://a.example/url?x=1"})


def test_parser_head_events_carry_the_authority_as_host():
    """The HeadEvent the server builds an ASGI scope from: the Host value is replaced by the
    target's authority, in place."""
    parser = _core.HttpParser(1024)
    parser.feed(b"GET http://a.example/x?q=1 HTTP/1.1\r\nX-A: 1\r\nHost: b.example\r\n\r\n")
    event = parser.next_event()
    assert isinstance(event, _core.HeadEvent)
    target = (event.method, event.path, event.raw_path, event.query, event.http_minor)
    assert target == ("GET", "/x", b"/x", b"q=1", 1)
    assert event.headers == [(b"x-a", b"1"), (b"host", b"a.example")]


def test_valid_hosts_keep_the_connection(server):
    with server.connect() as sock:
        reader = Reader(sock)
        for host in ("[::1]:8000", "a.example:8000", ""):
            sock.sendall(f"GET /host HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            status, headers, body = reader.response()
            assert (status, json.loads(body)) == (200, {"host": host})
            assert "connection" not in headers


def test_http10_without_host_and_options_asterisk_are_served(server):
    assert send(server, b"GET /hello HTTP/1.0\r\n\r\n")[::2] == (200, b'{"hello":"world"}')
    with server.connect() as sock:
        reader = Reader(sock)
        sock.sendall(b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\nGET /hello HTTP/1.1\r\nHost: h\r\n\r\n")
        status, headers, _ = reader.response()
        assert status == 404 and "connection" not in headers  # no route is "*": the app answers
        assert reader.response()[::2] == (200, b'{"hello":"world"}')


# -- request-target forms (RFC 9112 3.2.1-3.2.4) ----------------------------------------------

ASTERISK = "the asterisk-form request target (*) is only allowed with OPTIONS"
AUTHORITY = "the authority-form request target (host:port) is only allowed with CONNECT"
SLASH = "the request target must start with /"
SPACE = "malformed request line: a space in the request target, or an invalid HTTP version"


@pytest.mark.parametrize(
    "line,detail",
    [
        ("GET * HTTP/1.1", ASTERISK),
        ("POST * HTTP/1.1", ASTERISK),
        ("GET h.example:443 HTTP/1.1", AUTHORITY),
        ("CONNECT /hello HTTP/1.1", "CONNECT needs an authority-form request target (host:port)"),
        (
            "CONNECT h.example HTTP/1.1",
            "CONNECT needs an authority-form request target (host:port)",
        ),
        ("GET hello HTTP/1.1", SLASH),
        ("GET ?name=x HTTP/1.1", SLASH),
        ("OPTIONS *x HTTP/1.1", SLASH),
        (
            "GET ftp://a.example/hello HTTP/1.1",
            "an absolute-form request target must be an http or https URI",
        ),
        ("GET http://u@a.example/hello HTTP/1.1", "invalid authority in the request target"),
        ("GET http:///hello HTTP/1.1", "invalid authority in the request target"),
        ("GET http://a.example:99999/hello HTTP/1.1", "invalid authority in the request target"),
        # a space inside the target is a 400, not the 505 of an unsupported version
        ("GET /hel lo HTTP/1.1", SPACE),
        ("GET /hello?name=a b HTTP/1.1", SPACE),
        ("GET /a b HTTP/2.0", SPACE),
    ],
)
def test_malformed_targets_are_a_400(server, line, detail):
    assert refused(server, f"{line}\r\nHost: h\r\n\r\n".encode()) == (400, {"detail": detail})


def test_an_unsupported_version_is_still_a_505(server):
    status, headers, body = send(server, b"GET /hello HTTP/2.0\r\nHost: h\r\n\r\n")
    assert (status, headers["connection"]) == (505, "close")
    assert json.loads(body) == {"detail": "HTTP Version Not Supported"}


def test_nothing_pipelined_behind_a_refusal_is_answered(server):
    raw = b"GET * HTTP/1.1\r\nHost: h\r\n\r\nGET /hello HTTP/1.1\r\nHost: h\r\n\r\n"
    assert refused(server, raw) == (400, {"detail": ASTERISK})


# -- WebSocket handshakes (RFC 6455 4.1, 4.2.1) -----------------------------------------------

WS = (
    b"GET {target} HTTP/1.{minor}\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: {version}\r\n"
)


def ws(minor: int = 1, version: int = 13, extra: bytes = b"", target: bytes = b"/ws") -> bytes:
    head = WS.replace(b"{minor}", str(minor).encode()).replace(b"{version}", str(version).encode())
    return head.replace(b"{target}", target) + extra


def test_a_websocket_handshake_on_http10_is_a_400(server):
    detail = {"detail": "a WebSocket handshake needs HTTP/1.1"}
    assert refused(server, ws(minor=0) + b"\r\n") == (400, detail)


@pytest.mark.parametrize("framing", [b"Content-Length: 8\r\n", b"Transfer-Encoding: chunked\r\n"])
def test_a_websocket_handshake_with_a_body_is_a_400_never_frames(server, framing):
    # the "body" is a WebSocket frame: read as one, /ws would accept and echo it
    frame = masked_text(b"hi")
    body = frame if b"Length" in framing else b"8\r\n" + frame + b"\r\n0\r\n\r\n"
    raw = ws(extra=framing) + b"\r\n" + body
    assert refused(server, raw) == (400, {"detail": "a WebSocket handshake with a body"})


def test_a_wrong_websocket_version_is_a_426_naming_13(server):
    with server.connect() as sock:
        sock.sendall(ws(version=8) + b"\r\n")
        reader = Reader(sock)
        status, headers, body = reader.response()
        assert (status, headers["sec-websocket-version"]) == (426, "13")
        assert json.loads(body) == {"detail": "Unsupported WebSocket version"}
        assert headers["connection"] == "close" and reader.closed()


@pytest.mark.parametrize(
    "raw",
    [
        ws() + b"\r\n",
        ws(extra=b"Content-Length: 0\r\n") + b"\r\n",  # an empty body is no body
        ws(target=b"http://a.example/ws") + b"\r\n",
    ],
)
def test_a_good_handshake_still_opens(server, raw):
    with server.connect() as sock:
        sock.sendall(raw)
        status, headers, _ = Reader(sock).response(head_request=True)
        assert status == 101 and headers["upgrade"].lower() == "websocket"
        sock.sendall(masked_text(b"hi"))
        data = sock.recv(16)
        assert data[:2] == bytes([0x81, 2]) and data[2:4] == b"hi"


def test_an_upgrade_on_a_post_is_a_plain_request_whose_body_is_a_body(server):
    """Only a GET is a handshake: the POST's body is read as its body, and the request
    pipelined behind it is answered."""
    raw = (
        b"POST /only-post HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        b"Content-Length: 8\r\n\r\n"
        + masked_text(b"hi")
        + b"GET /hello HTTP/1.1\r\nHost: h\r\n\r\n"
    )
    with server.connect() as sock:
        sock.sendall(raw)
        reader = Reader(sock)
        assert reader.response()[::2] == (200, b'{"posted":true}')
        assert reader.response()[::2] == (200, b'{"hello":"world"}')


@pytest.mark.parametrize(
    "version", [b"HTTP/1.+1", b"HTTP/1", b"HTTP/11", b"HTTP/1.4294967296", b"HTTP/92233.1"]
)
def test_a_malformed_version_is_a_400_not_a_505(server, version):
    """Only a well-formed HTTP/DIGIT.DIGIT other than 1.0 and 1.1 is an unsupported version
    (found by the socket fuzzer: these got 505)."""
    status, _, _ = send(server, b"GET /hello " + version + b"\r\nHost: h\r\n\r\n")
    assert status == 400
    assert send(server, b"GET /hello HTTP/2.0\r\nHost: h\r\n\r\n")[0] == 505


@pytest.mark.fasterapi_only
def test_native_forged_host_and_file_disconnect(tmp_path):
    with native_server(tmp_path, app="streams") as server:
        status, _, body = exchange(server, b"GET /count?n=1 HTTP/1.1\r\nHost: a:b:c\r\n\r\n")
        # a malformed Host is refused by the server itself (RFC 9112 3.2)
        assert (status, body) == (400, b'{"detail":"invalid Host header"}')
    assert "Traceback" not in server.output()
