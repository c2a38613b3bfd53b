"""The four benchmark endpoints (see /work/shared/bench/README.md) for FasterAPI.

Same shape as the peers' apps; the POST body model is a msgspec.Struct, FasterAPI's native model.
Serve with: uvicorn fasterapi_app:app (from this folder) or `fasterapi run fasterapi_app:app`.
"""

import msgspec
from FasterAPI import Faster
from FasterAPI.responses import PlainTextResponse

app = Faster()


class Item(msgspec.Struct):
    name: str
    price: float
    tags: list[str] = []


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
async def create_item(item: Item):
    return {"id": 1, "name": item.name, "price": item.price, "tags": item.tags}
