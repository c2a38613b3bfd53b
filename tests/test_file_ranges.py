"""FileResponse and the Range header, as Starlette answers it (tests/apps/file_ranges_app.py):
one range gets 206 with its Content-Range, several get 206 `multipart/byteranges`, a range that
starts outside the file 416, a header that cannot be read or whose unit is not `bytes` 400.
Every case runs through both doors."""

import pytest

from tests.apps import file_ranges_app

NOTES = b"hello, file\n"  # 12 bytes of text/plain
DATA = bytes(range(256)) * 1024  # 256 KiB: several 64 KiB chunks
TEXT = "text/plain; charset=utf-8"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ranges")
    (folder / "notes.txt").write_bytes(NOTES)
    (folder / "data.bin").write_bytes(DATA)
    return folder


@pytest.fixture(scope="module")
def app(files):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(file_ranges_app, "FILES", files)
        yield file_ranges_app.app


@pytest.fixture
def fetch(client):
    """fetch(method, path, **headers) -> (status, headers with lowercase names, body)."""

    def fetch(method, path, **headers):
        response = client.request(method, path, headers=headers)
        return response.status_code, dict(response.headers), response.content

    return fetch


def byteranges(headers: dict, body: bytes) -> list[tuple[str, str, bytes]]:
    """The parts of a multipart/byteranges body: (Content-Type, Content-Range, bytes) each,
    checking the framing byte for byte."""
    prefix = "multipart/byteranges; boundary="
    assert headers["content-type"].startswith(prefix)
    boundary = headers["content-type"][len(prefix) :].encode()
    assert len(boundary) == 26  # 13 random bytes, as Starlette makes it
    assert int(headers["content-length"]) == len(body)
    closing = b"--" + boundary + b"--"
    assert body.endswith(closing)
    first, *parts = body[: -len(closing)].split(b"--" + boundary + b"\r\n")
    assert first == b""
    found = []
    for part in parts:
        head, content = part.split(b"\r\n\r\n", 1)
        assert content.endswith(b"\r\n")
        fields = dict(line.split(": ", 1) for line in head.decode().split("\r\n"))
        assert list(fields) == ["Content-Type", "Content-Range"]
        found.append((fields["Content-Type"], fields["Content-Range"], content[:-2]))
    return found


@pytest.mark.parametrize(
    "header, body, content_range",
    [
        ("bytes=0-4", b"hello", "bytes 0-4/12"),
        ("bytes=7-", b"file\n", "bytes 7-11/12"),
        ("bytes=-5", b"file\n", "bytes 7-11/12"),
        ("bytes=-50", NOTES, "bytes 0-11/12"),
        ("bytes=7-100", b"file\n", "bytes 7-11/12"),
        # spaces around the unit and "=" (around the whole value, HTTP itself drops them)
        ("Bytes = 0-1", b"he", "bytes 0-1/12"),
        ("bytes=0-3,2-5", b"hello,", "bytes 0-5/12"),  # overlapping: merged into one
        ("bytes=0-1,x-y,", b"he", "bytes 0-1/12"),  # parts that are not ranges are left out
    ],
)
def test_one_range(fetch, header, body, content_range):
    status, headers, content = fetch("GET", "/files/notes.txt", Range=header)
    assert (status, content) == (206, body)
    assert headers["content-range"] == content_range
    assert headers["content-length"] == str(len(body))
    assert headers["content-type"] == TEXT
    assert headers["accept-ranges"] == "bytes"


def test_several_ranges_are_multipart_byteranges(fetch):
    status, headers, body = fetch("GET", "/files/notes.txt", Range="bytes=7-8, 0-1,3-4")
    assert status == 206
    assert "content-range" not in headers
    assert byteranges(headers, body) == [  # in file order
        (TEXT, "bytes 0-1/12", b"he"),
        (TEXT, "bytes 3-4/12", b"lo"),
        (TEXT, "bytes 7-8/12", b"fi"),
    ]


def test_several_ranges_of_a_file_read_in_chunks(fetch):
    header = "bytes=0-9,65530-65545,131070-200000,-4"
    status, headers, body = fetch("GET", "/files/data.bin", Range=header)
    assert status == 206
    size = len(DATA)
    assert byteranges(headers, body) == [
        ("application/octet-stream", "bytes 0-9/262144", DATA[:10]),
        ("application/octet-stream", "bytes 65530-65545/262144", DATA[65530:65546]),
        ("application/octet-stream", f"bytes 131070-200000/{size}", DATA[131070:200001]),
        ("application/octet-stream", f"bytes {size - 4}-{size - 1}/{size}", DATA[-4:]),
    ]


def test_head_with_several_ranges_sends_the_headers_only(fetch):
    status, headers, body = fetch("HEAD", "/files/notes.txt", Range="bytes=0-1,3-4")
    assert (status, body) == (206, b"")
    assert headers["content-type"].startswith("multipart/byteranges; boundary=")
    assert int(headers["content-length"]) > 4


@pytest.mark.parametrize(
    "header, message",
    [
        ("lines=1-2", "Only support bytes range"),
        ("bytes", "Malformed range header."),
        ("bytes=x-y", "Range header: range must be requested"),
        ("bytes=,,-", "Range header: range must be requested"),
        ("bytes=5-2", "Range header: start must be less than end"),
    ],
)
def test_a_range_that_cannot_be_read_is_400(fetch, header, message):
    status, headers, body = fetch("GET", "/files/notes.txt", Range=header)
    assert (status, body.decode()) == (400, message)
    assert headers["content-type"] == TEXT
    assert "content-range" not in headers


@pytest.mark.parametrize("header", ["bytes=12-", "bytes=0-1,20-30", "bytes=-0"])
def test_a_range_outside_the_file_is_416(fetch, header):
    status, headers, body = fetch("GET", "/files/notes.txt", Range=header)
    assert (status, body) == (416, b"")
    assert headers["content-range"] == "bytes */12"


@pytest.mark.parametrize(
    "method, path, headers",
    [
        ("GET", "/files/notes.txt", {"Range": ",".join(["bytes=0-0"] + ["1-1"] * 100)}),
        ("POST", "/files/notes.txt", {"Range": "bytes=0-1"}),  # only GET and HEAD
        ("GET", "/files/notes.txt", {"Range": "bytes=0-1", "If-Range": '"another version"'}),
        ("GET", "/files/notes.txt", {"Range": "bytes=0-1", "If-Range": "W/weak"}),
    ],
)
def test_ranges_that_get_the_whole_file(fetch, method, path, headers):
    status, answer, body = fetch(method, path, **headers)
    assert (status, body) == (200, NOTES)
    assert "content-range" not in answer


def test_a_response_that_is_not_200_ignores_the_range(fetch):
    status, headers, body = fetch("GET", "/missing-page/notes.txt", Range="lines=1-2")
    assert (status, body) == (404, NOTES)
    assert "content-range" not in headers
