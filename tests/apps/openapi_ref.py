"""One app written against either FastAPI or FasterAPI (`build(lib)`), to compare their
OpenAPI documents: parameters of every kind and source, dependencies sharing one, bodies
(single, embedded, optional, list, TypedDict, dataclass, media type), response models
(declared, inferred, turned off), additional responses from routes, routers and includes,
status codes without a body, routers with prefixes, tags and deprecation.

tests/apps/openapi_ref_fastapi.json is FastAPI's document of this app (FastAPI 0.165.0,
pydantic 2.14). To make it again, in a virtualenv with fastapi installed:

    python -m tests.apps.openapi_ref fastapi > tests/apps/openapi_ref_fastapi.json
"""

import datetime
import enum
import uuid
from dataclasses import dataclass
from typing import Annotated, Literal

import pydantic
from typing_extensions import TypedDict  # pydantic wants it below Python 3.12


class Color(str, enum.Enum):  # noqa: UP042 - the way FastAPI's docs write it
    red = "red"
    blue = "blue"


class Kind(enum.IntEnum):
    a = 1
    b = 2


class Tag(pydantic.BaseModel):
    name: str
    weight: float = 1.0


class Item(pydantic.BaseModel):
    """An item for sale."""

    name: str = pydantic.Field(max_length=20, description="what it is called")
    price: float = pydantic.Field(gt=0)
    tags: list[Tag] = []
    color: Color | None = None


class ItemOut(pydantic.BaseModel):
    id: int
    name: str


class Offer(pydantic.BaseModel):
    name: str
    description: str | None = None
    price: float = 9.5
    model_config = {"json_schema_extra": {"examples": [{"name": "Foo", "price": 3}]}}


class Message(pydantic.BaseModel):
    detail: str


class Movie(TypedDict):
    title: str
    year: int


@dataclass
class Point:
    x: int
    y: int = 0


@dataclass
class Stamp:
    id: uuid.UUID
    when: datetime.datetime


def build(lib):
    Query, Path, Header, Cookie, Body, Depends = (
        lib.Query,
        lib.Path,
        lib.Header,
        lib.Cookie,
        lib.Body,
        lib.Depends,
    )
    responses = __import__(lib.__name__ + ".responses", fromlist=["HTMLResponse"])

    app = lib.FastAPI(
        title="Reference",
        version="1.2.3",
        description="The reference app",
        summary="short",
        terms_of_service="https://example.com/tos",
        contact={"name": "Me", "email": "me@example.com"},
        license_info={"name": "MIT", "identifier": "MIT"},
        servers=[{"url": "https://api.example.com", "description": "prod"}],
        openapi_tags=[{"name": "items", "description": "Items"}],
    )

    def pagination(skip: int = 0, limit: Annotated[int, Query(le=100)] = 10):
        return skip, limit

    def common(q: str | None = None, token: Annotated[str, Header(alias="X-Key")] = "k"):
        return q

    def needs_common(c: Annotated[str | None, Depends(common)], limit: int = 5):
        return c

    @app.get("/")
    async def root():
        return {"hello": "world"}

    @app.get(
        "/items/{item_id}",
        tags=["items"],
        response_model=ItemOut,
        responses={404: {"model": Message, "description": "Not there"}},
    )
    async def read_item(
        item_id: Annotated[int, Path(ge=1, title="The ID")],
        q: Annotated[str | None, Query(max_length=50, description="search")] = None,
        short: bool = False,
    ):
        """Reads one item.

        More text.
        \f
        Hidden."""
        return {"id": item_id, "name": "x"}

    @app.get("/search", summary="Search things", deprecated=True)
    async def search(
        tags: Annotated[list[str], Query()] = [],  # noqa: B006
        color: Color = Color.red,
        mode: Literal["a", "b"] = "a",
        user_agent: Annotated[str | None, Header()] = None,
        session: Annotated[str | None, Cookie()] = None,
        page: tuple = Depends(pagination),
    ):
        return {}

    @app.post("/items", status_code=201, tags=["items"])
    async def create_item(item: Item) -> ItemOut:
        return ItemOut(id=1, name=item.name)

    @app.put("/items/{item_id}")
    async def update_item(item_id: int, item: Item, importance: Annotated[int, Body(gt=0)]):
        return {}

    @app.post("/points")
    async def add_point(point: Annotated[Point, Body(embed=True)]):
        return point

    @app.delete("/items/{item_id}", status_code=204)
    async def delete_item(item_id: int):
        return None

    @app.get("/page", response_class=responses.HTMLResponse)
    async def page():
        return "<p>hi</p>"

    @app.get("/hidden", include_in_schema=False)
    async def hidden():
        return {}

    @app.get("/files/{file_path:path}")
    async def read_file(file_path: str):
        return {"file_path": file_path}

    @app.post(
        "/offers",
        response_model=list[Offer],
        responses={"4XX": {"model": Message}, "default": {"description": "Other"}},
        openapi_extra={"x-custom": True},
    )
    async def create_offers(
        offers: list[Offer],
        a: Annotated[str | None, Depends(needs_common)],
        b: Annotated[str | None, Depends(common)],
        q: str = Query("x", alias="query-term", deprecated=True, examples=["a", "b"]),
    ):
        return offers

    @app.get("/offers/{kind}", response_model=Offer)
    async def get_offer(
        kind: Kind,
        since: datetime.date | None = None,
        ids: Annotated[list[int] | None, Query()] = None,
        secret: Annotated[str | None, Query(include_in_schema=False)] = None,
    ) -> dict:
        return {}

    @app.put("/movies/{movie_id}", status_code=202)
    async def put_movie(
        movie_id: uuid.UUID, movie: Movie, extra: Annotated[dict[str, int] | None, Body()] = None
    ) -> Stamp:
        return None

    @app.patch("/optional")
    async def optional_body(offer: Offer | None = None) -> Offer | None:
        return offer

    @app.post("/text", response_class=responses.PlainTextResponse)
    async def text(payload: Annotated[str, Body(media_type="text/plain", title="Payload text")]):
        return "x"

    @app.get("/untyped", response_model=None)
    async def untyped() -> Offer:
        return {}

    @app.get("/not-modified", status_code=304)
    async def not_modified():
        return None

    @app.get("/codes/{code}")
    async def codes(
        code: Annotated[str, Path(pattern="^[a-z]+$", min_length=2, description="A code")],
        flag: Annotated[bool, Query(title="The Flag")] = True,
        ratio: float = 1.5,
        level: Literal[1, 2] = 1,
    ):
        return {}

    def extra_note(extra: Annotated[int, Body()]):
        return extra

    @app.post("/notes")
    async def add_note(
        item: Item, note: Annotated[str, Body()], extra: Annotated[int, Depends(extra_note)]
    ):
        return {}

    @app.post("/blobs")
    async def add_blob(
        data: Annotated[bytes, Body()], more: Annotated[bytes | None, Body()] = None
    ):
        return {}

    users = lib.APIRouter(prefix="/users", tags=["users"], responses={404: {"description": "Gone"}})

    @users.get("/{user_id}")
    async def read_user(user_id: str, x_token: Annotated[str, Header()]):
        return {}

    @users.get(
        "/{user_id}/conflicts",
        responses={
            409: {"description": "Conflict", "content": {"application/json": {"example": {"a": 1}}}}
        },
    )
    async def user_conflicts(user_id: str):
        return {}

    app.include_router(users, prefix="/v1", responses={418: {"description": "Teapot"}})
    app.include_router(users, prefix="/old", deprecated=True)
    return app


if __name__ == "__main__":
    import importlib
    import json
    import sys
    import warnings

    warnings.simplefilter("ignore")  # the two includes of `users` repeat operation ids
    print(json.dumps(build(importlib.import_module(sys.argv[1])).openapi(), indent=1))
