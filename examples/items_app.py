"""Items API: a small CRUD example for FasterAPI on SQLAlchemy 2's async engine.

`make run` serves it with FasterAPI's native server on http://127.0.0.1:8000. Try:

    curl -X POST localhost:8000/items -H 'content-type: application/json' \\
         -H 'Idempotency-Key: 6f1c' -d '{"name": "hammer", "price": 9.5, "tags": ["tools"]}'
    curl 'localhost:8000/items?limit=10'

The database is DATABASE_URL: by default a SQLite file (FASTERAPI_EXAMPLE_DB, or items.db
beside this file, through aiosqlite), needing no other service; on PostgreSQL,
`DATABASE_URL=postgresql+asyncpg://user:password@host/dbname`. Each worker opens its own pool
(DATABASE_POOL_SIZE connections, 5 by default, and DATABASE_MAX_OVERFLOW more, 10 by default)
and the Alembic migrations in migrations/ are applied at startup, one worker at a time.

Each request gets its own session (`SessionDep`), committed once the handler has returned and
before the response is sent, rolled back if the handler raises. A POST with an
`Idempotency-Key` header stores the key with the item: a retry with the same key (after a
timeout, a restart of the server) gets the item the first try made, never a second one.

`GET /items/{id}` is cached (ETag and 304 included) and a write drops its entry.
Each client (its address, as nginx forwards it with `--proxy-headers`) may make RATE_LIMIT
requests ("1000/minute" by default); past it, a 429 with Retry-After. With REDIS_URL set,
the budget is kept in Redis and shared by every worker and instance. `/healthz` answers
while the process lives, `/readyz` once it can reach its database (Kubernetes' probes).

Models are msgspec Structs, FasterAPI's native model type; the constraints in `msgspec.Meta`
are checked on every request and a bad body gets FastAPI's 422 error.
"""

import hashlib
import os
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import msgspec
from FasterAPI import APIRouter, Depends, FastAPI, Header, HTTPException, Query, Response
from FasterAPI import Path as PathParam
from FasterAPI.contrib import cache as response_cache
from FasterAPI.contrib import ratelimit
from FasterAPI.contrib.sqlalchemy import Database
from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Integer,
    String,
    Text,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

HERE = Path(__file__).resolve().parent
SQLITE_PATH = os.environ.get("FASTERAPI_EXAMPLE_DB", str(HERE / "items.db"))
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite+aiosqlite:///{SQLITE_PATH}")

db = Database(
    DATABASE_URL,
    pool_size=int(os.environ.get("DATABASE_POOL_SIZE", "5")),
    max_overflow=int(os.environ.get("DATABASE_MAX_OVERFLOW", "10")),
)
SessionDep = Annotated[AsyncSession, Depends(db.session, scope="function")]

REDIS_URL = os.environ.get("REDIS_URL")
limiter = ratelimit.RateLimiter(
    os.environ.get("RATE_LIMIT", "1000/minute"),
    backend=ratelimit.RedisBackend(REDIS_URL) if REDIS_URL else ratelimit.MemoryBackend(),
)
#: GET /items/{id} answers, kept 10 s: in Redis with REDIS_URL (shared by every worker and
#: instance, and dropped everywhere when the item is written), else in this process's memory
#: (one worker's alone: with several workers, set REDIS_URL).
cache = response_cache.ResponseCache(
    response_cache.RedisBackend(REDIS_URL) if REDIS_URL else None, expire=10
)

#: Text without NUL characters (which PostgreSQL's text cannot hold).
Text_ = Annotated[str, msgspec.Meta(pattern="^[^\\x00]*$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200, pattern="^[^\\x00]*$")]
Price = Annotated[float, msgspec.Meta(gt=0)]
#: Ids are 64-bit signed integers: a larger id or offset is a 422, not a 500.
MAX_INT = 2**63 - 1
ItemId = Annotated[int, PathParam(ge=1, le=MAX_INT)]
IdempotencyKey = Annotated[str | None, Header(min_length=1, max_length=200)]


class Base(DeclarativeBase):
    pass


class ItemRow(Base):
    """The items table (migrations/versions/ make it)."""

    __tablename__ = "items"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    price: Mapped[float]
    tags: Mapped[list[str]] = mapped_column(JSON)


class IdempotencyKeyRow(Base):
    """An Idempotency-Key a POST /items sent: the SHA-256 of its body (a retry must send the
    same) and the item it made. Kept when the item is deleted; prune old keys as you see fit
    (Stripe keeps them a day)."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_digest: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


#: INSERT ... ON CONFLICT, in each database's dialect.
UPSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def check_unicode(*texts: str | None) -> None:
    """JSON can spell a lone surrogate ("\\ud800"), which no database can store (it has no
    UTF-8 form): a 422, as msgspec reports what __post_init__ raises."""
    for value in texts:
        if value is not None and not value.isascii():
            try:
                value.encode()
            except UnicodeEncodeError:
                raise ValueError("text must not hold a lone surrogate (\\ud800-\\udfff)") from None


class ItemIn(msgspec.Struct):
    name: Name
    price: Price
    tags: list[Text_] = []

    def __post_init__(self) -> None:
        check_unicode(self.name, *self.tags)


class ItemPatch(msgspec.Struct):
    """Every field optional: only the fields sent are changed."""

    name: Name | None = None
    price: Price | None = None
    tags: list[Text_] | None = None

    def __post_init__(self) -> None:
        check_unicode(self.name, *(self.tags or ()))


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
KEY_REUSED = {
    409: {"model": Message, "description": "The Idempotency-Key made another item, since deleted"}
}
LIMITED = {
    429: {"model": Message, "description": "Too many requests from this client"},
    503: {"model": Message, "description": "The rate limit cannot be checked (Redis is down)"},
}


@asynccontextmanager
async def lifespan(app: FastAPI):
    await db.connect()
    try:
        await db.migrate(HERE / "migrations")
        yield
    finally:
        await db.disconnect()


app = FastAPI(title="Items", lifespan=lifespan)
items = APIRouter(dependencies=[Depends(limiter)], responses=LIMITED)


@app.get("/healthz", include_in_schema=False)
async def healthz() -> dict[str, str]:
    """Liveness: the process serves requests."""
    return {"status": "ok"}


@app.get("/readyz", include_in_schema=False)
async def readyz(session: SessionDep) -> dict[str, str]:
    """Readiness: the lifespan has run (the server answers only then) and the database
    answers; a failure is a 500, which takes the instance out of the load balancer."""
    await session.execute(text("SELECT 1"))
    return {"status": "ready"}


def to_item(row: ItemRow) -> Item:
    return Item(id=row.id, name=row.name, price=row.price, tags=row.tags)


async def written(session: AsyncSession, item_id: int) -> None:
    """Commits a change to an item, then drops its cached answers (in this order: dropped
    first, a read in between could cache the old row again)."""
    await session.commit()
    await cache.invalidate(f"/items/{item_id}")


async def get_row(session: AsyncSession, item_id: int) -> ItemRow:
    row = await session.get(ItemRow, item_id)
    if row is None:
        raise HTTPException(status_code=404, detail="Item not found")
    return row


@items.get("/items")
async def list_items(
    session: SessionDep,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0, le=MAX_INT),
) -> list[Item]:
    rows = await session.scalars(select(ItemRow).order_by(ItemRow.id).limit(limit).offset(offset))
    return [to_item(row) for row in rows]


@items.get("/items/{item_id}", responses=NOT_FOUND)
@cache
async def get_item(item_id: ItemId, session: SessionDep) -> Item:
    return to_item(await get_row(session, item_id))


@items.post("/items", status_code=201, responses={**BAD_BODY, **KEY_REUSED})
async def create_item(
    item: ItemIn, session: SessionDep, idempotency_key: IdempotencyKey = None
) -> Item:
    if idempotency_key is not None:
        digest = hashlib.sha256(msgspec.json.encode(item)).hexdigest()
        # The key's row, unless the key has one already (a retry; on PostgreSQL, a retry
        # racing this request waits here until this one has committed).
        claim = UPSERTS[db.url.get_backend_name()](IdempotencyKeyRow).on_conflict_do_nothing()
        claimed = await session.scalar(
            claim.values(key=idempotency_key, request_digest=digest).returning(
                IdempotencyKeyRow.key
            )
        )
        if claimed is None:
            return await item_of_key(session, idempotency_key, digest)
    row = ItemRow(name=item.name, price=item.price, tags=item.tags)
    session.add(row)
    await session.flush()  # the INSERT: row.id is set
    if idempotency_key is not None:
        await session.execute(
            update(IdempotencyKeyRow)
            .where(IdempotencyKeyRow.key == idempotency_key)
            .values(item_id=row.id)
        )
    return to_item(row)


async def item_of_key(session: AsyncSession, key: str, digest: str) -> Item:
    """The item an earlier POST with this Idempotency-Key made."""
    earlier = await session.get_one(IdempotencyKeyRow, key)
    if earlier.request_digest != digest:
        raise HTTPException(409, "This Idempotency-Key was used for another item")
    row = await session.get(ItemRow, earlier.item_id) if earlier.item_id is not None else None
    if row is None:
        raise HTTPException(409, "The item made with this Idempotency-Key was deleted")
    return to_item(row)


@items.put("/items/{item_id}", responses={**NOT_FOUND, **BAD_BODY})
async def replace_item(item_id: ItemId, item: ItemIn, session: SessionDep) -> Item:
    row = await get_row(session, item_id)
    row.name, row.price, row.tags = item.name, item.price, item.tags
    await written(session, item_id)
    return to_item(row)


@items.patch("/items/{item_id}", responses={**NOT_FOUND, **BAD_BODY})
async def update_item(item_id: ItemId, patch: ItemPatch, session: SessionDep) -> Item:
    row = await get_row(session, item_id)
    for field, value in msgspec.structs.asdict(patch).items():
        if value is not None:
            setattr(row, field, value)
    await written(session, item_id)
    return to_item(row)


@items.delete("/items/{item_id}", status_code=204, responses=NOT_FOUND)
async def delete_item(item_id: ItemId, session: SessionDep) -> Response:
    result = await session.execute(delete(ItemRow).where(ItemRow.id == item_id))
    if result.rowcount == 0:
        raise HTTPException(status_code=404, detail="Item not found")
    await written(session, item_id)
    return Response(status_code=204)


app.include_router(items)
