"""HTTPSRedirectMiddleware: answers every `http` (and `ws`) request with a 307 redirect to
the same URL on `https`, the port dropped when it is 80 or 443. A `ws` WebSocket cannot be
redirected: it is refused (403 at the handshake)."""

from __future__ import annotations

from typing import Any

from ..requests import HTTPConnection
from ..responses import PlainTextResponse, RedirectResponse
from ..websockets import WebSocketClose


class HTTPSRedirectMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket") or scope.get("scheme") not in ("http", "ws"):
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            return await WebSocketClose(1008, "Use wss")(scope, receive, send)
        url = HTTPConnection(scope).url
        if not url.netloc:
            return await PlainTextResponse("Invalid host header", status_code=400)(
                scope, receive, send
            )
        netloc = url.hostname if url.port in (80, 443) and url.hostname else url.netloc
        secure = url.replace(scheme="https", netloc=netloc)
        await RedirectResponse(secure, status_code=307)(scope, receive, send)
