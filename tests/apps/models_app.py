"""Routes with response models, served by the native server and called through TestClient in
tests/test_response_model.py: pydantic models, msgspec Structs, dataclasses, TypedDict and
plain types; the response_model_* options; inference from the return annotation; routes with
dependencies, an injected Response and a Request."""

import dataclasses
from typing import TypedDict

import msgspec
from FasterAPI import Depends, Faster, Request, Response
from FasterAPI.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field

app = Faster()


class UserOut(BaseModel):
    name: str
    email: str | None = None


class UserIn(UserOut):
    password: str


class Row:
    """An object with attributes, as an ORM would return."""

    def __init__(self, **attributes):
        self.__dict__.update(attributes)


class Item(BaseModel):
    name: str
    price: float


class Order(BaseModel):
    id: int
    customer: UserOut
    items: list[Item]
    notes: dict[str, int] = {}


class Settings(BaseModel):
    """Fields with defaults and an alias, for the exclude_* and by_alias options."""

    name: str
    theme: str = "light"
    size: int | None = None
    tags: list[str] = []
    display_name: str = Field("anonymous", alias="displayName")


class Product(msgspec.Struct):
    name: str
    price: float
    tags: list[str] = []
    stock: int | None = None


@dataclasses.dataclass
class Point:
    x: int
    y: int = 0


class Movie(TypedDict):
    title: str
    year: int


USER = {"name": "alice", "email": "alice@example.com", "password": "s3cret"}


# -- filtering and conversion -----------------------------------------------------------------


@app.get("/users/dict", response_model=UserOut)
async def user_from_dict():
    return USER


@app.get("/users/subclass")
async def user_from_subclass() -> UserOut:
    return UserIn(**USER)


@app.get("/users/object", response_model=UserOut)
async def user_from_object():
    return Row(**USER, id=7)


@app.get("/users/list", response_model=list[UserOut])
async def user_list():
    return [USER, Row(name="bob", password="x")]


@app.get("/orders/nested", response_model=Order)
async def order():
    return {
        "id": "3",
        "customer": UserIn(**USER),
        "items": [{"name": "hammer", "price": "9.5", "sku": "H1"}, Row(name="nail", price=0.1)],
        "notes": {"gift": "1"},
        "internal": True,
    }


@app.get("/plain/dict")
async def plain_dict() -> dict[str, int]:
    return {"a": "1", "b": 2.0}


@app.get("/plain/list")
async def plain_list() -> list[str]:
    return ["a", "b"]


@app.get("/plain/int")
async def plain_int() -> int:
    return "42"


@app.get("/plain/any")
async def plain_any() -> dict:
    return {"product": Product("hammer", 9.5), "count": 1}


@app.get("/plain/optional")
async def plain_optional() -> UserOut | None:
    return None


@app.get("/dataclass", response_model=Point)
async def dataclass_point():
    return {"x": "1", "z": 9}


@app.get("/typeddict", response_model=Movie)
async def typeddict_movie():
    return {"title": "Alien", "year": "1979", "rating": 8.5}


@app.post("/created", response_model=UserOut, status_code=201)
def created():  # a `def` handler, run inline
    return USER


@app.get("/pooled", response_model=UserOut, threadpool=True)
def pooled():
    return USER


# -- options ----------------------------------------------------------------------------------

SETTINGS = {"name": "s", "size": None, "tags": []}


@app.get("/options/unset", response_model=Settings, response_model_exclude_unset=True)
async def options_unset():
    return SETTINGS


@app.get("/options/defaults", response_model=Settings, response_model_exclude_defaults=True)
async def options_defaults():
    return {"name": "s", "theme": "light", "size": 3, "tags": []}


@app.get("/options/none", response_model=Settings, response_model_exclude_none=True)
async def options_none():
    return SETTINGS


@app.get("/options/include", response_model=Settings, response_model_include={"name", "size"})
async def options_include():
    return SETTINGS


@app.get("/options/exclude", response_model=Settings, response_model_exclude=["theme", "tags"])
async def options_exclude():
    return SETTINGS


@app.get("/options/by-alias", response_model=Settings)
async def options_by_alias():
    return Settings(name="s", displayName="Sam")


@app.get("/options/no-alias", response_model=Settings, response_model_by_alias=False)
async def options_no_alias():
    return Settings(name="s", displayName="Sam")


@app.get(
    "/options/nested",
    response_model=Order,
    response_model_exclude={"customer": {"email"}, "items": {"__all__": {"price"}}},
)
async def options_nested():
    return {"id": 1, "customer": USER, "items": [{"name": "a", "price": 1}]}


# -- msgspec Structs ----------------------------------------------------------------------------


@app.get("/products/exact")
async def product_exact() -> Product:
    return Product("hammer", 9.5)


@app.get("/products/dict", response_model=Product)
async def product_from_dict():
    return {"name": "hammer", "price": "9.5", "tags": ["tools"], "secret": "x"}


@app.get("/products/object", response_model=Product)
async def product_from_object():
    return Row(name="nail", price=0.1, stock=5, secret="x")


@app.get("/products/pydantic", response_model=Product)
async def product_from_pydantic():
    return Item(name="saw", price=20)


@app.get("/products/list")
async def product_list() -> list[Product]:
    return [Product("hammer", 9.5), {"name": "nail", "price": 1}]


@app.get(
    "/products/options",
    response_model=Product,
    response_model_exclude_none=True,
    response_model_exclude={"tags"},
)
async def product_options():
    return Product("hammer", 9.5, ["tools"])


@app.get("/products/bad", response_model=Product)
async def product_bad():
    return {"name": "hammer", "price": "cheap"}


# -- inference turned off, Responses ------------------------------------------------------------


@app.get("/inference/off", response_model=None)
async def inference_off() -> UserOut:
    return USER


@app.get("/response/annotated")
async def response_annotated() -> PlainTextResponse:
    return PlainTextResponse("plain")


@app.get("/response/bypass", response_model=UserOut)
async def response_bypass():
    return JSONResponse({"anything": "goes"}, status_code=202)


@app.get("/response/union")
async def response_union() -> Response | dict:
    return {"kept": True, "password": "visible"}


# -- mismatches ----------------------------------------------------------------------------------


@app.get("/bad/missing", response_model=UserOut)
async def bad_missing():
    return {"email": "nobody@example.com"}


@app.get("/bad/type")
async def bad_type() -> list[UserOut]:
    return {"name": "not a list"}


# -- dependencies, injected Response and Request ----------------------------------------------


def current_user() -> dict:
    return dict(USER)


@app.get("/deps/user", response_model=UserOut)
async def deps_user(user: dict = Depends(current_user)):
    return user


@app.get("/deps/bad", response_model=UserOut)
async def deps_bad(user: dict = Depends(current_user)):
    return {"password": user["password"]}


@app.get("/injected", response_model=UserOut)
async def injected(response: Response):
    response.headers["X-Injected"] = "yes"
    response.status_code = 202
    return USER


@app.get("/request", response_model=UserOut)
async def with_request(request: Request):
    return {**USER, "name": request.url.path}
