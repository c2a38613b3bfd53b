"""CompressMiddleware: compresses responses with the best content coding the client accepts,
zstd, brotli or gzip (Accept-Encoding's q-values weighed, the server preferring them in that
order on a tie), in Rust (the `zstd` crate, the `brotli` crate, flate2). FastAPI has no such
middleware; GZipMiddleware stays as Starlette's. A response smaller than `minimum_size`,
already encoded, partial (206), or of an excluded type goes out as it is, as with
GZipMiddleware; a streamed one is compressed piece by piece, each piece flushed so that it
reaches the client at once."""

from __future__ import annotations

from typing import Any

from .. import _core
from ..datastructures import Headers
from .gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, Codec, Responder


class CompressMiddleware:
    """`zstd_level` is 1 to 22 (3, zstd's default); `brotli_quality` 0 to 11 (4, a common
    choice for responses made on the fly, compresses about as fast as gzip's level 6 and
    smaller); `gzip_level` 0 to 9. `zstd=False`, `brotli=False` or `gzip=False` leaves one
    out."""

    def __init__(
        self,
        app: Any,
        minimum_size: int = 500,
        *,
        zstd: bool = True,
        zstd_level: int = 3,
        brotli: bool = True,
        brotli_quality: int = 4,
        gzip: bool = True,
        gzip_level: int = 6,
        thread_minimum_size: int = 128 * 1024,
        exclude_content_types: tuple[str, ...] = DEFAULT_EXCLUDED_CONTENT_TYPES,
    ) -> None:
        if not (zstd or brotli or gzip):
            raise ValueError("CompressMiddleware needs zstd, brotli or gzip")
        if not 1 <= zstd_level <= 22:
            raise ValueError(f"zstd_level is 1 to 22, not {zstd_level!r}")
        if not 0 <= brotli_quality <= 11:
            raise ValueError(f"brotli_quality is 0 to 11, not {brotli_quality!r}")
        if not 0 <= gzip_level <= 9:
            raise ValueError(f"gzip_level is 0 to 9, not {gzip_level!r}")
        if minimum_size < 0 or thread_minimum_size < 0:
            raise ValueError("minimum_size and thread_minimum_size are sizes (>= 0)")
        self.app = app
        self.minimum_size = minimum_size
        self.thread_minimum_size = thread_minimum_size
        self.exclude_content_types = frozenset(
            t.partition(";")[0].strip().lower() for t in exclude_content_types
        )
        #: The codings offered, in the server's order of preference.
        self.codecs = {
            name: codec
            for name, codec in (
                ("zstd", Codec(b"zstd", zstd_level) if zstd else None),
                ("br", Codec(b"br", brotli_quality) if brotli else None),
                ("gzip", Codec(b"gzip", gzip_level) if gzip else None),
            )
            if codec is not None
        }
        self._offered = list(self.codecs)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        accept = Headers(scope=scope).get("accept-encoding", "")
        chosen = _core.choose_encoding(accept, self._offered) if accept else None
        await self.app(scope, receive, self.responder(send, chosen))

    def responder(self, send: Any, coding: str | None) -> Any:
        """The `send` that a response goes out by through this middleware, in `coding` (None:
        the client accepts none offered); the native server's, for a response that streams."""
        return Responder(self, send, self.codecs.get(coding) if coding else None).send


def native_policy(args: Any, kwargs: dict[str, Any], outer: bool) -> _core.Gzip:
    """`CompressMiddleware(app, *args, **kwargs)` for the native server to run (outside the
    app's CORSMiddleware if `outer`), its arguments checked; the middleware itself
    compresses what streams."""
    middleware = CompressMiddleware(None, *args, **kwargs)
    codecs = middleware.codecs
    zstd, brotli, gzip = codecs.get("zstd"), codecs.get("br"), codecs.get("gzip")
    return _core.Gzip(
        middleware.minimum_size,
        gzip.level if gzip is not None else 0,
        sorted(middleware.exclude_content_types),
        middleware,
        outer,
        brotli=None if brotli is None else brotli.level,
        gzip=gzip is not None,
        negotiate=True,
        zstd=None if zstd is None else zstd.level,
    )
