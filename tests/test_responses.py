"""Responses: JSON encoding of returned values and Response objects sent as they are, through
both doors."""

import dataclasses
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from enum import Enum, IntEnum
from uuid import UUID

import FasterAPI
import msgspec
import pytest
from FasterAPI import FastAPI, status
from FasterAPI.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from pydantic import BaseModel

from tests.support.doors import open_client

U1 = UUID("12345678-1234-5678-1234-567812345678")
U2 = UUID("87654321-4321-8765-4321-876543218765")


class Color(Enum):
    red = "red"
    blue = "blue"


class Level(IntEnum):
    low = 1
    high = 2


class Item(BaseModel):
    name: str
    price: float
    when: datetime | None = None


@dataclasses.dataclass
class DCItem:
    name: str
    count: int


class StructItem(msgspec.Struct):
    name: str
    price: float
    tags: list[str] = []


@pytest.fixture
def app_returning(make_client):
    """`app_returning(value, **route_kwargs)`: a client for an app whose one route, GET /
    declared with `route_kwargs`, returns `value` (a fresh app and route for each value)."""

    def returning(value, **route_kwargs):
        app = FastAPI()

        @app.get("/", **route_kwargs)
        async def endpoint():
            return value

        return make_client(app)

    return returning


@pytest.mark.parametrize(
    "value, body",
    [
        ({"a": 1, "b": [1, 2]}, b'{"a":1,"b":[1,2]}'),
        ([1, "two", 3.5], b'[1,"two",3.5]'),
        ("hello", b'"hello"'),
        (42, b"42"),
        (2.5, b"2.5"),
        (True, b"true"),
        (False, b"false"),
        (None, b"null"),
        ({}, b"{}"),
        ([], b"[]"),
        ({"unicode": "héllo ☃"}, '{"unicode":"héllo ☃"}'.encode()),
    ],
)
def test_plain_values_are_json(app_returning, value, body):
    response = app_returning(value).get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.content == body
    assert response.headers["content-length"] == str(len(body))


def test_pydantic_model(app_returning):
    item = Item(name="Foo", price=1.5, when=datetime(2024, 1, 2, 3, 4, 5))
    response = app_returning(item).get("/")
    assert response.json() == {"name": "Foo", "price": 1.5, "when": "2024-01-02T03:04:05"}


def test_list_of_models(app_returning):
    response = app_returning([Item(name="a", price=1), Item(name="b", price=2)]).get("/")
    assert response.json() == [
        {"name": "a", "price": 1.0, "when": None},
        {"name": "b", "price": 2.0, "when": None},
    ]


def test_dataclass(app_returning):
    assert app_returning(DCItem(name="d", count=3)).get("/").json() == {"name": "d", "count": 3}


def test_datetime_is_iso_string(app_returning):
    assert app_returning(datetime(2024, 1, 2, 3, 4, 5)).get("/").json() == "2024-01-02T03:04:05"


def test_aware_datetime_and_microseconds(app_returning):
    value = datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert app_returning(value).get("/").json() == "2024-01-02T03:04:05.123456+00:00"
    value = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5)))
    assert app_returning(value).get("/").json() == "2024-01-02T03:04:05-05:00"


def test_date_and_time(app_returning):
    assert app_returning(date(2024, 2, 29)).get("/").json() == "2024-02-29"
    assert app_returning(time(13, 45, 10)).get("/").json() == "13:45:10"


def test_uuid_is_string(app_returning):
    assert app_returning(U1).get("/").json() == "12345678-1234-5678-1234-567812345678"


def test_decimal(app_returning):
    # FastAPI's jsonable_encoder: an integral Decimal becomes an int, anything else a float.
    response = app_returning({"a": Decimal("1.10"), "b": Decimal("3"), "c": Decimal("0.5")})
    assert response.get("/").content == b'{"a":1.1,"b":3,"c":0.5}'


def test_decimal_exponent_forms(app_returning):
    value = {"e": Decimal("1E+2"), "neg": Decimal("-2.50")}
    assert app_returning(value).get("/").content == b'{"e":100,"neg":-2.5}'


def test_decimal_inside_pydantic_model_is_a_string(app_returning):
    # Models are dumped with pydantic's JSON mode, which keeps Decimal exact as a string.
    class Price(BaseModel):
        amount: Decimal

    response = app_returning(Price(amount=Decimal("1.10"))).get("/")
    assert response.content == b'{"amount":"1.10"}'


def test_timedelta_is_seconds_and_bytes_are_text(app_returning):
    value = {"td": timedelta(minutes=1, seconds=30), "raw": b"hi"}
    assert app_returning(value).get("/").content == b'{"td":90.0,"raw":"hi"}'


def test_top_level_response_names():
    assert FasterAPI.Response is Response
    assert FasterAPI.JSONResponse is JSONResponse


def test_enum_is_its_value(app_returning):
    assert app_returning(Color.red).get("/").json() == "red"
    assert app_returning({"level": Level.high}).get("/").content == b'{"level":2}'


def test_nested_combination(app_returning):
    value = {
        "when": datetime(2024, 5, 6, 7, 8, 9),
        "ids": [U1, U2],
        "color": Color.blue,
        "items": [Item(name="x", price=1)],
        "dc": DCItem(name="y", count=0),
        "tuple": (1, 2),
        "set": {3},
    }
    assert app_returning(value).get("/").json() == {
        "when": "2024-05-06T07:08:09",
        "ids": [str(U1), str(U2)],
        "color": "blue",
        "items": [{"name": "x", "price": 1.0, "when": None}],
        "dc": {"name": "y", "count": 0},
        "tuple": [1, 2],
        "set": [3],
    }


def test_status_code_from_decorator_applies_to_returned_value(app_returning):
    response = app_returning({"ok": True}, status_code=status.HTTP_202_ACCEPTED).get("/")
    assert response.status_code == 202
    assert response.json() == {"ok": True}


def test_json_response_status_and_headers(app_returning):
    response = app_returning(JSONResponse({"made": True}, status_code=201, headers={"X-A": "1"}))
    response = response.get("/")
    assert response.status_code == 201
    assert response.headers["x-a"] == "1"
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"made": True}


def test_returned_response_ignores_decorator_status_code(app_returning):
    client = app_returning(JSONResponse({"a": 1}, status_code=200), status_code=201)
    assert client.get("/").status_code == 200


def test_html_response(app_returning):
    response = app_returning(HTMLResponse("<h1>Hi</h1>", headers={"X-B": "2"})).get("/")
    assert response.status_code == 200
    assert response.text == "<h1>Hi</h1>"
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["x-b"] == "2"


def test_plain_text_response(app_returning):
    response = app_returning(PlainTextResponse("just text", status_code=418)).get("/")
    assert response.status_code == 418
    assert response.text == "just text"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-length"] == "9"


def test_redirect_response_default_307(app_returning):
    client = app_returning(RedirectResponse("/elsewhere"))
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"] == "/elsewhere"
    assert response.content == b""


def test_redirect_response_custom_status(app_returning):
    client = app_returning(RedirectResponse("https://example.org/x", status_code=302))
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "https://example.org/x"


def test_raw_response_with_media_type(app_returning):
    client = app_returning(Response(content=b"a,b\n1,2\n", media_type="text/csv"))
    response = client.get("/")
    assert response.status_code == 200
    assert response.content == b"a,b\n1,2\n"
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-length"] == "8"


def test_raw_response_binary_media_type_has_no_charset(app_returning):
    client = app_returning(Response(content=b"\x00\x01", media_type="application/octet-stream"))
    response = client.get("/")
    assert response.content == b"\x00\x01"
    assert response.headers["content-type"] == "application/octet-stream"


def test_raw_response_status_and_header(app_returning):
    response = app_returning(Response(status_code=204, headers={"X-Empty": "yes"})).get("/")
    assert response.status_code == 204
    assert response.content == b""
    assert response.headers["x-empty"] == "yes"


def test_response_set_cookie(app_returning):
    resp = JSONResponse({"ok": True})
    resp.set_cookie("session", "abc", httponly=True)
    response = app_returning(resp).get("/")
    assert response.cookies["session"] == "abc"
    set_cookie = response.headers["set-cookie"]
    assert set_cookie.startswith("session=abc")
    assert "HttpOnly" in set_cookie


def test_response_class_on_decorator(make_client):
    app = FastAPI()

    @app.get("/page", response_class=HTMLResponse)
    async def page():
        return "<p>page</p>"

    @app.get("/text", response_class=PlainTextResponse)
    async def text():
        return "plain"

    client = make_client(app)
    html = client.get("/page")
    assert html.text == "<p>page</p>"
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    plain = client.get("/text")
    assert plain.text == "plain"
    assert plain.headers["content-type"] == "text/plain; charset=utf-8"


def test_injected_response_sets_headers_and_status(make_client):
    app = FastAPI()

    @app.get("/r")
    async def r(response: Response):
        response.headers["X-Injected"] = "yes"
        response.status_code = 203
        return {"ok": True}

    result = make_client(app).get("/r")
    assert result.status_code == 203
    assert result.headers["x-injected"] == "yes"
    assert result.json() == {"ok": True}


def test_sync_handler_return_value(make_client):
    app = FastAPI()

    @app.get("/s")
    def s():
        return {"sync": [1, 2]}

    assert make_client(app).get("/s").json() == {"sync": [1, 2]}


@pytest.mark.fasterapi_only
def test_msgspec_struct_return(app_returning):
    response = app_returning(StructItem(name="S", price=1.5, tags=["t"])).get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"name": "S", "price": 1.5, "tags": ["t"]}


@pytest.mark.fasterapi_only
def test_msgspec_struct_list_and_nested_return(app_returning):
    value = {"items": [StructItem(name="a", price=1), StructItem(name="b", price=2)]}
    response = app_returning(value).get("/")
    assert response.json() == {
        "items": [
            {"name": "a", "price": 1, "tags": []},
            {"name": "b", "price": 2, "tags": []},
        ]
    }


class CamelItem(msgspec.Struct, rename="camel"):
    first_name: str
    nick_name: str | msgspec.UnsetType = msgspec.UNSET


class Tagged(msgspec.Struct, tag=True, omit_defaults=True):
    size: int = 1
    labels: list[str] = []


class Pair(msgspec.Struct, array_like=True):
    left: int
    right: str


@pytest.mark.fasterapi_only  # msgspec Structs
def test_returned_structs_are_written_as_msgspec_writes_them(door):
    app = FastAPI()
    values = {
        "camel": CamelItem("ann"),
        "camel-nick": CamelItem("ann", "a"),
        "tagged": Tagged(),
        "tagged-set": Tagged(size=3, labels=["x"]),
        "pair": Pair(1, "one"),
        "list": [CamelItem("bo"), Pair(2, "two")],
    }

    @app.get("/value/{name}")
    async def value(name: str):
        return values[name]

    with open_client(app, door) as client:
        for name, value in values.items():
            assert client.get(f"/value/{name}").content == msgspec.json.encode(value), name


def test_redirect_response_class_answers_307_and_says_so(door):
    app = FastAPI()

    @app.get("/go", response_class=RedirectResponse)
    async def go():
        return "/target"

    with open_client(app, door) as client:
        response = client.get("/go", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (307, "/target")
    assert list(app.openapi()["paths"]["/go"]["get"]["responses"]) == ["307"]


def test_a_response_with_its_own_call_is_sent_by_it(door, tmp_path):
    class Custom(Response):
        async def __call__(self, scope, receive, send):
            await send(
                {"type": "http.response.start", "status": 201, "headers": [(b"x-custom", b"1")]}
            )
            await send({"type": "http.response.body", "body": b"custom"})

    app = FastAPI()

    @app.get("/custom")
    async def custom():
        return Custom("ignored")

    with open_client(app, door) as client:
        response = client.get("/custom")
    assert (response.status_code, response.text, response.headers["x-custom"]) == (
        201,
        "custom",
        "1",
    )
