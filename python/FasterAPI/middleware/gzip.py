"""GZipMiddleware: compresses responses for clients that accept gzip, as Starlette's does, with
the compression itself in Rust (fasterapi-core's compress module). A response smaller than
`minimum_size`, already encoded, partial (206), or of an excluded type (images, video,
archives, event streams...) goes out as it is; a streamed one is compressed piece by piece,
each piece flushed so that it reaches the client at once. Pieces of `thread_minimum_size`
and more are compressed in a thread, off the event loop."""

from __future__ import annotations

from typing import Any

from .. import _core
from ..concurrency import run_in_threadpool
from ..datastructures import Headers, MutableHeaders

DEFAULT_EXCLUDED_CONTENT_TYPES = (
    "application/grpc",
    "application/gzip",
    "application/x-gzip",
    "application/zip",
    "audio/*",
    "font/woff",
    "font/woff2",
    "image/avif",
    "image/gif",
    "image/jpeg",
    "image/png",
    "image/webp",
    "text/event-stream",
    "video/*",
)


class GZipMiddleware:
    def __init__(
        self,
        app: Any,
        minimum_size: int = 500,
        compresslevel: int = 9,
        thread_minimum_size: int = 128 * 1024,
        *,
        exclude_content_types: tuple[str, ...] = DEFAULT_EXCLUDED_CONTENT_TYPES,
    ) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.compresslevel = compresslevel
        self.thread_minimum_size = thread_minimum_size
        self.exclude_content_types = frozenset(
            t.partition(";")[0].strip().lower() for t in exclude_content_types
        )

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        gzip = "gzip" in Headers(scope=scope).get("accept-encoding", "")
        await self.app(scope, receive, self.responder(send, "gzip" if gzip else None))

    def responder(self, send: Any, coding: str | None) -> Any:
        """The `send` that a response goes out by through this middleware, for a client that
        accepts gzip (`coding`) or not (the native server's, for a response that streams)."""
        return Responder(self, send, Codec(b"gzip", self.compresslevel) if coding else None).send


def native_policy(args: Any, kwargs: dict[str, Any], outer: bool) -> _core.Gzip:
    """`GZipMiddleware(app, *args, **kwargs)` for the native server to run (outside the app's
    CORSMiddleware if `outer`); its arguments are checked as constructing it checks them. The
    middleware itself compresses what streams."""
    middleware = GZipMiddleware(None, *args, **kwargs)
    excluded = sorted(middleware.exclude_content_types)
    return _core.Gzip(
        middleware.minimum_size, middleware.compresslevel, excluded, middleware, outer
    )


class Codec:
    """A content coding (`gzip`, `br` or `zstd`) at a level: a whole body, or a stream."""

    def __init__(self, name: bytes, level: int) -> None:
        self.name = name
        self.coding = name.decode()
        self.level = level

    def whole(self, body: bytes) -> bytes:
        return _core.compress(self.coding, body, self.level)

    def stream(self) -> Any:
        return _core.CompressStream(self.coding, self.level)


class Responder:
    """One response on its way out through a compressing middleware (GZipMiddleware,
    CompressMiddleware: its `minimum_size`, `thread_minimum_size` and
    `exclude_content_types`), for a client that accepts `codec` (None: none it offers):
    held at its start until the first body piece says whether and how it is compressed."""

    def __init__(self, middleware: Any, send: Any, codec: Codec | None) -> None:
        self.middleware = middleware
        self.downstream = send
        self.codec = codec
        self.start: dict[str, Any] | None = None
        self.passthrough = False  # sent as it is: encoded, partial or excluded
        self.stream: Any = None  # the codec's stream for a streamed, compressed body
        self.started = False

    async def send(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.start = message
            self.passthrough = self._passthrough(Headers(message.get("headers", [])), message)
            if self.passthrough:
                await self.downstream(message)
        elif kind != "http.response.body" or self.passthrough:
            await self.downstream(message)
        elif not self.started:
            self.started = True
            await self._first(message)
        else:
            if self.stream is not None:
                message = {**message, "body": await self._piece(message)}
            await self.downstream(message)

    def _passthrough(self, headers: Headers, message: dict[str, Any]) -> bool:
        media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
        types = {media_type, media_type.partition("/")[0] + "/*"}
        if media_type.startswith("application/grpc+"):
            types.add("application/grpc")
        excluded = not types.isdisjoint(self.middleware.exclude_content_types)
        return "content-encoding" in headers or message["status"] == 206 or excluded

    async def _first(self, message: dict[str, Any]) -> None:
        start = self.start
        assert start is not None, "a body before the response's start"
        body = message.get("body", b"")
        more = message.get("more_body", False)
        if len(body) < self.middleware.minimum_size and not more:
            await self.downstream(start)
            await self.downstream(message)
            return
        headers = list(start.get("headers", []))
        MutableHeaders(headers).add_vary_header("Accept-Encoding")
        if self.codec is not None:
            if more:
                self.stream = self.codec.stream()
                body = await self._piece(message)
                headers = [(k, v) for k, v in headers if k != b"content-length"]
            else:
                body = await self._whole(body)
                headers = [(k, v) for k, v in headers if k != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode()))
            headers.append((b"content-encoding", self.codec.name))
            message = {**message, "body": body}
        await self.downstream({**start, "headers": headers})
        await self.downstream(message)

    async def _whole(self, body: bytes) -> bytes:
        assert self.codec is not None
        if len(body) >= self.middleware.thread_minimum_size:
            return await run_in_threadpool(self.codec.whole, body)
        return self.codec.whole(body)

    async def _piece(self, message: dict[str, Any]) -> bytes:
        """A piece of a streamed body, compressed; the last one ends the stream."""
        body = message.get("body", b"")
        stream = self.stream
        if len(body) >= self.middleware.thread_minimum_size:
            packed = await run_in_threadpool(stream.write, body)
        else:
            packed = stream.write(body) if body else b""
        if not message.get("more_body", False):
            packed += stream.finish()
        return packed
