"""Reading a request body from ASGI `receive`, for `Request.body()`, the forms and Rust's
ASGI door; `ClientDisconnect` when the client leaves first (also exported by
FasterAPI.requests, as Starlette's is by starlette.requests)."""

from __future__ import annotations

from typing import Any


class ClientDisconnect(Exception):
    """The client went away before sending the whole body."""


async def read_body(receive: Any, first: dict[str, Any] | None = None) -> bytes:
    """The whole request body; `first` is a message already received, if any."""
    chunks = []
    message = first if first is not None else await receive()
    while True:
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)
        message = await receive()
