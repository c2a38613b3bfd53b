"""App served by uvicorn and hypercorn in tests/test_servers.py."""

import os
from contextlib import asynccontextmanager

from FasterAPI import FastAPI, HTTPException
from pydantic import BaseModel

state = {"started": False}


def _record(event: str) -> None:
    path = os.environ.get("SERVER_APP_EVENTS_FILE")
    if path:
        with open(path, "a") as f:
            f.write(event + "\n")


@asynccontextmanager
async def lifespan(app):
    state["started"] = True
    _record("startup")
    yield
    _record("shutdown")


app = FastAPI(lifespan=lifespan)


class Item(BaseModel):
    name: str
    price: float


@app.get("/health")
async def health():
    return {"ok": True}


@app.get("/lifespan")
async def lifespan_flag():
    return {"started": state["started"]}


@app.get("/items/{item_id}")
async def read_item(item_id: int, q: str | None = None):
    if item_id == 404:
        raise HTTPException(status_code=404, detail="Item not found", headers={"X-Error": "1"})
    return {"item_id": item_id, "q": q}


@app.post("/items", status_code=201)
async def create_item(item: Item):
    return {"name": item.name, "price": item.price}


@app.get("/sync")
def sync_route(n: int = 1):
    return {"n": n * 2}
