"""WebSocket routes that refuse the handshake with an HTTP response (the ASGI
"websocket.http.response" extension), served by tests/test_websocket_denial.py through
TestClient, the native server, uvicorn and hypercorn."""

from typing import Annotated

from FasterAPI import Depends, Faster, HTTPException, WebSocket
from FasterAPI.responses import PlainTextResponse
from FasterAPI.security import HTTPAuthorizationCredentials, HTTPBearer

app = Faster()


@app.get("/health")
async def health():
    """What the ASGI servers' startup check asks for (tests/test_servers.wait_until_up)."""
    return {"ok": True}


async def token(websocket: WebSocket, token: str | None = None) -> str:
    """Refuses the connection with a 401 unless the query has a token."""
    if token is None:
        raise HTTPException(401, "no token", headers={"WWW-Authenticate": "Token"})
    return token


@app.websocket("/token")
async def with_token(websocket: WebSocket, token: Annotated[str, Depends(token)]):
    await websocket.accept()
    await websocket.send_text(f"token {token}")
    await websocket.close()


@app.websocket("/bearer")
async def with_bearer(
    websocket: WebSocket,
    credentials: Annotated[HTTPAuthorizationCredentials, Depends(HTTPBearer())],
):
    await websocket.accept()
    await websocket.send_text(credentials.credentials)
    await websocket.close()


@app.websocket("/teapot")
async def teapot(websocket: WebSocket):
    """The endpoint itself refuses the handshake with a response of its choice."""
    await websocket.send_denial_response(PlainTextResponse("short and stout", status_code=418))


@app.websocket("/streamed")
async def streamed(websocket: WebSocket):
    """A denial response whose body comes in parts, with no Content-Length."""
    start = {"type": "websocket.http.response.start", "status": 403, "headers": []}
    await websocket.send(start)
    part = {"type": "websocket.http.response.body", "body": b"go ", "more_body": True}
    await websocket.send(part)
    await websocket.send({"type": "websocket.http.response.body", "body": b"away"})


@app.websocket("/after-accept")
async def after_accept(websocket: WebSocket):
    """An HTTPException once the connection is open: it closes with 1008 and the detail."""
    await websocket.accept()
    raise HTTPException(401, "too late")


@app.websocket("/unread")
async def unread(websocket: WebSocket):
    """Lets the client's WebSocketDisconnect out of the endpoint."""
    await websocket.accept()
    while True:
        await websocket.receive_text()
