"""StreamingResponse and FileResponse (tests/apps/stream_app.py): through both doors, and on
the native server over raw sockets (chunked bodies, a client leaving an endless stream, an
error mid-stream, keep-alive after a file)."""

import asyncio
import hashlib
import os

import pytest
from FasterAPI import FastAPI
from FasterAPI.responses import FileResponse

from tests.apps import stream_app
from tests.support.doors import open_client
from tests.support.raw_http import Reader, exchange, request
from tests.support.servers import native_server

DATA = bytes(range(256)) * 4096 + b"tail"  # 1 MiB and a bit: several chunks


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("files")
    (folder / "data.bin").write_bytes(DATA)
    (folder / "notes.txt").write_text("hello, file\n")
    (folder / "empty.json").write_bytes(b"")
    (folder / "sub").mkdir()
    return folder


@pytest.fixture(scope="module")
def app(files):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stream_app, "FILES", files)
        yield stream_app.app


def test_async_generator_is_streamed_then_the_background_task_runs(client):
    stream_app.EVENTS.clear()
    response = client.get("/count?n=4")
    assert response.status_code == 200
    assert response.text == "0\n1\n2\n3\n"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "content-length" not in response.headers
    assert stream_app.EVENTS == ["streamed"]


def test_sync_iterator_and_headers(client):
    response = client.get("/blocking")
    assert response.content == b"slow sync iterator"
    assert response.headers["x-kind"] == "sync"
    assert response.headers["content-type"] == "text/csv; charset=utf-8"


def test_a_response_read_as_a_stream(client):
    """`client.stream(...)` hands the body over piece by piece (httpx's iter_raw/iter_lines),
    as Starlette's TestClient does: the client has not read it first."""
    with client.stream("GET", "/count?n=3") as response:
        assert response.status_code == 200
        assert list(response.iter_lines()) == ["0", "1", "2"]
    with client.stream("GET", "/blocking") as response:
        assert b"".join(response.iter_raw()) == b"slow sync iterator"


@pytest.mark.fasterapi_only  # GET routes answer HEAD
def test_head_sends_no_streamed_body(client):
    response = client.head("/count")
    assert response.status_code == 200
    assert response.content == b""
    file = client.head("/files/data.bin")
    assert (file.status_code, file.content) == (200, b"")
    assert file.headers["content-length"] == str(len(DATA))


def test_file_with_its_headers(client):
    response = client.get("/files/notes.txt")
    assert response.status_code == 200
    assert response.text == "hello, file\n"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-length"] == "12"
    assert response.headers["accept-ranges"] == "bytes"
    stat = os.stat(stream_app.FILES / "notes.txt")
    etag = hashlib.md5(f"{stat.st_mtime}-{stat.st_size}".encode()).hexdigest()
    assert response.headers["etag"] == f'"{etag}"'
    assert response.headers["last-modified"].endswith(" GMT")
    assert "content-disposition" not in response.headers


def test_big_file_in_chunks_and_a_range_of_it(client):
    response = client.get("/files/data.bin")
    assert response.content == DATA
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-length"] == str(len(DATA))
    tail = client.get("/files/data.bin", headers={"range": "bytes=1048576-"})
    assert (tail.status_code, tail.content) == (206, b"tail")
    assert tail.headers["content-range"] == f"bytes 1048576-1048579/{len(DATA)}"


def test_download_names(client):
    plain = client.get("/files/notes.txt?download=report.txt")
    assert plain.headers["content-disposition"] == 'attachment; filename="report.txt"'
    accented = client.get("/files/notes.txt?download=résumé.txt")
    assert accented.headers["content-disposition"] == (
        "attachment; filename*=utf-8''r%C3%A9sum%C3%A9.txt"
    )
    assert client.get("/files/empty.json").headers["content-type"] == "application/json"
    assert client.get("/files/empty.json").content == b""


@pytest.mark.fasterapi_only  # Starlette's FileResponse has no 304s
def test_conditional_requests(client):
    first = client.get("/files/notes.txt")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    again = client.get("/files/notes.txt", headers={"if-none-match": etag})
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["etag"] == etag
    assert "content-length" not in again.headers
    since = client.get("/files/notes.txt", headers={"if-modified-since": modified})
    assert since.status_code == 304
    changed = client.get("/files/notes.txt", headers={"if-none-match": '"other"'})
    assert (changed.status_code, changed.text) == (200, "hello, file\n")


@pytest.mark.parametrize(
    "header, status, body, content_range",
    [
        ("bytes=0-4", 206, b"hello", "bytes 0-4/12"),
        ("bytes=7-", 206, b"file\n", "bytes 7-11/12"),
        ("bytes=-5", 206, b"file\n", "bytes 7-11/12"),
        ("bytes=7-100", 206, b"file\n", "bytes 7-11/12"),
        ("bytes=0-11", 206, b"hello, file\n", "bytes 0-11/12"),
        ("bytes=12-", 416, b"", "bytes */12"),
        # Starlette's answers; several ranges: tests/test_file_ranges.py
        ("lines=1-2", 400, b"Only support bytes range", None),
        ("bytes=x-y", 400, b"Range header: range must be requested", None),
    ],
)
def test_ranges(client, header, status, body, content_range):
    response = client.get("/files/notes.txt", headers={"range": header})
    assert (response.status_code, response.content) == (status, body)
    assert response.headers.get("content-range") == content_range
    if status == 206:
        assert response.headers["content-length"] == str(len(body))


def test_if_range_with_another_version_sends_the_whole_file(client):
    etag = client.get("/files/notes.txt").headers["etag"]
    same = client.get("/files/notes.txt", headers={"range": "bytes=0-4", "if-range": etag})
    assert (same.status_code, same.content) == (206, b"hello")
    other = client.get("/files/notes.txt", headers={"range": "bytes=0-4", "if-range": '"old"'})
    assert (other.status_code, other.content) == (200, b"hello, file\n")


@pytest.mark.fasterapi_only  # a JSON 500
def test_missing_file_and_folder_are_server_errors(app, make_client):
    client = make_client(app, raise_server_exceptions=False)
    for name in ("nothing.txt", "sub"):
        response = client.get(f"/files/{name}")
        assert response.status_code == 500
        assert response.json() == {"detail": "Internal Server Error"}


# -- the native server ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(files, tmp_path_factory):
    os.environ["STREAM_APP_FILES"] = str(files)
    try:
        with native_server(tmp_path_factory.mktemp("streams"), app="streams") as server:
            yield server
    finally:
        del os.environ["STREAM_APP_FILES"]


@pytest.mark.fasterapi_only
def test_native_stream_is_chunked(server):
    status, headers, body = exchange(server, request("GET", "/count?n=3"))
    assert (status, body) == (200, b"0\n1\n2\n")
    assert headers["transfer-encoding"] == "chunked"
    server.wait_for_output("streamed")


@pytest.mark.fasterapi_only
def test_native_client_leaving_an_endless_stream_stops_it(server):
    with server.connect() as sock:
        sock.sendall(request("GET", "/endless"))
        received = b""
        while received.count(b"data: ") < 3:
            received += sock.recv(4096)
    server.wait_for_output("endless stream closed")


@pytest.mark.fasterapi_only
def test_native_error_mid_stream_cuts_the_connection(server):
    with server.connect() as sock:
        sock.sendall(request("GET", "/failing"))
        sock.settimeout(5)
        received = b""
        while chunk := sock.recv(4096):
            received += chunk
    assert received.startswith(b"HTTP/1.1 200 OK")
    assert b"partial" in received
    assert not received.endswith(b"0\r\n\r\n")  # no clean end: the client can tell
    status, _, body = exchange(server, request("GET", "/count?n=1"))  # still serving
    assert (status, body) == (200, b"0\n")


@pytest.mark.fasterapi_only
def test_native_keep_alive_after_a_file(server):
    with server.connect() as sock:
        reader = Reader(sock)
        sock.sendall(request("GET", "/files/notes.txt") + request("GET", "/count?n=2"))
        assert reader.response()[::2] == (200, b"hello, file\n")
        assert reader.response()[::2] == (200, b"0\n1\n")


def test_a_file_stops_being_read_when_its_client_leaves(tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * (64 * 1024 * 50))  # 50 chunks
    sent: list[dict] = []
    first_chunk = asyncio.Event()

    async def receive():
        await first_chunk.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        if message["type"] == "http.response.body":
            first_chunk.set()
            await asyncio.sleep(0.01)  # a slow client

    scope = {"type": "http", "method": "GET", "headers": []}
    asyncio.run(FileResponse(path)(scope, receive, send))
    bodies = [m for m in sent if m["type"] == "http.response.body"]
    assert 1 <= len(bodies) < 5


@pytest.mark.fasterapi_only  # Starlette's FileResponse has no 304s
def test_file_headers_given_are_kept_and_ranges_apply_to_get_only(door, tmp_path):
    (tmp_path / "data.unknownext").write_bytes(b"hello, file")
    app = FastAPI()

    @app.api_route("/file", methods=["GET", "POST"])
    async def file():
        return FileResponse(tmp_path / "data.unknownext", headers={"ETag": '"v1"'})

    with open_client(app, door) as client:
        response = client.get("/file")
        assert response.headers["content-type"] == "application/octet-stream"
        assert response.headers.get_list("etag") == ['"v1"']
        assert client.get("/file", headers={"if-none-match": '"v1"'}).status_code == 304
        posted = client.post("/file", headers={"range": "bytes=0-4"})
        assert (posted.status_code, posted.content) == (200, b"hello, file")
        odd_date = "Wed, 21 Oct 2015 07:28:00 +99999999999999999999"
        assert client.get("/file", headers={"if-modified-since": odd_date}).status_code == 200


@pytest.mark.fasterapi_only
def test_native_client_leaving_a_stream_logs_no_error(tmp_path, monkeypatch):
    monkeypatch.setenv("STREAM_APP_FILES", str(tmp_path))
    with native_server(tmp_path, app="streams") as server:
        with server.connect() as sock:
            sock.sendall(request("GET", "/endless"))
            received = b""
            while received.count(b"data: ") < 3:
                received += sock.recv(4096)
        server.wait_for_output("endless stream closed")
        status, _, _ = exchange(server, request("GET", "/count?n=1"))
        assert status == 200
    assert "AttributeError" not in server.output()
