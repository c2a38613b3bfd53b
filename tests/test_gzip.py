"""GZipMiddleware (compression in Rust, fasterapi-core's compress module): which responses are
compressed and their headers, as FastAPI's (Starlette 1.10) GZipMiddleware answers (compared
request by request, but for the compressed sizes, which depend on the deflate library);
streamed bodies flushed piece by piece; through both doors."""

import gzip
import zlib

import pytest

from tests.apps.gzip_app import gzip_app
from tests.support.doors import open_client

# url, compressed for a gzip client, Vary, Content-Length when compressed or plain (None: none)
CASES = [
    ("/big", True, "Origin, Accept-Encoding", "1000"),
    ("/small", False, None, "4"),
    ("/json", True, "Accept-Encoding", None),
    ("/png", False, None, "1000"),
    ("/encoded", False, None, "1000"),
    ("/stream", True, "Accept-Encoding", None),
    ("/events", False, None, None),
]


@pytest.fixture(scope="module")
def app(door):  # a fresh app for each door
    return gzip_app()


@pytest.mark.parametrize("url, compressed, vary, length", CASES)
def test_what_is_compressed(client, url, compressed, vary, length):
    plain = client.get(url, headers={"accept-encoding": "identity"})
    packed = client.get(url, headers={"accept-encoding": "gzip, deflate"})
    assert packed.content == plain.content  # httpx decodes gzip
    encoding = "gzip" if compressed else ("compress" if url == "/encoded" else None)
    assert packed.headers.get("content-encoding") == encoding
    assert packed.headers.get("vary") == vary
    # A client without gzip gets the same Vary on a body the middleware would compress.
    assert plain.headers.get("vary") == vary
    if not compressed and url != "/json":
        assert packed.headers.get("content-length") == length
    if url == "/big":
        assert plain.headers["content-length"] == length


def test_compressed_length_is_the_compressed_size(client):
    response = client.get("/big", headers={"accept-encoding": "gzip"})
    # the bytes that came (httpx decodes them; a body that is not gzip's would fail to)
    assert int(response.headers["content-length"]) == response.num_bytes_downloaded < 100
    assert response.text == "x" * 1000


def test_a_streamed_body_is_compressed_without_a_length(client):
    response = client.get("/stream", headers={"accept-encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert "content-length" not in response.headers
    assert response.text == "".join(f"chunk {i} " * 40 for i in range(5))
    assert response.num_bytes_downloaded < len(response.content)


@pytest.mark.fasterapi_only  # FasterAPI's Rust compressor
def test_each_streamed_piece_can_be_decoded_as_it_comes():
    """Pieces are flushed: a client gets each one whole before the stream ends."""
    from FasterAPI import _core

    stream = _core.CompressStream("gzip", 6)
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    assert decoder.decompress(stream.write(b"data: 1\n\n")) == b"data: 1\n\n"
    assert decoder.decompress(stream.write(b"data: 2\n\n")) == b"data: 2\n\n"
    decoder.decompress(stream.finish())
    assert decoder.eof
    with pytest.raises(RuntimeError, match="finished"):
        stream.write(b"more")
    assert gzip.decompress(_core.compress("gzip", b"abc" * 1000, 9)) == b"abc" * 1000


# -- CompressMiddleware: brotli or gzip, by Accept-Encoding -------------------------------------


@pytest.fixture(scope="module")
def compressing(door):
    from FasterAPI.middleware.compress import CompressMiddleware

    with open_client(gzip_app(CompressMiddleware), door) as client:
        yield client


@pytest.mark.fasterapi_only  # FastAPI has no CompressMiddleware
@pytest.mark.parametrize("url, compressed, vary, length", CASES)
@pytest.mark.parametrize(
    "accept, coding",
    [
        ("gzip, deflate, br", "br"),
        ("br;q=0.5, gzip", "gzip"),
        ("gzip, deflate, br, zstd", "zstd"),
        ("br, zstd;q=0.9", "br"),
        ("*", "zstd"),
        ("br;q=0", None),
    ],
)
def test_compress_middleware_picks_the_coding(
    compressing, url, compressed, vary, length, accept, coding
):
    """The same responses as GZipMiddleware compresses, in the coding the client weighs
    highest (zstd, then brotli, on a tie); none it accepts: as they are, with the same
    Vary."""
    plain = compressing.get(url, headers={"accept-encoding": "identity"})
    packed = compressing.get(url, headers={"accept-encoding": accept})
    assert packed.content == plain.content  # httpx decodes zstd, br and gzip
    expected = (coding if compressed else None) or ("compress" if url == "/encoded" else None)
    assert packed.headers.get("content-encoding") == expected, (url, accept)
    assert packed.headers.get("vary") == vary == plain.headers.get("vary")
    if expected in ("zstd", "br", "gzip") and url != "/stream":
        assert int(packed.headers["content-length"]) < int(length or 10**9)


@pytest.mark.fasterapi_only  # FastAPI has no CompressMiddleware
def test_compress_middleware_streams_brotli_and_zstd_piece_by_piece():
    import brotli
    from FasterAPI import _core

    stream = _core.CompressStream("br", 4)
    first = stream.write(b"data: 1\n\n")
    assert brotli.Decompressor().process(first) == b"data: 1\n\n"  # whole as it comes
    rest = stream.write(b"more") + stream.finish()
    assert brotli.decompress(first + rest) == b"data: 1\n\nmore"
    assert brotli.decompress(_core.compress("br", b"x" * 10_000, 11)) == b"x" * 10_000
    import zstandard

    stream = _core.CompressStream("zstd", 3)
    first = stream.write(b"data: 1\n\n")
    reader = zstandard.ZstdDecompressor().decompressobj()
    assert reader.decompress(first) == b"data: 1\n\n"  # whole as it comes
    assert reader.decompress(stream.write(b"more") + stream.finish()) == b"more"
    whole = _core.compress("zstd", b"x" * 10_000, 19)
    assert zstandard.ZstdDecompressor().decompress(whole, max_output_size=10**6) == b"x" * 10_000
    with pytest.raises(ValueError, match="no content coding"):
        _core.CompressStream("deflate", 6)


@pytest.mark.fasterapi_only  # FastAPI has no CompressMiddleware
def test_compress_middleware_refuses_what_it_cannot_do():
    from FasterAPI.middleware.compress import CompressMiddleware

    for options, words in [
        ({"zstd": False, "brotli": False, "gzip": False}, "needs zstd, brotli or gzip"),
        ({"zstd_level": 0}, "zstd_level is 1 to 22"),
        ({"brotli_quality": 12}, "brotli_quality is 0 to 11"),
        ({"gzip_level": -1}, "gzip_level is 0 to 9"),
        ({"minimum_size": -5}, "sizes"),
    ]:
        with pytest.raises(ValueError, match=words):
            CompressMiddleware(None, **options)


@pytest.mark.fasterapi_only  # FastAPI has no CompressMiddleware
def test_compress_middleware_keeps_the_native_path():
    """The native server runs CompressMiddleware itself, as it runs GZipMiddleware (not both:
    one would compress inside the other, which the stack does)."""
    from FasterAPI import TestClient
    from FasterAPI.middleware.compress import CompressMiddleware
    from FasterAPI.middleware.gzip import GZipMiddleware
    from FasterAPI.server.native import route_paths

    alone = gzip_app(CompressMiddleware)
    both = gzip_app(CompressMiddleware)
    both.add_middleware(GZipMiddleware)
    for app in (alone, both):
        with TestClient(app) as client:
            assert client.get("/big", headers={"accept-encoding": "br"}).text == "x" * 1000
    ours = {"/big", "/small", "/json", "/png", "/encoded", "/stream", "/events"}
    assert all(path.native for path in route_paths(alone) if path.path in ours)
    assert not any(path.native for path in route_paths(both) if path.path in ours)
