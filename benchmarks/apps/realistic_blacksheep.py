"""The realistic app (benchmarks/README.md, "Realistic app") for BlackSheep.

The same features as realistic_fastapi.py, the BlackSheep way: use_cors; the bearer check is an
authentication handler with `@auth()` on the routes (401 without a valid token); BlackSheep's
dependency injection (rodi) has no teardown, so the session is a context manager the handler
enters; the response model is built and serialised by the handler; BlackSheep has no background
tasks, so the task is scheduled on the event loop, as its documentation suggests.
Serve with: uvicorn realistic_blacksheep:app (from this folder, in the peers venv).
"""

import asyncio
from contextlib import contextmanager

from blacksheep import Application, FromJSON, Request, json
from blacksheep.server.authorization import auth
from blacksheep.server.responses import bad_request
from guardpost import AuthenticationHandler, Identity
from realistic_common import EVENTS, ORIGIN, TOKEN, ItemIn, ItemOut, Session


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
