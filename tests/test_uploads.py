"""Uploads off the heap: a multipart body is parsed as it arrives and each file part is
written to a spooled temporary file (on disk past 1 MiB) piece by piece, so a big upload
does not grow the server's memory; the temporary files are gone once the request ends, also
when the client leaves mid-upload. Over raw sockets on the native server and under uvicorn."""

import hashlib
import json
import os
import socket
import time

import pytest

from tests.support.processes import rss_kib
from tests.support.raw_http import Reader
from tests.support.servers import native_server, running_server

BOUNDARY = b"uploadB0undary"
MIB = 1024 * 1024


def multipart_head(size: int) -> tuple[bytes, bytes]:
    """The body's bytes before and after a file of `size` bytes."""
    before = (
        b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="name"\r\n\r\nbig\r\n'
        b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="file"; filename="big.bin"'
        b"\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    after = b"\r\n--" + BOUNDARY + b"--\r\n"
    return before, after


def request_head(length: int) -> bytes:
    return (
        b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: multipart/form-data; boundary="
        + BOUNDARY
        + f"\r\nContent-Length: {length}\r\n\r\n".encode()
    )


def upload(port: int, pid: int, size: int) -> tuple[dict, int]:
    """Sends a `size`-byte file in 1 MiB pieces; (the answer, the server's RSS growth KiB)."""
    before, after = multipart_head(size)
    piece = bytes(range(256)) * (MIB // 256)
    digest = hashlib.sha256()
    start = rss_kib(pid)
    peak = start
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(request_head(len(before) + size + len(after)) + before)
        sent = 0
        while sent < size:
            chunk = piece[: size - sent]
            sock.sendall(chunk)
            digest.update(chunk)
            sent += len(chunk)
            peak = max(peak, rss_kib(pid))
        sock.sendall(after)
        status, _, body = Reader(sock).response()
    peak = max(peak, rss_kib(pid))
    assert status == 200, body
    answer = json.loads(body)
    assert answer["sha256"] == digest.hexdigest()
    return answer, peak - start


def deleted_files(pid: int) -> list[str]:
    """The server's open files that were deleted: spooled uploads still held."""
    found = []
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.endswith("(deleted)"):
            found.append(target)
    return found


@pytest.fixture(params=["native", "uvicorn"])
def server(request, tmp_path):
    """(port, pid) of the upload app on the native server or under uvicorn."""
    if request.param == "native":
        with native_server(tmp_path, module="upload_app") as running:
            yield running.port, running.proc.pid
    else:
        with running_server("uvicorn", tmp_path, "tests.apps.upload_app:app") as running:
            yield running["port"], running["proc"].pid


def test_a_big_upload_arrives_whole_without_growing_the_server(server):
    port, pid = server
    upload(port, pid, 4 * MIB)  # the first one warms up allocator and thread pool
    answer, grown = upload(port, pid, 64 * MIB)
    assert (answer["name"], answer["filename"], answer["size"]) == ("big", "big.bin", 64 * MIB)
    assert answer["on_disk"] is True
    assert grown < 24 * 1024, f"RSS grew by {grown >> 10} MiB for a 64 MiB upload"
    time.sleep(0.2)
    assert deleted_files(pid) == [], "a spooled upload is still open after its request"


def test_a_client_leaving_mid_upload_leaves_no_temporary_file(server):
    port, pid = server
    before, after = multipart_head(32 * MIB)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request_head(len(before) + 32 * MIB + len(after)) + before)
        sock.sendall(b"x" * (8 * MIB))  # past the spool's 1 MiB: a file on disk now
        time.sleep(0.3)
    deadline = time.monotonic() + 5
    while deleted_files(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert deleted_files(pid) == []
    # and the server goes on
    answer, _ = upload(port, pid, 2 * MIB)
    assert answer["size"] == 2 * MIB


@pytest.mark.fasterapi_only
def test_an_upload_past_the_servers_body_cap_streams_through(tmp_path):
    """The native server's 100 MiB body cap is for bodies it buffers; a multipart upload to a
    form route is spooled as it arrives, so it is not capped (max_body_size limits it)."""
    with native_server(tmp_path, module="upload_app", max_body_size=8 * MIB) as running:
        answer, grown = upload(running.port, running.proc.pid, 24 * MIB)
        assert answer["size"] == 24 * MIB and grown < 16 * 1024
        # a body the server would buffer whole is still refused past the cap
        with running.connect() as sock:
            sock.sendall(
                b"POST /upload HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                b"Content-Length: 9000000\r\n\r\n"
            )
            assert Reader(sock).response()[0] == 413
