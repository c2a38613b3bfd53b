"""A WebSocket app for the tests: through TestClient (tests/test_websockets.py), on the native
server and under uvicorn. What happens inside it is recorded in EVENTS, which `/events` shows
to tests that run it in another process."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

from FasterAPI import (
    APIRouter,
    Cookie,
    Depends,
    Faster,
    Header,
    HTTPException,
    Query,
    Response,
    WebSocket,
    WebSocketDisconnect,
    WebSocketException,
)
from FasterAPI.requests import HTTPConnection

EVENTS: list[str] = []


@contextlib.asynccontextmanager
async def lifespan(app: Faster):
    yield {"greeting": "hello"}


app = Faster(lifespan=lifespan)


async def guard(websocket: WebSocket, token: Annotated[str | None, Query()] = None) -> WebSocket:
    """A dependency given the WebSocket by its annotation; it may refuse the connection."""
    if token == "forbidden":
        raise WebSocketException(code=4403, reason="forbidden token")
    if token == "http":
        raise HTTPException(status_code=401, detail="no token")
    return websocket


async def session():
    EVENTS.append("open")
    try:
        yield "session"
    except Exception as exc:
        EVENTS.append(f"error {type(exc).__name__}")
        raise
    finally:
        EVENTS.append("teardown")


def path_of(connection: HTTPConnection) -> str:
    """Works for HTTP requests and WebSockets alike."""
    return connection.url.path


@app.websocket("/echo/{room}")
async def echo(
    websocket: WebSocket,
    room: str,
    guarded: Annotated[WebSocket, Depends(guard)],
    session_name: Annotated[str, Depends(session)],
    path: Annotated[str, Depends(path_of)],
    times: int = 1,
    x_client: Annotated[str | None, Header()] = None,
    flavour: Annotated[str | None, Cookie()] = None,
):
    offered = websocket.scope.get("subprotocols") or [None]
    await websocket.accept(subprotocol=offered[0])
    await websocket.send_json(
        {
            "room": room,
            "times": times,
            "same_websocket": guarded is websocket,
            "session": session_name,
            "path": path,
            "client": x_client,
            "flavour": flavour,
            "greeting": getattr(websocket.state, "greeting", None),
            "scheme": websocket.url.scheme,
        }
    )
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            EVENTS.append(f"disconnect {message.get('code')}")
            return
        text = message.get("text")
        if text is None:
            await websocket.send_bytes(message["bytes"][::-1])
        elif text == "close":
            await websocket.close(code=4000, reason="bye")
            return
        elif text == "boom":
            raise RuntimeError("boom")
        else:
            await websocket.send_text(text.upper() * times)


@app.websocket("/mirror")
async def mirror(websocket: WebSocket):
    """Sends each message back as it came, text or bytes."""
    await websocket.accept()
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") is not None:
            await websocket.send_text(message["text"])
        else:
            await websocket.send_bytes(message["bytes"])


@app.websocket("/deny")
async def deny(websocket: WebSocket):
    await websocket.close()


@app.websocket("/lines")
async def lines(websocket: WebSocket):
    """iter_text ends when the client goes; the count is recorded."""
    await websocket.accept()
    count = 0
    async for line in websocket.iter_text():
        count += 1
        await websocket.send_text(f"{count}: {line}")
    EVENTS.append(f"lines {count}")


@app.websocket("/unread")
async def unread(websocket: WebSocket):
    """Lets a WebSocketDisconnect out of the endpoint: TestClient raises it, as Starlette's."""
    await websocket.accept()
    await websocket.receive_text()
    await websocket.receive_text()


router = APIRouter(prefix="/r", dependencies=[Depends(session)])


@router.websocket("/json")
async def json_echo(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            data = await websocket.receive_json()
            await websocket.send_json({"got": data})
    except WebSocketDisconnect as exc:
        EVENTS.append(f"json disconnect {exc.code}")


app.include_router(router, prefix="/v1")


@app.get("/path")
async def http_path(path: Annotated[str, Depends(path_of)]):
    return {"path": path}


@app.get("/events")
async def events():
    return EVENTS


@app.get("/health")
async def health():
    return {"ok": True}


@app.websocket("/slow-accept")
async def slow_accept(websocket: WebSocket):
    """Accepts late: what the client sent meanwhile must come through, in order."""
    await asyncio.sleep(0.3)
    await websocket.accept()
    async for text in websocket.iter_text():
        await websocket.send_text(text)


@app.websocket("/stream")
async def stream(websocket: WebSocket):
    """Sends until the client goes, never reading."""
    await websocket.accept()
    chunk = "x" * 65536
    try:
        while True:
            await websocket.send_text(chunk)
    except WebSocketDisconnect:
        EVENTS.append("stream ended")


@app.websocket("/flood")
async def flood(websocket: WebSocket):
    """Sends until a send fails, letting that WebSocketDisconnect out (recorded first)."""
    await websocket.accept()
    try:
        while True:
            await websocket.send_text("x")
    except WebSocketDisconnect as exc:
        EVENTS.append(f"flood disconnect {exc.code}")
        raise


@app.websocket("/busy")
async def busy(websocket: WebSocket):
    """Works each message out before sending it and awaits nothing else: a client that reads
    faster than it sends never makes the server's send wait, so only the server's own yields
    let its loop run (the client's close, other connections, shutdown)."""
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(str(sum(range(20000))))
    except WebSocketDisconnect as exc:
        print(f"busy disconnect {exc.code}", flush=True)  # for a server stopped by the test


@app.websocket("/ignore")
async def ignore(websocket: WebSocket):
    """Reads nothing, then closes."""
    await websocket.accept()
    await asyncio.sleep(0.5)
    await websocket.close()


@app.websocket("/bad-close")
async def bad_close(websocket: WebSocket):
    await websocket.accept()
    await websocket.close(code=1006)  # reserved: no endpoint may send it


@app.websocket("/raw-send")
async def raw_send(websocket: WebSocket):
    await websocket.accept()
    await websocket.send({"type": "websocket.send"})  # neither text nor bytes


def set_cookie(response: Response) -> None:
    """A dependency written for HTTP routes; on a WebSocket route its Response goes nowhere."""
    response.set_cookie("seen", "yes")


@app.websocket("/with-response", dependencies=[Depends(set_cookie)])
async def with_response(websocket: WebSocket):
    await websocket.accept()
    await websocket.send_text("ok")


@app.websocket("/two-senders")
async def two_senders(websocket: WebSocket):
    """Two tasks send to a client that stops reading, then leaves: both must find out."""
    await websocket.accept()
    chunk = "x" * 65536

    async def sender() -> None:
        try:
            while True:
                await websocket.send_text(chunk)
        except WebSocketDisconnect:
            EVENTS.append("sender saw the disconnect")

    await asyncio.wait_for(asyncio.gather(sender(), sender()), 10)
