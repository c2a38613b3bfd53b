"""The four benchmark endpoints for FasterAPI, with a pydantic BaseModel for POST /items.

Identical to fasterapi_app.py except for the model, so the two show what the model library costs
(and this one is the closest like-for-like with the FastAPI peer app).
"""

from FasterAPI import Faster
from FasterAPI.responses import PlainTextResponse
from pydantic import BaseModel

app = Faster()


class Item(BaseModel):
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
