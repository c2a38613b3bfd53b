"""Response classes, as Starlette's `responses` module has them: Response, JSONResponse (encoded
in Rust), HTMLResponse, PlainTextResponse, RedirectResponse, and the responses whose body is
sent in pieces: StreamingResponse (from an iterator or async iterator), FileResponse (a file
from disk, in chunks read off the event loop, with Content-Length, Last-Modified, ETag,
conditional requests and byte ranges, one or several as Starlette serves them) and
EventSourceResponse (FasterAPI.sse). A returned Response is sent as it is; the servers send
a streamed one's pieces as they come (chunked on the native server)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import http.cookies
import mimetypes
import os
import secrets
import stat
import warnings
from collections.abc import AsyncIterable, Iterable, Mapping
from email.utils import formatdate
from typing import Any
from urllib.parse import quote

from . import _core
from ._http.streaming import (
    CHUNK_SIZE,
    _aiter,
    _BadRange,
    _byte_ranges,
    _length,
    _not_modified,
    _open,
    _range_applies,
    _Sender,
    _Unsatisfiable,
    _until_disconnect,
)
from ._starlette import StarletteResponse
from .concurrency import run_in_threadpool
from .datastructures import MutableHeaders
from .exceptions import FastAPIDeprecationWarning

_NO_BODY = frozenset((204, 304))
_CONTENT_TYPES: dict[tuple[str, str], tuple[bytes, bytes]] = {}
#: The same pairs for the default charset, by media type alone (one lookup per response).
_UTF8_CONTENT_TYPES: dict[str, tuple[bytes, bytes]] = {}


class Response:
    media_type: str | None = None
    charset = "utf-8"
    #: The app may send `body` in one message itself; subclasses that stream set this False.
    sent_whole = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A subclass with an ASGI call of its own is sent by that call."""
        super().__init_subclass__(**kwargs)
        if "sent_whole" not in cls.__dict__ and cls.__call__ is not Response.__call__:
            cls.sent_whole = False

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: Any = None,
    ) -> None:
        self.status_code = status_code
        if media_type is not None:
            self.media_type = media_type
        self.background = background
        self.body = body = self.render(content)
        if headers is None and 200 <= status_code and status_code not in _NO_BODY:
            # the common case, kept short: a body and its two content headers
            pair = None
            if self.charset == "utf-8" and self.media_type is not None:
                pair = _UTF8_CONTENT_TYPES.get(self.media_type)
            if pair is not None or self.media_type:
                pair = pair or self._content_type_pair()
                self.raw_headers = [(b"content-length", b"%d" % len(body)), pair]
                return
        self.raw_headers = self._init_headers(headers)

    def render(self, content: Any) -> bytes:
        if type(content) is str:
            return content.encode(self.charset)
        if content is None:
            return b""
        if isinstance(content, bytes | memoryview):
            return bytes(content)
        return content.encode(self.charset)

    def _init_headers(self, headers: Mapping[str, str] | None) -> list[tuple[bytes, bytes]]:
        """Raw header pairs: the given ones, then Content-Length and Content-Type unless given."""
        raw: list[tuple[bytes, bytes]] = []
        given: set[bytes] = set()
        if headers:
            raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
            given = {k for k, _ in raw}
        status = self.status_code
        if b"content-length" not in given and not (status < 200 or status in _NO_BODY):
            raw.append((b"content-length", str(len(self.body)).encode()))
        if self.media_type is not None and b"content-type" not in given:
            raw.append(self._content_type_pair())
        return raw

    def _content_type_pair(self) -> tuple[bytes, bytes]:
        """The Content-Type header pair, with a charset for text types; cached per type."""
        key = (self.media_type or "", self.charset)
        pair = _CONTENT_TYPES.get(key)
        if pair is None:
            media_type, charset = key
            if media_type.startswith("text/") and "charset=" not in media_type.lower():
                media_type += f"; charset={charset}"
            pair = _CONTENT_TYPES[key] = (b"content-type", media_type.encode("latin-1"))
            if charset == "utf-8":
                _UTF8_CONTENT_TYPES[key[0]] = pair
        return pair

    @property
    def headers(self) -> MutableHeaders:
        """The response headers, a mutable view over `raw_headers`."""
        return MutableHeaders(self.raw_headers)

    def set_cookie(
        self,
        key: str,
        value: str = "",
        max_age: int | None = None,
        expires: Any = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = "lax",
    ) -> None:
        cookie: http.cookies.SimpleCookie = http.cookies.SimpleCookie()
        cookie[key] = value
        morsel = cookie[key]
        for attr, val in (
            ("max-age", max_age),
            ("expires", expires),
            ("path", path),
            ("domain", domain),
            ("samesite", samesite),
        ):
            if val is not None:
                morsel[attr] = val
        if secure:
            morsel["secure"] = True
        if httponly:
            morsel["httponly"] = True
        self.headers.append("set-cookie", cookie.output(header="").strip())

    def delete_cookie(self, key: str, path: str = "/", domain: str | None = None) -> None:
        self.set_cookie(key, max_age=0, expires=0, path=path, domain=domain)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        body = b"" if scope.get("method") == "HEAD" else self.body
        await send({"type": "http.response.body", "body": body})
        if self.background is not None:
            await self.background()


def injected_response() -> Response:
    """The `response: Response` a handler or dependency asks for, to set headers, cookies or
    a status on; the app carries them over to the response it sends."""
    injected = Response()
    injected.status_code = None  # type: ignore[assignment]
    injected.raw_headers = []  # (not its Content-Length: the response sent has its own)
    return injected


def inject_response(route: Any, kwargs: dict[str, Any]) -> Response:
    """Gives each of the route's Response parameters the one injected response."""
    injected = injected_response()
    for name in route.response_params:
        kwargs[name] = injected
    return injected


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return _core.encode_json(content)


_JSON_LIBRARY_DEPRECATED = (
    "{} is deprecated, as in FastAPI 0.165: JSONResponse already writes JSON in Rust, and a "
    "return type or response_model serializes the value directly; use JSONResponse"
)


class ORJSONResponse(JSONResponse):
    """Deprecated in FastAPI 0.165: a JSONResponse (written in Rust, compact as orjson's),
    with a FastAPIDeprecationWarning each time one is made."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        warnings.warn(
            _JSON_LIBRARY_DEPRECATED.format(type(self).__name__),
            FastAPIDeprecationWarning,
            stacklevel=2,
        )
        super().__init__(*args, **kwargs)


class UJSONResponse(ORJSONResponse):
    """Deprecated in FastAPI 0.165, as ORJSONResponse."""


class HTMLResponse(Response):
    media_type = "text/html"


class PlainTextResponse(Response):
    media_type = "text/plain"


class RedirectResponse(Response):
    def __init__(
        self,
        url: str,
        status_code: int = 307,
        headers: Mapping[str, str] | None = None,
        background: Any = None,
    ) -> None:
        super().__init__(
            content=b"", status_code=status_code, headers=headers, background=background
        )
        self.headers["location"] = quote(str(url), safe=":/%#?=@[]!$&'()*+,;")


class StreamingResponse(Response):
    """Sends each piece `content` yields (str or bytes) as it comes. A sync iterator is
    stepped in a thread, so a blocking one does not stop the loop. If the client goes away,
    the stream stops within one piece, even a generator that never awaits (there is a
    checkpoint after each), the generator is closed (its `finally` runs) and `background`
    is not run; where `send` found the client gone, ClientDisconnect is raised."""

    sent_whole = False

    def __init__(
        self,
        content: AsyncIterable[str | bytes] | Iterable[str | bytes],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: Any = None,
    ) -> None:
        self.body_iterator = content
        self.status_code = status_code
        if media_type is not None:
            self.media_type = media_type
        self.background = background
        self.raw_headers = self._stream_headers(headers)

    def _stream_headers(self, headers: Mapping[str, str] | None) -> list[tuple[bytes, bytes]]:
        """The given headers, and a Content-Type unless given (no Content-Length)."""
        raw = [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()
        ]
        if self.media_type is not None and all(k != b"content-type" for k, _ in raw):
            raw.append(self._content_type_pair())
        return raw

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        send = _Sender(send)
        if await _until_disconnect(self._stream(scope, send), receive, send):
            if self.background is not None:
                await self.background()

    async def _stream(self, scope: Any, send: Any) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        if scope.get("method") != "HEAD":
            charset = self.charset
            # closed here, whatever stops the stream: the generator's `finally` runs now, in
            # this task, not whenever the garbage collector finds it
            async with contextlib.aclosing(_aiter(self.body_iterator)) as chunks:
                async for chunk in chunks:
                    if not isinstance(chunk, bytes | memoryview):
                        chunk = chunk.encode(charset)
                    body = {"type": "http.response.body", "body": bytes(chunk), "more_body": True}
                    await send(body)
                    # A checkpoint per item, as FastAPI has: a generator that never awaits
                    # still lets the loop see its client leave (and this task be cancelled).
                    await asyncio.sleep(0)
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class FileResponse(Response):
    """Sends the file at `path`, read in chunks off the event loop. The media type is guessed
    from `filename` or the path; `filename` also adds a Content-Disposition (`attachment`, or
    `content_disposition_type`). Answers `If-None-Match` / `If-Modified-Since` with 304, and
    a `Range` as Starlette does: 206 with the bytes asked for (several ranges as
    `multipart/byteranges`), 416 for a range that starts outside the file, 400 for a header
    that cannot be read or whose unit is not `bytes`."""

    sent_whole = False
    chunk_size = CHUNK_SIZE

    def __init__(
        self,
        path: str | os.PathLike[str],
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        media_type: str | None = None,
        background: Any = None,
        filename: str | None = None,
        stat_result: os.stat_result | None = None,
        method: str | None = None,
        content_disposition_type: str = "attachment",
    ) -> None:
        self.path = path
        self.status_code = status_code
        self.filename = filename
        self.background = background
        if media_type is None:
            media_type = mimetypes.guess_type(filename or path)[0] or "application/octet-stream"
        self.media_type = media_type
        self.raw_headers = self._stream_headers(headers)  # type: ignore[misc]  # StreamingResponse's
        if filename is not None:
            quoted = quote(filename)
            if quoted != filename:  # RFC 6266: a non-ASCII name goes in filename*
                disposition = f"{content_disposition_type}; filename*=utf-8''{quoted}"
            else:
                disposition = f'{content_disposition_type}; filename="{filename}"'
            self.raw_headers.append((b"content-disposition", disposition.encode("latin-1")))
        self.stat_result = stat_result
        if stat_result is not None:
            self._set_stat_headers(stat_result)

    _stream_headers = StreamingResponse._stream_headers

    def _set_stat_headers(self, result: os.stat_result) -> None:
        """Content-Length, Last-Modified, ETag and Accept-Ranges from the file's stat, each
        unless the headers given already have it."""
        etag = hashlib.md5(f"{result.st_mtime}-{result.st_size}".encode(), usedforsecurity=False)
        given = {k for k, _ in self.raw_headers}
        for name, value in (
            (b"content-length", str(result.st_size).encode()),
            (b"last-modified", formatdate(result.st_mtime, usegmt=True).encode()),
            (b"etag", f'"{etag.hexdigest()}"'.encode()),
            (b"accept-ranges", b"bytes"),
        ):
            if name not in given:
                self.raw_headers.append((name, value))

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        send = _Sender(send)
        if self.stat_result is None:
            try:
                result = await run_in_threadpool(os.stat, self.path)
            except FileNotFoundError:
                raise RuntimeError(f"File at path {self.path} does not exist.") from None
            if not stat.S_ISREG(result.st_mode):
                raise RuntimeError(f"File at path {self.path} is not a file.")
            self.stat_result = result
            self._set_stat_headers(result)
        request_headers = {
            k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", ())
        }
        headers = dict(self.raw_headers)
        start = {"type": "http.response.start", "status": self.status_code}
        method = scope.get("method")
        plain_get = self.status_code == 200 and method in ("GET", "HEAD")
        if plain_get and _not_modified(request_headers, headers):
            keep = {b"etag", b"last-modified", b"cache-control", b"vary", b"content-location"}
            pairs = [(k, v) for k, v in self.raw_headers if k in keep]
            await send({**start, "status": 304, "headers": pairs})
            await send({"type": "http.response.body", "body": b""})
            return
        size = self.stat_result.st_size
        pairs, pieces = self.raw_headers, [(0, size)]
        range_header = request_headers.get("range")
        if range_header and plain_get and _range_applies(request_headers, headers):
            try:
                spans = _byte_ranges(range_header, size)
            except _BadRange as exc:
                await PlainTextResponse(str(exc), status_code=400)(scope, receive, send)
                return
            except _Unsatisfiable:
                content_range = {"content-range": f"bytes */{size}"}
                await PlainTextResponse(status_code=416, headers=content_range)(
                    scope, receive, send
                )
                return
            if spans:  # else too many ranges: the whole file, as RFC 9110 allows
                start["status"] = 206
                pairs, pieces = self._partial(spans, size)
        await send({**start, "headers": pairs})
        if method == "HEAD" or size == 0:
            await send({"type": "http.response.body", "body": b""})
        elif not await _until_disconnect(self._send_file(send, pieces), receive, send):
            return  # the client left: nothing more to read or send
        if self.background is not None:
            await self.background()

    def _partial(self, spans: list[tuple[int, int]], size: int) -> tuple[list, list]:
        """The headers and body pieces of a 206 for `spans` ([start, end) byte spans): one span
        with its Content-Range, several as a `multipart/byteranges` body (RFC 9110 14.6)."""
        if len(spans) == 1:
            (first, end) = spans[0]
            changed = {b"content-range": f"bytes {first}-{end - 1}/{size}".encode()}
            pieces: list = spans
        else:
            boundary = secrets.token_hex(13)  # as browsers and Starlette make them
            content_type = dict(self.raw_headers)[b"content-type"].decode("latin-1")
            pieces = []
            for first, end in spans:
                head = (
                    f"--{boundary}\r\nContent-Type: {content_type}\r\n"
                    f"Content-Range: bytes {first}-{end - 1}/{size}\r\n\r\n"
                )
                pieces += [head.encode("latin-1"), (first, end), b"\r\n"]
            pieces.append(f"--{boundary}--".encode("latin-1"))
            changed = {b"content-type": f"multipart/byteranges; boundary={boundary}".encode()}
        changed[b"content-length"] = str(_length(pieces)).encode()
        headers = [(k, v) for k, v in self.raw_headers if k not in changed]
        return headers + list(changed.items()), pieces

    async def _send_file(self, send: Any, pieces: list) -> None:
        """Sends the body made of `pieces`: bytes as they are, (start, end) spans of the file
        read in chunks."""
        left = _length(pieces)
        file = await _open(self.path)
        try:
            for piece in pieces:
                if isinstance(piece, bytes):
                    left -= len(piece)
                    await send({"type": "http.response.body", "body": piece, "more_body": left > 0})
                    continue
                offset, end = piece
                await run_in_threadpool(file.seek, offset)
                while offset < end:
                    chunk = await run_in_threadpool(file.read, min(self.chunk_size, end - offset))
                    if not chunk:  # the file shrank meanwhile: end the body early
                        await send({"type": "http.response.body", "body": b"", "more_body": False})
                        return
                    offset += len(chunk)
                    left -= len(chunk)
                    await send({"type": "http.response.body", "body": chunk, "more_body": left > 0})
        finally:
            file.close()  # at once: an await here could be cancelled (the client left)


class EventSourceResponse(StreamingResponse):
    """A `text/event-stream` StreamingResponse. As `response_class=` of an endpoint that
    `yield`s, it streams each item as an event (see FasterAPI.sse.ServerSentEvent)."""

    media_type = "text/event-stream"


#: What a handler may return to answer with itself: FasterAPI's responses, and Starlette's
#: (where Starlette is installed), which are sent by their own ASGI call.
RESPONSE_TYPES = (Response, StarletteResponse)


__all__ = [
    "EventSourceResponse",
    "FileResponse",
    "HTMLResponse",
    "JSONResponse",
    "ORJSONResponse",
    "PlainTextResponse",
    "RedirectResponse",
    "Response",
    "StreamingResponse",
    "UJSONResponse",
]
