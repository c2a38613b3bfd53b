"""Parameters: source inference, explicit markers, type coercion, constraints and 422 errors."""

import dataclasses
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Annotated, Literal
from uuid import UUID

import pytest
from FasterAPI import Body, Cookie, FastAPI, Header, Path, Query
from FasterAPI.params import Param
from pydantic import BaseModel

from tests.support.doors import open_client


class Color(StrEnum):
    red = "red"
    green = "green"


class Level(int, Enum):
    low = 1
    high = 2


class Item(BaseModel):
    name: str
    price: float


@dataclasses.dataclass
class Point:
    x: int
    y: int


def detail(response):
    assert response.status_code == 422, response.text
    return response.json()["detail"]


# --------------------------------------------------------------------------- inference


@pytest.fixture(scope="module")
def inference_client(door):
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def scalar_query(item_id: int, q: str, limit: int = 10):
        return {"item_id": item_id, "q": q, "limit": limit}

    @app.get("/enum")
    async def enum_query(color: Color):
        return {"color": color, "is_enum": isinstance(color, Color)}

    @app.get("/list")
    async def list_query(q: list[int] = Query()):
        return {"q": q}

    @app.put("/items/{item_id}")
    async def model_body(item_id: int, item: Item, q: str | None = None):
        return {"item_id": item_id, "item": item, "q": q}

    @app.post("/point")
    async def dataclass_body(point: Point):
        return {"x": point.x, "y": point.y, "is_point": isinstance(point, Point)}

    with open_client(app, door) as client:
        yield client


def test_path_names_are_path_params_other_scalars_query(inference_client):
    response = inference_client.get("/items/5", params={"q": "hi"})
    assert response.status_code == 200
    assert response.json() == {"item_id": 5, "q": "hi", "limit": 10}


def test_scalar_query_default_overridden(inference_client):
    response = inference_client.get("/items/5", params={"q": "hi", "limit": "3"})
    assert response.json() == {"item_id": 5, "q": "hi", "limit": 3}


def test_missing_required_query(inference_client):
    response = inference_client.get("/items/5")
    assert detail(response) == [
        {"type": "missing", "loc": ["query", "q"], "msg": "Field required", "input": None}
    ]


def test_enum_is_query(inference_client):
    response = inference_client.get("/enum", params={"color": "green"})
    assert response.json() == {"color": "green", "is_enum": True}


def test_list_is_query_from_repeated_keys(inference_client):
    response = inference_client.get("/list", params=[("q", "1"), ("q", "2"), ("q", "3")])
    assert response.status_code == 200
    assert response.json() == {"q": [1, 2, 3]}


def test_list_query_item_error_has_index_in_loc(inference_client):
    response = inference_client.get("/list", params=[("q", "1"), ("q", "x")])
    assert detail(response) == [
        {
            "type": "int_parsing",
            "loc": ["query", "q", 1],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "input": "x",
        }
    ]


def test_required_list_query_missing(inference_client):
    assert detail(inference_client.get("/list")) == [
        {"type": "missing", "loc": ["query", "q"], "msg": "Field required", "input": None}
    ]


def test_model_is_body_with_path_and_query(inference_client):
    response = inference_client.put(
        "/items/3", params={"q": "x"}, json={"name": "Foo", "price": 1.5}
    )
    assert response.status_code == 200
    assert response.json() == {"item_id": 3, "item": {"name": "Foo", "price": 1.5}, "q": "x"}


def test_dataclass_is_body(inference_client):
    response = inference_client.post("/point", json={"x": 1, "y": 2})
    assert response.json() == {"x": 1, "y": 2, "is_point": True}


# --------------------------------------------------------------------------- explicit markers


@pytest.fixture(scope="module")
def explicit_client(door):
    app = FastAPI()

    @app.get("/default-style/{item_id}")
    async def default_style(
        item_id: int = Path(ge=1),
        q: str = Query("dflt", max_length=5),
        x_token: str | None = Header(None),
        session: str | None = Cookie(None),
    ):
        return {"item_id": item_id, "q": q, "x_token": x_token, "session": session}

    @app.get("/annotated-style/{item_id}")
    async def annotated_style(
        item_id: Annotated[int, Path(ge=1)],
        q: Annotated[str, Query(max_length=5)] = "dflt",
        x_token: Annotated[str | None, Header()] = None,
        session: Annotated[str | None, Cookie()] = None,
    ):
        return {"item_id": item_id, "q": q, "x_token": x_token, "session": session}

    @app.get("/alias")
    async def alias(q: str | None = Query(None, alias="item-query")):
        return {"q": q}

    @app.get("/headers")
    async def headers(
        user_agent: str | None = Header(None),
        x_custom: Annotated[str | None, Header(alias="X-Other-Name")] = None,
        strange_header: Annotated[str | None, Header(convert_underscores=False)] = None,
    ):
        return {"user_agent": user_agent, "x_custom": x_custom, "strange_header": strange_header}

    @app.get("/required-header")
    async def required_header(x_count: Annotated[int, Header()]):
        return {"x_count": x_count}

    @app.get("/header-list")
    async def header_list(x_tag: Annotated[list[str] | None, Header()] = None):
        return {"x_tag": x_tag}

    @app.get("/cookies")
    async def cookies(visits: Annotated[int, Cookie()], theme: str = Cookie("light")):
        return {"visits": visits, "theme": theme}

    @app.get("/base-param")
    async def base_param(q: str | None = Param(default=None)):
        return {"q": q}

    @app.post("/explicit-query-model")
    async def body_scalar(count: Annotated[int, Body()], label: str = Query()):
        return {"count": count, "label": label}

    with open_client(app, door) as client:
        yield client


@pytest.mark.parametrize("style", ["default-style", "annotated-style"])
def test_explicit_markers(explicit_client, style):
    response = explicit_client.get(
        f"/{style}/4",
        params={"q": "abc"},
        headers={"x-token": "tok", "cookie": "session=s1"},
    )
    assert response.status_code == 200
    assert response.json() == {"item_id": 4, "q": "abc", "x_token": "tok", "session": "s1"}


@pytest.mark.parametrize("style", ["default-style", "annotated-style"])
def test_explicit_markers_defaults(explicit_client, style):
    response = explicit_client.get(f"/{style}/1")
    assert response.json() == {"item_id": 1, "q": "dflt", "x_token": None, "session": None}


@pytest.mark.parametrize("style", ["default-style", "annotated-style"])
def test_explicit_marker_constraints(explicit_client, style):
    response = explicit_client.get(f"/{style}/0", params={"q": "toolong"})
    assert detail(response) == [
        {
            "type": "greater_than_equal",
            "loc": ["path", "item_id"],
            "msg": "Input should be greater than or equal to 1",
            "input": "0",
            "ctx": {"ge": 1},
        },
        {
            "type": "string_too_long",
            "loc": ["query", "q"],
            "msg": "String should have at most 5 characters",
            "input": "toolong",
            "ctx": {"max_length": 5},
        },
    ]


def test_the_base_param_marker_reads_the_query(explicit_client):
    """`Param()` itself, FastAPI's base of the markers, reads the query, as in FastAPI."""
    assert explicit_client.get("/base-param?q=foo").json() == {"q": "foo"}
    assert explicit_client.get("/base-param").json() == {"q": None}


def test_query_alias(explicit_client):
    assert explicit_client.get("/alias", params={"item-query": "v"}).json() == {"q": "v"}
    assert explicit_client.get("/alias", params={"q": "v"}).json() == {"q": None}


def test_header_convert_underscores_and_alias(explicit_client):
    response = explicit_client.get(
        "/headers",
        headers={"User-Agent": "probe/1.0", "X-Other-Name": "aliased", "strange_header": "raw"},
    )
    assert response.json() == {
        "user_agent": "probe/1.0",
        "x_custom": "aliased",
        "strange_header": "raw",
    }


def test_header_names_are_case_insensitive(explicit_client):
    response = explicit_client.get("/headers", headers={"USER-AGENT": "UPPER"})
    assert response.json()["user_agent"] == "UPPER"


def test_header_with_underscore_is_not_matched_by_converted_name(explicit_client):
    response = explicit_client.get("/headers", headers={"strange-header": "dash"})
    assert response.json()["strange_header"] is None


def test_required_header_coerced_and_errors(explicit_client):
    assert explicit_client.get("/required-header", headers={"x-count": "7"}).json() == {
        "x_count": 7
    }
    assert detail(explicit_client.get("/required-header")) == [
        {"type": "missing", "loc": ["header", "x-count"], "msg": "Field required", "input": None}
    ]
    assert detail(explicit_client.get("/required-header", headers={"x-count": "seven"})) == [
        {
            "type": "int_parsing",
            "loc": ["header", "x-count"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "input": "seven",
        }
    ]


def test_repeated_header_into_list(explicit_client):
    response = explicit_client.get("/header-list", headers=[("x-tag", "a"), ("x-tag", "b")])
    assert response.json() == {"x_tag": ["a", "b"]}


def test_cookies(explicit_client):
    response = explicit_client.get("/cookies", headers={"cookie": "visits=3"})
    assert response.json() == {"visits": 3, "theme": "light"}
    response = explicit_client.get("/cookies", headers={"cookie": "visits=4; theme=dark"})
    assert response.json() == {"visits": 4, "theme": "dark"}
    assert detail(explicit_client.get("/cookies", headers={"cookie": "visits=many"})) == [
        {
            "type": "int_parsing",
            "loc": ["cookie", "visits"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "input": "many",
        }
    ]
    assert detail(explicit_client.get("/cookies")) == [
        {"type": "missing", "loc": ["cookie", "visits"], "msg": "Field required", "input": None}
    ]


def test_scalar_body_marker(explicit_client):
    response = explicit_client.post("/explicit-query-model", params={"label": "L"}, json=5)
    assert response.status_code == 200
    assert response.json() == {"count": 5, "label": "L"}


# --------------------------------------------------------------------------- scalar types


@pytest.fixture(scope="module")
def types_client(door):
    app = FastAPI()

    @app.get("/str")
    async def str_(v: str):
        return {"v": v, "type": type(v).__name__}

    @app.get("/int")
    async def int_(v: int):
        return {"v": v, "type": type(v).__name__}

    @app.get("/float")
    async def float_(v: float):
        return {"v": v, "type": type(v).__name__}

    @app.get("/bool")
    async def bool_(v: bool):
        return {"v": v}

    @app.get("/bytes")
    async def bytes_(v: bytes):
        return {"len": len(v), "type": type(v).__name__}

    @app.get("/uuid")
    async def uuid_(v: UUID):
        return {"v": v, "type": type(v).__name__}

    @app.get("/datetime")
    async def datetime_(v: datetime):
        offset = v.utcoffset()
        return {
            "v": v,
            "type": type(v).__name__,
            "offset": None if offset is None else offset.total_seconds(),
        }

    @app.get("/date")
    async def date_(v: date):
        return {"v": v, "type": type(v).__name__}

    @app.get("/time")
    async def time_(v: time):
        return {"v": v, "type": type(v).__name__}

    @app.get("/decimal")
    async def decimal_(v: Decimal):
        return {"v": str(v), "type": type(v).__name__}

    @app.get("/int-enum")
    async def int_enum(v: Level):
        return {"v": v, "name": v.name}

    @app.get("/literal")
    async def literal(v: Literal["asc", "desc"]):
        return {"v": v}

    @app.get("/optional")
    async def optional(a: int | None = None, b: str | None = None, c: float = 1.5):
        return {"a": a, "b": b, "c": c}

    @app.get("/int-path/{v}")
    async def int_path(v: int):
        return {"v": v}

    with open_client(app, door) as client:
        yield client


def test_str(types_client):
    assert types_client.get("/str", params={"v": "héllo wörld"}).json() == {
        "v": "héllo wörld",
        "type": "str",
    }


def test_int(types_client):
    assert types_client.get("/int", params={"v": "-12"}).json() == {"v": -12, "type": "int"}


def test_int_rejects_float_string(types_client):
    assert detail(types_client.get("/int", params={"v": "1.5"})) == [
        {
            "type": "int_parsing",
            "loc": ["query", "v"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "input": "1.5",
        }
    ]


def test_int_path_param(types_client):
    assert types_client.get("/int-path/42").json() == {"v": 42}
    assert detail(types_client.get("/int-path/forty")) == [
        {
            "type": "int_parsing",
            "loc": ["path", "v"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "input": "forty",
        }
    ]


def test_float(types_client):
    assert types_client.get("/float", params={"v": "2.5"}).json() == {"v": 2.5, "type": "float"}
    assert types_client.get("/float", params={"v": "3"}).json() == {"v": 3.0, "type": "float"}


def test_float_error(types_client):
    assert detail(types_client.get("/float", params={"v": "x"})) == [
        {
            "type": "float_parsing",
            "loc": ["query", "v"],
            "msg": "Input should be a valid number, unable to parse string as a number",
            "input": "x",
        }
    ]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("1", True),
        ("0", False),
        ("true", True),
        ("false", False),
        ("True", True),
        ("FALSE", False),
        ("yes", True),
        ("no", False),
        ("YES", True),
        ("No", False),
        ("on", True),
        ("off", False),
        ("On", True),
        ("OFF", False),
        ("t", True),
        ("f", False),
        ("T", True),
        ("F", False),
        ("y", True),
        ("n", False),
        ("Y", True),
        ("N", False),
    ],
)
def test_bool_words(types_client, raw, expected):
    response = types_client.get("/bool", params={"v": raw})
    assert response.status_code == 200
    assert response.json() == {"v": expected}


@pytest.mark.parametrize("raw", ["maybe", "2", "tru", ""])
def test_bool_invalid(types_client, raw):
    assert detail(types_client.get("/bool", params={"v": raw})) == [
        {
            "type": "bool_parsing",
            "loc": ["query", "v"],
            "msg": "Input should be a valid boolean, unable to interpret input",
            "input": raw,
        }
    ]


def test_bytes(types_client):
    assert types_client.get("/bytes", params={"v": "abc"}).json() == {"len": 3, "type": "bytes"}


def test_uuid(types_client):
    value = "12345678-1234-5678-1234-567812345678"
    assert types_client.get("/uuid", params={"v": value}).json() == {"v": value, "type": "UUID"}


def test_uuid_without_dashes(types_client):
    response = types_client.get("/uuid", params={"v": "12345678123456781234567812345678"})
    assert response.json() == {"v": "12345678-1234-5678-1234-567812345678", "type": "UUID"}


def test_uuid_error(types_client):
    assert detail(types_client.get("/uuid", params={"v": "not-a-uuid"})) == [
        {
            "type": "uuid_parsing",
            "loc": ["query", "v"],
            "msg": "Input should be a valid UUID, invalid character: found `n` at 0",
            "input": "not-a-uuid",
            "ctx": {"error": "invalid character: found `n` at 0"},
        }
    ]


def test_datetime_naive(types_client):
    response = types_client.get("/datetime", params={"v": "2024-01-02T03:04:05"})
    assert response.json() == {"v": "2024-01-02T03:04:05", "type": "datetime", "offset": None}


def test_datetime_with_z_is_utc_and_encoded_as_offset(types_client):
    response = types_client.get("/datetime", params={"v": "2024-01-02T03:04:05Z"})
    assert response.json() == {"v": "2024-01-02T03:04:05+00:00", "type": "datetime", "offset": 0}


def test_datetime_with_offset(types_client):
    response = types_client.get("/datetime", params={"v": "2024-01-02T03:04:05.123+02:00"})
    assert response.json() == {
        "v": "2024-01-02T03:04:05.123000+02:00",
        "type": "datetime",
        "offset": 7200,
    }


def test_datetime_error(types_client):
    assert detail(types_client.get("/datetime", params={"v": "x"})) == [
        {
            "type": "datetime_from_date_parsing",
            "loc": ["query", "v"],
            "msg": "Input should be a valid datetime or date, input is too short",
            "input": "x",
            "ctx": {"error": "input is too short"},
        }
    ]


def test_date(types_client):
    assert types_client.get("/date", params={"v": "2024-02-29"}).json() == {
        "v": "2024-02-29",
        "type": "date",
    }


def test_date_error(types_client):
    assert detail(types_client.get("/date", params={"v": "x"})) == [
        {
            "type": "date_from_datetime_parsing",
            "loc": ["query", "v"],
            "msg": "Input should be a valid date or datetime, input is too short",
            "input": "x",
            "ctx": {"error": "input is too short"},
        }
    ]


def test_time(types_client):
    assert types_client.get("/time", params={"v": "13:45:10"}).json() == {
        "v": "13:45:10",
        "type": "time",
    }
    assert types_client.get("/time", params={"v": "13:45"}).json() == {
        "v": "13:45:00",
        "type": "time",
    }


def test_time_error(types_client):
    assert detail(types_client.get("/time", params={"v": "x"})) == [
        {
            "type": "time_parsing",
            "loc": ["query", "v"],
            "msg": "Input should be in a valid time format, input is too short",
            "input": "x",
            "ctx": {"error": "input is too short"},
        }
    ]


def test_decimal(types_client):
    assert types_client.get("/decimal", params={"v": "1.10"}).json() == {
        "v": "1.10",
        "type": "Decimal",
    }


def test_decimal_error(types_client):
    assert detail(types_client.get("/decimal", params={"v": "x"})) == [
        {
            "type": "decimal_parsing",
            "loc": ["query", "v"],
            "msg": "Input should be a valid decimal",
            "input": "x",
        }
    ]


def test_int_enum(types_client):
    assert types_client.get("/int-enum", params={"v": "2"}).json() == {"v": 2, "name": "high"}


def test_enum_error(types_client, inference_client):
    assert detail(inference_client.get("/enum", params={"color": "blue"})) == [
        {
            "type": "enum",
            "loc": ["query", "color"],
            "msg": "Input should be 'red' or 'green'",
            "input": "blue",
            "ctx": {"expected": "'red' or 'green'"},
        }
    ]
    assert detail(types_client.get("/int-enum", params={"v": "3"})) == [
        {
            "type": "enum",
            "loc": ["query", "v"],
            "msg": "Input should be 1 or 2",
            "input": "3",
            "ctx": {"expected": "1 or 2"},
        }
    ]


def test_literal(types_client):
    assert types_client.get("/literal", params={"v": "desc"}).json() == {"v": "desc"}
    assert detail(types_client.get("/literal", params={"v": "up"})) == [
        {
            "type": "literal_error",
            "loc": ["query", "v"],
            "msg": "Input should be 'asc' or 'desc'",
            "input": "up",
            "ctx": {"expected": "'asc' or 'desc'"},
        }
    ]


def test_optional_defaults(types_client):
    assert types_client.get("/optional").json() == {"a": None, "b": None, "c": 1.5}
    response = types_client.get("/optional", params={"a": "1", "b": "x", "c": "2"})
    assert response.json() == {"a": 1, "b": "x", "c": 2.0}


# --------------------------------------------------------------------------- constraints


@pytest.fixture(scope="module")
def constraints_client(door):
    app = FastAPI()

    @app.get("/numbers")
    async def numbers(
        a: int = Query(0, gt=0),
        b: int = Query(0, ge=0),
        c: float = Query(0.0, lt=10.5),
        d: int = Query(0, le=100),
    ):
        return {"a": a, "b": b, "c": c, "d": d}

    @app.get("/strings")
    async def strings(
        s: Annotated[str | None, Query(min_length=2, max_length=4)] = None,
        code: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
    ):
        return {"s": s, "code": code}

    with open_client(app, door) as client:
        yield client


def test_constraints_accept_valid_values(constraints_client):
    response = constraints_client.get(
        "/numbers", params={"a": "1", "b": "0", "c": "10.4", "d": "100"}
    )
    assert response.json() == {"a": 1, "b": 0, "c": 10.4, "d": 100}
    response = constraints_client.get("/strings", params={"s": "abcd", "code": "ABC"})
    assert response.json() == {"s": "abcd", "code": "ABC"}


def test_gt(constraints_client):
    assert detail(constraints_client.get("/numbers", params={"a": "0"})) == [
        {
            "type": "greater_than",
            "loc": ["query", "a"],
            "msg": "Input should be greater than 0",
            "input": "0",
            "ctx": {"gt": 0},
        }
    ]


def test_ge(constraints_client):
    assert detail(constraints_client.get("/numbers", params={"b": "-1"})) == [
        {
            "type": "greater_than_equal",
            "loc": ["query", "b"],
            "msg": "Input should be greater than or equal to 0",
            "input": "-1",
            "ctx": {"ge": 0},
        }
    ]


def test_lt(constraints_client):
    assert detail(constraints_client.get("/numbers", params={"c": "10.5"})) == [
        {
            "type": "less_than",
            "loc": ["query", "c"],
            "msg": "Input should be less than 10.5",
            "input": "10.5",
            "ctx": {"lt": 10.5},
        }
    ]


def test_le(constraints_client):
    assert detail(constraints_client.get("/numbers", params={"d": "101"})) == [
        {
            "type": "less_than_equal",
            "loc": ["query", "d"],
            "msg": "Input should be less than or equal to 100",
            "input": "101",
            "ctx": {"le": 100},
        }
    ]


def test_min_length(constraints_client):
    assert detail(constraints_client.get("/strings", params={"s": "a"})) == [
        {
            "type": "string_too_short",
            "loc": ["query", "s"],
            "msg": "String should have at least 2 characters",
            "input": "a",
            "ctx": {"min_length": 2},
        }
    ]


def test_max_length(constraints_client):
    assert detail(constraints_client.get("/strings", params={"s": "abcde"})) == [
        {
            "type": "string_too_long",
            "loc": ["query", "s"],
            "msg": "String should have at most 4 characters",
            "input": "abcde",
            "ctx": {"max_length": 4},
        }
    ]


def test_pattern(constraints_client):
    assert detail(constraints_client.get("/strings", params={"code": "abc"})) == [
        {
            "type": "string_pattern_mismatch",
            "loc": ["query", "code"],
            "msg": "String should match pattern '^[A-Z]{3}$'",
            "input": "abc",
            "ctx": {"pattern": "^[A-Z]{3}$"},
        }
    ]


def test_all_errors_reported_at_once(constraints_client):
    response = constraints_client.get(
        "/numbers", params={"a": "0", "b": "x", "c": "11", "d": "101"}
    )
    assert detail(response) == [
        {
            "type": "greater_than",
            "loc": ["query", "a"],
            "msg": "Input should be greater than 0",
            "input": "0",
            "ctx": {"gt": 0},
        },
        {
            "type": "int_parsing",
            "loc": ["query", "b"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "input": "x",
        },
        {
            "type": "less_than",
            "loc": ["query", "c"],
            "msg": "Input should be less than 10.5",
            "input": "11",
            "ctx": {"lt": 10.5},
        },
        {
            "type": "less_than_equal",
            "loc": ["query", "d"],
            "msg": "Input should be less than or equal to 100",
            "input": "101",
            "ctx": {"le": 100},
        },
    ]


def test_errors_from_several_sources_at_once(make_client):
    app = FastAPI()

    @app.post("/mixed/{item_id}")
    async def mixed(item_id: int, q: int, item: Item, x_key: Annotated[str, Header()]):
        return {}

    response = make_client(app).post("/mixed/abc", params={"q": "z"}, json={"name": "n"})
    assert detail(response) == [
        {
            "type": "int_parsing",
            "loc": ["path", "item_id"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "input": "abc",
        },
        {
            "type": "int_parsing",
            "loc": ["query", "q"],
            "msg": "Input should be a valid integer, unable to parse string as an integer",
            "input": "z",
        },
        {"type": "missing", "loc": ["header", "x-key"], "msg": "Field required", "input": None},
        {
            "type": "missing",
            "loc": ["body", "price"],
            "msg": "Field required",
            "input": {"name": "n"},
        },
    ]


# --------------------------------------------------------------------------- primer example


@pytest.fixture(scope="module")
def compute_client(door):
    app = FastAPI()

    @app.get("/compute")
    async def compute(n: int = 1_000_000):
        return {"n": n, "type": type(n).__name__}

    with open_client(app, door) as client:
        yield client


def test_compute_with_n(compute_client):
    response = compute_client.get("/compute?n=10")
    assert response.status_code == 200
    assert response.json() == {"n": 10, "type": "int"}


def test_compute_default(compute_client):
    response = compute_client.get("/compute")
    assert response.status_code == 200
    assert response.json() == {"n": 1000000, "type": "int"}


def test_compute_invalid(compute_client):
    response = compute_client.get("/compute?n=abc")
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "int_parsing",
                "loc": ["query", "n"],
                "msg": "Input should be a valid integer, unable to parse string as an integer",
                "input": "abc",
            }
        ]
    }


def test_integers_beyond_64_bits_still_meet_their_bounds(make_client):
    """A query or path integer past i64 was once handed over unchecked (-2**63-1 passed
    ge=0); it gets pydantic's bound error like any other."""
    from FasterAPI import FastAPI, Path, Query

    app = FastAPI()

    @app.get("/q")
    async def q(n: int = Query(0, ge=0, le=2**63 - 1)):
        return {"n": n}

    @app.get("/p/{n}")
    async def p(n: int = Path(ge=1, le=100)):
        return {"n": n}

    client = make_client(app)
    assert client.get("/q?n=9223372036854775807").json() == {"n": 2**63 - 1}
    for url, kind in [
        ("/q?n=9223372036854775808", "less_than_equal"),
        ("/q?n=99999999999999999999999", "less_than_equal"),
        ("/q?n=-9223372036854775809", "greater_than_equal"),
        ("/p/9223372036854775808", "less_than_equal"),
    ]:
        response = client.get(url)
        assert response.status_code == 422, url
        assert response.json()["detail"][0]["type"] == kind, url
