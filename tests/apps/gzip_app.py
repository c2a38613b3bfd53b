"""Responses GZipMiddleware (or CompressMiddleware) compresses or leaves alone, for
tests/test_gzip.py."""

from FasterAPI import FastAPI
from FasterAPI.middleware.gzip import GZipMiddleware
from FasterAPI.responses import PlainTextResponse, Response, StreamingResponse


def gzip_app(middleware=GZipMiddleware):
    app = FastAPI()
    app.add_middleware(middleware, minimum_size=100)

    @app.get("/big")
    async def big():
        return PlainTextResponse("x" * 1000, headers={"vary": "Origin"})

    @app.get("/small")
    async def small():
        return PlainTextResponse("tiny")

    @app.get("/json")
    async def json_items():
        return {"items": list(range(200))}

    @app.get("/png")
    async def png():
        return Response(b"p" * 1000, media_type="image/png")

    @app.get("/encoded")
    async def encoded():
        # (a coding httpx does not decode)
        return Response(b"e" * 1000, headers={"content-encoding": "compress"})

    @app.get("/stream")
    async def stream():
        async def pieces():
            for i in range(5):
                yield f"chunk {i} " * 40

        return StreamingResponse(pieces(), media_type="text/plain")

    @app.get("/events")
    async def events():
        async def pieces():
            yield "data: " + "y" * 300 + "\n\n"

        return StreamingResponse(pieces(), media_type="text/event-stream")

    return app
