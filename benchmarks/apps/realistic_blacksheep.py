"""The realistic app (benchmarks/README.md, "Realistic app") for BlackSheep.

The same features as realistic_fastapi.py, the BlackSheep way: use_cors; the bearer check is an
authentication handler with `@auth()` on the routes (401 without a valid token); BlackSheep's
dependency injection (rodi) has no teardown, so the session is a context manager the handler
enters; the response model is built and serialised by the handler; BlackSheep has no background
tasks, so the task is scheduled on the event loop, as its documentation suggests.
Serve with: uvicorn realistic_blacksheep:app (from this folder, in the peers venv).
"""

import asyncio
from collections import deque
from contextlib import contextmanager

from blacksheep import Application, FromJSON, Request, json
from blacksheep.server.authorization import auth
from blacksheep.server.responses import bad_request
from guardpost import AuthenticationHandler, Identity
from pydantic import BaseModel

TOKEN = "bench-token"
ORIGIN = "https://app.example.com"
EVENTS: deque[str] = deque(maxlen=1000)  # what the background task writes to


class Session:
    """Stands in for a database session: no I/O, so that the framework's cost is measured."""

    def __init__(self) -> None:
        self.closed = False

    def get_item(self, item_id: int) -> dict:
        return {"id": item_id, "name": "widget", "price": 9.5, "tags": ["a", "b"], "owner": 7}

    def add_item(self, item: "ItemIn") -> dict:
        return {"id": 1, "name": item.name, "price": item.price, "tags": item.tags, "owner": 7}

    def close(self) -> None:
        self.closed = True


class ItemIn(BaseModel):
    name: str
    price: float
    tags: list[str] = []


class ItemOut(BaseModel):  # drops the row's "owner"
    id: int
    name: str
    price: float
    tags: list[str]


@contextmanager
def db_session():
    db = Session()
    try:
        yield db
    finally:
        db.close()


class BearerAuthentication(AuthenticationHandler):
    async def authenticate(self, context: Request) -> Identity | None:
        scheme, _, token = (context.get_first_header(b"Authorization") or b"").partition(b" ")
        if scheme.lower() != b"bearer" or token != TOKEN.encode():
            return None
        context.user = Identity({"sub": "bench-user"}, "Bearer")
        return context.user


async def record_event(name: str) -> None:
    EVENTS.append(name)


app = Application()
app.use_cors(allow_origins=[ORIGIN], allow_methods="*", allow_headers="*")
app.use_authentication().add(BearerAuthentication())
app.use_authorization()


@app.router.get("/items/{int:item_id}")
@auth()
async def read_item(item_id: int, limit: int = 10):
    if not 1 <= limit <= 100:
        return bad_request("limit must be between 1 and 100")
    with db_session() as db:
        row = db.get_item(item_id)
        row["tags"] = row["tags"][:limit]
        return json(ItemOut(**row).model_dump())


@app.router.post("/items")
@auth()
async def create_item(item: FromJSON[ItemIn]):
    with db_session() as db:
        row = db.add_item(item.value)
    asyncio.get_running_loop().create_task(record_event(item.value.name))
    return json(ItemOut(**row).model_dump(), status=201)
