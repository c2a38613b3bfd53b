"""Responses whose body is sent in pieces: StreamingResponse (from an iterator or async
iterator) and FileResponse (a file from disk, in chunks read off the event loop, with
Content-Length, Last-Modified, ETag, conditional requests and byte ranges, one or several as
Starlette serves them). Both are exported
from FasterAPI.responses, as in FastAPI; the servers send their pieces as they come
(chunked on the native server)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import mimetypes
import os
import secrets
import stat
from collections.abc import AsyncIterable, Iterable, Mapping
from email.utils import formatdate, parsedate_to_datetime
from typing import Any
from urllib.parse import quote

from .body import ClientDisconnect
from .concurrency import run_in_threadpool
from .responses import PlainTextResponse, Response

#: How much of a file is read (off the loop) and sent at a time.
CHUNK_SIZE = 64 * 1024


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


class _Left(ClientDisconnect):
    """What a stream's `send` raises once `receive` has said that the client left: the
    response then ends quietly, as Starlette's does below ASGI 2.4."""


class _Sender:
    """A streamed response's `send`. It raises ClientDisconnect (Starlette's, which FastAPI
    apps catch) where the server raises OSError because the client has gone, as ASGI 2.4
    servers do (an OSError of the app's own, a file it reads that is gone, is not mistaken
    for one), and also once `gone` is set (`receive` has said that the client left)."""

    __slots__ = ("send", "gone", "raised")

    def __init__(self, send: Any) -> None:
        self.send = send
        self.gone = False
        self.raised = False  # the stream is ending already

    async def __call__(self, message: dict[str, Any]) -> None:
        if self.gone:
            self.raised = True
            raise _Left()
        try:
            await self.send(message)
        except OSError as exc:
            self.raised = True
            raise ClientDisconnect() from exc


async def _open(path: Any) -> Any:
    """`open(path, "rb")` in the thread pool. Cancelled meanwhile (the client left), the file
    the thread opens anyway is closed rather than left to the garbage collector."""
    opening = asyncio.ensure_future(run_in_threadpool(open, path, "rb"))
    try:
        return await asyncio.shield(opening)
    except asyncio.CancelledError:
        opening.add_done_callback(_close_opened)
        raise


def _close_opened(opening: asyncio.Future) -> None:
    if not opening.cancelled() and opening.exception() is None:
        opening.result().close()


async def _until_disconnect(sending: Any, receive: Any, send: _Sender) -> bool:
    """Runs the coroutine `sending`, which sends a body through `send`, until it ends or the
    client goes away; whether it ended. An error it raised is raised here: ClientDisconnect
    if the server's `send` found the client gone, as Starlette raises it with ASGI 2.4.

    A task listens for `http.disconnect` meanwhile, then cancels `sending` (which stops at
    its next checkpoint) and makes `send` raise from then on (should the cancellation be
    swallowed on its way). It listens whatever the ASGI version: below 2.4 `send` may return
    quietly once the client has gone (uvicorn's does), and from 2.4 on a BaseHTTPMiddleware
    relaying the stream still does, once its own response is over."""
    streaming = asyncio.ensure_future(sending)

    async def listen() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        send.gone = True
        if not send.raised:  # else it is closing its generator: cancelling would cut that short
            streaming.cancel()

    listener = asyncio.ensure_future(listen())
    try:
        await asyncio.wait((streaming, listener), return_when=asyncio.FIRST_COMPLETED)
    finally:
        listener.cancel()
        if not (send.gone or send.raised):  # else it is stopped or stopping already
            streaming.cancel()
        await asyncio.gather(streaming, listener, return_exceptions=True)
    if streaming.cancelled() or isinstance(streaming.exception(), _Left):
        return False
    streaming.result()  # the app's error, if sending raised
    return True


async def _aiter(content: Any) -> Any:
    """`content` as an async iterator; a sync one is stepped in a thread. A generator is
    closed when this is (its `finally` runs when the client leaves halfway): a sync one in
    a thread too, once the step in flight, if any, has returned."""
    if isinstance(content, AsyncIterable):
        try:
            async for chunk in content:
                yield chunk
        finally:
            aclose = getattr(content, "aclose", None)
            if aclose is not None:
                await aclose()
        return
    loop = asyncio.get_running_loop()
    iterator = iter(content)
    done = object()
    step: asyncio.Future | None = None
    try:
        while True:
            # shielded: cancelling this leaves the thread's `next` to finish (it cannot be
            # stopped), and `close` below waits for it (a running generator cannot be closed)
            step = loop.run_in_executor(None, next, iterator, done)
            chunk = await asyncio.shield(step)
            if chunk is done:
                return
            yield chunk
    finally:
        if step is not None and not step.done():
            await asyncio.wait((step,))
        close = getattr(iterator, "close", None)
        if close is not None:
            await run_in_threadpool(close)


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


def _length(pieces: list) -> int:
    """The number of bytes of a body made of `pieces` (see FileResponse._send_file)."""
    return sum(len(p) if isinstance(p, bytes) else p[1] - p[0] for p in pieces)


def _not_modified(request: dict[str, str], response: dict[bytes, bytes]) -> bool:
    """Whether the client's cached copy is current (RFC 9110: If-None-Match first)."""
    etag = response.get(b"etag", b"").decode()
    if_none_match = request.get("if-none-match")
    if if_none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or etag in tags
    if_modified_since = request.get("if-modified-since")
    last_modified = response.get(b"last-modified")
    if if_modified_since and last_modified:
        try:
            return parsedate_to_datetime(if_modified_since) >= parsedate_to_datetime(
                last_modified.decode()
            )
        except (TypeError, ValueError, OverflowError):  # a date nobody can read
            return False
    return False


def _range_applies(request: dict[str, str], response: dict[bytes, bytes]) -> bool:
    """An If-Range that names another version of the file means: send the whole file."""
    if_range = request.get("if-range")
    if if_range is None:
        return True
    return if_range in (
        response.get(b"etag", b"").decode(),
        response.get(b"last-modified", b"").decode(),
    )


#: Past this many ranges in one header the whole file is sent (Starlette's limit).
MAX_RANGES = 100


class _BadRange(Exception):
    """A Range header that cannot be read, or not in bytes: 400, with this message."""


class _Unsatisfiable(Exception):
    """A range that starts outside the file: 416."""


def _byte_ranges(header: str, size: int) -> list[tuple[int, int]]:
    """The [start, end) spans that a Range header asks for, read as Starlette reads them:
    sorted and merged where they overlap; [] (send the whole file) past MAX_RANGES ranges.
    Parts that are not `first-last`, `first-` or `-suffix` numbers are left out."""
    unit, equals, spec = header.partition("=")
    if not equals:
        raise _BadRange("Malformed range header.")
    if unit.strip().lower() != "bytes":
        raise _BadRange("Only support bytes range")
    if spec.count(",") + 1 > MAX_RANGES:
        return []
    spans = [span for part in spec.split(",") if (span := _span(part.strip(), size))]
    if not spans:
        raise _BadRange("Range header: range must be requested")
    if any(not 0 <= start < size for start, _ in spans):
        raise _Unsatisfiable()
    if any(start >= end for start, end in spans):
        raise _BadRange("Range header: start must be less than end")
    spans.sort()
    merged = [spans[0]]
    for start, end in spans[1:]:
        if start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _span(part: str, size: int) -> tuple[int, int] | None:
    """The [start, end) span of one range (`first-last`, `first-` or `-suffix`), the end cut
    to the file's size; None for anything else."""
    first, dash, last = (piece.strip() for piece in part.partition("-"))
    if not dash or not (first or last):
        return None
    try:
        if not first:
            return (max(size - int(last), 0), size)
        start = int(first)
        return (start, int(last) + 1 if last and int(last) < size else size)
    except ValueError:
        return None
