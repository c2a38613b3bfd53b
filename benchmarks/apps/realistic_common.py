"""What the realistic apps (realistic_*.py) share and no framework is involved in: the token and
origin the requests carry, the stand-in for a database session and the `yield` dependency that
opens and closes it (FastAPI, FasterAPI and Litestar take it as it is), the body and response
models, and the list the background task writes to."""

from collections import deque

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


async def get_db():
    """The session for one request: made before the `yield`, closed after."""
    db = Session()
    try:
        yield db
    finally:
        db.close()


class ItemIn(BaseModel):
    name: str
    price: float
    tags: list[str] = []


class ItemOut(BaseModel):  # drops the row's "owner"
    id: int
    name: str
    price: float
    tags: list[str]
