"""faster-api-web's module path for WebSockets: `from FasterAPI.websocket import WebSocket`.
The classes are Starlette's as FastAPI has them (FasterAPI.websockets), with faster-api-web's
`WebSocket.path` too."""

from .websockets import WebSocket, WebSocketDisconnect, WebSocketState

__all__ = ["WebSocket", "WebSocketDisconnect", "WebSocketState"]
