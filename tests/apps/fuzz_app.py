"""The app the socket-level fuzzer sends mutated requests to (tests/test_server_fuzz.py,
benchmarks/fuzz_server.py): routes of every kind a request can reach, and `wrapped`, the same
behind a middleware so that every request takes the ASGI path. Nothing here answers 5xx for
anything a client sends."""

import msgspec
from FasterAPI import Faster, File, Form, Request, UploadFile, WebSocket, WebSocketDisconnect
from FasterAPI.responses import StreamingResponse

from tests.apps.passthrough import behind_a_middleware


class Item(msgspec.Struct):
    name: str
    price: float = 0.0
    tags: list[str] = []


def build() -> Faster:
    app = Faster()

    @app.get("/health")
    async def health():
        return {"ok": True}

    @app.get("/items/{item_id}")
    async def get_item(item_id: int, q: str | None = None):
        return {"item_id": item_id, "q": q}

    @app.post("/items")
    async def create_item(item: Item):
        return item

    @app.post("/form")
    async def form(name: str = Form(), upload: UploadFile | None = File(None)):
        size = len(await upload.read()) if upload is not None else None
        return {"name": name, "size": size}

    @app.post("/echo")
    async def echo(request: Request):
        return {"size": len(await request.body())}

    @app.get("/stream")
    async def stream():
        async def pieces():
            for i in range(3):
                yield f"piece {i}\n"

        return StreamingResponse(pieces(), media_type="text/plain")

    @app.websocket("/ws")
    async def ws(websocket: WebSocket):
        await websocket.accept()
        try:
            while True:
                await websocket.send_text(await websocket.receive_text())
        except WebSocketDisconnect:
            pass

    return app


app = build()
wrapped = behind_a_middleware(build())
