"""permessage-deflate (RFC 7692) on the native server, over real sockets: the websockets client
(which offers it by default) and raw sockets that show the bytes on the wire. Negotiated as
uvicorn's default WebSocket backend does (checked against uvicorn itself); on by default,
off with `--no-ws-per-message-deflate`; a compressed message that inflates past --ws-max-size
is refused with 1009 without the server's memory growing to its inflated size."""

import os
import socket
import struct
import subprocess
import sys
import time
import zlib

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support.servers import ROOT, free_port, native_server, running_server

pytestmark = pytest.mark.fasterapi_only

AGREED = "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12"
TRAILER = b"\x00\x00\xff\xff"


@pytest.fixture(scope="module")
def native(tmp_path_factory):
    with native_server(tmp_path_factory.mktemp("deflate"), app="app", module="ws_app") as server:
        yield server


# -- a raw client ---------------------------------------------------------------------------------


def handshake(sock: socket.socket, extensions: str | None, path: str = "/mirror") -> bytes:
    """Sends a handshake offering `extensions`; returns the response head, read byte by byte so
    that nothing after it is taken from the socket."""
    offer = f"Sec-WebSocket-Extensions: {extensions}\r\n" if extensions is not None else ""
    sock.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            f"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            f"{offer}\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        assert chunk, head
        head += chunk
    return head


def extension_header(head: bytes) -> str | None:
    for line in head.decode("latin-1").split("\r\n")[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "sec-websocket-extensions":
            return value.strip()
    return None


def client_frame(first: int, payload: bytes) -> bytes:
    """A masked frame; `first` is FIN/RSV/opcode (0xC1: a final, compressed text frame)."""
    mask = os.urandom(4)
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", first, 0x80 | n)
    elif n < 65536:
        head = struct.pack("!BBH", first, 0x80 | 126, n)
    else:
        head = struct.pack("!BBQ", first, 0x80 | 127, n)
    masked = int.from_bytes(payload, "little") ^ int.from_bytes(mask * (n // 4 + 1), "little")
    return head + mask + masked.to_bytes(n + 4, "little")[:n]


def recv_exactly(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        assert chunk, f"connection closed after {len(data)} of {n} bytes"
        data += chunk
    return data


def read_frame(sock: socket.socket) -> tuple[int, bytes]:
    """The server's next frame: its first byte and payload (as sent: unmasked)."""
    first, second = recv_exactly(sock, 2)
    assert not second & 0x80, "a server frame is not masked"
    length = second & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", recv_exactly(sock, 2))
    elif length == 127:
        (length,) = struct.unpack("!Q", recv_exactly(sock, 8))
    return first, recv_exactly(sock, length)


def deflate(data: bytes, bits: int = 12) -> bytes:
    """A message compressed as a client does it: a sync flush, its trailer taken off."""
    compressor = zlib.compressobj(wbits=-bits)
    out = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(TRAILER)
    return out[:-4]


def inflate(payload: bytes, bits: int = 12) -> bytes:
    return zlib.decompressobj(wbits=-bits).decompress(payload + TRAILER)


def close_code(frame: tuple[int, bytes]) -> int:
    first, payload = frame
    assert first == 0x88, frame
    return struct.unpack("!H", payload[:2])[0]


# -- the websockets client ------------------------------------------------------------------------


def test_websockets_client_negotiates_it_and_echoes(native):
    with connect(f"ws://127.0.0.1:{native.port}/mirror", max_size=None) as ws:
        assert ws.response.headers["Sec-WebSocket-Extensions"] == AGREED
        for message in ["héllo", "", b"\x00\x01\xff", b"", "ab" * 100_000]:
            ws.send(message)
            assert ws.recv(timeout=10) == message
        # large messages, compressible and not, text and binary
        big_text = "".join(f"line {i}: the quick brown fox\n" for i in range(200_000))
        noise = os.urandom(3 * 1024 * 1024)
        for message in [big_text, noise, big_text.encode(), noise * 2]:
            ws.send(message)
            assert ws.recv(timeout=30) == message


def test_a_client_that_does_not_offer_it(native):
    with connect(f"ws://127.0.0.1:{native.port}/mirror", compression=None) as ws:
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        ws.send("plain " * 1000)
        assert ws.recv(timeout=10) == "plain " * 1000
    with native.connect() as sock:
        head = handshake(sock, None)
        assert head.startswith(b"HTTP/1.1 101 ") and extension_header(head) is None
        sock.sendall(client_frame(0x81, b"a" * 1000))
        assert read_frame(sock) == (0x81, b"a" * 1000)  # not compressed
        # RSV1 is a protocol error where the extension was not agreed
        sock.sendall(client_frame(0xC1, deflate(b"x")))
        assert close_code(read_frame(sock)) == 1002


# -- on the wire ----------------------------------------------------------------------------------


def test_compressed_on_the_wire(native):
    message = ("compress me, " * 1000).encode()
    with native.connect() as sock:
        head = handshake(sock, "permessage-deflate; client_max_window_bits")
        assert extension_header(head) == AGREED
        # the client may send a message uncompressed; the server still compresses its own
        sock.sendall(client_frame(0x81, message))
        first, payload = read_frame(sock)
        assert first == 0xC1  # FIN, RSV1, text
        assert len(payload) < len(message) // 20
        assert inflate(payload) == message
        # a compressed message, fragmented, with a ping between the fragments, twice: the
        # second echo is mostly back-references to the first (context takeover; the message
        # fits the 4 KiB window)
        numbers = " ".join(str(i * 7919 % 10007) for i in range(500)).encode()
        compressed = deflate(numbers)
        half = len(compressed) // 2
        decompressor = zlib.decompressobj(wbits=-12)
        assert decompressor.decompress(payload + TRAILER) == message
        echoes = []
        for _ in range(2):
            sock.sendall(client_frame(0x41, compressed[:half]) + client_frame(0x89, b"hi"))
            sock.sendall(client_frame(0x80, compressed[half:]))
            assert read_frame(sock) == (0x8A, b"hi")
            first, echoed = read_frame(sock)
            assert first == 0xC1
            assert decompressor.decompress(echoed + TRAILER) == numbers
            echoes.append(echoed)
        assert len(echoes[1]) < len(echoes[0]) // 10, [len(e) for e in echoes]
        # RSV1 on a continuation frame is a protocol error
        sock.sendall(client_frame(0x41, compressed[:half]) + client_frame(0xC0, compressed[half:]))
        assert close_code(read_frame(sock)) == 1002


@pytest.mark.parametrize(
    ("offer", "agreed"),
    [
        ("permessage-deflate", "permessage-deflate; server_max_window_bits=12"),
        (
            "permessage-deflate; server_no_context_takeover; client_max_window_bits=9",
            "permessage-deflate; server_no_context_takeover; server_max_window_bits=12; "
            "client_max_window_bits=9",
        ),
        (
            "permessage-deflate; server_max_window_bits=10",
            "permessage-deflate; server_max_window_bits=10",
        ),
        ("permessage-deflate; server_max_window_bits=8", None),
        (
            "permessage-deflate; bogus, permessage-deflate; client_no_context_takeover",
            "permessage-deflate; client_no_context_takeover; server_max_window_bits=12",
        ),
        ("x-webkit-deflate-frame", None),
    ],
)
def test_negotiation_is_uvicorns(native, uvicorn_ws, offer, agreed):
    for port in (native.port, uvicorn_ws):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            head = handshake(sock, offer)
            assert head.startswith(b"HTTP/1.1 101 "), head
            assert extension_header(head) == agreed, (port, head)


@pytest.fixture(scope="module")
def uvicorn_ws(tmp_path_factory):
    with running_server(
        "uvicorn", tmp_path_factory.mktemp("uvicorn"), "tests.apps.ws_app:app"
    ) as info:
        yield info["port"]


def test_server_no_context_takeover_resets_each_message(native):
    message = ("again and again " * 200).encode()
    with native.connect() as sock:
        head = handshake(sock, "permessage-deflate; server_no_context_takeover")
        assert "server_no_context_takeover" in extension_header(head)
        payloads = []
        for _ in range(2):
            sock.sendall(client_frame(0xC1, deflate(message, bits=15)))
            first, payload = read_frame(sock)
            assert first == 0xC1 and inflate(payload) == message  # each on its own
            payloads.append(payload)
        assert payloads[0] == payloads[1]


# -- limits ---------------------------------------------------------------------------------------


def zeros_bomb(megabytes: int) -> bytes:
    """A deflate stream of `megabytes` MiB of zeros: one MiB compressed with a full flush (no
    reference to what came before) repeated, about 1 KiB per MiB."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -9)
    piece = compressor.compress(bytes(1 << 20)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return piece * megabytes


def peak_rss(pid: int) -> int:
    """The process's peak resident memory, in bytes (Linux)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def test_inflate_bomb_is_1009_and_memory_stays_flat(native):
    bomb = zeros_bomb(1024)  # 1 GiB of zeros in about 1 MiB, under the 16 MiB limit
    assert len(bomb) < 2 << 20
    before = peak_rss(native.proc.pid)
    with native.connect(timeout=30) as sock:
        handshake(sock, "permessage-deflate; client_max_window_bits")
        sock.sendall(client_frame(0xC2, bomb))
        first, payload = read_frame(sock)
        assert first == 0x88 and struct.unpack("!H", payload[:2])[0] == 1009, payload
    # never inflated past the 16 MiB limit (plus the frame itself and zlib's state)
    assert peak_rss(native.proc.pid) - before < 64 << 20, (before, peak_rss(native.proc.pid))
    # the server goes on
    with connect(f"ws://127.0.0.1:{native.port}/mirror") as ws:
        ws.send("still there")
        assert ws.recv(timeout=5) == "still there"


def test_ws_max_size_counts_the_inflated_size(tmp_path):
    with native_server(tmp_path, app="app", module="ws_app", ws_max_size=1000) as server:
        with connect(f"ws://127.0.0.1:{server.port}/mirror") as ws:
            ws.send("x" * 1000)  # a few bytes compressed, 1000 inflated: allowed
            assert ws.recv(timeout=5) == "x" * 1000
            ws.send("x" * 1001)  # still a few bytes on the wire, over the limit inflated
            with pytest.raises(ConnectionClosed) as info:
                ws.recv(timeout=5)
        assert info.value.rcvd.code == 1009


# -- turned off -----------------------------------------------------------------------------------


def test_off_with_the_config(tmp_path):
    with native_server(
        tmp_path, app="app", module="ws_app", ws_per_message_deflate=False
    ) as server:
        with connect(f"ws://127.0.0.1:{server.port}/mirror") as ws:
            assert "Sec-WebSocket-Extensions" not in ws.response.headers
            ws.send("y" * 5000)
            assert ws.recv(timeout=5) == "y" * 5000


def test_no_ws_per_message_deflate_on_fasterapi_run(tmp_path):
    port = free_port()
    log = tmp_path / "server.log"
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "FasterAPI", "run", "tests.apps.ws_app:app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--no-reload"]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*command, "--no-ws-per-message-deflate"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    head = handshake(sock, "permessage-deflate; client_max_window_bits")
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        assert head.startswith(b"HTTP/1.1 101 ") and extension_header(head) is None
        with connect(f"ws://127.0.0.1:{port}/mirror") as ws:
            assert "Sec-WebSocket-Extensions" not in ws.response.headers
            ws.send(b"z" * 5000)
            assert ws.recv(timeout=5) == b"z" * 5000
    finally:
        proc.terminate()
        proc.wait(timeout=15)
