"""SessionMiddleware: a session kept in a signed cookie, as Starlette's (the `sessions` extra:
itsdangerous). `request.session` is a dict read from the cookie; what it holds when the
response starts is signed and sent back (`Set-Cookie`), and an emptied session clears the
cookie. A cookie that was tampered with, signed with another key, or older than `max_age`
seconds gives an empty session. The data is signed, not encrypted: the client can read it.
"""

from __future__ import annotations

import json
from base64 import b64decode, b64encode
from typing import Any, Literal

from ..requests import HTTPConnection

try:
    import itsdangerous
except ImportError:  # the `sessions` extra is not installed: said when the middleware is made
    itsdangerous = None  # type: ignore[assignment]

#: How a cleared session's cookie is sent: expired at once.
_CLEARED = "null; path={path}; expires=Thu, 01 Jan 1970 00:00:00 GMT; {flags}"


class SessionMiddleware:
    def __init__(
        self,
        app: Any,
        secret_key: str | Any,
        session_cookie: str = "session",
        max_age: int | None = 14 * 24 * 60 * 60,
        path: str = "/",
        same_site: Literal["lax", "strict", "none"] = "lax",
        https_only: bool = False,
        domain: str | None = None,
    ) -> None:
        if itsdangerous is None:
            raise RuntimeError("SessionMiddleware needs itsdangerous: pip install itsdangerous")
        if same_site not in ("lax", "strict", "none"):
            raise ValueError("same_site must be 'lax', 'strict' or 'none'")
        self.app = app
        self.signer = itsdangerous.TimestampSigner(str(secret_key))
        self.session_cookie = session_cookie
        self.max_age = max_age
        self.path = path
        flags = "httponly; samesite=" + same_site
        if https_only:  # (a cookie only sent over HTTPS)
            flags += "; secure"
        if domain is not None:
            flags += f"; domain={domain}"
        self.security_flags = flags

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        scope["session"] = self._read(HTTPConnection(scope).cookies.get(self.session_cookie))
        was_empty = not scope["session"]

        async def send_with_session(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                cookie = None
                if scope["session"]:
                    data = b64encode(json.dumps(scope["session"]).encode("utf-8"))
                    signed = self.signer.sign(data).decode("utf-8")
                    max_age = f"Max-Age={self.max_age}; " if self.max_age else ""
                    cookie = f"{signed}; path={self.path}; {max_age}{self.security_flags}"
                elif not was_empty:  # emptied: the client forgets it
                    cookie = _CLEARED.format(path=self.path, flags=self.security_flags)
                if cookie is not None:  # (a copy: the response may be sent again)
                    value = f"{self.session_cookie}={cookie}".encode("latin-1")
                    message["headers"] = [*message.get("headers", ()), (b"set-cookie", value)]
            await send(message)

        await self.app(scope, receive, send_with_session)

    def _read(self, cookie: str | None) -> dict[str, Any]:
        """The session a cookie holds; empty when there is none, or it does not check out."""
        if not cookie:
            return {}
        try:
            data = self.signer.unsign(cookie.encode("utf-8"), max_age=self.max_age)
            session = json.loads(b64decode(data))
        except (itsdangerous.BadSignature, ValueError):  # (bad base64 or JSON: ValueError)
            return {}
        return session if isinstance(session, dict) else {}
