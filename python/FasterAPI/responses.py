"""Response classes: Response, JSONResponse (encoded in Rust), HTMLResponse,
PlainTextResponse and RedirectResponse. A returned Response is sent as it is."""

from __future__ import annotations

import http.cookies
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from . import _core
from .datastructures import MutableHeaders


class Response:
    media_type: str | None = None
    charset = "utf-8"

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
        self.body = self.render(content)
        self.headers = MutableHeaders()
        if headers:
            for key, value in headers.items():
                self.headers.append(key, value)
        self._init_content_headers()

    def render(self, content: Any) -> bytes:
        if content is None:
            return b""
        if isinstance(content, bytes | memoryview):
            return bytes(content)
        return content.encode(self.charset)

    def _init_content_headers(self) -> None:
        has_body = not (self.status_code < 200 or self.status_code in (204, 304))
        if has_body and "content-length" not in self.headers:
            self.headers.append("content-length", str(len(self.body)))
        if self.media_type is not None and "content-type" not in self.headers:
            media_type = self.media_type
            if media_type.startswith("text/") and "charset=" not in media_type.lower():
                media_type += f"; charset={self.charset}"
            self.headers.append("content-type", media_type)

    @property
    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        return self.headers.raw

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
            {"type": "http.response.start", "status": self.status_code, "headers": self.headers.raw}
        )
        body = b"" if scope.get("method") == "HEAD" else self.body
        await send({"type": "http.response.body", "body": body})
        if self.background is not None:
            await self.background()


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return _core.encode_json(content)


ORJSONResponse = JSONResponse
UJSONResponse = JSONResponse


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
