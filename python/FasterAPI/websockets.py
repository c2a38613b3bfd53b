"""WebSocket: what a `@app.websocket(...)` endpoint gets, with Starlette's API (accept,
receive_*/send_*, iter_*, close) over the ASGI websocket messages. The framing itself is the
ASGI server's: Rust (`_core.WebSocketSession`) on FasterAPI's native server."""

from __future__ import annotations

import enum
import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

from . import _core
from ._starlette import StarletteWebSocketDisconnect, register_as_starlettes
from .requests import HTTPConnection

#: The ASGI extension a server offers (in `scope["extensions"]`) when it can answer a WebSocket
#: handshake with an HTTP response instead of the 101: the "WebSocket Denial Response".
DENIAL_EXTENSION = "websocket.http.response"


class WebSocketState(enum.Enum):
    CONNECTING = 0
    CONNECTED = 1
    DISCONNECTED = 2
    RESPONSE = 3


class WebSocketDisconnect(StarletteWebSocketDisconnect):
    """The client closed the connection (raised by the receive_* methods). Starlette's
    WebSocketDisconnect too, where Starlette is installed, as FastAPI's is."""

    def __init__(self, code: int = 1000, reason: str | None = None) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason or ""


def encode_text_json(data: Any) -> str:
    """Compact JSON text, as `send_json` sends it (msgspec Structs and dataclasses too)."""
    return _core.encode_json(data).decode()


#: The state the app's first message puts the connection in.
_AFTER_HANDSHAKE = {
    "websocket.accept": WebSocketState.CONNECTED,
    "websocket.close": WebSocketState.DISCONNECTED,
    "websocket.http.response.start": WebSocketState.RESPONSE,
}


class WebSocket(HTTPConnection):
    """One WebSocket connection: its scope (URL, headers, query, cookies, path parameters)
    and the messages both ways. Call `accept()` before sending or receiving."""

    def __init__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            raise ValueError(f"a WebSocket needs a websocket scope, not {scope['type']!r}")
        super().__init__(scope, receive)
        self._send = send
        self.client_state = WebSocketState.CONNECTING
        self.application_state = WebSocketState.CONNECTING
        self._lost = False  # a send found the client gone

    # -- ASGI messages --------------------------------------------------------------------------

    async def receive(self) -> dict[str, Any]:
        """The next ASGI message from the client, keeping track of the connection's state."""
        state = self.client_state
        if state == WebSocketState.DISCONNECTED:
            raise RuntimeError('Cannot call "receive" once a disconnect message has been received.')
        message = await self._receive()
        kind = message["type"]
        if state == WebSocketState.CONNECTING:
            if kind != "websocket.connect":
                raise RuntimeError(f'Expected ASGI message "websocket.connect", but got {kind!r}')
            self.client_state = WebSocketState.CONNECTED
        elif kind == "websocket.disconnect":
            self.client_state = WebSocketState.DISCONNECTED
        elif kind != "websocket.receive":
            raise RuntimeError(
                'Expected ASGI message "websocket.receive" or "websocket.disconnect", '
                f"but got {kind!r}"
            )
        return message

    async def send(self, message: dict[str, Any]) -> None:
        """Sends an ASGI message to the client, keeping track of the connection's state."""
        state = self.application_state
        kind = message["type"]
        if state == WebSocketState.CONNECTING:
            after = _AFTER_HANDSHAKE.get(kind)
            if after is None:
                raise RuntimeError(
                    'Expected ASGI message "websocket.accept", "websocket.close" or '
                    f'"websocket.http.response.start", but got {kind!r}'
                )
            self.application_state = after
        elif state == WebSocketState.RESPONSE:  # the denial response's body
            if kind != "websocket.http.response.body":
                raise RuntimeError(
                    f'Expected ASGI message "websocket.http.response.body", but got {kind!r}'
                )
            if not message.get("more_body", False):
                self.application_state = WebSocketState.DISCONNECTED
        elif state == WebSocketState.CONNECTED:
            if kind not in ("websocket.send", "websocket.close"):
                raise RuntimeError(
                    f'Expected ASGI message "websocket.send" or "websocket.close", but got {kind!r}'
                )
            if kind == "websocket.close":
                self.application_state = WebSocketState.DISCONNECTED
        elif self._lost:
            raise WebSocketDisconnect(code=1006)  # another send already found the client gone
        else:
            raise RuntimeError('Cannot call "send" once a close message has been sent.')
        try:
            await self._send(message)
        except OSError:  # the client is gone (ASGI servers raise an IOError subclass)
            self.application_state = WebSocketState.DISCONNECTED
            self._lost = True
            raise WebSocketDisconnect(code=1006) from None

    # -- the connection -------------------------------------------------------------------------

    async def accept(
        self, subprotocol: str | None = None, headers: Iterable[tuple[bytes, bytes]] | None = None
    ) -> None:
        """Accepts the connection, with one of the client's `subprotocols` if given."""
        if self.client_state == WebSocketState.CONNECTING:
            await self.receive()  # the "websocket.connect" message
        message: dict[str, Any] = {"type": "websocket.accept", "subprotocol": subprotocol}
        if headers:
            message["headers"] = list(headers)
        await self.send(message)

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        """Closes the connection; before `accept()` this refuses it (HTTP 403)."""
        await self.send({"type": "websocket.close", "code": code, "reason": reason or ""})

    async def send_denial_response(self, response: Any) -> None:
        """Refuses the connection with `response` (any ASGI HTTP response) instead of the 101,
        where the server supports it (the "websocket.http.response" extension); the client
        gets a plain HTTP response, its status, headers and body."""
        if DENIAL_EXTENSION not in self.scope.get("extensions", {}):
            raise RuntimeError(
                "The server doesn't support the Websocket Denial Response extension."
            )
        await response(self.scope, self.receive, self._denial_send)

    async def _denial_send(self, message: dict[str, Any]) -> None:
        """Sends an HTTP response's messages as the denial extension's."""
        kind = message["type"]
        if kind in ("http.response.start", "http.response.body"):
            message = {**message, "type": "websocket." + kind}
        await self.send(message)

    def _connected(self) -> None:
        if self.application_state != WebSocketState.CONNECTED:
            raise RuntimeError('WebSocket is not connected. Need to call "accept" first.')

    async def _receive_data(self) -> dict[str, Any]:
        self._connected()
        message = await self.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
        return message

    async def _receive_field(self, key: str, expected: str, got: str) -> Any:
        value = (await self._receive_data()).get(key)
        if value is None:
            raise RuntimeError(f"expected a {expected} message, got a {got} one")
        return value

    # -- receiving ------------------------------------------------------------------------------

    async def receive_text(self) -> str:
        return await self._receive_field("text", "text", "binary")

    async def receive_bytes(self) -> bytes:
        return await self._receive_field("bytes", "binary", "text")

    async def receive_json(self, mode: str = "text") -> Any:
        """The next message decoded from JSON; a text or a binary (UTF-8) one, whatever
        `mode` says (Starlette takes only the one `mode` names)."""
        if mode not in ("text", "binary"):
            raise RuntimeError('The "mode" argument should be "text" or "binary".')
        message = await self._receive_data()
        text = message.get("text")
        return json.loads(text if text is not None else message["bytes"].decode("utf-8"))

    async def iter_text(self) -> AsyncIterator[str]:
        """Text messages until the client disconnects."""
        try:
            while True:
                yield await self.receive_text()
        except WebSocketDisconnect:
            pass

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        try:
            while True:
                yield await self.receive_bytes()
        except WebSocketDisconnect:
            pass

    async def iter_json(self) -> AsyncIterator[Any]:
        try:
            while True:
                yield await self.receive_json()
        except WebSocketDisconnect:
            pass

    # -- sending --------------------------------------------------------------------------------

    async def send_text(self, data: str) -> None:
        await self.send({"type": "websocket.send", "text": data})

    async def send_bytes(self, data: bytes) -> None:
        await self.send({"type": "websocket.send", "bytes": data})

    async def send_json(self, data: Any, mode: str = "text") -> None:
        if mode not in ("text", "binary"):
            raise RuntimeError('The "mode" argument should be "text" or "binary".')
        text = encode_text_json(data)
        if mode == "text":
            await self.send({"type": "websocket.send", "text": text})
        else:
            await self.send({"type": "websocket.send", "bytes": text.encode()})


async def deny(websocket: WebSocket, response: Any, reason: str = "") -> None:
    """Answers a WebSocket with the HTTP `response` an exception handler gave, as FastAPI
    does: before `accept()`, the response itself refuses the handshake where the server
    supports it (TestClient raises WebSocketDenialResponse); where it does not, or once the
    connection is open, it closes with 1008 (policy violation) and `reason` (a 403 before
    `accept()`)."""
    state = websocket.application_state
    if state == WebSocketState.CONNECTING and DENIAL_EXTENSION in websocket.scope.get(
        "extensions", {}
    ):
        await websocket.send_denial_response(response)
    elif state in (WebSocketState.CONNECTING, WebSocketState.CONNECTED):
        await websocket.close(1008, reason)


class WebSocketClose:
    """An ASGI app that refuses a WebSocket connection with `code` (no route matched)."""

    def __init__(self, code: int = 1000, reason: str | None = None) -> None:
        self.code = code
        self.reason = reason or ""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "websocket.close", "code": self.code, "reason": self.reason})


register_as_starlettes(WebSocket, "websockets", "WebSocket")
