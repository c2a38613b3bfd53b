"""TrustedHostMiddleware: answers 400 "Invalid host header" to requests whose Host is not one
of `allowed_hosts` (`"*.example.com"` allows the subdomains), guarding against Host header
attacks; with `www_redirect`, `example.com` is redirected to an allowed `www.example.com`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._http.hosts import parse_host
from ..datastructures import Headers
from ..requests import HTTPConnection
from ..responses import PlainTextResponse, RedirectResponse
from ..websockets import WebSocketClose

_WILDCARD = "Domain wildcard patterns must be like '*.example.com'."


class TrustedHostMiddleware:
    def __init__(
        self, app: Any, allowed_hosts: Sequence[str] | None = None, www_redirect: bool = True
    ) -> None:
        allowed_hosts = ["*"] if allowed_hosts is None else list(allowed_hosts)
        for pattern in allowed_hosts:
            if "*" in pattern[1:] or (
                pattern.startswith("*") and pattern != "*" and not pattern.startswith("*.")
            ):
                raise ValueError(_WILDCARD)
        self.app = app
        self.allowed_hosts = [pattern.lower() for pattern in allowed_hosts]
        self.allow_any = "*" in allowed_hosts
        self.www_redirect = www_redirect

    def native_hosts(self) -> list[str] | None:
        """The host patterns the native server checks a request's Host against itself
        (FasterAPI._core.ServerStack), None when any host is allowed."""
        return None if self.allow_any else list(self.allowed_hosts)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if self.allow_any or scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        parsed = parse_host(Headers(scope=scope).get("host"))
        host = parsed[0].lower() if parsed is not None else None
        valid = www = False
        if host is not None:
            for pattern in self.allowed_hosts:
                if host == pattern or (pattern.startswith("*") and host.endswith(pattern[1:])):
                    valid = True
                    break
                if "www." + host == pattern:
                    www = True
        if valid:
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":  # refused at the handshake (403)
            return await WebSocketClose(1008, "Invalid host header")(scope, receive, send)
        if www and self.www_redirect:
            url = HTTPConnection(scope).url
            response: Any = RedirectResponse(url.replace(netloc="www." + url.netloc))
        else:
            response = PlainTextResponse("Invalid host header", status_code=400)
        await response(scope, receive, send)
