"""WebSockets: routes with parameters and dependencies, the WebSocket API, refusals and errors,
through both doors (the `client` fixture: TestClient, and the native server with the
websockets client), then the native server's wire behaviour over real sockets, and under
uvicorn (tests/apps/ws_app.py)."""

import json
import logging
import signal
import socket
import threading
import time

import httpx
import pytest
from FasterAPI import (
    APIRouter,
    Depends,
    Faster,
    Request,
    WebSocket,
    WebSocketDisconnect,
)
from FasterAPI.testclient import WebSocketDenialResponse
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.apps import ws_app
from tests.apps.ws_app import EVENTS, app
from tests.support.servers import native_server, running_server


@pytest.fixture(autouse=True)
def clear_events():
    EVENTS.clear()
    app.dependency_overrides = {}
    yield
    app.dependency_overrides = {}


@pytest.fixture(scope="module", name="app")
def ws_app_fixture():
    return app


#: What the native door cannot give: the server keeps to the wire.
REFUSED_WITH_403 = (
    "the native server answers a close before accept() with an HTTP 403, as ASGI servers do: "
    "the client sees 1006, not the close code and reason (test_native_refusals_are_403)"
)
ERROR_IS_THE_SERVERS = (
    "an exception out of the app is the native server's to log, not raised to the test: the "
    "connection closes with 1011 (a 500 before accept()), or quietly for a WebSocketDisconnect"
)


# -- both doors ---------------------------------------------------------------------------------


def test_websocket_connect_passes_request_options_and_refuses_unknown_ones(client):
    with client.websocket_connect("/echo/lobby", params={"times": 3}) as ws:
        assert ws.receive_json()["times"] == 3  # params= reached the handshake's query
    with pytest.raises(TypeError, match="bogus"):
        client.websocket_connect("/echo/lobby", bogus=1)


def test_echo_with_parameters_and_injected_websocket(client):
    url = "/echo/lobby?times=2"
    headers = {"x-client": "tests"}
    client.cookies.set("flavour", "mint")
    with client.websocket_connect(url, headers=headers, subprotocols=["chat"]) as ws:
        assert ws.accepted_subprotocol == "chat"
        assert ws.receive_json() == {
            "room": "lobby",
            "times": 2,
            "same_websocket": True,
            "session": "session",
            "path": "/echo/lobby",
            "client": "tests",
            "flavour": "mint",
            "greeting": "hello",
            "scheme": "ws",
        }
        ws.send_text("hé")
        assert ws.receive_text() == "HÉHÉ"
        ws.send_bytes(b"abc")
        assert ws.receive_bytes() == b"cba"
        big = bytes(range(256)) * 4096  # 1 MiB (in many TCP segments on the native door)
        ws.send_bytes(big)
        assert ws.receive_bytes() == big[::-1]
    # The yield dependency's teardown runs once the endpoint is over.
    assert EVENTS == ["open", "disconnect 1000", "teardown"]


def test_client_close_code_reaches_the_endpoint(client):
    with client.websocket_connect("/echo/a") as ws:
        ws.receive_json()
        ws.close(4001)
    assert "disconnect 4001" in EVENTS


def test_endpoint_closes_with_code_and_reason(client):
    with client.websocket_connect("/echo/a") as ws:
        ws.receive_json()
        ws.send_text("close")
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_text()
    assert (info.value.code, info.value.reason) == (4000, "bye")


@pytest.mark.native_xfail(reason=ERROR_IS_THE_SERVERS)
def test_error_in_endpoint_is_thrown_into_yield_dependency_and_raised(client):
    with pytest.raises(RuntimeError, match="boom"):
        with client.websocket_connect("/echo/a") as ws:
            ws.receive_json()
            ws.send_text("boom")
            ws.receive_text()
    assert EVENTS == ["open", "error RuntimeError", "teardown"]


@pytest.mark.native_xfail(reason=REFUSED_WITH_403)
@pytest.mark.parametrize(
    ("url", "code", "reason"),
    [
        ("/deny", 1000, ""),
        ("/no/such/route", 1000, ""),
        ("/echo/a?token=forbidden", 4403, "forbidden token"),
    ],
)
def test_refused_connections(client, url, code, reason):
    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect(url):
            pass
    assert (info.value.code, info.value.reason) == (code, reason)


def test_http_exception_before_accept_is_its_response(client):
    # An HTTPException refuses the handshake with its response, as FastAPI's handler makes it
    # (tests/test_websocket_denial.py).
    with pytest.raises(WebSocketDenialResponse) as info:
        with client.websocket_connect("/echo/a?token=http"):
            pass
    assert (info.value.status_code, info.value.json()) == (401, {"detail": "no token"})


@pytest.mark.native_xfail(reason=REFUSED_WITH_403)
def test_invalid_parameter_closes_with_1008_and_the_errors(client):
    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect("/echo/a?times=many"):
            pass
    assert info.value.code == 1008
    assert '"type":"int_parsing"' in info.value.reason
    assert '"loc":["query","times"]' in info.value.reason
    # As in FastAPI, dependencies with valid input ran, and saw the error at their yield.
    assert EVENTS == ["open", "error WebSocketRequestValidationError", "teardown"]


def test_iter_text_ends_when_the_client_leaves(client):
    with client.websocket_connect("/lines") as ws:
        for word in ("a", "b", "c"):
            ws.send_text(word)
        assert [ws.receive_text() for _ in range(3)] == ["1: a", "2: b", "3: c"]
    assert EVENTS == ["lines 3"]


@pytest.mark.native_xfail(reason=ERROR_IS_THE_SERVERS)
def test_unhandled_disconnect_is_raised_to_the_test(client):
    # Leaving the block disconnects; the WebSocketDisconnect the endpoint lets through comes
    # out of the app, and TestClient raises it, as Starlette's does (the native server does
    # not log it: test_native_unhandled_disconnect_is_quiet).
    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect("/unread") as ws:
            ws.send_text("one")
    assert info.value.code == 1000


def test_router_prefix_dependencies_and_json(client):
    with client.websocket_connect("/v1/r/json") as ws:
        ws.send_json({"a": [1, 2]})
        assert ws.receive_json() == {"got": {"a": [1, 2]}}
        ws.send_json([1], mode="binary")
        assert ws.receive_json() == {"got": [1]}
    assert EVENTS == ["open", "json disconnect 1000", "teardown"]


def test_http_connection_dependency_serves_both_kinds(client):
    assert client.get("/path").json() == {"path": "/path"}
    with client.websocket_connect("/echo/x") as ws:
        assert ws.receive_json()["path"] == "/echo/x"


def test_dependency_overrides_apply_to_websocket_routes(client):
    async def no_guard(websocket: WebSocket) -> WebSocket:
        EVENTS.append("override")
        return websocket

    app.dependency_overrides[ws_app.guard] = no_guard
    with client.websocket_connect("/echo/a?token=forbidden") as ws:
        assert ws.receive_json()["same_websocket"] is True
    assert EVENTS[0] == "override"


def test_http_request_to_a_websocket_path_is_404(client):
    assert client.get("/echo/a").status_code == 404


def test_registration_errors():
    router = APIRouter()
    with pytest.raises(TypeError, match="must be an async def"):

        @router.websocket("/sync")
        def sync_endpoint(websocket: WebSocket):
            pass

    with pytest.raises(TypeError, match="asks for a Request"):

        @router.websocket("/request")
        async def wants_request(websocket: WebSocket, request: Request):
            pass

    with pytest.raises(TypeError, match="asks for a Websocket"):

        @router.get("/http")
        async def wants_websocket(websocket: WebSocket):
            pass

    async def dep(request: Request):
        return request

    with pytest.raises(TypeError, match="asks for a Request"):

        @router.websocket("/dep")
        async def dep_wants_request(websocket: WebSocket, value=Depends(dep)):
            pass


@pytest.mark.native_xfail(reason=ERROR_IS_THE_SERVERS)
def test_state_errors_raise_in_the_endpoint(make_client):
    local = Faster()

    @local.websocket("/early")
    async def early(websocket: WebSocket):
        await websocket.receive_text()  # before accept()

    @local.websocket("/twice")
    async def twice(websocket: WebSocket):
        await websocket.accept()
        await websocket.close()
        await websocket.send_text("after close")

    client = make_client(local)
    with pytest.raises(RuntimeError, match='Need to call "accept" first'):
        with client.websocket_connect("/early"):
            pass
    with pytest.raises(RuntimeError, match="once a close message has been sent"):
        with client.websocket_connect("/twice") as ws:
            ws.receive()


def test_middleware_and_mounts_see_websockets(make_client):
    seen: list[str] = []

    class Recorder:
        def __init__(self, inner):
            self.inner = inner

        async def __call__(self, scope, receive, send):
            seen.append(scope["type"])
            await self.inner(scope, receive, send)

    sub = Faster()

    @sub.websocket("/ws")
    async def sub_ws(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_text(websocket.scope["root_path"])
        await websocket.close()

    outer = Faster()
    outer.add_middleware(Recorder)
    outer.mount("/sub", sub)
    with make_client(outer).websocket_connect("/sub/ws") as ws:
        assert ws.receive_text() == "/sub"
    assert seen == ["lifespan", "websocket"]


def test_leaving_a_streaming_endpoint_is_quick_and_clean(client):
    started = time.monotonic()
    with client.websocket_connect("/stream") as ws:
        assert len(ws.receive_text()) == 65536
    assert time.monotonic() - started < 1.0  # the app's next send raised: it ended by itself
    assert EVENTS == ["stream ended"]


def test_a_send_after_the_test_left_ends_the_app_quietly(client, caplog):
    # Starlette's TestClient cancels the app when the block ends; ours tells its next send
    # that the client has gone, as a server does: the WebSocketDisconnect that comes out is
    # not the test's.
    with client.websocket_connect("/flood") as ws:
        assert ws.receive_text() == "x"
    # Leaving the block did not raise; the app's next send failed with Starlette's 1006 (the
    # client is gone), so the app ended...
    assert EVENTS == ["flood disconnect 1006"]
    # ...and nothing was logged as an error.
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def tight_loop_app(seen: list[int]) -> Faster:
    """An endpoint that works each message out and sends it, with nothing else to await (the
    loop runs only if the server's send lets it), recording the disconnect that ends it; and
    a route."""
    local = Faster()

    @local.websocket("/tight")
    async def tight(websocket: WebSocket):
        await websocket.accept()
        try:
            while True:
                await websocket.send_text(str(sum(range(20000))))
        except WebSocketDisconnect as exc:
            seen.append(exc.code)

    @local.get("/ping")
    def ping():
        return "pong"

    return local


def test_an_endpoint_sending_in_a_tight_loop_sees_the_client_leave(make_client):
    seen: list[int] = []
    client = make_client(tight_loop_app(seen))
    with client.websocket_connect("/tight") as ws:
        assert [ws.receive_text() for _ in range(3)] == ["199990000"] * 3
    deadline = time.monotonic() + 5
    while not seen:
        assert time.monotonic() < deadline, "the endpoint never saw the client leave"
        time.sleep(0.01)
    assert seen == [1006]  # its send found the client gone, as under uvicorn
    assert client.get("/ping").json() == "pong"  # and the server still answers


@pytest.mark.fasterapi_only
def test_native_serves_others_and_shuts_down_while_an_endpoint_sends_in_a_tight_loop(tmp_path):
    # TestClient runs its sessions on one loop, which such an endpoint holds (and uvicorn's
    # wsproto too): native server only, in a process of its own, so that the client keeps up
    # with the endpoint (in the test's process, the two would share the GIL).
    with native_server(tmp_path, app="ws") as server:
        base = f"127.0.0.1:{server.port}"
        closed: list[int] = []
        # The client reads raw bytes, as fast as the socket gives them: the server's writes
        # never wait, so only the server's own yields let the loop run.
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as tight:
            tight.sendall(raw_handshake(path="/busy"))
            assert b" 101 " in read_until(tight, b"\r\n\r\n")

            def read_all() -> None:
                seen_bytes = b""
                while chunk := tight.recv(1 << 20):
                    seen_bytes = seen_bytes[-3:] + chunk
                    if b"\x88\x02\x03\xe9" in seen_bytes:  # a close frame, code 1001
                        closed.append(1001)
                        tight.sendall(bytes([0x88, 0x82, 0, 0, 0, 0, 0x03, 0xE9]))  # reply
                        return
                closed.append(1006)

            reader = threading.Thread(target=read_all, daemon=True)
            reader.start()
            assert httpx.get(f"http://{base}/health", timeout=5, trust_env=False).json() == {
                "ok": True
            }
            with connect(f"ws://{base}/lines", open_timeout=5) as other:
                other.send("hi")
                assert other.recv(timeout=5) == "1: hi"
            server.proc.send_signal(signal.SIGTERM)  # closes the looping one with 1001, and stops
            assert server.proc.wait(timeout=15) == 0
            reader.join(10)
        assert closed == [1001]
    assert "busy disconnect 1006" in server.output()  # its next send found the client gone


def test_receive_after_the_app_ended_keeps_saying_closed(client):
    with client.websocket_connect("/with-response") as ws:
        assert ws.receive_text() == "ok"
        for _ in range(2):
            with pytest.raises(WebSocketDisconnect) as info:
                ws.receive_text()
            assert info.value.code == 1000


def test_body_parameters_are_refused_on_websocket_routes():
    import msgspec

    class Item(msgspec.Struct):
        name: str

    with pytest.raises(TypeError, match="a WebSocket route has none of"):

        @APIRouter().websocket("/body")
        async def wants_body(websocket: WebSocket, item: Item):
            pass


# -- the native server, over real sockets -------------------------------------------------------


@pytest.fixture(scope="module")
def native(tmp_path_factory):
    with native_server(tmp_path_factory.mktemp("ws"), app="ws") as server:
        yield server


def events_of(port: int) -> list[str]:
    return httpx.get(f"http://127.0.0.1:{port}/events", trust_env=False).json()


def wait_for_event(port: int, event: str) -> list[str]:
    deadline = time.monotonic() + 5
    while event not in (events := events_of(port)):
        assert time.monotonic() < deadline, f"{event!r} not in {events}"
        time.sleep(0.02)
    return events


def test_native_answers_pings(native):
    with connect(f"ws://127.0.0.1:{native.port}/echo/lobby") as ws:
        assert json.loads(ws.recv())["room"] == "lobby"
        ws.ping(b"are you there").wait(5)  # answered by the Rust session itself
        ws.send("still")
        assert ws.recv(timeout=5) == "STILL"


def test_native_error_in_endpoint_closes_with_1011(native):
    with connect(f"ws://127.0.0.1:{native.port}/echo/a") as ws:
        ws.recv()
        ws.send("boom")
        with pytest.raises(ConnectionClosed) as info:
            ws.recv()
    assert info.value.rcvd.code == 1011  # an error in the endpoint
    events = wait_for_event(native.port, "error RuntimeError")
    assert events[-1] == "teardown"


@pytest.mark.parametrize("path", ["/deny", "/nowhere", "/echo/a?times=x"])
def test_native_refusals_are_403(native, path):
    with pytest.raises(InvalidStatus) as info:
        connect(f"ws://127.0.0.1:{native.port}{path}")
    assert info.value.response.status_code == 403


def raw_handshake(
    key: str = "dGhlIHNhbXBsZSBub25jZQ==", version: str = "13", path: str = "/lines"
) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: {version}\r\n\r\n"
    ).encode()


def masked_text(text: str) -> bytes:
    payload = text.encode()
    mask = b"\x01\x02\x03\x04"
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + body


def masked_ping() -> bytes:
    return bytes([0x89, 0x80]) + b"\x00\x00\x00\x00"


def read_until(sock: socket.socket, marker: bytes) -> bytes:
    data = b""
    while marker not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


@pytest.mark.parametrize(
    ("key", "version", "status"),
    [("short", "13", b"400 Bad Request"), ("dGhlIHNhbXBsZSBub25jZQ==", "8", b"426 Upgrade")],
)
def test_native_bad_handshakes(native, key, version, status):
    with native.connect() as sock:
        sock.sendall(raw_handshake(key, version))
        response = read_until(sock, b"}")
    assert response.startswith(b"HTTP/1.1 " + status)
    assert b"connection: close" in response.lower()


def test_native_frames_right_behind_the_handshake(native):
    with native.connect() as sock:
        sock.sendall(raw_handshake() + masked_text("early"))
        response = read_until(sock, b"1: early")
    assert response.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
    assert b"sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in response
    assert response.endswith(b"\x81\x081: early")


def test_native_bytes_sent_before_accept_come_through_in_order(native):
    with native.connect() as sock:
        sock.sendall(raw_handshake(path="/slow-accept") + masked_text("A"))
        time.sleep(0.1)  # the app has not accepted yet
        sock.sendall(masked_ping() + masked_text("B"))
        response = read_until(sock, b"\x81\x01B")
    head, frames = response.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 101 ")  # nothing was written before the 101
    # The pong is answered as soon as the frames are read, then the app echoes A and B.
    assert frames == b"\x8a\x00\x81\x01A\x81\x01B"


def test_native_close_with_unread_messages_is_prompt(native):
    with connect(f"ws://127.0.0.1:{native.port}/ignore") as ws:
        for _ in range(200):  # far more than the app reads: the server stops reading
            ws.send("unread")
        started = time.monotonic()
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=5)
        ws.close_timeout = 5
    assert info.value.rcvd.code == 1000
    assert time.monotonic() - started < 3  # the close reply was read, not waited out


@pytest.mark.parametrize("path", ["/bad-close", "/raw-send"])
def test_native_invalid_messages_from_the_app_close_with_1011(native, path):
    with connect(f"ws://127.0.0.1:{native.port}{path}") as ws:
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=5)
    assert info.value.rcvd.code == 1011


def test_native_keepalive_drops_a_silent_client(tmp_path):
    with native_server(tmp_path, app="ws", ws_ping_interval=0.2, ws_ping_timeout=0.2) as server:
        # A client that answers pings (the websockets library does) stays connected.
        with connect(f"ws://127.0.0.1:{server.port}/lines") as ws:
            time.sleep(1.0)
            ws.send("still here")
            assert ws.recv(timeout=5) == "1: still here"
        # A raw socket that never answers is pinged, then dropped.
        with server.connect() as sock:
            sock.sendall(raw_handshake())
            data = read_until(sock, b"\x89\x00")  # the ping
            assert data.startswith(b"HTTP/1.1 101 ")
            sock.settimeout(5)
            rest = b""
            while chunk := sock.recv(4096):
                rest += chunk
        assert rest in (b"", b"\x89\x00")  # the connection ends: no close handshake to wait for
        wait_for_event(server.port, "lines 0")


def test_native_every_waiting_sender_learns_the_client_left(native):
    sock = native.connect()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.sendall(raw_handshake(path="/two-senders"))
    time.sleep(0.3)  # both senders now wait for the client to read
    sock.close()
    deadline = time.monotonic() + 5
    while events_of(native.port).count("sender saw the disconnect") < 2:
        assert time.monotonic() < deadline, events_of(native.port)
        time.sleep(0.05)


def test_native_shutdown_with_a_client_that_does_not_read(tmp_path):
    with native_server(tmp_path, app="ws") as server:
        sock = server.connect()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(raw_handshake(path="/stream"))
        time.sleep(0.5)  # the stream fills both sides' buffers
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=15) == 0  # the silent client was dropped
        sock.close()


def test_native_oversized_message_closes_with_1009(tmp_path):
    with native_server(tmp_path, app="ws", ws_max_size=1024) as server:
        with connect(f"ws://127.0.0.1:{server.port}/lines") as ws:
            ws.send("x" * 1000)
            assert ws.recv() == "1: " + "x" * 1000
            ws.send("x" * 2000)
            with pytest.raises(ConnectionClosed) as info:
                ws.recv()
        assert info.value.rcvd.code == 1009


def test_native_shutdown_closes_with_1001(tmp_path):
    with native_server(tmp_path, app="ws") as server:
        with connect(f"ws://127.0.0.1:{server.port}/lines") as ws:
            ws.send("x")
            ws.recv()
            server.proc.send_signal(signal.SIGTERM)
            with pytest.raises(ConnectionClosed) as info:
                ws.recv(timeout=10)
        assert info.value.rcvd.code == 1001
        assert server.proc.wait(timeout=10) == 0


# -- under uvicorn and hypercorn: the ASGI door -------------------------------------------------


@pytest.mark.parametrize("server", ["uvicorn", "hypercorn"])
def test_under_asgi_servers(tmp_path, server):
    with running_server(server, tmp_path, "tests.apps.ws_app:app") as info:
        port = info["port"]
        with connect(f"ws://127.0.0.1:{port}/echo/u?times=3") as ws:
            assert json.loads(ws.recv())["greeting"] == "hello"
            ws.send("ab")
            assert ws.recv() == "ABABAB"
        with pytest.raises(InvalidStatus) as refused:
            connect(f"ws://127.0.0.1:{port}/echo/u?times=x")
        assert refused.value.response.status_code == 403
        assert info["client"].get("/echo/u").status_code == 404
