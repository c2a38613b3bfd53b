"""The four benchmark endpoints (see /work/shared/bench/README.md) for FasterAPI.

Same shape as the peers' apps; the POST body model is a msgspec.Struct, FasterAPI's native model.
`make_app(Model)` builds the same endpoints around another model (fasterapi_pydantic_app.py).
Serve with: uvicorn fasterapi_app:app (from this folder) or `fasterapi run fasterapi_app:app`.
"""

import msgspec
from FasterAPI import Faster
from FasterAPI.responses import PlainTextResponse


class Item(msgspec.Struct):
    name: str
    price: float
    tags: list[str] = []


def make_app(item_model: type) -> Faster:
    app = Faster()

    @app.get("/plaintext")
    async def plaintext():
        return PlainTextResponse("Hello, World!")

    @app.get("/json")
    async def json_():
        return {"message": "Hello, World!"}

    @app.get("/items/{item_id}")
    async def get_item(item_id: int, q: str | None = None):
        return {"item_id": item_id, "q": q}

    @app.post("/items")
    async def create_item(item: item_model):
        return {"id": 1, "name": item.name, "price": item.price, "tags": item.tags}

    return app


app = make_app(Item)
