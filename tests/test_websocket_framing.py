"""The native server's WebSocket framing and permessage-deflate over raw sockets: what a
conformance suite (Autobahn's cases) or a hostile client sends, and the close code it must get
back."""

import struct
import time
import zlib

import pytest

from tests.support.servers import native_server
from tests.test_websocket_deflate import client_frame, handshake, read_frame

pytestmark = pytest.mark.fasterapi_only


@pytest.fixture(scope="module")
def native(tmp_path_factory):
    with native_server(tmp_path_factory.mktemp("review"), app="app", module="ws_app") as server:
        yield server


def close_code(frame: tuple[int, bytes]) -> int:
    first, payload = frame
    assert first == 0x88, frame
    return struct.unpack("!H", payload[:2])[0]


def test_invalid_utf8_fails_fast_before_the_last_fragment(native):
    """Autobahn 6.4.1: the fragment that makes the text invalid ends the connection at once
    (1007), not only when the final fragment arrives (which here never does)."""
    with native.connect(timeout=5) as sock:
        handshake(sock, None)
        sock.sendall(client_frame(0x01, "κόσμε".encode()))
        sock.sendall(client_frame(0x00, b"\xf4\x90\x80\x80"))  # U+110000: not a character
        sock.settimeout(2)
        assert close_code(read_frame(sock)) == 1007
    # a character split across fragments is fine, and still a whole message
    with native.connect(timeout=5) as sock:
        handshake(sock, None)
        text = "κόσμε".encode()
        sock.sendall(client_frame(0x01, text[:3]) + client_frame(0x00, text[3:5]))
        sock.sendall(client_frame(0x80, text[5:]))
        assert read_frame(sock) == (0x81, text)


def test_frame_length_with_the_top_bit_set_is_a_protocol_error(native):
    """RFC 6455 5.2: the most significant bit of a 64-bit length must be 0."""
    with native.connect(timeout=5) as sock:
        handshake(sock, None)
        sock.sendall(bytes([0x82, 0x80 | 127]) + struct.pack("!Q", 1 << 63 | 5) + bytes(4))
        assert close_code(read_frame(sock)) == 1002


def test_many_tiny_fragments_of_a_big_compressed_message_are_cheap(native):
    """Each fragment costs the server in proportion to its own size: a big compressed message
    (8 MiB of zeros in a few KiB) followed by thousands of empty continuation frames (6 bytes
    each) must not make the server zero 8 MiB for each of them: 20,000 of them (120 KB sent)
    took 8.7 s of the server's loop, every other connection stalled meanwhile."""
    compressor = zlib.compressobj(wbits=-12)
    first = compressor.compress(bytes(8 << 20)) + compressor.flush(zlib.Z_SYNC_FLUSH)
    empties = client_frame(0x00, b"") * 20_000
    with native.connect(timeout=60) as sock:
        handshake(sock, "permessage-deflate; client_max_window_bits")
        sock.sendall(client_frame(0x42, first[:-4]))
        start = time.monotonic()
        sock.sendall(empties + client_frame(0x80, b""))
        first_byte, payload = read_frame(sock)
        elapsed = time.monotonic() - start
        assert first_byte == 0xC2
        assert zlib.decompressobj(wbits=-12).decompress(payload + b"\x00\x00\xff\xff") == bytes(
            8 << 20
        )
    assert elapsed < 2, f"{elapsed:.1f} s for 20,000 empty fragments"
