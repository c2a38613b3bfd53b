"""Doubles for calling an ASGI app by hand: an HTTP `scope` and the server's side of one
request (`Peer`)."""

import asyncio
import json


def scope(method: str, path: str, query: bytes = b"") -> dict:
    headers = [(b"content-type", b"application/json")] if method == "POST" else []
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": headers,
    }


class Peer:
    """A server's side of one request: `chunks` arrive with a pause before each; sends are
    recorded, each after a pause when `slow_send`."""

    def __init__(self, chunks: list[bytes] = (), slow_send: bool = False) -> None:
        self.chunks = list(chunks)
        self.slow_send = slow_send
        self.sent: list[dict] = []

    async def receive(self) -> dict:
        await asyncio.sleep(0.001)
        if not self.chunks:
            return {"type": "http.disconnect"}
        body = self.chunks.pop(0)
        return {"type": "http.request", "body": body, "more_body": bool(self.chunks)}

    async def send(self, message: dict) -> None:
        if self.slow_send:
            await asyncio.sleep(0.001)
        self.sent.append(message)

    @property
    def status(self) -> int:
        return self.sent[0]["status"]

    @property
    def json(self):
        return json.loads(b"".join(m.get("body", b"") for m in self.sent[1:]))
