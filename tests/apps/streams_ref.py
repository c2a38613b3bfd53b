"""Endpoints that yield, written against either FastAPI or FasterAPI (`build(lib)`): JSON
Lines with and without an item model, Server-Sent Events (items and ServerSentEvent), a raw
StreamingResponse, an item that fails its model.

tests/apps/streams_ref_fastapi.json is FastAPI's OpenAPI document of this app (FastAPI
0.165.0). To make it again, in a virtualenv with fastapi installed:

    python -m tests.apps.streams_ref fastapi > tests/apps/streams_ref_fastapi.json
"""

import importlib
from collections.abc import AsyncIterable, Iterator

import pydantic


class Item(pydantic.BaseModel):
    name: str
    price: float = 1.0


def build(lib):
    sse = importlib.import_module(lib.__name__ + ".sse")
    responses = importlib.import_module(lib.__name__ + ".responses")
    app = lib.FastAPI(title="Streams")

    @app.get("/items")
    async def items() -> AsyncIterable[Item]:
        yield {"name": "a", "price": 2, "extra": "dropped"}
        yield Item(name="b")

    @app.get("/plain")
    def plain():
        yield {"n": 1}
        yield [1, 2]
        yield "text"

    @app.get("/numbers/{count}")
    def numbers(count: int) -> Iterator[int]:
        yield from range(count)

    @app.get("/events", response_class=sse.EventSourceResponse)
    async def events() -> AsyncIterable[Item]:
        yield {"name": "x"}
        yield sse.ServerSentEvent(data={"k": "v"}, event="update", id="7", retry=500)
        yield sse.ServerSentEvent(raw_data="raw\nlines", comment="note")
        yield sse.ServerSentEvent(data="hello")

    @app.post("/any-events", response_class=sse.EventSourceResponse)
    async def any_events():
        yield 1

    @app.get("/raw", response_class=responses.StreamingResponse)
    async def raw():
        yield b"abc"
        yield "def"

    @app.post("/bad")
    async def bad() -> AsyncIterable[int]:
        yield 1
        yield "not a number"

    return app


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(build(importlib.import_module(sys.argv[1])).openapi(), indent=1))
