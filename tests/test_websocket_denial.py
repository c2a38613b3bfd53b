"""The WebSocket Denial Response: an HTTPException raised before `accept()` (by an auth
dependency, say) refuses the handshake with its HTTP response (401, `{"detail": ...}`,
WWW-Authenticate) where the server offers the "websocket.http.response" ASGI extension, as
FastAPI does; TestClient raises WebSocketDenialResponse. Through both doors (the `client`
fixture: TestClient, and the native server with the websockets client), a bare ASGI call
without the extension, the native server's wire over real sockets, uvicorn and hypercorn
(tests/apps/ws_denial_app.py)."""

import asyncio
import socket
from typing import Any

import pytest
from FasterAPI import HTTPException, WebSocketDisconnect
from FasterAPI.responses import PlainTextResponse
from FasterAPI.testclient import WebSocketDenialResponse
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.apps.ws_denial_app import app
from tests.support.servers import native_server, running_server


@pytest.fixture(scope="module", name="app")
def denial_app():
    return app


def denied(client: Any, url: str) -> WebSocketDenialResponse:
    with pytest.raises(WebSocketDenialResponse) as info:
        with client.websocket_connect(url):
            pass  # pragma: no cover
    return info.value


# -- both doors ---------------------------------------------------------------------------------


def test_http_exception_before_accept_is_the_response(client):
    response = denied(client, "/token")
    assert response.status_code == 401
    assert response.json() == {"detail": "no token"}
    assert response.headers["www-authenticate"] == "Token"
    # What Starlette's TestClient raises, and a WebSocketDisconnect, as there (FasterAPI's
    # TestClient imported Starlette's already, without its warning about httpx).
    from starlette.testclient import WebSocketDenialResponse as StarletteDenial

    assert isinstance(response, StarletteDenial)
    assert isinstance(response, WebSocketDisconnect)
    with client.websocket_connect("/token?token=t") as ws:
        assert ws.receive_text() == "token t"


def test_security_scheme_refuses_with_its_challenge(client):
    response = denied(client, "/bearer")
    assert (response.status_code, response.json()) == (401, {"detail": "Not authenticated"})
    assert response.headers["www-authenticate"] == "Bearer"
    with client.websocket_connect("/bearer", headers={"Authorization": "Bearer s3"}) as ws:
        assert ws.receive_text() == "s3"


def test_endpoint_sends_its_own_denial_response(client):
    response = denied(client, "/teapot")
    assert (response.status_code, response.text) == (418, "short and stout")
    response = denied(client, "/streamed")
    assert (response.status_code, response.text) == (403, "go away")


def test_the_http_exception_handler_makes_the_response(make_client):
    from tests.apps import ws_denial_app

    def handler(request, exc):
        return PlainTextResponse(f"custom {exc.detail}", status_code=exc.status_code)

    ws_denial_app.app.exception_handlers[HTTPException] = handler
    try:
        response = denied(make_client(ws_denial_app.app), "/token")
    finally:
        del ws_denial_app.app.exception_handlers[HTTPException]
    assert (response.status_code, response.text) == (401, "custom no token")


def test_http_exception_after_accept_closes_with_1008(client):
    with client.websocket_connect("/after-accept") as ws:
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_text()
    assert (info.value.code, info.value.reason) == (1008, "too late")


def test_without_the_extension_the_connection_is_closed_with_1008():
    """A server that does not offer the extension gets a close (a 403 on the wire)."""
    sent = []
    scope = {
        "type": "websocket",
        "path": "/token",
        "raw_path": b"/token",
        "query_string": b"",
        "headers": [],
        "extensions": {},
    }

    async def receive():
        return {"type": "websocket.connect"}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    assert sent == [{"type": "websocket.close", "code": 1008, "reason": "no token"}]
    sent.clear()
    with pytest.raises(RuntimeError, match="Denial Response extension"):
        asyncio.run(app({**scope, "path": "/teapot", "raw_path": b"/teapot"}, receive, send))
    assert sent == []


# -- the native server, over real sockets -------------------------------------------------------


@pytest.fixture(scope="module")
def native(tmp_path_factory):
    with native_server(
        tmp_path_factory.mktemp("denial"), app="app", module="ws_denial_app"
    ) as server:
        yield server


def handshake(path: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


def raw_response(sock: socket.socket) -> bytes:
    """Everything the server writes until it closes the connection."""
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    return data


def test_native_denial_is_a_real_http_response(native):
    with native.connect() as sock:
        sock.sendall(handshake("/token"))
        response = raw_response(sock)  # the server closes the connection after it
    head, body = response.split(b"\r\n\r\n", 1)
    lines = head.lower().split(b"\r\n")
    assert lines[0] == b"http/1.1 401 unauthorized"
    assert b"www-authenticate: token" in lines
    assert b"connection: close" in lines
    assert b"content-length: 21" in lines
    assert b"sec-websocket-accept" not in head.lower()
    assert body == b'{"detail":"no token"}'


def test_native_streamed_denial_ends_with_the_connection(native):
    with native.connect() as sock:
        sock.sendall(handshake("/streamed"))
        response = raw_response(sock)
    head, body = response.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 403 Forbidden\r\n")
    assert b"content-length" not in head.lower() and b"chunked" not in head.lower()
    assert body == b"go away"


def test_native_unhandled_disconnect_is_quiet(native):
    """The client's disconnect, let out of the endpoint, is not logged as an error."""
    with connect(f"ws://127.0.0.1:{native.port}/unread") as ws:
        ws.send("one")
    native.wait_for_output('"WebSocket /unread" 101')
    with connect(f"ws://127.0.0.1:{native.port}/after-accept") as ws:
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)  # later than the disconnect: its log line would be out
    assert "Exception in ASGI application" not in native.output()


# -- under uvicorn and hypercorn, which offer the extension too ---------------------------------


@pytest.mark.parametrize("server", ["uvicorn", "hypercorn"])
def test_under_asgi_servers(tmp_path, server):
    with running_server(server, tmp_path, "tests.apps.ws_denial_app:app") as info:
        with pytest.raises(InvalidStatus) as refused:
            connect(f"ws://127.0.0.1:{info['port']}/token")
        response = refused.value.response
        assert (response.status_code, response.body) == (401, b'{"detail":"no token"}')
        with connect(f"ws://127.0.0.1:{info['port']}/token?token=u") as ws:
            assert ws.recv(timeout=5) == "token u"
