"""What the streamed responses (FasterAPI.responses' StreamingResponse and FileResponse) are
made of: a sender that notices a client that went away, iterating sync and async bodies,
opening files off the event loop, and reading `Range` and conditional request headers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable
from email.utils import parsedate_to_datetime
from typing import Any

from ..concurrency import run_in_threadpool
from .body import ClientDisconnect

#: How much of a file is read (off the loop) and sent at a time.
CHUNK_SIZE = 64 * 1024


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


def _close_opened(opening: asyncio.Future[Any]) -> None:
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
    step: asyncio.Future[Any] | None = None
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


def _length(pieces: list[Any]) -> int:
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
