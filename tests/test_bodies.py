"""Request bodies: models, dataclasses, TypedDict, dict, lists, embed and body 422 errors."""

import dataclasses
import typing
from typing import Annotated

import msgspec
import pytest
from FasterAPI import Body, FastAPI
from pydantic import BaseModel
from typing_extensions import TypedDict

from tests.support.doors import open_client


class Item(BaseModel):
    name: str
    price: float
    tags: list[str] = []


class User(BaseModel):
    username: str


@dataclasses.dataclass
class DCItem:
    name: str
    price: float


class TDItem(TypedDict):
    name: str
    price: float


class StructItem(msgspec.Struct):
    name: str
    price: float
    tags: list[str] = []


def detail(response):
    assert response.status_code == 422, response.text
    return response.json()["detail"]


@pytest.fixture(scope="module")
def client(door):
    app = FastAPI()

    @app.post("/model")
    async def model(item: Item):
        return {"name": item.name, "price": item.price, "tags": item.tags, "cls": "Item"}

    @app.post("/dataclass")
    async def dataclass_(item: DCItem):
        return {"name": item.name, "price": item.price, "is_dc": isinstance(item, DCItem)}

    @app.post("/typeddict")
    async def typeddict(item: TDItem):
        return {"item": item, "is_dict": isinstance(item, dict)}

    @app.post("/dict")
    async def dict_(payload: dict):
        return {"payload": payload}

    @app.post("/dict-str-int")
    async def dict_str_int(payload: dict[str, int]):
        return {"payload": payload}

    @app.post("/list")
    async def list_(ids: list[int] = Body()):
        return {"ids": ids, "sum": sum(ids)}

    @app.post("/list-of-models")
    async def list_of_models(items: list[Item] = Body()):
        return {"names": [i.name for i in items]}

    @app.post("/embed")
    async def embed(item: Annotated[Item, Body(embed=True)]):
        return {"name": item.name}

    @app.post("/multi")
    async def multi(item: Item, user: User, importance: int = Body()):
        return {"item": item, "user": user, "importance": importance}

    @app.post("/optional")
    async def optional(item: Item | None = None):
        return {"item": item}

    with open_client(app, door) as client:
        yield client


def test_model_body(client):
    response = client.post("/model", json={"name": "Foo", "price": 3.5, "tags": ["a"]})
    assert response.status_code == 200
    assert response.json() == {"name": "Foo", "price": 3.5, "tags": ["a"], "cls": "Item"}


def test_model_body_coerces_int_to_float_and_defaults(client):
    response = client.post("/model", json={"name": "Foo", "price": 3})
    assert response.json() == {"name": "Foo", "price": 3.0, "tags": [], "cls": "Item"}


def test_model_body_ignores_extra_fields(client):
    response = client.post("/model", json={"name": "Foo", "price": 1, "extra": True})
    assert response.status_code == 200
    assert response.json()["name"] == "Foo"


def test_dataclass_body(client):
    response = client.post("/dataclass", json={"name": "D", "price": 2})
    assert response.json() == {"name": "D", "price": 2.0, "is_dc": True}


def test_dataclass_body_missing_field(client):
    assert detail(client.post("/dataclass", json={"name": "D"})) == [
        {
            "type": "missing",
            "loc": ["body", "price"],
            "msg": "Field required",
            "input": {"name": "D"},
        }
    ]


def test_typeddict_body(client):
    response = client.post("/typeddict", json={"name": "T", "price": 1})
    assert response.json() == {"item": {"name": "T", "price": 1.0}, "is_dict": True}


def test_typeddict_body_missing_field(client):
    assert detail(client.post("/typeddict", json={"price": 1})) == [
        {
            "type": "missing",
            "loc": ["body", "name"],
            "msg": "Field required",
            "input": {"price": 1},
        }
    ]


def test_dict_body(client):
    payload = {"a": 1, "nested": {"b": [1, 2]}}
    assert client.post("/dict", json=payload).json() == {"payload": payload}


def test_dict_body_rejects_list(client):
    assert detail(client.post("/dict", json=[1])) == [
        {
            "type": "dict_type",
            "loc": ["body"],
            "msg": "Input should be a valid dictionary",
            "input": [1],
        }
    ]


def test_typed_dict_values_validated(client):
    assert client.post("/dict-str-int", json={"a": "1"}).json() == {"payload": {"a": 1}}
    assert detail(client.post("/dict-str-int", json={"a": "x"})) == [
        {
            "type": "int_parsing",
            "loc": ["body", "a"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "input": "x",
        }
    ]


def test_list_body(client):
    assert client.post("/list", json=[1, 2, 3]).json() == {"ids": [1, 2, 3], "sum": 6}


def test_list_body_item_error(client):
    assert detail(client.post("/list", json=[1, "x"])) == [
        {
            "type": "int_parsing",
            "loc": ["body", 1],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "input": "x",
        }
    ]


def test_list_of_models_body(client):
    body = [{"name": "a", "price": 1}, {"name": "b", "price": 2}]
    assert client.post("/list-of-models", json=body).json() == {"names": ["a", "b"]}


def test_list_of_models_error_loc(client):
    body = [{"name": "a", "price": 1}, {"name": "b"}]
    assert detail(client.post("/list-of-models", json=body)) == [
        {
            "type": "missing",
            "loc": ["body", 1, "price"],
            "msg": "Field required",
            "input": {"name": "b"},
        }
    ]


def test_embed(client):
    response = client.post("/embed", json={"item": {"name": "E", "price": 1}})
    assert response.status_code == 200
    assert response.json() == {"name": "E"}


def test_embed_requires_key(client):
    assert detail(client.post("/embed", json={"name": "E", "price": 1})) == [
        {"type": "missing", "loc": ["body", "item"], "msg": "Field required", "input": None}
    ]


def test_several_body_params_keyed_by_name(client):
    body = {"item": {"name": "I", "price": 1.5}, "user": {"username": "u"}, "importance": 5}
    response = client.post("/multi", json=body)
    assert response.status_code == 200
    assert response.json() == {
        "item": {"name": "I", "price": 1.5, "tags": []},
        "user": {"username": "u"},
        "importance": 5,
    }


def test_several_body_params_errors(client):
    body = {"item": {"name": "I"}, "importance": "high"}
    assert detail(client.post("/multi", json=body)) == [
        {
            "type": "missing",
            "loc": ["body", "item", "price"],
            "msg": "Field required",
            "input": {"name": "I"},
        },
        {"type": "missing", "loc": ["body", "user"], "msg": "Field required", "input": None},
        {
            "type": "int_parsing",
            "loc": ["body", "importance"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "input": "high",
        },
    ]


def test_optional_body(client):
    assert client.post("/optional").json() == {"item": None}
    response = client.post("/optional", json={"name": "O", "price": 1})
    assert response.json() == {"item": {"name": "O", "price": 1.0, "tags": []}}


def test_invalid_json(client):
    response = client.post(
        "/model", content=b"{bad json", headers={"content-type": "application/json"}
    )
    errors = detail(response)
    assert len(errors) == 1
    assert errors[0]["type"] == "json_invalid"
    assert errors[0]["loc"][0] == "body"
    assert errors[0]["msg"] == "JSON decode error"


def test_missing_field(client):
    assert detail(client.post("/model", json={"name": "Foo"})) == [
        {
            "type": "missing",
            "loc": ["body", "price"],
            "msg": "Field required",
            "input": {"name": "Foo"},
        }
    ]


def test_wrong_type(client):
    assert detail(client.post("/model", json={"name": "Foo", "price": "cheap"})) == [
        {
            "type": "float_parsing",
            "loc": ["body", "price"],
            "msg": "Input should be a valid number, unable to parse string as a number",
            "input": "cheap",
        }
    ]


def test_missing_body(client):
    assert detail(client.post("/model")) == [
        {"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}
    ]


def test_json_null_body_is_not_an_object(client):
    response = client.post("/model", content=b"null", headers={"content-type": "application/json"})
    assert detail(response) == [
        {
            "type": "model_attributes_type",
            "loc": ["body"],
            "msg": "Input should be a valid dictionary or object to extract fields from",
            "input": None,
        }
    ]


def test_body_must_be_an_object(client):
    assert detail(client.post("/model", json=[1, 2])) == [
        {
            "type": "model_attributes_type",
            "loc": ["body"],
            "msg": "Input should be a valid dictionary or object to extract fields from",
            "input": [1, 2],
        }
    ]


def test_text_plain_body_is_not_parsed_as_json(client):
    raw = '{"name": "Foo", "price": 1}'
    response = client.post("/model", content=raw.encode(), headers={"content-type": "text/plain"})
    assert detail(response) == [
        {
            "type": "model_attributes_type",
            "loc": ["body"],
            "msg": "Input should be a valid dictionary or object to extract fields from",
            "input": raw,
        }
    ]


@pytest.mark.parametrize(
    "content_type",
    ["application/json; charset=utf-8", "application/vnd.api+json", "APPLICATION/JSON"],
)
def test_json_content_type_variants(client, content_type):
    response = client.post(
        "/model",
        content=b'{"name": "Foo", "price": 1}',
        headers={"content-type": content_type},
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Foo"


def test_no_content_type_is_not_parsed_by_default(client):
    # FastAPI >= 0.120 has strict_content_type=True by default (CSRF hardening).
    raw = '{"name": "Foo", "price": 1}'
    response = client.post("/model", content=raw.encode())
    assert "content-type" not in response.request.headers
    assert detail(response) == [
        {
            "type": "model_attributes_type",
            "loc": ["body"],
            "msg": "Input should be a valid dictionary or object to extract fields from",
            "input": raw,
        }
    ]


def test_no_content_type_parsed_as_json_when_not_strict(make_client):
    app = FastAPI(strict_content_type=False)

    @app.post("/model")
    async def model(item: Item):
        return {"name": item.name, "price": item.price}

    response = make_client(app).post("/model", content=b'{"name": "Foo", "price": 1}')
    assert "content-type" not in response.request.headers
    assert response.status_code == 200
    assert response.json() == {"name": "Foo", "price": 1.0}


# --------------------------------------------------------------------------- msgspec


@pytest.fixture(scope="module")
def struct_client(door):
    app = FastAPI()

    @app.post("/struct")
    async def struct(item: StructItem):
        return {
            "name": item.name,
            "price": item.price,
            "tags": item.tags,
            "is_struct": isinstance(item, StructItem),
        }

    @app.post("/struct-embed")
    async def struct_embed(item: Annotated[StructItem, Body(embed=True)]):
        return {"name": item.name}

    @app.post("/struct-list")
    async def struct_list(items: list[StructItem] = Body()):
        return {"names": [i.name for i in items]}

    with open_client(app, door) as client:
        yield client


@pytest.mark.fasterapi_only
def test_struct_body(struct_client):
    response = struct_client.post("/struct", json={"name": "S", "price": 2.5, "tags": ["x"]})
    assert response.status_code == 200
    assert response.json() == {"name": "S", "price": 2.5, "tags": ["x"], "is_struct": True}


@pytest.mark.fasterapi_only
def test_struct_body_defaults(struct_client):
    response = struct_client.post("/struct", json={"name": "S", "price": 2.5})
    assert response.json() == {"name": "S", "price": 2.5, "tags": [], "is_struct": True}


@pytest.mark.fasterapi_only
def test_struct_body_missing_field(struct_client):
    errors = detail(struct_client.post("/struct", json={"name": "S"}))
    assert len(errors) == 1
    assert errors[0]["type"] == "missing"
    assert errors[0]["loc"] == ["body", "price"]


@pytest.mark.fasterapi_only
def test_struct_body_wrong_type(struct_client):
    errors = detail(struct_client.post("/struct", json={"name": "S", "price": "cheap"}))
    assert len(errors) == 1
    assert errors[0]["loc"] == ["body", "price"]


@pytest.mark.fasterapi_only
def test_struct_body_missing_entirely(struct_client):
    errors = detail(struct_client.post("/struct"))
    assert errors[0]["type"] == "missing"
    assert errors[0]["loc"] == ["body"]


@pytest.mark.fasterapi_only
def test_struct_body_invalid_json(struct_client):
    response = struct_client.post(
        "/struct", content=b"{oops", headers={"content-type": "application/json"}
    )
    errors = detail(response)
    assert errors[0]["type"] == "json_invalid"
    assert errors[0]["loc"][0] == "body"


@pytest.mark.fasterapi_only
def test_struct_body_embed(struct_client):
    response = struct_client.post("/struct-embed", json={"item": {"name": "E", "price": 1}})
    assert response.json() == {"name": "E"}


@pytest.mark.fasterapi_only
def test_struct_list_body(struct_client):
    body = [{"name": "a", "price": 1}, {"name": "b", "price": 2}]
    assert struct_client.post("/struct-list", json=body).json() == {"names": ["a", "b"]}


def test_body_scalar_constraints_are_checked(make_client):
    app = FastAPI()

    @app.post("/")
    def handler(n: int = Body(embed=True, gt=0), name: str | None = Body(None, max_length=3)):
        return {"n": n, "name": name}

    client = make_client(app)
    assert client.post("/", json={"n": 1, "name": "abc"}).json() == {"n": 1, "name": "abc"}
    assert client.post("/", json={"n": 5}).json() == {"n": 5, "name": None}
    detail = client.post("/", json={"n": 0, "name": "abcd"}).json()["detail"]
    assert [(e["type"], e["loc"], e.get("ctx")) for e in detail] == [
        ("greater_than", ["body", "n"], {"gt": 0}),
        ("string_too_long", ["body", "name"], {"max_length": 3}),
    ]


class PlainMovie(typing.TypedDict):  # typing's, which pydantic refuses before Python 3.12
    title: str
    year: int


@pytest.mark.fasterapi_only  # FastAPI refuses it
def test_a_typing_typeddict_body_is_validated_by_msgspec_where_pydantic_refuses_it(door):
    app = FastAPI()

    @app.post("/movies")
    async def add(movie: PlainMovie):
        return movie

    with open_client(app, door) as client:
        ok = client.post("/movies", json={"title": "Alien", "year": "1979"})
        missing = client.post("/movies", json={"title": "Alien"})
    assert (ok.status_code, ok.json()) == (200, {"title": "Alien", "year": 1979})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "year"]
    assert missing.json()["detail"][0]["type"] == "missing"
