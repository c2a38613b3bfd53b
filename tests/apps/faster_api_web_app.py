"""An app written against faster-api-web's documented API (tests/test_faster_api_web.py):
its module paths, `@app.on_startup` / `@app.on_shutdown`, `request.path`,
`request.content_type` and `websocket.path`. Lifecycle events are printed to stdout."""

from FasterAPI import BackgroundTask, FormData, JSONResponse, UJSONResponse
from FasterAPI.app import Faster
from FasterAPI.request import Request
from FasterAPI.router import FasterRouter
from FasterAPI.websocket import WebSocket, WebSocketDisconnect

app = Faster()
EVENTS: list[str] = []


def event(text: str) -> None:
    EVENTS.append(text)
    print(text, flush=True)


@app.on_startup
async def connect() -> None:
    event("startup async")


@app.on_startup
def warm() -> None:
    event("startup sync")


@app.on_shutdown
def disconnect() -> None:
    event("shutdown")


@app.post("/inspect/{name}")
async def inspect_request(name: str, request: Request):
    form: FormData = await request.form()
    return {
        "path": request.path,
        "content_type": request.content_type,
        "form": dict(form),
        "name": name,
    }


@app.get("/inspect")
async def inspect_get(request: Request):
    return UJSONResponse({"path": request.path, "content_type": request.content_type})


@app.get("/later")
async def later():
    return JSONResponse({"ok": True}, background=BackgroundTask(event, "background ran"))


users = FasterRouter(prefix="/users", tags=["users"])


@users.get("/{user_id}")
async def user(user_id: int):
    return {"user_id": user_id}


app.include_router(users)


@app.websocket("/ws/{room}")
async def room(websocket: WebSocket, room: str):
    await websocket.accept()
    try:
        while True:
            text = await websocket.receive_text()
            await websocket.send_json({"path": websocket.path, "room": room, "text": text})
    except WebSocketDisconnect:
        pass
