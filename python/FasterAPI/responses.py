"""Response classes: Response, JSONResponse (encoded in Rust), HTMLResponse,
PlainTextResponse and RedirectResponse, and (from FasterAPI.streaming) StreamingResponse and
FileResponse. A returned Response is sent as it is."""

from __future__ import annotations

import http.cookies
import warnings
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from . import _core
from ._starlette import StarletteResponse
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
    del injected.headers["content-length"]
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


from .streaming import FileResponse, StreamingResponse  # noqa: E402 - they build on Response

#: What a handler may return to answer with itself: FasterAPI's responses, and Starlette's
#: (where Starlette is installed), which are sent by their own ASGI call.
RESPONSE_TYPES = (Response, StarletteResponse)


def __getattr__(name: str) -> Any:
    """EventSourceResponse, FastAPI's `fastapi.responses` name for FasterAPI.sse's, imported
    on first use (FasterAPI.sse builds on this module)."""
    if name == "EventSourceResponse":
        from .sse import EventSourceResponse

        return EventSourceResponse
    raise AttributeError(f"module 'FasterAPI.responses' has no attribute {name!r}")


__all__ = [
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
