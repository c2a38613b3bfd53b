"""The realistic app (benchmarks/README.md, "Realistic app") for Litestar.

The same features as realistic_fastapi.py, the Litestar way: CORSConfig; the bearer check is a
dependency reading the Authorization header (Litestar has no HTTPBearer); the session is a
generator dependency (Litestar closes it after the response); the response model is the
handler's pydantic return type; the background task rides on the Response.
Serve with: uvicorn realistic_litestar:app (from this folder, in the peers venv).
"""

from typing import Annotated

from litestar import Litestar, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.exceptions import NotAuthorizedException
from litestar.params import Parameter
from realistic_common import EVENTS, ORIGIN, TOKEN, ItemIn, ItemOut, Session, get_db


async def current_user(
    authorization: Annotated[str | None, Parameter(header="Authorization")] = None,
) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or token != TOKEN:
        raise NotAuthorizedException("Invalid token", headers={"WWW-Authenticate": "Bearer"})
    return "bench-user"


async def record_event(name: str) -> None:
    EVENTS.append(name)


@get("/items/{item_id:int}")
async def read_item(
    item_id: int, user: str, db: Session, limit: Annotated[int, Parameter(ge=1, le=100)] = 10
) -> ItemOut:
    row = db.get_item(item_id)
    row["tags"] = row["tags"][:limit]
    return ItemOut(**row)


@post("/items")  # 201 is Litestar's default for POST
async def create_item(data: ItemIn, user: str, db: Session) -> Response[ItemOut]:
    return Response(
        ItemOut(**db.add_item(data)), background=BackgroundTask(record_event, data.name)
    )


app = Litestar(
    [read_item, create_item],
    dependencies={"user": Provide(current_user), "db": Provide(get_db)},
    cors_config=CORSConfig(allow_origins=[ORIGIN], allow_methods=["*"], allow_headers=["*"]),
    openapi_config=None,
)
