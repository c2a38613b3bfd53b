"""A WebSocket echo endpoint, for ws_echo.py: the same code on FasterAPI and on FastAPI
(WS_FRAMEWORK=fastapi picks FastAPI, from the peers' virtualenv). GET /json answers the
harness's "is it up" probe."""

import os

if os.environ.get("WS_FRAMEWORK") == "fastapi":
    from fastapi import FastAPI, WebSocket, WebSocketDisconnect
else:
    from FasterAPI import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()


@app.get("/json")
async def up():
    return {"up": True}


@app.websocket("/echo")
async def echo(websocket: WebSocket):
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass
