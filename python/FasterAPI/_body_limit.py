"""`max_body_size`: FastAPI's limit on a request body, given to the app, a router,
`include_router` or a route (the most specific one wins, as in FastAPI 0.165).

A Content-Length over the limit is answered at once with a plain-text 413, before the body
is read (or the handler runs); a body without one (chunked) is counted as it is read, and the
read that passes the limit raises HTTPException 413 `{"detail": "Content Too Large"}`, which
the app's exception handlers answer. Either way nothing past the limit is kept.
"""

from __future__ import annotations

from typing import Any

from .exceptions import HTTPException

CONTENT_TOO_LARGE = "Content Too Large"


def validate_max_body_size(max_body_size: Any) -> None:
    """ValueError, worded as FastAPI's, unless `max_body_size` is None or an int >= 0."""
    if max_body_size is None:
        return
    if isinstance(max_body_size, bool) or not isinstance(max_body_size, int) or max_body_size < 0:
        raise ValueError("max_body_size must be a non-negative integer or None")


def declared_length(headers: Any) -> int | None:
    """The request's Content-Length, from ASGI header pairs; None if absent or unreadable."""
    for name, value in headers:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class LimitedReceive:
    """An ASGI `receive` that counts the body bytes it hands out and raises HTTPException
    413 once they pass `limit`."""

    __slots__ = ("receive", "limit", "total")

    def __init__(self, receive: Any, limit: int) -> None:
        self.receive = receive
        self.limit = limit
        self.total = 0

    async def __call__(self) -> dict[str, Any]:
        message: dict[str, Any] = await self.receive()
        if message["type"] == "http.request":
            self.total += len(message.get("body", b""))
            if self.total > self.limit:
                raise HTTPException(413, CONTENT_TOO_LARGE)
        return message


def limit_receive(scope: dict[str, Any], receive: Any, limit: int) -> Any:
    """`receive` for a request to a route limited to `limit` bytes: wrapped to count them,
    or None when the Content-Length already says the body is too large."""
    length = declared_length(scope["headers"])
    if length is not None and length > limit:
        return None
    return LimitedReceive(receive, limit)
