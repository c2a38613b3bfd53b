"""Items API: a small CRUD example for FasterAPI, stored in SQLite.

`make run` serves it with uvicorn on http://127.0.0.1:8000. Try:

    curl -X POST localhost:8000/items -H 'content-type: application/json' \\
         -d '{"name": "hammer", "price": 9.5, "tags": ["tools"]}'
    curl 'localhost:8000/items?limit=10'

The data lives in the SQLite file named by FASTERAPI_EXAMPLE_DB (default:
items.db beside this file). Queries go through aiosqlite, so no handler blocks
the event loop while SQLite works. Models are msgspec Structs, FasterAPI's
native model type; the constraints in `msgspec.Meta` are checked on every
request and a bad body gets FastAPI's 422 error.
"""

import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

import aiosqlite
import msgspec
from FasterAPI import FastAPI, HTTPException, Query, Response
from FasterAPI import Path as PathParam

DB_PATH = os.environ.get("FASTERAPI_EXAMPLE_DB", str(Path(__file__).with_name("items.db")))

Name = Annotated[str, msgspec.Meta(min_length=1)]
Price = Annotated[float, msgspec.Meta(gt=0)]
#: SQLite's INTEGER holds 64-bit signed values: a larger id or offset is a 422, not a 500.
MAX_INT = 2**63 - 1
ItemId = Annotated[int, PathParam(ge=1, le=MAX_INT)]


class ItemIn(msgspec.Struct):
    name: Name
    price: Price
    tags: list[str] = []


class ItemPatch(msgspec.Struct):
    """Every field optional: only the fields sent are changed."""

    name: Name | None = None
    price: Price | None = None
    tags: list[str] | None = None


class Item(msgspec.Struct):
    id: int
    name: str
    price: float
    tags: list[str]


class Message(msgspec.Struct):
    """An error's body, as HTTPException writes it."""

    detail: str


#: The answers besides 2xx and 422 that routes document (schemathesis checks that every
#: status the app sends is in the OpenAPI document).
NOT_FOUND = {404: {"model": Message, "description": "No item has this id"}}
BAD_BODY = {400: {"model": Message, "description": "The body is not JSON text"}}


class Database:
    """Holds the one connection the app opens for its lifetime."""

    conn: aiosqlite.Connection


db = Database()


@asynccontextmanager
async def lifespan(app: FastAPI):
    db.conn = await aiosqlite.connect(DB_PATH)
    await db.conn.execute(
        "CREATE TABLE IF NOT EXISTS items ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL,"
        " price REAL NOT NULL, tags TEXT NOT NULL)"
    )
    await db.conn.commit()
    try:
        yield
    finally:
        await db.conn.close()


app = FastAPI(title="Items", lifespan=lifespan)

COLUMNS = "SELECT id, name, price, tags FROM items"


def not_found() -> HTTPException:
    return HTTPException(status_code=404, detail="Item not found")


def to_item(row) -> Item:
    id, name, price, tags = row  # tags are stored as a JSON array
    return Item(id=id, name=name, price=price, tags=msgspec.json.decode(tags))


async def fetch_item(item_id: int) -> Item:
    rows = await db.conn.execute_fetchall(f"{COLUMNS} WHERE id = ?", (item_id,))
    if not rows:
        raise not_found()
    return to_item(rows[0])


async def save(item: Item) -> Item:
    """Overwrite an existing row with `item`; 404 if there is no such row."""
    cursor = await db.conn.execute(
        "UPDATE items SET name = ?, price = ?, tags = ? WHERE id = ?",
        (item.name, item.price, msgspec.json.encode(item.tags).decode(), item.id),
    )
    await db.conn.commit()
    if cursor.rowcount == 0:
        raise not_found()
    return item


@app.get("/items")
async def list_items(
    limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0, le=MAX_INT)
) -> list[Item]:
    rows = await db.conn.execute_fetchall(
        f"{COLUMNS} ORDER BY id LIMIT ? OFFSET ?", (limit, offset)
    )
    return [to_item(row) for row in rows]


@app.get("/items/{item_id}", responses=NOT_FOUND)
async def get_item(item_id: ItemId) -> Item:
    return await fetch_item(item_id)


@app.post("/items", status_code=201, responses=BAD_BODY)
async def create_item(item: ItemIn) -> Item:
    cursor = await db.conn.execute(
        "INSERT INTO items (name, price, tags) VALUES (?, ?, ?)",
        (item.name, item.price, msgspec.json.encode(item.tags).decode()),
    )
    await db.conn.commit()
    return Item(id=cursor.lastrowid, name=item.name, price=item.price, tags=item.tags)


@app.put("/items/{item_id}", responses={**NOT_FOUND, **BAD_BODY})
async def replace_item(item_id: ItemId, item: ItemIn) -> Item:
    return await save(Item(id=item_id, name=item.name, price=item.price, tags=item.tags))


@app.patch("/items/{item_id}", responses={**NOT_FOUND, **BAD_BODY})
async def update_item(item_id: ItemId, patch: ItemPatch) -> Item:
    changes = {k: v for k, v in msgspec.structs.asdict(patch).items() if v is not None}
    return await save(msgspec.structs.replace(await fetch_item(item_id), **changes))


@app.delete("/items/{item_id}", status_code=204, responses=NOT_FOUND)
async def delete_item(item_id: ItemId) -> Response:
    cursor = await db.conn.execute("DELETE FROM items WHERE id = ?", (item_id,))
    await db.conn.commit()
    if cursor.rowcount == 0:
        raise not_found()
    return Response(status_code=204)
