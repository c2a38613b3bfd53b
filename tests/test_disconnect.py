"""A client that leaves a streamed response stops its handler (issue 11, point 7), on both doors.

Over real sockets, on the native server and under uvicorn, each also behind a
BaseHTTPMiddleware (tests/apps/disconnect_app.py): a client reads a few items of an endless
stream whose generator never awaits, and closes. The generator must be closed (its `finally`
runs) having made at most a few items after that, nothing is logged as an error, and the
server must go on answering (its loop is not stuck in the generator). Raw StreamingResponses
over async and sync generators, endpoints that yield (JSON Lines and Server-Sent Events,
async and sync) and a FileResponse.

Then the ASGI contract itself, without a server: with ASGI 2.4, `send()` raising OSError ends
the stream with Starlette's ClientDisconnect, and no more items are made; below 2.4, where
`send()` may return quietly, the `http.disconnect` from `receive()` stops it."""

import asyncio
import contextlib
import json
import socket
import time

import pytest
from FasterAPI.requests import ClientDisconnect
from FasterAPI.responses import FileResponse, StreamingResponse
from FasterAPI.sse import EventSourceResponse

from tests.apps.disconnect_app import LINE
from tests.support.raw_http import Reader, request
from tests.support.servers import native_server, running_server

#: Items a generator may make once its client has closed the connection: the server's loop
#: sees the end of stream at its next turn, which comes after each item (the checkpoint);
#: closing the connection and cancelling the handler take a turn or two more.
AFTER_LEAVING = 3
#: An event stream's generator runs in a task of its own, up to two items ahead of what is
#: sent (one waiting in the queue, one being put), as FastAPI's does.
SSE_AHEAD = 2
#: Items the client reads before it leaves.
READ = 3

#: stream: what ends each of its items on the wire (once, whatever the chunked framing)
MARKERS = {
    "raw": b"x\n",
    "sync": b"x\n",
    "jsonl": b"}\n",
    "sync-jsonl": b"}\n",
    "sse": b"}\n\n",
    "file": b"x\n",
}
#: Where the app runs: the native server or uvicorn, with or without a BaseHTTPMiddleware
#: (which relays each stream, on the ASGI path of both doors).
DOORS = ["native", "uvicorn", "native-middleware", "uvicorn-middleware"]


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    """A file of 64 MiB of lines: far more than the socket buffers hold."""
    path = tmp_path_factory.mktemp("files") / "big.txt"
    with open(path, "wb") as out:
        out.write(LINE * (64 * 1024))
    return path


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """Each door's server, started when a test first asks for it, for the whole module:
    door -> {"port", "log"}."""
    with contextlib.ExitStack() as stack:

        def start(door: str) -> dict:
            tmp = tmp_path_factory.mktemp(door)
            app = "behind_middleware" if door.endswith("-middleware") else "app"
            if door.startswith("native"):
                server = stack.enter_context(native_server(tmp, app, module="disconnect_app"))
                return {"port": server.port, "log": server.log}
            return stack.enter_context(
                running_server("uvicorn", tmp, f"tests.apps.disconnect_app:{app}")
            )

        started: dict[str, dict] = {}
        yield lambda door: started.get(door) or started.setdefault(door, start(door))


def leave(port: int, target: str, marker: bytes) -> float:
    """Asks for the stream at `target`, reads READ items and closes the connection; the moment
    (time.monotonic()) it was closed. On loopback the server's socket has the end of stream
    by then: what the server makes afterwards depends on its loop, not on how fast this
    process runs."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request("GET", target))
        received = b""
        while received.partition(b"\r\n\r\n")[2].count(marker) < READ:
            data = sock.recv(65536)
            assert data, f"the stream ended: {received[-200:]!r}"
            received += data
        assert received.startswith(b"HTTP/1.1 200 "), received[:200]
    return time.monotonic()


def ask(port: int, target: str) -> tuple[int, bytes]:
    """GET `target` on a new connection: (status, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request("GET", target))
        status, _, body = Reader(sock).response()
    return status, body


def marks(door: str, name: str) -> list:
    """The native server is FasterAPI's own; under uvicorn, raw StreamingResponses, sync
    generators and files stop thanks to FasterAPI's checkpoint per item and its closing of
    generators, which Starlette's StreamingResponse and FileResponse do not have."""
    fastapi_too = door == "uvicorn" and name in ("jsonl", "sync-jsonl", "sse")
    return [] if fastapi_too else [pytest.mark.fasterapi_only]


@pytest.mark.parametrize(
    ("door", "name"),
    [pytest.param(door, name, marks=marks(door, name)) for door in DOORS for name in MARKERS],
)
def test_a_stream_whose_client_left_stops(servers, big_file, door, name):
    """The client reads a few items of an endless stream (its generator never awaits) and
    closes the connection: the generator is closed, having made at most a few items since,
    nothing is logged as an error, and the server goes on answering."""
    server = servers(door)
    port = server["port"]
    logged = len(server["log"].read_text())
    target = f"/file?path={big_file}" if name == "file" else f"/{name}"
    left = leave(port, target, MARKERS[name])
    status, body = ask(port, f"/report/{name}?since={left!r}")
    seen = json.loads(body)
    assert status == 200 and seen["closed"], seen
    assert seen["after"] <= AFTER_LEAVING + (SSE_AHEAD if name == "sse" else 0), seen
    assert seen["made"] >= READ, seen
    assert ask(port, "/health") == (200, b'{"ok":true}')
    log = server["log"].read_text()[logged:]
    assert "ERROR" not in log and "Traceback" not in log, log  # nor "Task was destroyed"


# -- the ASGI contract, without a server ----------------------------------------------------------


class Endless:
    """An endless generator (async, or sync with `sync=True`) that never awaits, counting
    its items and its closing; past `limit` items it raises, so that a stream that is never
    stopped fails the test instead of running forever. With `swallow`, it awaits before each
    item and swallows a cancellation there, as careless code does."""

    def __init__(self, sync: bool = False, swallow: bool = False, limit: int = 10_000) -> None:
        self.made = 0
        self.closed = False
        self.limit = limit
        self.swallow = swallow
        self.items = self.sync_items() if sync else self.async_items()

    def item(self) -> bytes:
        self.made += 1
        if self.made > self.limit:
            raise RuntimeError("the stream was never stopped")
        return b"item\n"

    async def async_items(self):
        try:
            while True:
                if self.swallow:
                    try:
                        await asyncio.sleep(0)
                    except asyncio.CancelledError:
                        pass
                yield self.item()
        finally:
            self.closed = True

    def sync_items(self):
        try:
            while True:
                yield self.item()
        finally:
            self.closed = True


class Peer:
    """The server's side of one request: `send` counts body messages; after `leave_after` of
    them the client is gone. With ASGI 2.4 `send` then raises OSError (as the native server
    does); below it, `send` returns quietly and `receive` gives http.disconnect (as uvicorn
    does)."""

    def __init__(self, spec_version: str, leave_after: int = 3) -> None:
        self.scope = {
            "type": "http",
            "method": "GET",
            "path": "/",
            "headers": [],
            "asgi": {"version": "3.0", "spec_version": spec_version},
        }
        self.raises = spec_version == "2.4"
        self.leave_after = leave_after
        self.bodies = 0
        #: messages the app sent once the client was gone
        self.after = 0
        self.gone = asyncio.Event()

    async def receive(self) -> dict:
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: dict) -> None:
        if self.bodies >= self.leave_after:
            self.after += 1
            self.gone.set()
            if self.raises:
                raise ConnectionResetError("the client has gone")
            return
        if message["type"] == "http.response.body":
            self.bodies += 1

    def serve(self, response) -> None:
        """Runs `response` for this peer. With ASGI 2.4 it raises Starlette's
        ClientDisconnect (for middleware that catches it); below, it returns."""

        async def run() -> None:
            await response(self.scope, self.receive, self.send)

        if self.raises:
            with pytest.raises(ClientDisconnect):
                asyncio.run(run())
        else:
            asyncio.run(run())


SPECS = ["2.4", "2.3"]


@pytest.mark.fasterapi_only
@pytest.mark.parametrize("spec_version", SPECS)
@pytest.mark.parametrize(
    "kind", ["async", "sync", "events", "swallowing"], ids=lambda kind: f"{kind}-generator"
)
def test_a_stream_stops_within_one_item_of_the_disconnect(spec_version, kind):
    """The item whose `send` found the client gone is the last one made, and the generator
    is closed (in a thread, once its step is over, for a sync one). One that swallows the
    cancellation still stops at its next `send`."""
    peer = Peer(spec_version)
    stream = Endless(sync=kind == "sync", swallow=kind == "swallowing")
    response_class = EventSourceResponse if kind == "events" else StreamingResponse
    peer.serve(response_class(stream.items))
    assert stream.closed
    extra = 1 if kind == "swallowing" and not peer.raises else 0
    assert stream.made <= peer.leave_after + 1 + extra, stream.made
    assert peer.after <= 1 + extra


@pytest.mark.fasterapi_only
@pytest.mark.parametrize("spec_version", SPECS)
def test_a_file_is_read_no_further_once_its_client_left(spec_version, big_file):
    peer = Peer(spec_version)
    file = FileResponse(big_file)
    file.chunk_size = 1024
    peer.serve(file)
    assert (peer.bodies, peer.after) == (peer.leave_after, 1)


@pytest.mark.fasterapi_only
def test_an_error_of_the_stream_itself_is_not_taken_for_a_disconnect():
    """An OSError raised by the generator (a file it reads is gone) is the app's error, not
    the client's leaving: it goes up as it is."""
    peer = Peer("2.4", leave_after=100)

    async def broken():
        yield b"first\n"
        raise FileNotFoundError("the data is gone")

    async def serve() -> None:
        await StreamingResponse(broken())(peer.scope, peer.receive, peer.send)

    with pytest.raises(FileNotFoundError):
        asyncio.run(serve())
