"""SessionMiddleware: a session kept in a signed cookie, as Starlette's (the `sessions` extra:
itsdangerous). `request.session` is a dict (`Session`) read from the cookie; a session that
was changed is signed and sent back when the response starts (`Set-Cookie`), an emptied one
clears the cookie, and a response whose handler looked at the session says `Vary: Cookie`.
A cookie that was tampered with, signed with another key, or older than `max_age` seconds
gives an empty session. The data is signed, not encrypted: the client can read it.
"""

from __future__ import annotations

import json
from base64 import b64decode, b64encode
from typing import Any, Literal

from ..datastructures import MutableHeaders
from ..requests import HTTPConnection

try:
    import itsdangerous
except ImportError:  # the `sessions` extra is not installed: said when the middleware is made
    itsdangerous = None  # type: ignore[assignment]

#: How a cleared session's cookie is sent: expired at once.
_CLEARED = "null; path={path}; expires=Thu, 01 Jan 1970 00:00:00 GMT; {flags}"


class Session(dict[str, Any]):
    """The session: a dict that knows whether it was looked at (`accessed`) or changed
    (`modified`: set by its own methods, not by a change inside a value it holds)."""

    accessed = False
    modified = False

    def mark_accessed(self) -> None:
        self.accessed = True

    def mark_modified(self) -> None:
        self.accessed = self.modified = True

    def __setitem__(self, key: str, value: Any) -> None:
        self.mark_modified()
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.mark_modified()
        super().__delitem__(key)

    def clear(self) -> None:
        self.mark_modified()
        super().clear()

    def pop(self, key: str, *default: Any) -> Any:
        if key in self:
            self.mark_modified()
        return super().pop(key, *default)

    def popitem(self) -> tuple[str, Any]:
        self.mark_modified()
        return super().popitem()

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self.mark_modified()
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.mark_modified()
        super().update(*args, **kwargs)

    def __ior__(self, other: Any) -> Session:  # type: ignore[override,misc]
        self.update(other)
        return self


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
        partitioned: bool = False,
    ) -> None:
        if itsdangerous is None:
            raise RuntimeError("SessionMiddleware needs itsdangerous: pip install itsdangerous")
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
        if partitioned:  # (CHIPS: a cookie kept apart for each top-level site)
            flags += "; partitioned"
        self.security_flags = flags

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        read = self._read(HTTPConnection(scope).cookies.get(self.session_cookie))
        scope["session"] = Session() if read is None else Session(read)
        had_cookie = read is not None  # (a signed one, even of an empty session)

        async def send_with_session(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                session: Session = scope["session"]
                cookie = None
                if session.modified and session:
                    data = b64encode(json.dumps(session).encode("utf-8"))
                    signed = self.signer.sign(data).decode("utf-8")
                    max_age = "" if self.max_age is None else f"Max-Age={self.max_age}; "
                    cookie = f"{signed}; path={self.path}; {max_age}{self.security_flags}"
                elif session.modified and had_cookie:  # emptied: the client forgets it
                    cookie = _CLEARED.format(path=self.path, flags=self.security_flags)
                if session.accessed or cookie is not None:
                    # (a copy: the response may be sent again)
                    message["headers"] = headers = list(message.get("headers", ()))
                    if session.accessed:
                        MutableHeaders(headers).add_vary_header("Cookie")
                    if cookie is not None:
                        value = f"{self.session_cookie}={cookie}".encode("latin-1")
                        headers.append((b"set-cookie", value))
            await send(message)

        await self.app(scope, receive, send_with_session)

    def _read(self, cookie: str | None) -> dict[str, Any] | None:
        """The session a cookie holds; None when there is none, or it does not check out."""
        if cookie is None:
            return None
        try:
            data = self.signer.unsign(cookie.encode("utf-8"), max_age=self.max_age)
            session = json.loads(b64decode(data))
        except (itsdangerous.BadSignature, ValueError):  # (bad base64 or JSON: ValueError)
            return None
        return session if isinstance(session, dict) else None
