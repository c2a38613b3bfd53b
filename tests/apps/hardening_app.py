"""Apps the server-hardening tests serve (tests/test_server_hardening.py).

`app` answers natively where it can; `wrapped` is the same app behind a user middleware, so every
request takes the ASGI path. `/protocols` counts the connection objects alive in the server,
`/gc/off` turns the cycle collector off (a connection that only the collector could free then
stays counted) and `/gc` runs it.
"""

import asyncio
import gc

from FasterAPI import Faster, Header, HTTPException, Request, WebSocket
from FasterAPI.responses import StreamingResponse
from FasterAPI.server.protocol import HttpProtocol

from tests.apps.passthrough import behind_a_middleware

#: Which endless streams saw their client leave (their generator's `finally` ran).
CLOSED: list[str] = []


def build() -> Faster:
    app = Faster()

    @app.get("/health")
    async def health():
        return {"ok": True}

    @app.get("/hello")
    async def hello(name: str = "world"):
        return {"hello": name}

    @app.get("/items/{item_id}")
    async def item(item_id: int):
        return {"item_id": item_id}

    @app.post("/only-post")
    async def only_post():
        return {"posted": True}

    @app.get("/missing-item")
    async def missing_item():
        raise HTTPException(404, "no such item")

    @app.get("/boom")
    async def boom():
        raise RuntimeError("boom")

    @app.get("/stream")
    async def stream():
        async def pieces():
            for i in range(3):
                yield f"piece {i}\n".encode()

        return StreamingResponse(pieces(), media_type="text/plain")

    @app.get("/sleep")
    async def sleep(seconds: float = 0.2):
        await asyncio.sleep(seconds)
        return {"slept": seconds}

    @app.get("/host")
    async def host(host: str = Header()):
        return {"host": host}

    @app.get("/url")
    async def url(request: Request):
        return {"url": str(request.url)}

    @app.websocket("/ws")
    async def echo(websocket: WebSocket):
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    @app.get("/endless")
    async def endless():
        async def forever():  # never awaits anything: only a checkpoint per item stops it
            try:
                while True:
                    yield b"x" * 4096
            finally:
                CLOSED.append("async")

        return StreamingResponse(forever(), media_type="text/plain")

    @app.get("/endless-sync")
    def endless_sync():
        def forever():
            try:
                while True:
                    yield b"y" * 4096
            finally:
                CLOSED.append("sync")

        return StreamingResponse(forever(), media_type="text/plain")

    @app.get("/closed")
    async def closed():
        return {"closed": CLOSED}

    @app.get("/protocols")
    def protocols():
        return {"alive": sum(isinstance(o, HttpProtocol) for o in gc.get_objects())}

    @app.get("/gc/off")
    def gc_off():
        gc.disable()
        return {"enabled": gc.isenabled()}

    @app.get("/gc")
    def collect():
        return {"collected": gc.collect()}

    return app


app = build()
wrapped = behind_a_middleware(build())
