"""Response models: the return value validated against `response_model` (or the return
annotation) and serialized through it, with the response_model_* options, on both doors
(TestClient, and the native server over a socket) and through the dependency solver. The
routes are in tests/apps/models_app.py."""

import sys
from pathlib import Path

import msgspec
import pytest
from FasterAPI import APIRouter, Depends, FastAPI, Request
from FasterAPI.exceptions import ResponseValidationError
from FasterAPI.responses import JSONResponse
from FasterAPI.testclient import TestClient
from pydantic import BaseModel

from tests.support.doors import open_client
from tests.support.raw_http import Reader, exchange, request
from tests.support.servers import native_server

ROOT = Path(__file__).resolve().parent.parent

ALICE = b'{"name":"alice","email":"alice@example.com"}'
SERVER_ERROR = b'{"detail":"Internal Server Error"}'

#: (method, path, status, exact body) for the routes of tests/apps/models_app.py.
CASES = [
    # filtering: a dict with extra keys, a subclass instance, an object with attributes
    ("GET", "/users/dict", 200, ALICE),
    ("GET", "/users/subclass", 200, ALICE),
    ("GET", "/users/object", 200, ALICE),
    ("GET", "/users/list", 200, b"[" + ALICE + b',{"name":"bob","email":null}]'),
    (
        "GET",
        "/orders/nested",
        200,
        b'{"id":3,"customer":' + ALICE + b',"items":[{"name":"hammer","price":9.5},'
        b'{"name":"nail","price":0.1}],"notes":{"gift":1}}',
    ),
    # plain types, dataclasses, TypedDict: converted
    ("GET", "/plain/dict", 200, b'{"a":1,"b":2}'),
    ("GET", "/plain/list", 200, b'["a","b"]'),
    ("GET", "/plain/int", 200, b"42"),
    (
        "GET",
        "/plain/any",
        200,
        b'{"product":{"name":"hammer","price":9.5,"tags":[],"stock":null},"count":1}',
    ),
    ("GET", "/plain/optional", 200, b"null"),
    ("GET", "/dataclass", 200, b'{"x":1,"y":0}'),
    ("GET", "/typeddict", 200, b'{"title":"Alien","year":1979}'),
    ("POST", "/created", 201, ALICE),
    ("GET", "/pooled", 200, ALICE),
    # the options
    ("GET", "/options/unset", 200, b'{"name":"s","size":null,"tags":[]}'),
    ("GET", "/options/defaults", 200, b'{"name":"s","size":3}'),
    (
        "GET",
        "/options/none",
        200,
        b'{"name":"s","theme":"light","tags":[],"displayName":"anonymous"}',
    ),
    ("GET", "/options/include", 200, b'{"name":"s","size":null}'),
    ("GET", "/options/exclude", 200, b'{"name":"s","size":null,"displayName":"anonymous"}'),
    (
        "GET",
        "/options/by-alias",
        200,
        b'{"name":"s","theme":"light","size":null,"tags":[],"displayName":"Sam"}',
    ),
    (
        "GET",
        "/options/no-alias",
        200,
        b'{"name":"s","theme":"light","size":null,"tags":[],"display_name":"Sam"}',
    ),
    (
        "GET",
        "/options/nested",
        200,
        b'{"id":1,"customer":{"name":"alice"},"items":[{"name":"a"}],"notes":{}}',
    ),
    # msgspec Structs
    ("GET", "/products/exact", 200, b'{"name":"hammer","price":9.5,"tags":[],"stock":null}'),
    (
        "GET",
        "/products/dict",
        200,
        b'{"name":"hammer","price":9.5,"tags":["tools"],"stock":null}',
    ),
    ("GET", "/products/object", 200, b'{"name":"nail","price":0.1,"tags":[],"stock":5}'),
    ("GET", "/products/pydantic", 200, b'{"name":"saw","price":20.0,"tags":[],"stock":null}'),
    (
        "GET",
        "/products/list",
        200,
        b'[{"name":"hammer","price":9.5,"tags":[],"stock":null},'
        b'{"name":"nail","price":1.0,"tags":[],"stock":null}]',
    ),
    ("GET", "/products/options", 200, b'{"name":"hammer","price":9.5}'),
    ("GET", "/products/bad", 500, SERVER_ERROR),
    # no model: inference off, Response annotations, a returned Response
    (
        "GET",
        "/inference/off",
        200,
        b'{"name":"alice","email":"alice@example.com","password":"s3cret"}',
    ),
    ("GET", "/response/annotated", 200, b"plain"),
    ("GET", "/response/bypass", 202, b'{"anything":"goes"}'),
    ("GET", "/response/union", 200, b'{"kept":true,"password":"visible"}'),
    # mismatches are server errors
    ("GET", "/bad/missing", 500, SERVER_ERROR),
    ("GET", "/bad/type", 500, SERVER_ERROR),
    # dependencies (the solver), an injected Response, a Request
    ("GET", "/deps/user", 200, ALICE),
    ("GET", "/deps/bad", 500, SERVER_ERROR),
    ("GET", "/injected", 202, ALICE),
    ("GET", "/request", 200, b'{"name":"/request","email":"alice@example.com"}'),
]


def _ids(case):
    return f"{case[0]} {case[1]}"


@pytest.fixture(scope="module")
def models_client(door):
    from tests.apps.models_app import app

    with open_client(app, door, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="module")
def models_server(tmp_path_factory):
    """The app served by `fasterapi run`, whose output (the logged errors) the test reads."""
    with native_server(tmp_path_factory.mktemp("models"), app="models") as server:
        yield server


@pytest.mark.fasterapi_only  # Structs, and FasterAPI's JSON 500 for unhandled errors
@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_response_models(models_client, case):
    method, path, status, body = case
    response = models_client.request(method, path)
    assert (response.status_code, response.content) == (status, body)
    assert response.headers["content-length"] == str(len(body))
    if status == 200 and body.startswith(b"{"):
        assert response.headers["content-type"] == "application/json"


@pytest.mark.fasterapi_only
def test_headers_of_an_injected_response_and_head_requests(models_client):
    assert models_client.get("/injected").headers["x-injected"] == "yes"
    response = models_client.head("/users/dict")
    assert (response.status_code, response.content) == (200, b"")
    assert response.headers["content-length"] == str(len(ALICE))


@pytest.mark.fasterapi_only
def test_the_native_server_logs_the_validation_errors_and_keeps_serving(models_server):
    status, _, body = exchange(models_server, request("GET", "/bad/missing"))
    assert (status, body) == (500, SERVER_ERROR)
    models_server.wait_for_output("ResponseValidationError")
    assert "'loc': ('response', 'name')" in models_server.output()
    assert "'msg': 'Field required'" in models_server.output()
    # the connection's next request and the next connection are served as before
    with models_server.connect() as sock:
        sock.sendall(request("GET", "/products/bad") + request("GET", "/users/dict"))
        reader = Reader(sock)
        assert reader.response()[0] == 500
        assert reader.response()[::2] == (200, ALICE)


# -- the same rules as FastAPI (these run against FastAPI too) -----------------------------------


class UserOut(BaseModel):
    name: str
    email: str | None = None


class UserIn(UserOut):
    password: str


def test_a_mismatch_raises_response_validation_error_with_its_errors_and_body():
    # The ASGI door only: TestClient raises the server's exception into the test.
    app = FastAPI()

    @app.get("/user", response_model=UserOut)
    async def user():
        return {"email": "x@example.com"}

    with pytest.raises(ResponseValidationError) as info:
        TestClient(app).get("/user")
    assert info.value.errors() == [
        {
            "type": "missing",
            "loc": ("response", "name"),
            "msg": "Field required",
            "input": {"email": "x@example.com"},
        }
    ]
    assert info.value.body == {"email": "x@example.com"}


def test_an_exception_handler_for_response_validation_error_answers_it(make_client):
    app = FastAPI()

    @app.exception_handler(ResponseValidationError)
    async def handler(request: Request, exc: ResponseValidationError):
        return JSONResponse({"invalid": [list(e["loc"]) for e in exc.errors()]}, status_code=502)

    @app.get("/user", response_model=UserOut)
    def user():
        return {"name": ["not", "a", "string"]}

    response = make_client(app).get("/user")
    assert (response.status_code, response.json()) == (502, {"invalid": [["response", "name"]]})


def test_include_router_and_dependency_overrides_keep_the_model_and_its_options(make_client):
    def current() -> UserIn:
        return UserIn(name="alice", password="s3cret")

    router = APIRouter(prefix="/users")

    @router.get(
        "/me",
        response_model=UserOut,
        response_model_exclude_none=True,
        response_model_exclude={"email"},
    )
    async def me(user: UserIn = Depends(current)):
        return user

    app = FastAPI()
    app.include_router(router, prefix="/v1")
    client = make_client(app)
    assert client.get("/v1/users/me").content == b'{"name":"alice"}'
    app.dependency_overrides[current] = lambda: UserIn(name="bob", email="b@x.io", password="p")
    assert client.get("/v1/users/me").content == b'{"name":"bob"}'


def test_a_returned_model_instance_keeps_what_was_set_for_exclude_unset(make_client):
    app = FastAPI()

    @app.get("/user", response_model=UserOut, response_model_exclude_unset=True)
    async def user() -> UserOut:
        return UserIn(name="alice", password="s3cret")

    @app.get("/explicit", response_model=UserOut, response_model_exclude_unset=True)
    async def explicit():
        return UserOut(name="alice", email=None)

    client = make_client(app)
    assert client.get("/user").content == b'{"name":"alice"}'
    assert client.get("/explicit").content == b'{"name":"alice","email":null}'


# -- FasterAPI's own ----------------------------------------------------------------------------


@pytest.mark.fasterapi_only
def test_route_attributes_and_no_model_without_one(make_client):
    app = FastAPI()

    @app.get("/inferred")
    async def inferred() -> UserOut:
        return {"name": "a"}

    @app.get("/none")
    async def none():
        return {}

    @app.delete("/gone", status_code=204)
    async def gone() -> UserOut:
        return {}

    inferred_route, none_route, gone_route = app.routes[-3:]
    assert inferred_route.response_model is UserOut
    assert inferred_route.serialize_response is not None
    assert inferred_route.options()["response_model_by_alias"] is True
    assert none_route.response_model is None and none_route.serialize_response is None
    # no body for a 204: nothing to validate
    assert gone_route.serialize_response is None
    assert make_client(app).delete("/gone").status_code == 204


@pytest.mark.fasterapi_only
def test_the_exact_struct_is_not_converted():
    import msgspec
    from FasterAPI._compiler.response_model import response_serializer

    class Item(msgspec.Struct):
        name: str

    serialize = response_serializer(Item)
    item = Item("x")
    assert serialize(item) is item
    assert serialize({"name": "y", "extra": 1}) == Item("y")
    assert response_serializer(Item, exclude_none=True)(item) == {"name": "x"}


@pytest.mark.fasterapi_only
def test_struct_options_follow_msgspec_names_and_unset_fields():
    import msgspec
    from FasterAPI._compiler.response_model import response_serializer

    class Owner(msgspec.Struct, rename="camel"):
        first_name: str
        nick_name: str | None = None

    class Pet(msgspec.Struct):
        name: str
        owner: Owner
        age: int | msgspec.UnsetType = msgspec.UNSET

    pet = {"name": "rex", "owner": {"firstName": "ann"}}
    # renamed fields are written as msgspec writes them, UNSET fields are left out
    assert response_serializer(Pet)(pet) == {
        "name": "rex",
        "owner": {"firstName": "ann", "nickName": None},
    }
    assert response_serializer(Pet, by_alias=False)(pet) == {
        "name": "rex",
        "owner": {"first_name": "ann", "nick_name": None},
    }
    assert response_serializer(Pet, exclude_unset=True)(pet) == pet
    assert response_serializer(Pet, include={"owner": {"nick_name"}})(pet) == {
        "owner": {"nickName": None}
    }
    with pytest.raises(ResponseValidationError) as info:
        response_serializer(list[Pet])([pet, {"name": "tom"}])
    assert info.value.errors()[0]["loc"] == ("response", 1, "owner")


@pytest.mark.fasterapi_only
@pytest.mark.parametrize("name", ["fasterapi_app", "fasterapi_pydantic_app", "ws_echo_app"])
def test_no_benchmark_route_has_a_response_model(name, monkeypatch):
    import importlib

    monkeypatch.syspath_prepend(str(ROOT / "benchmarks" / "apps"))
    monkeypatch.delitem(sys.modules, name, raising=False)
    app = importlib.import_module(name).app
    benchmarked = [r for r in app.routes if r.endpoint.__module__ in (name, "fasterapi_app")]
    assert benchmarked
    assert all(route.serialize_response is None for route in benchmarked), benchmarked


class Account(msgspec.Struct):
    name: str
    password: str
    tags: dict[str, str]


@pytest.mark.fasterapi_only  # a msgspec Struct model
def test_an_ellipsis_in_response_model_exclude_drops_the_field(make_client):
    app = FastAPI()

    @app.get("/account", response_model=Account, response_model_exclude={"password": ...})
    async def account():
        return {"name": "ann", "password": "secret", "tags": {"a": "1"}}

    assert make_client(app).get("/account").json() == {"name": "ann", "tags": {"a": "1"}}


def test_a_pydantic_model_with_the_default_json_response_writes_its_own_json(make_client):
    """With the default JSONResponse, a pydantic response model writes the JSON itself, as
    FastAPI 0.165's `dump_json` does (pydantic's number format); an explicit response class
    gets the model's Python value, as FastAPI gives it."""
    from FasterAPI import Response

    class Reading(BaseModel):
        value: float
        label: str

    app = FastAPI()

    @app.get("/default", response_model=Reading)
    async def default():
        return {"value": 1.5e-7, "label": "é", "extra": 1}

    @app.get("/injected", response_model=Reading)
    async def injected(response: Response):
        response.headers["x-injected"] = "1"
        return {"value": 0.5, "label": "a"}

    @app.get("/explicit", response_model=Reading, response_class=JSONResponse)
    async def explicit():
        return {"value": 1.5e-7, "label": "é"}

    client = make_client(app)
    # (pydantic writes 1.5e-7 where Python's json writes 1.5e-07)
    assert client.get("/default").content == '{"value":1.5e-7,"label":"é"}'.encode()
    got = client.get("/injected")
    assert (got.content, got.headers["x-injected"]) == (b'{"value":0.5,"label":"a"}', "1")
    assert client.get("/explicit").json() == {"value": 1.5e-7, "label": "é"}


@pytest.mark.fasterapi_only  # FastAPI's encoder does not know msgspec.Raw
def test_a_handler_may_return_json_already_encoded(make_client):
    app = FastAPI()

    @app.get("/raw")
    async def raw():
        return {"pre": msgspec.Raw(b"[1, 2]")}

    assert make_client(app).get("/raw").content == b'{"pre":[1, 2]}'
